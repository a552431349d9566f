// The crash report: what proc_lib logs when a process ends itself with an abnormal reason (OTP's `crasher` report).
//
// It is built while the process still holds its queue, links and dictionary (the exit's cleanup drops them) and
// rendered only if a handler prints it.
import type { Atom } from "../term/atom.ts";
import { type Pid, type Term, tuple } from "../term/types.ts";
import { processInfo } from "./info.ts";
import { formatReason, type LogReport } from "./logger.ts";
import type { Process } from "./process.ts";
import { ProcessExit } from "./reasons.ts";

/** The fields of a crash report (OTP's crasher list, minus what Otter does not track: ancestors, heap sizes). */
export interface CrashReport {
  /** The behaviour's name, or the async body function's name. */
  readonly initialCall: string;
  readonly pid: Pid;
  readonly registeredName: Atom | undefined;
  /** OTP's exception class: `error` for a JS Error thrown, `exit` for a ProcessExit, `throw` for any other value. */
  readonly class: "error" | "exit" | "throw";
  readonly reason: Term;
  /** The JavaScript error thrown, when it was one (not a ProcessExit). */
  readonly error: Error | undefined;
  /** For class `throw`, the value thrown (the reason wraps it as `{{nocatch, Value}, []}`); else undefined. */
  readonly thrown: unknown;
  readonly messageQueueLen: number;
  readonly messages: Term[];
  readonly links: Pid[];
  readonly dictionary: Term[];
  readonly trapExit: boolean;
  readonly reductions: number;
}

/** Process `p`'s crash report, exiting with `reason` because it threw `error`. */
export function crashReport(p: Process, reason: Term, error: unknown): LogReport<CrashReport> {
  const info = processInfo(p, false);
  const jsError = error instanceof Error && !(error instanceof ProcessExit) ? error : undefined;
  const exited = error === undefined || error instanceof ProcessExit;
  const dictionary = p.extra?.dictionary;
  return {
    report: {
      initialCall: info.currentFunction,
      pid: p.pid,
      registeredName: info.registeredName,
      class: jsError !== undefined ? "error" : exited ? "exit" : "throw",
      reason,
      error: jsError,
      thrown: jsError === undefined && !exited ? error : undefined,
      messageQueueLen: info.messageQueueLen,
      messages: p.messages(),
      links: info.links,
      dictionary: dictionary === undefined ? [] : Array.from(dictionary, ([k, v]) => tuple(k, v)),
      trapExit: info.trapExit,
      reductions: info.reductions,
    },
    format: formatCrashReport,
  };
}

/** OTP's layout, e.g. `  crasher:\n    initial call: …\n    pid: <0.80.0>\n …`. */
function formatCrashReport(r: CrashReport, term: (value: unknown) => string): string {
  const exception = `    exception ${r.class}: `;
  // As OTP: an error shows the error and where it was raised, a throw the value thrown, an exit its reason.
  const what =
    r.error !== undefined
      ? errorText(r.error)
      : r.class === "throw"
        ? term(r.thrown)
        : formatReason(r.reason, exception.length, term);
  return [
    "  crasher:",
    `    initial call: ${r.initialCall}`,
    `    pid: ${term(r.pid)}`,
    `    registered_name: ${r.registeredName === undefined ? "[]" : term(r.registeredName)}`,
    `${exception}${what}`,
    `    message_queue_len: ${r.messageQueueLen}`,
    `    messages: ${term(r.messages)}`,
    `    links: ${term(r.links)}`,
    `    dictionary: ${term(r.dictionary)}`,
    `    trap_exit: ${r.trapExit}`,
    `    reductions: ${r.reductions}`,
  ].join("\n");
}

/** A JS error as `Name: message` with its frames below, as OTP prints `in function …` lines. */
function errorText(error: Error): string {
  const frames = typeof error.stack === "string" ? error.stack.split("\n").filter((l) => l.startsWith("    at ")) : [];
  return [`${error.name}: ${error.message}`, ...frames.map((line) => `      ${line.trim()}`)].join("\n");
}
