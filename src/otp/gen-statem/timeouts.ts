// A GenStatem's running timeouts (the event timeout, the state timeout, named generic ones): one runtime timer
// each, whose `{timeout, Ref, _}` message the machine knows by its ref, as gen_statem's timer table does.
//
// Cancelling a timer that has already fired leaves its message in the mailbox (the runtime's cancelTimer says
// so by returning false). gen_statem flushes such a message; here its ref is remembered as stale and the
// message is dropped when it comes up, so a cancelled timeout never reaches a callback. A `{timeout, Ref, _}`
// with a ref that is neither running nor stale is the user's own timer: an `info` event.
import type { Runtime } from "../../runtime/index.ts";
import { equals } from "../../term/compare.ts";
import type { Pid, Ref, Term } from "../../term/types.ts";
import type { StatemEvent } from "./types.ts";

export type TimeoutEvent = Extract<StatemEvent, { type: "timeout" | "state_timeout" | "generic_timeout" }>;
export type TimeoutType = TimeoutEvent["type"];

interface Running {
  readonly type: TimeoutType;
  readonly name: Term | undefined;
  readonly ref: Ref;
  content: Term;
}

export class StatemTimeouts {
  /** Usually none to two: a list beats a map. */
  private running: Running[] = [];
  /** Refs of cancelled timers whose message is already in the mailbox. */
  private readonly stale = new Set<Ref>();

  constructor(
    private readonly rt: Runtime,
    private readonly owner: Pid,
  ) {}

  /**
   * The event for the timer whose message carried `ref`, which stops running; `stale` for a cancelled timer's
   * message (to drop); undefined if the ref is not one of ours.
   */
  fired(ref: Ref): TimeoutEvent | "stale" | undefined {
    const i = this.running.findIndex((r) => r.ref === ref);
    if (i < 0) return this.stale.delete(ref) ? "stale" : undefined;
    const [timer] = this.running.splice(i, 1);
    return eventOf(timer!.type, timer!.name, timer!.content);
  }

  /** Starts (or restarts) the timeout `type`/`name` to fire after `ms`. */
  start(type: TimeoutType, name: Term | undefined, ms: number, content: Term): void {
    this.cancel(type, name);
    const ref = this.rt.startTimer(ms, this.owner, content);
    this.running.push({ type, name, ref, content });
  }

  /** Stops the timeout `type`/`name` if it runs. */
  cancel(type: TimeoutType, name: Term | undefined): void {
    const i = this.indexOf(type, name);
    if (i < 0) return;
    const [timer] = this.running.splice(i, 1);
    if (this.rt.cancelTimer(timer!.ref) === false) this.stale.add(timer!.ref);
  }

  /** Gives a running timeout new content; false if it is not running. */
  update(type: TimeoutType, name: Term | undefined, content: Term): boolean {
    const i = this.indexOf(type, name);
    if (i < 0) return false;
    this.running[i]!.content = content;
    return true;
  }

  /** Stops every timer (the machine is terminating). */
  cancelAll(): void {
    for (const timer of this.running) this.rt.cancelTimer(timer.ref);
    this.running = [];
  }

  /** What runs, for `sys.getStatus`. */
  list(): TimeoutEvent[] {
    return this.running.map((r) => eventOf(r.type, r.name, r.content));
  }

  private indexOf(type: TimeoutType, name: Term | undefined): number {
    return this.running.findIndex((r) => r.type === type && (name === undefined || equals(r.name!, name)));
  }
}

/** The event a timeout delivers. */
export function eventOf(type: TimeoutType, name: Term | undefined, content: Term): TimeoutEvent {
  return type === "generic_timeout" ? { type, name: name!, content } : { type, content };
}
