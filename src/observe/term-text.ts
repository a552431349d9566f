// Terms as the observer shows them for one node: that node's own pids print as `<0.42.0>`, as a shell there prints
// them, and text typed into the page (a pid, an exit reason, a message) is read back the same way.

import type { Atom } from "../term/atom.ts";
import { formatForPeople } from "../term/format.ts";
import { parse } from "../term/parse.ts";
import { Pid, type Term, Tuple } from "../term/types.ts";
import { BadRequest } from "./requests.ts";

/** Which node's identifiers print without a node name. */
export interface NodeIdentity {
  readonly node: Atom;
  readonly creation: number;
}

/** Longest text shown for one term (a state, a dictionary); the rest is cut with "…". */
const MAX_TEXT = 20_000;

/** `term` in Erlang syntax, relative to `at`; a value that is no term prints as Node's inspect shows it. */
export function termText(term: unknown, at: NodeIdentity): string {
  const text = formatForPeople(term, { localNode: at.node, localCreation: at.creation });
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** `{M, F, A}` as `m:f/a`; anything else as termText. */
export function mfaText(term: Term, at: NodeIdentity): string {
  if (term instanceof Tuple && term.size === 3) {
    const [m, f, a] = term.elements;
    if (typeof a === "number") return `${termText(m, at)}:${termText(f, at)}/${a}`;
  }
  return termText(term, at);
}

/** Reads a term typed for node `at`; BadRequest when the text is not one term. */
export function termFromText(text: string, at: NodeIdentity, what: string): Term {
  try {
    return parse(text, { localNode: at.node, localCreation: at.creation });
  } catch (error) {
    throw new BadRequest(`bad ${what}: ${(error as Error).message}`);
  }
}

/** Reads a pid typed for node `at` (`<0.42.0>` is one of its own); BadRequest when it is no pid. */
export function pidFromText(text: string, at: NodeIdentity): Pid {
  const pid = termFromText(text.trim(), at, "pid");
  if (!(pid instanceof Pid)) throw new BadRequest(`not a pid: ${text}`);
  return pid;
}
