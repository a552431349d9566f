// Erlang's timer BIFs: sendAfter, startTimer, cancelTimer, readTimer, on the runtime's timing wheel.
//
// A timer aimed at a pid is cancelled when that process is not alive (erlang:start_timer/3). For a process of this
// scheduler a lookup at read or cancel time tells; for one of another scheduler of the node, that scheduler says
// when it has ended (TimerTargets): the BEAM's exiting process likewise cancels the timers bound to it on the
// schedulers that hold them (erl_hl_timer.c, erts_cancel_bif_timers).
import { ErrorCodes, ProcessError } from "../errors.ts";
import { Pid, type Ref, type Term, tuple } from "../term/types.ts";
import type { TimerTargets } from "./contracts.ts";
import type { Destination, Process } from "./process.ts";
import { TIMEOUT } from "./reasons.ts";
import type { Runtime } from "./runtime.ts";
import type { Timer } from "./timer-wheel.ts";

/** The data of a user timer on the wheel. */
class UserTimer {
  constructor(
    readonly ref: Ref,
    readonly to: Destination,
    readonly message: Term,
    /** Whether `to` is a process of another scheduler of this node (its timers are in `aimedElsewhere`). */
    readonly elsewhere: boolean,
  ) {}
}

/** A key for a pid of this node that tells its processes apart over slot reuse and restarts. */
function targetKey(pid: Pid): string {
  return `${pid.id}.${pid.serial}.${pid.creation}`;
}

export class Timers {
  private readonly byRef = new Map<number | string, Timer>();
  /** How to hear of the end of other schedulers' processes (none: this is its node's only scheduler). */
  private targets: TimerTargets | undefined;
  /** The pending timers aimed at processes of other schedulers, by target (targetKey), while there are any. */
  private readonly aimedElsewhere = new Map<string, Set<Timer>>();
  /**
   * Processes of this scheduler whose end other schedulers are to hear of, with those schedulers' indexes. Kept until
   * the process ends, even once their timers are gone: one word too many at its end costs less than one at each
   * timer's end.
   */
  private readonly aimedHere = new Map<Process, number[]>();

  constructor(private readonly rt: Runtime) {}

  /** Installs how this scheduler's timers hear of the end of the node's other schedulers' processes. */
  setTargets(targets: TimerTargets): void {
    this.targets = targets;
  }

  /** Sends `message` to `to` after `ms`; returns the timer's reference. */
  sendAfter(ms: number, to: Destination, message: Term): Ref {
    const ref = this.rt.refs.make();
    return this.start(ms, new UserTimer(ref, to, message, this.isElsewhere(to)));
  }

  /** Sends `{timeout, Ref, message}` to `to` after `ms`; returns Ref. */
  startTimer(ms: number, to: Destination, message: Term): Ref {
    const ref = this.rt.refs.make();
    return this.start(ms, new UserTimer(ref, to, tuple(TIMEOUT, ref, message), this.isElsewhere(to)));
  }

  /** Cancels a timer; returns the ms it had left, or false if it already fired, was cancelled or never existed. */
  cancelTimer(ref: Ref): number | false {
    const key = this.rt.refs.key(ref);
    const timer = this.live(key);
    if (timer === undefined) return false;
    this.byRef.delete(key);
    this.unaim(timer);
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
    this.unaim(timer);
    try {
      this.rt.sendFrom(undefined, data.to, data.message);
    } catch {
      // A name no longer registered: Erlang's timer drops the message too.
    }
  }

  /** Scheduler `holder` holds timers aimed at `target`, of this scheduler: it hears of its end (at once if dead). */
  aimedAt(target: Pid, holder: number): void {
    const p = this.rt.isHere(target) ? this.rt.table.lookup(target) : undefined;
    if (p === undefined) {
      this.targets?.ended(target, holder);
      return;
    }
    const holders = this.aimedHere.get(p);
    if (holders === undefined) this.aimedHere.set(p, [holder]);
    else if (!holders.includes(holder)) holders.push(holder);
  }

  /** `p`, a process of this scheduler, ended: the schedulers whose timers aim at it are told. */
  exited(p: Process): void {
    if (this.aimedHere.size === 0) return;
    const holders = this.aimedHere.get(p);
    if (holders === undefined) return;
    this.aimedHere.delete(p);
    for (const holder of holders) this.targets?.ended(p.pid, holder);
  }

  /** `target`, a process of another scheduler, has ended: the timers aimed at it are cancelled. */
  targetEnded(target: Pid): void {
    const key = targetKey(target);
    const timers = this.aimedElsewhere.get(key);
    if (timers === undefined) return;
    this.aimedElsewhere.delete(key);
    for (const timer of timers) this.drop(timer);
  }

  /** Scheduler `index`'s thread died: the timers aimed at its processes are cancelled (none of them lives on). */
  schedulerDown(index: number): void {
    const { count } = this.rt.seat;
    for (const [key, timers] of this.aimedElsewhere) {
      const [first] = timers;
      if (((first!.data as UserTimer).to as Pid).id % count !== index) continue;
      this.aimedElsewhere.delete(key);
      for (const timer of timers) this.drop(timer);
    }
  }

  /** Cancels every timer (runtime shutdown). */
  clear(): void {
    this.byRef.clear();
    this.aimedElsewhere.clear();
    this.aimedHere.clear();
  }

  private start(ms: number, data: UserTimer): Ref {
    if (typeof ms !== "number" || !(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `timer time must be a finite number ≥ 0, not ${ms}`);
    }
    const timer = this.rt.wheel.schedule(ms, undefined, data);
    this.byRef.set(this.rt.refs.key(data.ref), timer);
    if (data.elsewhere) this.aim(timer, data.to as Pid);
    return data.ref;
  }

  /** Whether `to` is a process of another scheduler of this node (not a name: a name is looked up when it fires). */
  private isElsewhere(to: Destination): boolean {
    return this.targets !== undefined && to instanceof Pid && to.node === this.rt.node && !this.rt.isHere(to);
  }

  /** Files a timer under its target; the first one aimed at it asks the target's scheduler to watch it. */
  private aim(timer: Timer, target: Pid): void {
    const key = targetKey(target);
    const timers = this.aimedElsewhere.get(key);
    if (timers !== undefined) {
      timers.add(timer);
      return;
    }
    this.aimedElsewhere.set(key, new Set([timer]));
    this.targets!.watch(target);
  }

  /** A timer aimed at another scheduler's process fired or was cancelled: it leaves its target's file. */
  private unaim(timer: Timer): void {
    const data = timer.data as UserTimer;
    if (!data.elsewhere) return;
    const key = targetKey(data.to as Pid);
    const timers = this.aimedElsewhere.get(key);
    if (timers?.delete(timer) === true && timers.size === 0) this.aimedElsewhere.delete(key);
  }

  /** Cancels a pending timer whose target has ended. */
  private drop(timer: Timer): void {
    this.byRef.delete(this.rt.refs.key((timer.data as UserTimer).ref));
    this.rt.wheel.drop(timer);
  }

  /** The pending timer for a key; a timer aimed at a pid of this scheduler that has exited counts as cancelled. */
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
