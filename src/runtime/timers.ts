// Erlang's timer BIFs: sendAfter, startTimer, cancelTimer, readTimer, on the runtime's timing wheel.
import { ErrorCodes, ProcessError } from "../errors.ts";
import { Pid, type Ref, type Term, tuple } from "../term/types.ts";
import type { Destination } from "./process.ts";
import { TIMEOUT } from "./reasons.ts";
import type { Runtime } from "./runtime.ts";
import type { Timer } from "./timer-wheel.ts";

/** The data of a user timer on the wheel. */
class UserTimer {
  constructor(
    readonly ref: Ref,
    readonly to: Destination,
    readonly message: Term,
  ) {}
}

export class Timers {
  private readonly byRef = new Map<number | string, Timer>();

  constructor(private readonly rt: Runtime) {}

  /** Sends `message` to `to` after `ms`; returns the timer's reference. */
  sendAfter(ms: number, to: Destination, message: Term): Ref {
    const ref = this.rt.refs.make();
    return this.start(ms, new UserTimer(ref, to, message));
  }

  /** Sends `{timeout, Ref, message}` to `to` after `ms`; returns Ref. */
  startTimer(ms: number, to: Destination, message: Term): Ref {
    const ref = this.rt.refs.make();
    return this.start(ms, new UserTimer(ref, to, tuple(TIMEOUT, ref, message)));
  }

  /** Cancels a timer; returns the ms it had left, or false if it already fired, was cancelled or never existed. */
  cancelTimer(ref: Ref): number | false {
    const key = this.rt.refs.key(ref);
    const timer = this.live(key);
    if (timer === undefined) return false;
    this.byRef.delete(key);
    return this.rt.wheel.cancel(timer);
  }

  /** The ms a timer has left, or false. */
  readTimer(ref: Ref): number | false {
    const timer = this.live(this.rt.refs.key(ref));
    return timer === undefined ? false : this.rt.wheel.remaining(timer);
  }

  /** A user timer expired: deliver its message (to a dead pid it is dropped, like any send). */
  fire(timer: Timer): void {
    const data = timer.data as UserTimer;
    this.byRef.delete(this.rt.refs.key(data.ref));
    try {
      this.rt.sendFrom(undefined, data.to, data.message);
    } catch {
      // A name no longer registered: Erlang's timer drops the message too.
    }
  }

  /** Cancels every timer (runtime shutdown). */
  clear(): void {
    this.byRef.clear();
  }

  private start(ms: number, data: UserTimer): Ref {
    if (typeof ms !== "number" || !(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `timer time must be a finite number ≥ 0, not ${ms}`);
    }
    const timer = this.rt.wheel.schedule(ms, undefined, data);
    this.byRef.set(this.rt.refs.key(data.ref), timer);
    return data.ref;
  }

  /** The pending timer for a key; a timer aimed at a pid that has exited counts as cancelled, as on BEAM. */
  private live(key: number | string): Timer | undefined {
    const timer = this.byRef.get(key);
    if (timer === undefined) return undefined;
    const to = (timer.data as UserTimer).to;
    if (to instanceof Pid && this.rt.isHere(to) && this.rt.table.lookup(to) === undefined) {
      this.byRef.delete(key);
      this.rt.wheel.cancel(timer);
      return undefined;
    }
    return timer;
  }
}
