// Exit reasons: the atoms the Processes chapter names, `ProcessExit` (Erlang's exit/1), and how a thrown value
// becomes the reason a process exits with.
import { inspect } from "node:util";
import { type Atom, atom } from "../term/atom.ts";
import { format, formatForPeople } from "../term/format.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";

export const NORMAL = atom("normal");
export const KILL = atom("kill");
export const KILLED = atom("killed");
export const SHUTDOWN = atom("shutdown");
export const NOPROC = atom("noproc");
export const NOCONNECTION = atom("noconnection");
export const EXIT = atom("EXIT");
export const DOWN = atom("DOWN");
export const PROCESS = atom("process");
export const TIMEOUT = atom("timeout");
const NOCATCH = atom("nocatch");
const UNDEFINED = atom("undefined");
const ERROR = atom("error");

/**
 * Thrown to end the current process with `reason` (Erlang's `exit(Reason)`): `throw new ProcessExit(SHUTDOWN)`.
 * Like Erlang's exit exception it can be caught; uncaught, the process exits with `reason` and, unless the
 * reason is normal or a shutdown, logs a crash report.
 */
export class ProcessExit extends Error {
  constructor(readonly reason: Term) {
    // An exit is control flow, not a bug report: no stack (capturing one costs microseconds per exit).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super();
    Error.stackTraceLimit = limit;
  }
}
// The message is formatted only if someone reads it.
Object.defineProperties(ProcessExit.prototype, {
  name: { value: "ProcessExit" },
  message: {
    get(this: ProcessExit) {
      return `process exit: ${formatForPeople(this.reason)}`;
    },
  },
});

/** `normal`, `shutdown` and `{shutdown, _}`: the reasons supervisors and crash reports treat as expected. */
export function isQuietExit(reason: Term): boolean {
  if (reason === NORMAL || reason === SHUTDOWN) return true;
  return reason instanceof Tuple && reason.size === 2 && reason.at(0) === SHUTDOWN;
}

/**
 * The exit reason for a value a body threw. A `ProcessExit` gives its reason; a JS Error gives
 * `{{Name, Message}, Stack}` (name an atom, message and stack lines strings, i.e. binaries), the shape of an
 * Erlang `{Reason, Stacktrace}`; any other thrown term gives `{{nocatch, Value}, []}` like an uncaught throw.
 */
export function reasonFromThrown(thrown: unknown): Term {
  if (thrown instanceof ProcessExit) return thrown.reason;
  if (thrown instanceof Error) {
    return tuple(tuple(errorNameAtom(thrown.name), thrown.message), stackLines(thrown));
  }
  return tuple(tuple(NOCATCH, asReasonTerm(thrown)), []);
}

/**
 * A JavaScript value as it goes into an exit reason (a thrown value, a callback's bad return): the value itself if
 * it is a term all the way down, else its inspection as one line of text; `undefined` is the atom `undefined`.
 */
export function asReasonTerm(value: unknown): Term {
  if (value === undefined) return UNDEFINED;
  try {
    format(value as Term); // what format cannot print is no term
    return value as Term;
  } catch {
    return inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
  }
}

function errorNameAtom(name: unknown): Atom {
  try {
    return typeof name === "string" && name !== "" ? atom(name) : ERROR;
  } catch {
    return ERROR; // an error name that is no valid atom (too long)
  }
}

function stackLines(error: Error): string[] {
  const stack = typeof error.stack === "string" ? error.stack.split("\n") : [];
  // The first line repeats name and message; the frames follow as "    at …".
  return stack.filter((line) => line.startsWith("    at ")).map((line) => line.trim());
}
