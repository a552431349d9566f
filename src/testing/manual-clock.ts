// A clock that moves only when a test says so (tokio's paused time, Effect's TestClock): timeouts run instantly.
import type { Clock } from "../runtime/contracts.ts";

class Alarm {
  /** Whether it holds the host open (Clock.keepAlive): a let-go alarm still fires, but counts for nothing else. */
  kept = true;
  constructor(
    readonly at: number,
    readonly fire: () => void,
  ) {}
}

/**
 * Virtual time for a runtime under test. `now()` stays put until `advance`, `advanceTo` or `advanceToNext`
 * moves it; alarms then fire in deadline order, each with `now()` equal to its own time (or to the current
 * time, for an alarm set in the past), including alarms that fired callbacks set within the window.
 */
export class ManualClock implements Clock {
  #now: number;
  readonly #alarms = new Set<Alarm>();

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`bad start time: ${start}`);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setAlarm(at: number, fire: () => void): unknown {
    const alarm = new Alarm(at, fire);
    this.#alarms.add(alarm);
    return alarm;
  }

  clearAlarm(handle: unknown): void {
    this.#alarms.delete(handle as Alarm);
  }

  keepAlive(handle: unknown, keep: boolean): void {
    (handle as Alarm).kept = keep;
  }

  /** Alarms set and not yet fired or cleared that hold the host open (as a real clock's would keep Node alive). */
  get pendingAlarms(): number {
    let kept = 0;
    for (const alarm of this.#alarms) if (alarm.kept) kept++;
    return kept;
  }

  /** The time of the earliest pending alarm that holds the host open, or undefined. */
  nextAlarmAt(): number | undefined {
    return this.#earliest(true)?.at;
  }

  /** Moves time forward by `ms`, firing every alarm due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time`, firing every alarm due on the way. An alarm's exception stops it there. */
  advanceTo(time: number): void {
    if (!(time >= this.#now)) throw new RangeError(`cannot move time from ${this.#now} back to ${time}`);
    for (let alarm = this.#earliest(); alarm !== undefined && alarm.at <= time; alarm = this.#earliest()) {
      this.#fire(alarm);
    }
    this.#now = time;
  }

  /** Jumps to the earliest pending alarm that holds the host open and fires it (only it); false if there is none. */
  advanceToNext(): boolean {
    const alarm = this.#earliest(true);
    if (alarm === undefined) return false;
    // Let-go alarms that time passes on the way fire first, in order.
    for (
      let loose = this.#earliest();
      loose !== undefined && loose !== alarm && loose.at <= alarm.at;
      loose = this.#earliest()
    ) {
      this.#fire(loose);
    }
    this.#fire(alarm);
    return true;
  }

  #fire(alarm: Alarm): void {
    this.#alarms.delete(alarm);
    this.#now = Math.max(this.#now, alarm.at);
    alarm.fire();
  }

  // A linear scan: a test has a handful of alarms (the runtime's timer wheel keeps one). A Set iterates in
  // insertion order, so of two alarms for the same time the one set first wins.
  #earliest(keptOnly = false): Alarm | undefined {
    let earliest: Alarm | undefined;
    for (const alarm of this.#alarms) {
      if (keptOnly && !alarm.kept) continue;
      if (earliest === undefined || alarm.at < earliest.at) earliest = alarm;
    }
    return earliest;
  }
}
