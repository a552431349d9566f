// The timer wheel: every pending timeout of the runtime, expired in deadline order off a single clock alarm.
//
// A hierarchical wheel like Linux's and tokio's. Time is counted in whole-ms ticks from the wheel's origin, a
// timer fires at the first tick at or after its deadline, and `elapsed` is the tick the wheel has caught up to. Level L has 64 slots of 64^L ticks each, so the six levels
// reach 2^36 ms (about 795 days) ahead; later deadlines wait in an overflow list. A timer goes to the level of
// the highest 6-bit group in which its deadline differs from `elapsed` (level 0 when equal). Hence a level-L timer
// lies in the same level-(L+1) block as `elapsed`, in a slot at or after `elapsed`'s, and every timer of a lower
// level is due before any timer of a higher one: the next event is the first occupied slot of the lowest
// occupied level, found with two 32-bit occupancy words per level. When `elapsed` reaches a slot of level L ≥ 1
// its timers cascade to lower levels; a level-0 slot holds one tick's timers, appended in scheduling order and
// fired in list order. Cascades and the overflow move timers in list order too, so timers due in the same ms
// fire in the order they were scheduled.
//
// With a clock that allows it (`Clock.batchReads`), `schedule` reads no clock: the timer waits in the fresh list
// until a microtask stamps every fresh timer with one read, taken after they were all set, so none fires early.
// A call's timeout is set and cancelled on every call, mostly before that microtask: a clock read was a twentieth
// of a call.
import type { Clock } from "./contracts.ts";

const SLOT_BITS = 6;
const SLOTS = 1 << SLOT_BITS;
const LEVELS = 6;
/** The list id of the overflow list; ids below it are `level * SLOTS + slot`. */
const OVERFLOW = LEVELS * SLOTS;
/** The list id of the fresh list: timers not stamped yet. */
const FRESH = OVERFLOW + 1;
/** Ticks the wheel spans: deadlines in a later block of this size than `elapsed` go to the overflow list. */
const HORIZON = SLOTS ** LEVELS;
/** Longer delays are cut to this (about 142,000 years), so every tick stays an exact integer. */
const MAX_DELAY = 2 ** 52;
/** `Timer.list` of a timer that fired or was cancelled. */
const NOT_PENDING = -1;
/** How many timers `arm` reads to find a slot's earliest deadline before it settles for the slot's start. */
const SCAN_LIMIT = 8;
const TWO_32 = 2 ** 32;
const SETTLED = Promise.resolve();
/** Ticks per slot of each level. */
const WIDTH: readonly number[] = Array.from({ length: LEVELS }, (_, level) => SLOTS ** level);

/** One pending timeout: what it is for (`owner`, `data`) and its place in the wheel. */
export class Timer {
  /** @internal The list the timer is linked in, or NOT_PENDING once it fired or was cancelled. */
  list = NOT_PENDING;
  /** @internal */ prev: Timer | null = null;
  /** @internal */ next: Timer | null = null;

  /** @internal `deadline` is the clock time the timer is due at; while in the fresh list, its delay. */
  constructor(
    readonly owner: unknown,
    readonly data: unknown,
    public deadline: number,
  ) {}
}

/** The level for a tick `when` ≥ `elapsed`: the 6-bit group of the highest bit where they differ. */
function levelFor(elapsed: number, when: number): number {
  // Ticks pass 2^32 after 49 days, beyond what bitwise operators see: compare the high words first.
  const high = when < TWO_32 ? 0 : Math.floor(when / TWO_32) ^ Math.floor(elapsed / TWO_32);
  if (high !== 0) return Math.floor((63 - Math.clz32(high)) / SLOT_BITS);
  const low = when ^ elapsed; // ToInt32 keeps exactly the low 32 bits
  return low === 0 ? 0 : Math.floor((31 - Math.clz32(low)) / SLOT_BITS);
}

/** The index of the lowest set bit of `bits`, which is not 0. */
function lowestBit(bits: number): number {
  return 31 - Math.clz32(bits & -bits);
}

export class TimerWheel {
  /** Clock time of tick 0. */
  private readonly origin: number;
  private elapsed = 0;
  private count = 0;
  /** First and last timer of each list, by list id. */
  private readonly heads: (Timer | null)[] = new Array(FRESH + 1).fill(null);
  private readonly tails: (Timer | null)[] = new Array(FRESH + 1).fill(null);
  /** Two words per level: bit s of word `2 * level + (s >> 5)` is set while that slot holds a timer. */
  private readonly occupied = new Int32Array(LEVELS * 2);
  /** No overflow timer's tick is below this (cancellations may leave it low, which only costs an early look). */
  private overflowMin = Number.POSITIVE_INFINITY;
  /** Set by `nextEvent`: the level (LEVELS for the overflow list) and slot of the event it returned. */
  private eventLevel = 0;
  private eventSlot = 0;
  private alarm: unknown = null;
  private alarmTick = Number.POSITIVE_INFINITY;
  /** True while the alarm's expiry runs; `schedule` and `cancel` then leave the alarm to its end. */
  private expiring = false;
  /** While a slot fires: the last timer that was in it when firing began (later ones wait for the next alarm). */
  private batchEnd: Timer | null = null;
  private readonly onAlarm = (): void => this.alarmFired();
  private readonly stampNow = (): void => this.stamp();

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (timer: Timer) => void,
  ) {
    this.origin = Math.floor(clock.now());
  }

  /**
   * Schedules a timer `delayMs` from clock.now() (delay ≥ 0, fractions round up to whole ms; Infinity is not
   * allowed, the caller handles 'infinity'). Fires no earlier than the delay, at most ~1 ms late relative to the
   * clock's alarm, and never from inside this call.
   */
  schedule(delayMs: number, owner: unknown, data: unknown): Timer {
    if (!(delayMs >= 0 && delayMs < Number.POSITIVE_INFINITY)) throw new RangeError(`bad timer delay: ${delayMs}`);
    if (this.clock.batchReads === true) {
      const timer = new Timer(owner, data, Math.min(delayMs, MAX_DELAY));
      if (this.heads[FRESH] === null) SETTLED.then(this.stampNow);
      this.link(timer, FRESH);
      if (this.count++ === 0 && this.alarm !== null) this.clock.keepAlive?.(this.alarm, true);
      return timer;
    }
    const now = this.clock.now();
    // With nothing pending no timer depends on `elapsed`: catch it up, so that timers land in low levels.
    if (this.count === 0) this.elapsed = Math.max(this.elapsed, Math.floor(now - this.origin));
    const timer = new Timer(owner, data, now + Math.min(delayMs, MAX_DELAY));
    const tick = this.insert(timer);
    if (this.count++ === 0 && this.alarm !== null) this.clock.keepAlive?.(this.alarm, true);
    if (!this.expiring && tick < this.alarmTick) this.setAlarm(tick);
    return timer;
  }

  /** Moves the fresh timers into the wheel, due their delay after one clock read taken now. */
  private stamp(): void {
    let timer = this.heads[FRESH];
    if (timer === null) return;
    const now = this.clock.now();
    // With only fresh timers pending, none in the wheel depends on `elapsed`: catch it up (see `schedule`).
    if (this.wheelEmpty()) this.elapsed = Math.max(this.elapsed, Math.floor(now - this.origin));
    this.heads[FRESH] = this.tails[FRESH] = null;
    let first = Number.POSITIVE_INFINITY;
    while (timer !== null) {
      const next: Timer | null = timer.next;
      timer.deadline += now;
      first = Math.min(first, this.insert(timer));
      timer = next;
    }
    if (!this.expiring && first < this.alarmTick) this.setAlarm(first);
  }

  /** Whether no timer waits in the levels or the overflow list. */
  private wheelEmpty(): boolean {
    return this.heads[OVERFLOW] === null && this.occupied.every((bits) => bits === 0);
  }

  /** Cancels; returns the ms that were left (≥ 0) or false if it already fired or was cancelled. O(1). */
  cancel(timer: Timer): number | false {
    const left = this.remaining(timer);
    if (left !== false) this.drop(timer);
    return left;
  }

  /** Cancels a timer that may have fired already, without reading the clock (a receive's timeout). O(1). */
  drop(timer: Timer): void {
    if (timer.list === NOT_PENDING) return;
    // A timer cancelled while its slot fires: the batch now ends at the one before it.
    if (timer === this.batchEnd) this.batchEnd = timer.prev;
    this.unlink(timer);
    // The last timer gone: the alarm stays armed (it fires into nothing and is not re-armed) but lets the
    // process exit. A call's timeout is scheduled and cancelled on every call; re-arming a Node timer each time
    // cost a fifth of a call.
    if (--this.count === 0 && this.alarm !== null) this.clock.keepAlive?.(this.alarm, false);
  }

  /** ms left (whole ms, rounded up), or false if fired/cancelled. */
  remaining(timer: Timer): number | false {
    if (timer.list === NOT_PENDING) return false;
    if (timer.list === FRESH) return Math.ceil(timer.deadline);
    return Math.max(0, Math.ceil(timer.deadline - this.clock.now()));
  }

  /** Number of pending timers. */
  get size(): number {
    return this.count;
  }

  /** Cancels everything and clears the alarm (runtime shutdown). */
  clear(): void {
    for (let id = 0; id <= FRESH; id++) {
      let timer = this.heads[id];
      while (timer !== null) {
        const next: Timer | null = timer.next;
        timer.list = NOT_PENDING;
        timer.prev = timer.next = null;
        timer = next;
      }
      this.heads[id] = this.tails[id] = null;
    }
    this.occupied.fill(0);
    this.overflowMin = Number.POSITIVE_INFINITY;
    this.count = 0;
    this.batchEnd = null;
    this.setAlarm(Number.POSITIVE_INFINITY);
  }

  private alarmFired(): void {
    this.alarm = null;
    this.alarmTick = Number.POSITIVE_INFINITY;
    this.expiring = true;
    try {
      this.expire(Math.floor(this.clock.now() - this.origin));
    } finally {
      // Also after onExpire threw: what is left stays in its slot, and the new alarm picks it up.
      this.expiring = false;
      this.batchEnd = null;
      this.arm();
    }
  }

  /** Runs every event up to tick `now` in order: fires level-0 slots, cascades higher ones, drains the overflow. */
  private expire(now: number): void {
    let firedAt = -1;
    for (;;) {
      const at = this.nextEvent();
      if (at > now) break;
      // Timers scheduled for this very ms by onExpire wait for the next alarm, so a callback that keeps
      // scheduling zero delays cannot hold the event loop.
      if (at === firedAt) return;
      this.elapsed = at;
      if (this.eventLevel === 0) {
        firedAt = at;
        this.fire(this.eventSlot);
      } else if (this.eventLevel < LEVELS) {
        this.cascade(this.eventLevel * SLOTS + this.eventSlot);
      } else {
        this.drainOverflow();
      }
    }
    // Every event up to `now` has run, so no timer sits where `now` would place it differently.
    this.elapsed = Math.max(this.elapsed, now);
  }

  /** Fires the timers of level-0 slot `id` that are in it now, in order; onExpire may schedule and cancel. */
  private fire(id: number): void {
    this.batchEnd = this.tails[id];
    while (this.batchEnd !== null) {
      const timer = this.heads[id] as Timer;
      if (timer === this.batchEnd) this.batchEnd = null;
      this.unlink(timer);
      this.count--;
      this.onExpire(timer);
    }
  }

  /** Moves the timers of slot `id` (level ≥ 1, whose start `elapsed` has reached) to lower levels. */
  private cascade(id: number): void {
    // Nothing runs meanwhile, so the list can be detached whole instead of unlinked timer by timer.
    let timer = this.heads[id];
    this.heads[id] = this.tails[id] = null;
    this.occupied[id >> 5] &= ~(1 << (id & 31));
    while (timer !== null) {
      const next: Timer | null = timer.next;
      this.insert(timer);
      timer = next;
    }
  }

  /** Moves the overflow timers whose tick is now in `elapsed`'s HORIZON-sized block into the wheel. */
  private drainOverflow(): void {
    let min = Number.POSITIVE_INFINITY;
    let timer = this.heads[OVERFLOW];
    while (timer !== null) {
      const next: Timer | null = timer.next;
      const tick = this.tickOf(timer);
      if (levelFor(this.elapsed, tick) < LEVELS) {
        this.unlink(timer);
        this.insert(timer);
      } else {
        min = Math.min(min, tick);
      }
      timer = next;
    }
    this.overflowMin = min;
  }

  /** The tick a timer fires at: the first whole tick at or after its deadline. */
  private tickOf(timer: Timer): number {
    return Math.ceil(timer.deadline - this.origin);
  }

  /** Links a timer where its tick belongs, relative to `elapsed`; returns the tick. */
  private insert(timer: Timer): number {
    const tick = this.tickOf(timer);
    const level = levelFor(this.elapsed, tick);
    if (level >= LEVELS) {
      this.overflowMin = Math.min(this.overflowMin, tick);
      this.link(timer, OVERFLOW);
    } else {
      this.link(timer, level * SLOTS + (Math.floor(tick / WIDTH[level]) % SLOTS));
    }
    return tick;
  }

  /**
   * The tick of the next event: the start of the first occupied slot of the lowest occupied level, or the first
   * tick of the overflow's earliest block; Infinity when nothing is pending. Sets eventLevel and eventSlot.
   */
  private nextEvent(): number {
    for (let level = 0; level < LEVELS; level++) {
      const width = WIDTH[level];
      const slot = this.firstOccupied(level, Math.floor(this.elapsed / width) % SLOTS);
      if (slot >= 0) {
        this.eventLevel = level;
        this.eventSlot = slot;
        const block = width * SLOTS;
        return Math.floor(this.elapsed / block) * block + slot * width;
      }
    }
    if (this.heads[OVERFLOW] === null) return Number.POSITIVE_INFINITY;
    this.eventLevel = LEVELS;
    return Math.max(this.elapsed, Math.floor(this.overflowMin / HORIZON) * HORIZON);
  }

  /** The first occupied slot of `level` at or after `from` (slots before it are in the past), or -1. */
  private firstOccupied(level: number, from: number): number {
    const low = this.occupied[level * 2];
    const high = this.occupied[level * 2 + 1];
    if (from < 32) {
      const rest = low & (-1 << from);
      if (rest !== 0) return lowestBit(rest);
      return high === 0 ? -1 : 32 + lowestBit(high);
    }
    const rest = high & (-1 << (from - 32));
    return rest === 0 ? -1 : 32 + lowestBit(rest);
  }

  /** Arms the alarm for the next event, or for the earliest deadline behind it when that is cheap to find. */
  private arm(): void {
    const at = this.nextEvent();
    if (at === Number.POSITIVE_INFINITY || this.eventLevel === 0) this.setAlarm(at);
    else if (this.eventLevel === LEVELS) this.setAlarm(Math.max(at, this.overflowMin));
    else this.setAlarm(Math.max(at, this.earliestIfShort(this.eventLevel * SLOTS + this.eventSlot)));
  }

  /**
   * The earliest tick in list `id` if it holds at most SCAN_LIMIT timers, else -Infinity. A cascade fires
   * nothing by itself, so waking at the slot's first timer instead of its start saves a wakeup.
   */
  private earliestIfShort(id: number): number {
    let earliest = Number.POSITIVE_INFINITY;
    let timer = this.heads[id];
    for (let n = 0; timer !== null; n++, timer = timer.next) {
      if (n === SCAN_LIMIT) return Number.NEGATIVE_INFINITY;
      earliest = Math.min(earliest, this.tickOf(timer));
    }
    return earliest;
  }

  /** Replaces the alarm with one at tick `at` (none for Infinity). */
  private setAlarm(at: number): void {
    if (at === this.alarmTick) return;
    if (this.alarm !== null) this.clock.clearAlarm(this.alarm);
    this.alarm = at === Number.POSITIVE_INFINITY ? null : this.clock.setAlarm(this.origin + at, this.onAlarm);
    this.alarmTick = at;
  }

  private link(timer: Timer, id: number): void {
    const tail = this.tails[id];
    timer.list = id;
    timer.prev = tail;
    timer.next = null;
    if (tail === null) this.heads[id] = timer;
    else tail.next = timer;
    this.tails[id] = timer;
    if (id < OVERFLOW) this.occupied[id >> 5] |= 1 << (id & 31);
  }

  private unlink(timer: Timer): void {
    const id = timer.list;
    const { prev, next } = timer;
    if (prev === null) this.heads[id] = next;
    else prev.next = next;
    if (next === null) this.tails[id] = prev;
    else next.prev = prev;
    if (this.heads[id] === null) {
      if (id < OVERFLOW) this.occupied[id >> 5] &= ~(1 << (id & 31));
      else if (id === OVERFLOW) this.overflowMin = Number.POSITIVE_INFINITY;
    }
    timer.list = NOT_PENDING;
    timer.prev = timer.next = null;
  }
}
