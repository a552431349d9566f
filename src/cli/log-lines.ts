// The log as the `otter` command prints it by default: one line an event (time, level, text), and one line a crash.
//
// OTP reports one crash of a supervised server three times: the server's terminate report, proc_lib's crash
// report, and the supervisor's child_terminated report. Here the first of them that comes for a pid is the crash's
// line and the later ones for that pid are left out (as Elixir's logger leaves out the SASL reports by default);
// a process that left no report of its own (killed) still gets the supervisor's line. `--log otp` prints OTP's
// full reports instead.
import type { LogEvent, LogFormat, LogHandler, Pid, Term } from "../index.ts";
import { Atom, Tuple } from "../index.ts";

/** How many crashed pids are remembered, to leave out the later reports of one crash. */
const REMEMBERED = 256;

interface TerminateReport {
  readonly name: Term;
  readonly reason: Term;
  readonly lastMessage?: Term;
  readonly lastEvent?: { readonly type: Term; readonly content: Term };
}
interface CrashReport {
  readonly pid: Pid;
  readonly registeredName?: Term;
  readonly reason: Term;
}
interface SupervisorReport {
  readonly supervisor: Term;
  readonly errorContext: string;
  readonly reason: Term;
  readonly offender: { readonly pid?: Pid; readonly id: Term };
}

/** One line an event, written to stderr unless given `write`. */
export function lineHandler(options?: { write?: (text: string) => void }): LogHandler {
  const write = options?.write ?? ((text: string) => process.stderr.write(text));
  const crashed = new Set<string>();
  /** Whether `pid`'s crash has a line already; notes that it has one now. */
  const seen = (pid: Pid | undefined, format: LogFormat): boolean => {
    if (pid === undefined) return false;
    const key = format.term(pid);
    if (crashed.has(key)) return true;
    crashed.add(key);
    if (crashed.size > REMEMBERED) crashed.delete(crashed.values().next().value!);
    return false;
  };
  return (event, format) => {
    const text = lineOf(event, format, seen);
    if (text !== undefined) write(`${clock(event.systemTime)} ${event.level} ${text}\n`);
  };
}

type Seen = (pid: Pid | undefined, format: LogFormat) => boolean;

/** The event's line, or undefined when an earlier line told its crash. */
function lineOf(event: LogEvent, format: LogFormat, seen: Seen): string | undefined {
  const { term } = format;
  const report = typeof event.msg === "string" ? undefined : event.msg.report;
  switch (event.meta.what) {
    case "gen_server_terminate":
    case "gen_statem_terminate": {
      if (seen(event.meta.pid, format)) return undefined;
      const r = report as TerminateReport;
      const last = r.lastMessage ?? r.lastEvent?.content;
      return `${term(r.name)} terminated: ${reasonText(r.reason, term)}${last === undefined ? "" : ` (handling ${term(last)})`}`;
    }
    case "crash_report": {
      const r = report as CrashReport;
      if (seen(r.pid, format)) return undefined;
      return `${term(r.registeredName ?? r.pid)} crashed: ${reasonText(r.reason, term)}`;
    }
    case "supervisor_report": {
      const r = report as SupervisorReport;
      if (r.errorContext === "child_terminated" && seen(r.offender.pid, format)) return undefined;
      const child = `${term(r.offender.id)}${r.offender.pid === undefined ? "" : ` (${term(r.offender.pid)})`}`;
      return `supervisor ${term(r.supervisor)}: ${r.errorContext.replace("_", " ")} of ${child}: ${reasonText(r.reason, term)}`;
    }
    case "application_exited": {
      const r = report as { application: Term; exited: Term; type: Term };
      return `application ${term(r.application)} exited: ${reasonText(r.exited, term)} (type ${term(r.type)})`;
    }
    default:
      return format
        .message(event)
        .trim()
        .replace(/\s*\n\s*/g, " ");
  }
}

/** An exit reason on one line; a JS error's `{{Name, Message}, Stack}` as `Name: Message (at first frame)`. */
function reasonText(reason: Term, term: (value: unknown) => string): string {
  if (reason instanceof Tuple && reason.size === 2) {
    const [error, stack] = reason.elements;
    if (error instanceof Tuple && error.size === 2 && Array.isArray(stack) && stack.every(isFrame)) {
      const [name, message] = error.elements;
      const text = typeof message === "string" ? message : term(message);
      return `${name instanceof Atom ? name.name : term(name)}: ${text}${stack.length === 0 ? "" : ` (${stack[0]})`}`;
    }
  }
  return term(reason);
}

function isFrame(frame: unknown): frame is string {
  return typeof frame === "string" && frame.startsWith("at ");
}

/** `HH:MM:SS.mmm`, local time. */
function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}
