// How the shell prints a value and an exception: as Node's REPL does (util.inspect), except that Erlang terms
// (atoms, tuples, pids …), also inside arrays and objects, print in Erlang syntax.
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { Atom } from "../term/atom.ts";
import { format, type TermTextOptions } from "../term/format.ts";
import { ErlMap } from "../term/map.ts";
import { BitString, ErlFun, ExportFun, Float, ImproperList, Pid, Port, Ref, Tuple } from "../term/types.ts";

export interface ShowOptions {
  /** ANSI colors, as a terminal shows them. */
  readonly colors: boolean;
  /** The node whose pids, refs and ports print as local ones (`<0.42.0>`). */
  readonly local: TermTextOptions;
  /** The number of lines of the input that raised (its frames outside them are dropped). */
  readonly inputLines?: number;
}

/** Nesting levels of arrays and objects shown, as Node's REPL. */
const DEPTH = 4;

export function show(value: unknown, options: ShowOptions): string {
  if (isErlangTerm(value)) {
    const text = erlangText(value, options.local);
    if (text !== undefined) return text;
  }
  return inspect(inspectable(value, options.local), {
    colors: options.colors,
    depth: DEPTH,
  });
}

/**
 * What an exception prints as: `Uncaught ` and its stack, the frames of the input itself as `shell:Line:Column`
 * (lines of the input as transpiled), without the shell's own frames below them.
 */
export function showThrown(thrown: unknown, options: ShowOptions): string {
  const stack = (thrown as { stack?: unknown } | null)?.stack;
  if (typeof stack !== "string" || stack === "") return `Uncaught ${show(thrown, options)}`;
  const [message, ...frames] = stack.split("\n");
  const shown: string[] = [];
  for (const frame of frames) {
    const input = INPUT_FRAME.exec(frame);
    if (input !== null) {
      const line = Number(input[2]) - INPUT_FIRST_LINE + 1;
      // Frames past the input's last line are its wrapper's (see compile in shell-session.ts).
      if (line >= 1 && line <= (options.inputLines ?? 0)) {
        shown.push(
          `    at ${input[1] === "eval" ? "shell" : `${input[1]} (shell`}:${line}:${input[3]}${input[1] === "eval" ? "" : ")"}`,
        );
      }
    } else if (!frame.includes(SHELL_DIRECTORY) && !frame.includes("node:internal")) {
      shown.push(frame);
    } else break;
  }
  return `Uncaught ${[message, ...shown].join("\n")}`;
}

/** A frame of code compiled by the shell: `at fn (eval at … (…), <anonymous>:Line:Column)`. */
const INPUT_FRAME = /^\s*at (?:async )?(\S+) \(eval at .*, <anonymous>:(\d+):(\d+)\)$/;
/** The line of the compiled function's text where an input's code starts (see compile in shell-session.ts). */
export const INPUT_FIRST_LINE = 4;

const SHELL_DIRECTORY = fileURLToPath(new URL(".", import.meta.url));

/** `value` as util.inspect is to show it, its Erlang terms as Erlang text (console.log's arguments). */
export function inspectable(value: unknown, local: TermTextOptions): unknown {
  return withErlangTerms(value, local, DEPTH + 1, new Map());
}

function isErlangTerm(value: unknown): boolean {
  return (
    value instanceof Atom ||
    value instanceof Tuple ||
    value instanceof Pid ||
    value instanceof Ref ||
    value instanceof Port ||
    value instanceof ErlMap ||
    value instanceof ImproperList ||
    value instanceof BitString ||
    value instanceof ErlFun ||
    value instanceof ExportFun ||
    value instanceof Float
  );
}

function erlangText(value: unknown, local: TermTextOptions): string | undefined {
  try {
    return format(value as never, local);
  } catch {
    return undefined; // a tuple holding something that is no term: inspect shows it
  }
}

/** A copy of `value` (arrays and plain objects, `depth` levels deep) whose Erlang terms inspect as Erlang text. */
function withErlangTerms(value: unknown, local: TermTextOptions, depth: number, seen: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null || depth === 0) return value;
  if (seen.has(value)) return seen.get(value);
  if (isErlangTerm(value)) {
    const text = erlangText(value, local);
    if (text === undefined) return value;
    return {
      [inspect.custom]: (_depth: number, o: { stylize(s: string, style: string): string }) =>
        o.stylize(text, "special"),
    };
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    // inspect shows 100 items: those beyond are left as they are
    for (const [i, item] of value.entries()) copy.push(i <= 100 ? withErlangTerms(item, local, depth - 1, seen) : item);
    return copy;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = prototype === null ? Object.create(null) : {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = withErlangTerms(item, local, depth - 1, seen);
  return copy;
}
