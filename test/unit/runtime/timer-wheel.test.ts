// The timer wheel over a ManualClock: deadlines, ordering, cancellation, long delays, re-entrancy, one alarm.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Timer, TimerWheel } from "../../../src/runtime/timer-wheel.ts";
import { ManualClock } from "../../../src/testing/index.ts";

/** A wheel on a manual clock that records each expiry as [data, time]. */
function setup(start = 0, onExpire?: (timer: Timer) => void) {
  const clock = new ManualClock(start);
  const fired: [unknown, number][] = [];
  const wheel = new TimerWheel(clock, (timer) => {
    fired.push([timer.data, clock.now()]);
    onExpire?.(timer);
  });
  return { clock, wheel, fired };
}

describe("TimerWheel", () => {
  test("a timer fires at its deadline, not before, and never from inside schedule", () => {
    const { clock, wheel, fired } = setup();
    const timer = wheel.schedule(100, "owner", "t");
    assert.equal(timer.owner, "owner");
    assert.equal(timer.data, "t");
    assert.equal(wheel.size, 1);
    clock.advance(99);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [["t", 100]]);
    assert.equal(wheel.size, 0);
    assert.equal(clock.pendingAlarms, 0);
  });

  test("a zero delay fires on the next alarm, at the current time", () => {
    const { clock, wheel, fired } = setup(5);
    wheel.schedule(0, null, "now");
    assert.deepEqual(fired, []);
    assert.equal(clock.nextAlarmAt(), 5);
    clock.advance(0);
    assert.deepEqual(fired, [["now", 5]]);
  });

  test("fractional delays and clock times round the deadline up to a whole ms", () => {
    const { clock, wheel, fired } = setup(0.5);
    const b = wheel.schedule(5, null, "b");
    assert.equal(wheel.cancel(b), 5, "the whole delay is left, although it fires at 6");
    wheel.schedule(1.2, null, "a"); // due at 1.7: fires at 2
    clock.advance(1);
    assert.deepEqual(fired, []);
    clock.advance(0.5);
    assert.deepEqual(fired, [["a", 2]]);
  });

  test("timers due in the same ms fire in scheduling order, whichever levels they came through", () => {
    const { clock, wheel, fired } = setup();
    wheel.schedule(5000, null, 1); // level 2 at first
    clock.advance(1000);
    wheel.schedule(4000, null, 2);
    wheel.schedule(3999, null, 0); // one ms earlier: fires first whatever its scheduling order
    clock.advance(3950);
    wheel.schedule(50, null, 3); // level 0
    wheel.schedule(50, null, 4);
    clock.advance(100);
    assert.deepEqual(fired, [
      [0, 4999],
      [1, 5000],
      [2, 5000],
      [3, 5000],
      [4, 5000],
    ]);
  });

  test("cancel returns the ms left, then false; remaining follows the clock", () => {
    const { clock, wheel, fired } = setup();
    const a = wheel.schedule(300, null, "a");
    const b = wheel.schedule(10, null, "b");
    clock.advance(100);
    assert.equal(wheel.remaining(a), 200);
    assert.equal(wheel.remaining(b), false, "fired");
    assert.equal(wheel.cancel(b), false);
    assert.equal(wheel.cancel(a), 200);
    assert.equal(wheel.cancel(a), false);
    assert.equal(wheel.remaining(a), false);
    assert.equal(wheel.size, 0);
    assert.equal(clock.pendingAlarms, 0, "no alarm is left behind once nothing is pending");
    clock.advance(1000);
    assert.deepEqual(fired, [["b", 10]]);
  });

  test("remaining rounds up to whole ms", () => {
    const { clock, wheel } = setup();
    const timer = wheel.schedule(10, null, "t");
    clock.advanceTo(2.5);
    assert.equal(wheel.remaining(timer), 8);
    clock.advanceTo(9.5);
    assert.equal(wheel.remaining(timer), 1);
  });

  test("at most one alarm is armed, for the earliest pending timer", () => {
    const { clock, wheel } = setup();
    for (let i = 1000; i > 0; i--) {
      wheel.schedule(i * 37, null, i);
      assert.equal(clock.pendingAlarms, 1);
      assert.equal(clock.nextAlarmAt(), i * 37);
    }
    let alarms = 0;
    while (clock.advanceToNext()) {
      alarms++;
      assert.ok(clock.pendingAlarms <= 1);
    }
    assert.equal(wheel.size, 0);
    assert.ok(alarms <= 1100, `${alarms} alarms for 1000 timers`);
  });

  test("timers across every level boundary fire on time", () => {
    const delays = [1, 63, 64, 65, 4095, 4096, 4097, 64 ** 3 - 1, 64 ** 3, 64 ** 4 + 1, 64 ** 5 - 1, 64 ** 5];
    for (const start of [0, 17, 64 ** 3 - 5]) {
      const { clock, wheel, fired } = setup(start);
      for (const d of delays) wheel.schedule(d, null, d);
      while (clock.advanceToNext());
      assert.deepEqual(
        fired,
        delays.map((d) => [d, start + d]),
      );
    }
  });

  test("very long delays fire on time: 2^31 ms, around the wheel's 2^36 ms span, 2^40 ms and beyond", () => {
    const delays = [2 ** 31, 2 ** 32 + 3, 2 ** 36 - 1, 2 ** 36, 2 ** 36 + 1, 2 ** 37 + 5, 2 ** 40, 2 ** 45];
    const { clock, wheel, fired } = setup(1000.25);
    for (const d of [...delays].reverse()) wheel.schedule(d, null, d);
    let alarms = 0;
    while (clock.advanceToNext()) alarms++;
    assert.deepEqual(
      fired,
      delays.map((d) => [d, 1001 + d]),
    );
    assert.ok(alarms < 60, `${alarms} alarms`);
  });

  test("a long timer stays ordered with short ones scheduled near its deadline", () => {
    const { clock, wheel, fired } = setup();
    wheel.schedule(2 ** 40, null, "long");
    clock.advance(2 ** 40 - 10);
    wheel.schedule(10, null, "short");
    wheel.schedule(9, null, "shorter");
    clock.advance(20);
    assert.deepEqual(fired, [
      ["shorter", 2 ** 40 - 1],
      ["long", 2 ** 40],
      ["short", 2 ** 40],
    ]);
  });

  test("after a long idle time, new timers still fire on time", () => {
    const { clock, wheel, fired } = setup();
    clock.advance(2 ** 38 + 12345);
    wheel.schedule(7, null, "a");
    clock.advance(7);
    assert.deepEqual(fired, [["a", 2 ** 38 + 12352]]);
  });

  test("onExpire may schedule: a zero delay fires after the current batch, at the same time", () => {
    const { clock, wheel, fired } = setup(0, (timer) => {
      if (timer.data === "a") {
        wheel.schedule(0, null, "a+0");
        wheel.schedule(5, null, "a+5");
      }
    });
    wheel.schedule(10, null, "a");
    wheel.schedule(10, null, "b");
    clock.advance(20);
    assert.deepEqual(fired, [
      ["a", 10],
      ["b", 10],
      ["a+0", 10],
      ["a+5", 15],
    ]);
  });

  test("a timer that keeps rescheduling itself with no delay runs once per alarm, not in a loop", () => {
    const { clock, wheel, fired } = setup(0, () => {
      if (fired.length < 100) wheel.schedule(0, null, "again");
    });
    wheel.schedule(0, null, "first");
    assert.equal(clock.advanceToNext(), true);
    assert.equal(fired.length, 1);
    assert.equal(clock.advanceToNext(), true);
    assert.equal(fired.length, 2);
    assert.equal(clock.now(), 0);
  });

  test("onExpire may cancel a timer of its own batch, another timer, or its own (already fired)", () => {
    const timers: Record<string, Timer> = {};
    const results: unknown[] = [];
    const { clock, wheel, fired } = setup(0, (timer) => {
      if (timer.data !== "a") return;
      results.push(wheel.cancel(timer), wheel.cancel(timers.c as Timer), wheel.cancel(timers.far as Timer));
    });
    timers.a = wheel.schedule(10, null, "a");
    timers.b = wheel.schedule(10, null, "b");
    timers.c = wheel.schedule(10, null, "c");
    timers.far = wheel.schedule(500, null, "far");
    clock.advance(1000);
    assert.deepEqual(fired, [
      ["a", 10],
      ["b", 10],
    ]);
    assert.deepEqual(results, [false, 0, 490]);
    assert.equal(wheel.size, 0);
  });

  test("onExpire cancelling the last timer of its batch ends the batch there", () => {
    const timers: Timer[] = [];
    const { clock, wheel, fired } = setup(0, (timer) => {
      if (timer.data === 0) {
        wheel.cancel(timers[2] as Timer);
        wheel.schedule(0, null, "new");
      }
    });
    for (let i = 0; i < 3; i++) timers.push(wheel.schedule(4, null, i));
    clock.advance(4);
    assert.deepEqual(fired, [
      [0, 4],
      [1, 4],
      ["new", 4],
    ]);
  });

  test("onExpire may clear the wheel", () => {
    const { clock, wheel, fired } = setup(0, () => wheel.clear());
    wheel.schedule(1, null, "a");
    wheel.schedule(1, null, "b");
    wheel.schedule(100, null, "c");
    clock.advance(200);
    assert.deepEqual(fired, [["a", 1]]);
    assert.equal(wheel.size, 0);
    assert.equal(clock.pendingAlarms, 0);
  });

  test("when onExpire throws, the error propagates and the rest still fire on the next alarm", () => {
    const { clock, wheel, fired } = setup(0, (timer) => {
      if (timer.data === "bad") throw new Error("boom");
    });
    wheel.schedule(3, null, "bad");
    wheel.schedule(3, null, "next");
    wheel.schedule(9, null, "later");
    assert.throws(() => clock.advance(10), /boom/);
    assert.deepEqual(fired, [["bad", 3]]);
    clock.advance(7);
    assert.deepEqual(fired, [
      ["bad", 3],
      ["next", 3],
      ["later", 9],
    ]);
  });

  test("clear cancels everything and clears the alarm; the wheel stays usable", () => {
    const { clock, wheel, fired } = setup();
    const timers = [1, 70, 5000, 2 ** 37].map((d) => wheel.schedule(d, null, d));
    wheel.clear();
    assert.equal(wheel.size, 0);
    assert.equal(clock.pendingAlarms, 0);
    for (const t of timers) {
      assert.equal(wheel.cancel(t), false);
      assert.equal(wheel.remaining(t), false);
    }
    wheel.schedule(5, null, "after");
    clock.advance(2 ** 38);
    assert.deepEqual(fired, [["after", 5]]);
  });

  test("bad delays are refused", () => {
    const { wheel } = setup();
    for (const d of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => wheel.schedule(d, null, d), RangeError);
    assert.equal(wheel.size, 0);
  });

  test("200k timers: all fire once, in deadline order", () => {
    const clock = new ManualClock();
    const n = 200_000;
    let fired = 0;
    let last = -1;
    const wheel = new TimerWheel(clock, (timer) => {
      const due = timer.data as number;
      assert.ok(due >= last && clock.now() === due);
      last = due;
      fired++;
    });
    for (let i = 0; i < n; i++) wheel.schedule((i * 7919) % 600_000, null, (i * 7919) % 600_000);
    assert.equal(wheel.size, n);
    clock.advance(600_000);
    assert.equal(fired, n);
    assert.equal(wheel.size, 0);
  });
});

/** A manual clock that allows batched reads (as the system clock does), and counts its reads. */
class BatchingClock extends ManualClock {
  readonly batchReads = true;
  reads = 0;
  override now(): number {
    this.reads++;
    return super.now();
  }
}

function batching(start = 0) {
  const clock = new BatchingClock(start);
  const fired: [unknown, number][] = [];
  const wheel = new TimerWheel(clock, (timer) => fired.push([timer.data, clock.now()]));
  return { clock, wheel, fired };
}

describe("TimerWheel with batched clock reads", () => {
  test("timers set in one synchronous run share one clock read, taken after them all", async () => {
    const { clock, wheel, fired } = batching(10);
    const reads = clock.reads;
    for (let i = 0; i < 1000; i++) wheel.schedule(50, null, i);
    assert.equal(clock.reads, reads, "no read while scheduling");
    assert.equal(wheel.size, 1000);
    assert.equal(clock.nextAlarmAt(), undefined, "no alarm before the stamp");
    await Promise.resolve();
    assert.equal(clock.reads, reads + 1);
    assert.equal(clock.nextAlarmAt(), 60);
    clock.advance(50);
    assert.deepEqual(
      fired.map(([i]) => i),
      Array.from({ length: 1000 }, (_, i) => i),
      "in scheduling order",
    );
    assert.ok(fired.every(([, at]) => at === 60));
  });

  test("a timer never fires early: time that passes before the stamp only delays it", async () => {
    const { clock, wheel, fired } = batching();
    wheel.schedule(100, null, "late");
    clock.advance(30); // before the stamp
    await Promise.resolve();
    clock.advance(99);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [["late", 130]]);
  });

  test("a fresh timer can be cancelled; remaining is its delay; clear drops fresh timers", async () => {
    const { clock, wheel, fired } = batching();
    const a = wheel.schedule(20.5, null, "a");
    const b = wheel.schedule(40, null, "b");
    wheel.schedule(60, null, "c");
    assert.equal(wheel.remaining(a), 21);
    assert.equal(wheel.cancel(a), 21);
    assert.equal(wheel.cancel(a), false);
    wheel.drop(b);
    assert.equal(wheel.size, 1);
    await Promise.resolve();
    clock.advance(100);
    assert.deepEqual(fired, [["c", 60]]);
    wheel.schedule(5, null, "d");
    wheel.clear();
    assert.equal(wheel.size, 0);
    await Promise.resolve();
    clock.advance(100);
    assert.deepEqual(fired, [["c", 60]]);
  });

  test("fresh timers behind stamped ones, and stamped behind fresh: deadline order holds", async () => {
    const { clock, wheel, fired } = batching();
    wheel.schedule(100, null, "first");
    await Promise.resolve();
    clock.advance(10);
    wheel.schedule(50, null, "second");
    wheel.schedule(95, null, "third");
    await Promise.resolve();
    clock.advance(200);
    assert.deepEqual(fired, [
      ["second", 60],
      ["first", 100],
      ["third", 105],
    ]);
  });
});

// The property: random schedule / cancel / remaining / advance sequences, including schedules and cancels made
// from onExpire, checked against a model that knows each timer's exact deadline.

/** What a timer does when it fires: nothing, schedule another, or cancel the timer picked by index. */
type OnFire = { schedule: number } | { cancel: number } | null;
type Op =
  | { op: "schedule"; delay: number; onFire: OnFire }
  | { op: "cancel"; pick: number }
  | { op: "remaining"; pick: number }
  | { op: "advance"; ms: number }
  | { op: "advanceToNext" };

interface Entry {
  readonly seq: number;
  /** The exact deadline on the clock: the time of scheduling plus the delay. */
  readonly deadline: number;
  readonly onFire: OnFire;
  timer: Timer;
  state: "pending" | "fired" | "cancelled";
}

// Quarter-ms fractions keep every sum exact, so the model's arithmetic matches the wheel's.
const delay = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 10 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 400 }).map((q) => q / 4) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 300_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 36 - 1, 2 ** 36, 2 ** 36 + 1, 2 ** 40) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 42 }) },
);
const onFire: fc.Arbitrary<OnFire> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: delay.map((d) => ({ schedule: d })) },
  { weight: 1, arbitrary: fc.nat().map((n) => ({ cancel: n })) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("schedule" as const), delay, onFire }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("remaining" as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      ms: fc.oneof(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 40 }).map((q) => q / 4),
        fc.integer({ min: 0, max: 2 ** 37 }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "advanceToNext" as const }) },
);

function run(start: number, ops: Op[]): void {
  const clock = new ManualClock(start);
  const entries: Entry[] = [];
  const modelRemaining = (e: Entry) =>
    e.state === "pending" ? Math.max(0, Math.ceil(e.deadline - clock.now())) : false;
  const cancel = (pick: number) => {
    const e = entries[pick % entries.length];
    if (e === undefined) return;
    assert.equal(wheel.cancel(e.timer), modelRemaining(e), `cancel #${e.seq}`);
    if (e.state === "pending") e.state = "cancelled";
  };
  const schedule = (d: number, next: OnFire) => {
    const e = { seq: entries.length, deadline: clock.now() + d, onFire: next, state: "pending" } as Entry;
    entries.push(e);
    e.timer = wheel.schedule(d, null, e);
  };
  const wheel = new TimerWheel(clock, (timer) => {
    const e = timer.data as Entry;
    const now = clock.now();
    assert.equal(e.state, "pending", `#${e.seq} fires once, and only if not cancelled`);
    assert.ok(now >= e.deadline && now <= e.deadline + 1, `#${e.seq} due at ${e.deadline} fired at ${now}`);
    for (const other of entries) {
      const before = Math.ceil(other.deadline) - Math.ceil(e.deadline) || other.seq - e.seq;
      if (other.state === "pending" && before < 0) assert.fail(`#${other.seq} should have fired before #${e.seq}`);
    }
    e.state = "fired";
    if (e.onFire !== null && "schedule" in e.onFire) schedule(e.onFire.schedule, null);
    else if (e.onFire !== null) cancel(e.onFire.cancel);
  });

  for (const o of ops) {
    if (o.op === "schedule") schedule(o.delay, o.onFire);
    else if (o.op === "cancel") cancel(o.pick);
    else if (o.op === "remaining") {
      const e = entries[o.pick % entries.length];
      if (e !== undefined) assert.equal(wheel.remaining(e.timer), modelRemaining(e));
    } else if (o.op === "advance") clock.advance(o.ms);
    else clock.advanceToNext();

    const pending = entries.filter((e) => e.state === "pending");
    assert.equal(wheel.size, pending.length);
    for (const e of pending) assert.ok(e.deadline + 1 > clock.now(), `#${e.seq} due at ${e.deadline} is late`);
    // One alarm while anything is pending, early enough for the earliest timer.
    assert.equal(clock.pendingAlarms, pending.length > 0 ? 1 : 0);
    const earliest = Math.min(...pending.map((e) => Math.ceil(e.deadline)));
    if (pending.length > 0) assert.ok((clock.nextAlarmAt() as number) <= earliest, "alarm after the earliest timer");
  }
  while (clock.advanceToNext());
  assert.ok(entries.every((e) => e.state !== "pending"));
}

describe("TimerWheel against a model", () => {
  test("every timer fires once unless cancelled, on time, same-ms timers in scheduling order", () => {
    fc.assert(fc.property(fc.constantFrom(0, 1234.5, 2 ** 33 + 0.75), fc.array(op, { maxLength: 80 }), run), {
      numRuns: 1000,
    });
  });
});
