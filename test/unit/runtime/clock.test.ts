// The real clock: alarms fire, never before their time, clearAlarm holds, and long alarms do not misfire.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { systemClock } from "../../../src/runtime/clock.ts";
import { TimerWheel } from "../../../src/runtime/timer-wheel.ts";

/** Resolves with the value of `promise`, or rejects once `ms` pass: waits for an event, with a deadline. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timeout: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timeout = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timeout));
}

/** Sets an alarm `delay` ms from now; resolves with the time it fired at. */
function alarmIn(delay: number): { at: number; handle: unknown; fired: Promise<number> } {
  const at = systemClock.now() + delay;
  let handle: unknown;
  const fired = new Promise<number>((resolve) => {
    handle = systemClock.setAlarm(at, () => resolve(systemClock.now()));
  });
  return { at, handle, fired };
}

describe("systemClock", () => {
  test("now() is monotonic performance time", () => {
    const a = systemClock.now();
    const b = systemClock.now();
    assert.ok(b >= a);
    assert.ok(Math.abs(a - performance.now()) < 1000);
  });

  test("an alarm fires, never before its time", async () => {
    for (const delay of [0, 1, 2.5, 15]) {
      const alarm = alarmIn(delay);
      const firedAt = await within(5000, alarm.fired);
      assert.ok(firedAt >= alarm.at, `alarm for ${alarm.at} fired at ${firedAt}`);
    }
  });

  test("a cleared alarm does not fire", async () => {
    let cleared = false;
    const handle = systemClock.setAlarm(systemClock.now() + 2, () => {
      cleared = true;
    });
    systemClock.clearAlarm(handle);
    await within(5000, alarmIn(20).fired); // the cleared one's time has passed by then
    assert.equal(cleared, false);
  });

  test("an alarm beyond setTimeout's 2^31 ms limit neither fires early nor warns", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    let fired = false;
    const handle = systemClock.setAlarm(systemClock.now() + 2 ** 33, () => {
      fired = true;
    });
    try {
      await within(5000, alarmIn(20).fired);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      assert.equal(fired, false);
      assert.deepEqual(warnings, []);
    } finally {
      systemClock.clearAlarm(handle);
      process.off("warning", onWarning);
    }
  });

  test("drives a TimerWheel: each timer fires once, no earlier than its delay", async () => {
    const delays = [0, 1, 3, 3, 10, 25, 70];
    const fired: { data: number; late: number }[] = [];
    const done = new EventTarget();
    const start = systemClock.now();
    const wheel = new TimerWheel(systemClock, (timer) => {
      fired.push({ data: timer.data as number, late: systemClock.now() - (start + (timer.data as number)) });
      if (fired.length === delays.length) done.dispatchEvent(new Event("done"));
    });
    const left = wheel.cancel(wheel.schedule(5, null, -1));
    assert.ok(left === 5 || left === 4, `${left} ms left`); // 4 only if this thread stalled for a ms
    for (const d of delays) wheel.schedule(d, null, d);
    await within(5000, once(done, "done"));
    assert.deepEqual(
      fired.map((f) => f.data),
      delays,
    );
    for (const f of fired) assert.ok(f.late >= 0, `timer ${f.data} fired ${-f.late} ms early`);
    assert.equal(wheel.size, 0);
  });
});
