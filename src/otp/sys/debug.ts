// A behaviour process's sys debug options (OTP's Debug list, sys:statistics and sys:trace): what it counts and
// prints about the messages it takes and sends. Off — undefined on the loop — until someone asks.
import { type LogReport, logger, type Process } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { type Pid, type Term, tuple } from "../../term/types.ts";

/** A loop state that can carry debug options. */
export interface Debuggable {
  debug: Debug | undefined;
}

/** What sys.statistics counts since it was switched on. */
interface Statistics {
  /** Wall-clock time it was switched on. */
  readonly since: Date;
  /** The process's reductions then. */
  readonly reductions: number;
  messagesIn: number;
  messagesOut: number;
}

export class Debug {
  statistics: Statistics | undefined;
  trace = false;

  /** Whether any option is on (a Debug with none is dropped from the loop). */
  get active(): boolean {
    return this.trace || this.statistics !== undefined;
  }

  /** A message came in; `what` says what it is, as the trace line shows it (`call get from <0.80.0>`). */
  received(self: Process, what: (term: (value: unknown) => string) => string): void {
    if (this.statistics !== undefined) this.statistics.messagesIn++;
    if (this.trace) traceLine(self, (term) => `got ${what(term)}`);
  }

  /** A reply or message went out to `to`. */
  sent(self: Process, message: Term, to: Pid): void {
    if (this.statistics !== undefined) this.statistics.messagesOut++;
    if (this.trace) traceLine(self, (term) => `sent ${term(message)} to ${term(to)}`);
  }

  /** The behaviour's state after handling a message (`new state …`, or a state machine's transition). */
  state(self: Process, line: (term: (value: unknown) => string) => string): void {
    if (this.trace) traceLine(self, line);
  }

  /** OTP's statistics list: start and current time, reductions, messages in and out. */
  statisticsTerm(self: Process): Term {
    const s = this.statistics!;
    const reductions = (self.runtime.processInfo(self.pid)?.reductions ?? s.reductions) - s.reductions;
    return [
      tuple(atom("start_time"), localTime(s.since)),
      tuple(atom("current_time"), localTime(new Date())),
      tuple(atom("reductions"), reductions),
      tuple(atom("messages_in"), s.messagesIn),
      tuple(atom("messages_out"), s.messagesOut),
    ];
  }
}

/** Starts counting for sys.statistics. */
export function startStatistics(self: Process): Statistics {
  const reductions = self.runtime.processInfo(self.pid)?.reductions ?? 0;
  return { since: new Date(), reductions, messagesIn: 0, messagesOut: 0 };
}

/** A trace line, as sys:trace prints it (`*DBG* <0.84.0> got cast bump`), through the logger at `notice`. */
function traceLine(self: Process, text: (term: (value: unknown) => string) => string): void {
  const line: LogReport<{ pid: Pid }> = {
    report: { pid: self.pid },
    format: ({ pid }, term) => `*DBG* ${term(pid)} ${text(term)}`,
  };
  logger(self).notice(line, { domain: ["otp", "sys"], what: "sys_trace" });
}

/** Erlang's `calendar:local_time()` shape: `{{Y, M, D}, {H, Min, S}}`. */
function localTime(date: Date): Term {
  return tuple(
    tuple(date.getFullYear(), date.getMonth() + 1, date.getDate()),
    tuple(date.getHours(), date.getMinutes(), date.getSeconds()),
  );
}
