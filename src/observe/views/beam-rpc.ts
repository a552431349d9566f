// Reading a BEAM node over erpc: calls with a deadline, and its terms as text relative to it (its own pids print
// as `<0.42.0>`, as in its shell). Helpers for the proplists and charlists its BIFs answer with.
import { Atom, atom } from "../../term/atom.ts";
import { ExportFun, type Term, Tuple } from "../../term/types.ts";
import type { ObservedNode } from "../observed-node.ts";
import { type NodeIdentity, termText } from "../term-text.ts";

export class BeamRpc {
  constructor(
    private readonly erpc: NonNullable<ObservedNode["erpc"]>,
    readonly identity: NodeIdentity,
    readonly timeoutMs: number,
  ) {}

  get node(): Atom {
    return this.identity.node;
  }

  /** `module:fn(args…)` on the node. */
  call(module: string, fn: string, args: readonly Term[], timeoutMs = this.timeoutMs): Promise<Term> {
    return this.erpc.call(this.identity.node, module, fn, args, { timeout: timeoutMs });
  }

  text(term: Term): string {
    return termText(term, this.identity);
  }
}

/** The `{Key, Value}` pairs of a proplist, by key name (other elements ignored). */
export function proplist(term: Term): Map<string, Term> {
  const pairs = new Map<string, Term>();
  if (!Array.isArray(term)) return pairs;
  for (const item of term) {
    if (item instanceof Tuple && item.size === 2 && item.at(0) instanceof Atom) {
      pairs.set((item.at(0) as Atom).name, item.at(1)!);
    }
  }
  return pairs;
}

/** A number from a term, or null. */
export function numberOf(term: Term | undefined): number | null {
  if (typeof term === "number") return term;
  if (typeof term === "bigint") return Number(term);
  return null;
}

/** A charlist, binary or atom as text; anything else as Erlang text. */
export function stringOf(term: Term | undefined, rpc: BeamRpc): string {
  if (term === undefined) return "";
  if (term instanceof Atom) return term.name;
  if (term instanceof Uint8Array) return Buffer.from(term).toString("utf8");
  if (Array.isArray(term) && term.every((c) => typeof c === "number")) return String.fromCodePoint(...term);
  return rpc.text(term);
}

/** `fun erlang:process_info/2`, for `lists:zipwith` over many pids in one call. */
export const PROCESS_INFO = new ExportFun(atom("erlang"), atom("process_info"), 2);
