// ManualClock: virtual time that moves only on request, firing alarms in deadline order at their own times.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../../src/testing/index.ts";

describe("ManualClock", () => {
  test("time starts at 0 or the given value and stays put until advanced", () => {
    assert.equal(new ManualClock().now(), 0);
    const clock = new ManualClock(1234.5);
    assert.equal(clock.now(), 1234.5);
    assert.equal(clock.now(), 1234.5);
    clock.advance(0.5);
    assert.equal(clock.now(), 1235);
    clock.advanceTo(2000);
    assert.equal(clock.now(), 2000);
  });

  test("advance fires due alarms in deadline order, ties in the order set, each at its own time", () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    const note = (name: string) => () => fired.push([name, clock.now()]);
    clock.setAlarm(30, note("c"));
    clock.setAlarm(10, note("a1"));
    clock.setAlarm(10, note("a2"));
    clock.setAlarm(20, note("b"));
    clock.setAlarm(51, note("late"));
    clock.advance(50);
    assert.deepEqual(fired, [
      ["a1", 10],
      ["a2", 10],
      ["b", 20],
      ["c", 30],
    ]);
    assert.equal(clock.now(), 50);
    assert.equal(clock.pendingAlarms, 1);
    assert.equal(clock.nextAlarmAt(), 51);
  });

  test("alarms set by fired callbacks fire within the same advance when due inside the window", () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    clock.setAlarm(10, () => {
      fired.push(["first", clock.now()]);
      clock.setAlarm(15, () => fired.push(["inside", clock.now()]));
      clock.setAlarm(5, () => fired.push(["past", clock.now()]));
      clock.setAlarm(25, () => fired.push(["outside", clock.now()]));
    });
    clock.advance(20);
    assert.deepEqual(fired, [
      ["first", 10],
      ["past", 10],
      ["inside", 15],
    ]);
    assert.equal(clock.now(), 20);
    assert.equal(clock.nextAlarmAt(), 25);
  });

  test("an alarm set in the past fires at the current time on the next advance, even advance(0)", () => {
    const clock = new ManualClock(100);
    let at: number | undefined;
    clock.setAlarm(50, () => {
      at = clock.now();
    });
    assert.equal(at, undefined, "never from inside setAlarm");
    clock.advance(0);
    assert.equal(at, 100);
  });

  test("clearAlarm cancels a pending alarm and is a no-op for a fired one", () => {
    const clock = new ManualClock();
    let fired = 0;
    const a = clock.setAlarm(10, () => fired++);
    const b = clock.setAlarm(20, () => fired++);
    clock.clearAlarm(a);
    assert.equal(clock.pendingAlarms, 1);
    clock.advance(30);
    assert.equal(fired, 1);
    clock.clearAlarm(b);
    clock.clearAlarm(a);
    assert.equal(clock.pendingAlarms, 0);
    assert.equal(clock.nextAlarmAt(), undefined);
  });

  test("advanceToNext jumps to the earliest alarm and fires only it", () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    assert.equal(clock.advanceToNext(), false);
    clock.setAlarm(40, () => fired.push(clock.now()));
    clock.setAlarm(7, () => fired.push(clock.now()));
    assert.equal(clock.advanceToNext(), true);
    assert.deepEqual(fired, [7]);
    assert.equal(clock.now(), 7);
    assert.equal(clock.advanceToNext(), true);
    assert.deepEqual(fired, [7, 40]);
    assert.equal(clock.advanceToNext(), false);
    assert.equal(clock.now(), 40);
  });

  test("time never moves backwards", () => {
    const clock = new ManualClock(10);
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.advance(Number.NaN), RangeError);
    assert.throws(() => clock.advanceTo(9), RangeError);
    assert.throws(() => new ManualClock(Number.POSITIVE_INFINITY), RangeError);
    assert.equal(clock.now(), 10);
  });

  test("an alarm that throws stops the advance at its time; later alarms stay pending", () => {
    const clock = new ManualClock();
    let later = false;
    clock.setAlarm(5, () => {
      throw new Error("boom");
    });
    clock.setAlarm(8, () => {
      later = true;
    });
    assert.throws(() => clock.advance(10), /boom/);
    assert.equal(clock.now(), 5);
    assert.equal(later, false);
    clock.advance(5);
    assert.equal(later, true);
  });
});

test("an alarm let go by keepAlive still fires when time passes it, but is neither counted nor jumped to", () => {
  const clock = new ManualClock();
  const fired: string[] = [];
  const loose = clock.setAlarm(10, () => fired.push("loose"));
  clock.setAlarm(20, () => fired.push("kept"));
  clock.keepAlive(loose, false);
  assert.equal(clock.pendingAlarms, 1);
  assert.equal(clock.nextAlarmAt(), 20);
  assert.equal(clock.advanceToNext(), true);
  assert.deepEqual(fired, ["loose", "kept"], "advancing to 20 passed the loose alarm at 10");
  const again = clock.setAlarm(30, () => fired.push("again"));
  clock.keepAlive(again, false);
  assert.equal(clock.advanceToNext(), false);
  clock.keepAlive(again, true);
  assert.equal(clock.advanceToNext(), true);
  assert.deepEqual(fired, ["loose", "kept", "again"]);
});
