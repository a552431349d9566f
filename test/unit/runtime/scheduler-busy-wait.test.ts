// The scheduler's busy wait: after running processes it keeps the event loop turning for `busyWaitUs`, then lets
// it sleep; with 0 it never keeps it turning.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { Runtime } from "../../../src/runtime/index.ts";

/** Event-loop utilisation (0 = asleep in the kernel throughout, 1 = never asleep) over `ms` from now. */
async function loopUtilisationOver(ms: number): Promise<number> {
  const before = performance.eventLoopUtilization();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return performance.eventLoopUtilization(before).utilization;
}

async function runOneProcess(rt: Runtime): Promise<void> {
  await rt.run(async () => "done");
}

test("after a turn, the loop keeps turning for the busy wait, then sleeps", async () => {
  const rt = new Runtime({ busyWaitUs: 200_000 });
  await runOneProcess(rt);
  const during = await loopUtilisationOver(100);
  assert.ok(during > 0.8, `event-loop utilisation during the busy wait: ${during}`);
  // Once it has run out (200 ms after the turn), the loop sleeps again.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const after = await loopUtilisationOver(100);
  assert.ok(after < 0.5, `event-loop utilisation after the busy wait: ${after}`);
  rt.shutdown();
});

test("busyWaitUs: 0 never keeps the loop turning", async () => {
  const rt = new Runtime({ busyWaitUs: 0 });
  await runOneProcess(rt);
  const during = await loopUtilisationOver(100);
  assert.ok(during < 0.5, `event-loop utilisation: ${during}`);
  rt.shutdown();
});

test("a runtime that shuts down stops busy-waiting", async () => {
  const rt = new Runtime({ busyWaitUs: 10_000_000 });
  await runOneProcess(rt);
  rt.shutdown();
  // The round already queued sees the shutdown and ends the wait.
  const after = await loopUtilisationOver(100);
  assert.ok(after < 0.5, `event-loop utilisation after shutdown: ${after}`);
});

test("a busy wait that is no number of microseconds is refused", () => {
  assert.throws(() => new Runtime({ busyWaitUs: -1 }), RangeError);
  assert.throws(() => new Runtime({ busyWaitUs: Number.NaN }), RangeError);
});
