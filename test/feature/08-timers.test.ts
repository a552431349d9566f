// Timers: sendAfter, startTimer, cancelTimer, readTimer and receive timeouts, on a manual clock so they run
// instantly; a timer aimed at a pid that has died reads as cancelled, as on BEAM.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, ErrorCodes, type Ref, tuple } from "../../src/index.ts";
import { assertTerm, recorder, runtime, sleeper } from "../support/runtime.ts";

const TIMEOUT = atom("timeout");
const TICK = atom("tick");

describe("timers", () => {
  test("sendAfter delivers the message when the clock reaches the time, not before", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    rt.sendAfter(100, pid, TICK);
    clock.advance(99);
    await rt.idle();
    assert.deepEqual(messages, []);
    clock.advance(1);
    await rt.idle();
    assert.deepEqual(messages, [TICK]);
  });

  test("startTimer delivers {timeout, Ref, Message}", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    const ref = rt.startTimer(50, pid, TICK);
    clock.advance(50);
    await rt.idle();
    assertTerm(messages, [tuple(TIMEOUT, ref, TICK)]);
  });

  test("a timer of 0 ms fires when the clock is next looked at, never inside the call", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    rt.sendAfter(0, pid, TICK);
    await rt.idle();
    assert.deepEqual(messages, []);
    clock.advance(0);
    await rt.idle();
    assert.deepEqual(messages, [TICK]);
  });

  test("timers fire in deadline order; timers due the same ms in the order they were started", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    rt.sendAfter(30, pid, 3);
    rt.sendAfter(10, pid, 1);
    rt.sendAfter(20, pid, 2);
    rt.sendAfter(20, pid, 2.5);
    rt.sendAfter(70_000, pid, 4); // beyond the wheel's first level
    clock.advance(100_000);
    await rt.idle();
    assert.deepEqual(messages, [1, 2, 2.5, 3, 4]);
  });

  test("readTimer tells the ms left; false once fired", async (t) => {
    const { rt, clock } = runtime(t);
    const pid = sleeper(rt);
    const ref = rt.sendAfter(100, pid, TICK);
    assert.equal(rt.readTimer(ref), 100);
    clock.advance(30);
    assert.equal(rt.readTimer(ref), 70);
    clock.advance(70);
    assert.equal(rt.readTimer(ref), false);
  });

  test("cancelTimer returns the ms left and stops the message; a second cancel returns false", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    const ref = rt.startTimer(100, pid, TICK);
    clock.advance(40);
    assert.equal(rt.cancelTimer(ref), 60);
    assert.equal(rt.cancelTimer(ref), false);
    assert.equal(rt.readTimer(ref), false);
    clock.advance(1000);
    await rt.idle();
    assert.deepEqual(messages, []);
    assert.equal(clock.pendingAlarms, 0);
  });

  test("cancelTimer after the timer fired returns false; an unknown reference too", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    const ref = rt.sendAfter(10, pid, TICK);
    clock.advance(10);
    assert.equal(rt.cancelTimer(ref), false);
    assert.equal(rt.cancelTimer(rt.makeRef()), false);
    assert.equal(rt.readTimer(rt.makeRef()), false);
    await rt.idle();
    assert.deepEqual(messages, [TICK]);
  });

  test("a timer aimed at a pid that has died reads as cancelled", async (t) => {
    const { rt, clock } = runtime(t);
    const pid = sleeper(rt);
    const ref = rt.sendAfter(100, pid, TICK);
    const other = rt.sendAfter(100, pid, TICK);
    rt.exit(pid, atom("kill"));
    assert.equal(rt.readTimer(ref), false);
    assert.equal(rt.cancelTimer(other), false);
    clock.advance(100); // firing it would be harmless: a send to a dead pid is dropped
    await rt.idle();
  });

  test("a timer may target a registered name; a name gone by then drops the message", async (t) => {
    const { rt, clock } = runtime(t);
    const name = atom("timer_target");
    const { pid, messages } = recorder(rt, { name });
    rt.sendAfter(10, name, 1);
    rt.sendAfter(20, name, 2);
    clock.advance(10);
    rt.unregister(name);
    clock.advance(10);
    await rt.idle();
    assert.deepEqual(messages, [1]);
    assert.ok(rt.isAlive(pid));
  });

  test("a timer needs a finite time ≥ 0: PROC_BAD_ARG", (t) => {
    const { rt } = runtime(t);
    const pid = sleeper(rt);
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => rt.sendAfter(ms, pid, TICK), { code: ErrorCodes.PROC_BAD_ARG });
      assert.throws(() => rt.startTimer(ms, pid, TICK), { code: ErrorCodes.PROC_BAD_ARG });
    }
  });

  test("a thousand timers fire with one clock alarm pending at a time", async (t) => {
    const { rt, clock } = runtime(t);
    const { pid, messages } = recorder(rt);
    for (let i = 1; i <= 1000; i++) rt.sendAfter(i, pid, i);
    assert.equal(clock.pendingAlarms, 1);
    while (clock.advanceToNext()) await rt.idle();
    assert.equal(messages.length, 1000);
    assert.deepEqual(
      messages,
      Array.from({ length: 1000 }, (_v, i) => i + 1),
    );
  });

  test("shutdown cancels every timer", (t) => {
    const { rt, clock } = runtime(t);
    const pid = sleeper(rt);
    const ref: Ref = rt.sendAfter(100, pid, TICK);
    rt.shutdown();
    assert.equal(rt.readTimer(ref), false);
    assert.equal(clock.pendingAlarms, 0);
  });
});

describe("receive timeouts", () => {
  test("after-style timeout: undefined once the time passes, with nothing else needed", async (t) => {
    const { rt, clock } = runtime(t);
    const result = rt.run(async (self) => self.receive(undefined, { timeout: 250 }));
    await rt.idle();
    assert.equal(clock.nextAlarmAt(), 250);
    clock.advanceToNext();
    assert.equal(await result, undefined);
  });

  test("a sequence of timeouts in one body, each measured from its own receive", async (t) => {
    const { rt, clock } = runtime(t);
    const times: number[] = [];
    const result = rt.run(async (self) => {
      for (let i = 0; i < 3; i++) {
        await self.receive(undefined, { timeout: 100 });
        times.push(clock.now());
      }
      return "done";
    });
    for (;;) {
      await rt.idle();
      if (!clock.advanceToNext()) break;
    }
    assert.equal(await result, "done");
    assert.deepEqual(times, [100, 200, 300]);
  });

  test("a process killed while it waits leaves no receive or idle timer behind", async (t) => {
    const { rt, clock } = runtime(t);
    const waiting = rt.spawn(async (self) => self.receive(undefined, { timeout: 1000 }));
    const idle = rt.spawn({
      init(self) {
        self.setIdleTimeout(1000);
      },
      handleMessage: () => undefined,
    });
    await rt.idle();
    assert.equal(clock.pendingAlarms, 1, "one alarm for the wheel");
    rt.exit(waiting, atom("kill"));
    rt.exit(idle, atom("kill"));
    assert.equal(clock.pendingAlarms, 0);
  });

  test("a timer message ends a receive that waits for it before the receive's own timeout", async (t) => {
    const { rt, clock } = runtime(t);
    const result = rt.run(async (self) => {
      rt.sendAfter(50, self.pid, TICK);
      return self.receive((m) => m === TICK, { timeout: 100 });
    });
    await rt.idle();
    clock.advance(50);
    assert.equal(await result, TICK);
    assert.equal(clock.pendingAlarms, 0, "the receive's timer is gone");
  });
});
