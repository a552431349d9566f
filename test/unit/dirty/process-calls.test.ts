// Tests for dirty calls made by processes (`self.dirty`): a call suspends only its caller and ends in its result or
// a typed error, a caller's calls answer in the order made, callers share the workers fairly, the calls of a caller
// that exited are dropped if not started, processInfo counts a process's calls, and processes and timers keep
// running while the CPU pool is saturated.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, type DirtyError, ErrorCodes, type Pid, ProcessExitError } from "../../../src/index.ts";
import { runtime, waitFor } from "../../support/runtime.ts";
import { dirtyHarness } from "./fixtures/harness.ts";

const TIMEOUT = { timeout: 20_000 };
const KILL = atom("kill");

/** The code of what `promise` rejects with (undefined if it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as DirtyError).code;
  }
}

describe("dirty calls from processes", () => {
  test("a process gets a call's result, or a typed error it can catch", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 }, io: { size: 1 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    const got = await rt.run(async (self) => [
      await self.dirty.cpu(tasks.add, 1, 2),
      await self.dirty.io(tasks.sleep, 1, "from io"),
      ((await self.dirty.cpu(tasks.echo, new Map([[1, new Date(7)]]))) as Map<number, Date>).get(1)?.getTime(),
      await codeOf(self.dirty.cpu(tasks.fail, "no")),
      await codeOf(self.dirty.call("cpu", tasks.forever, [], { timeoutMs: 50 })),
      await self.dirty.cpu(tasks.add, 3, 4),
    ]);
    assert.deepEqual(got, [3, "from io", 7, ErrorCodes.DIRTY_CALL_FAILED, ErrorCodes.DIRTY_TIMEOUT, 7]);
    // Not caught, the error ends the process.
    await assert.rejects(
      rt.run(async (self) => self.dirty.cpu(tasks.fail, "uncaught")),
      (error) => error instanceof ProcessExitError,
    );
  });

  test("a runtime without dirty pools refuses calls with DIRTY_NO_POOLS", TIMEOUT, async (t) => {
    const { tasks } = await dirtyHarness(t).poolsWithTasks();
    const { rt } = runtime(t, { realClock: true });
    const code = await rt.run(async (self) => codeOf(self.dirty.cpu(tasks.add, 1, 2)));
    assert.equal(code, ErrorCodes.DIRTY_NO_POOLS);
  });

  test("one process's calls answer in the order it made them, on a pool of two workers", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 2 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    const threads = new Set(await Promise.all([pools.cpu(tasks.where), pools.cpu(tasks.where)]));
    assert.equal(threads.size, 2, "both workers are up");
    const micros = [30_000, 0, 15_000, 0, 5_000, 0, 1_000, 0];
    const order = await rt.run(async (self) => {
      const answered: number[] = [];
      await Promise.all(micros.map((us, i) => self.dirty.cpu(tasks.spin, us).then(() => answered.push(i))));
      return answered;
    });
    assert.deepEqual(
      order,
      micros.map((_, i) => i),
    );
  });

  test("the calls of different processes run on different workers at once", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 2 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    const a = rt.run(async (self) => self.dirty.cpu(tasks.gate, h.flags.words, 0));
    const b = rt.run(async (self) => self.dirty.cpu(tasks.gate, h.flags.words, 1));
    await waitFor(() => h.flags.entered(0) && h.flags.entered(1), "both calls to run", 10_000);
    h.flags.open(0);
    h.flags.open(1);
    const [threadA, threadB] = await Promise.all([a, b]);
    assert.notEqual(threadA, threadB);
  });

  test("processes calling one worker in turn progress together", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    await pools.cpu(tasks.noop);
    const log: string[] = [];
    const sequential = (name: string) =>
      rt.run(async (self) => {
        await self.receive();
        for (let i = 0; i < 40; i++) {
          assert.equal(await self.dirty.cpu(tasks.add, i, 1), i + 1);
          log.push(name);
        }
      });
    const done = Promise.all([sequential("a"), sequential("b")]);
    await rt.idle();
    for (const pid of rt.processes()) rt.send(pid, "go");
    await done;
    let a = 0;
    let b = 0;
    for (const name of log) {
      if (name === "a") a++;
      else b++;
      assert.ok(Math.abs(a - b) <= 2, `one caller ran ahead of the other: ${log.join("")}`);
    }
  });
});

test("processInfo shows a process's dirty calls: waiting, run inline, run on a pool", TIMEOUT, async (t) => {
  const h = dirtyHarness(t);
  const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } }, true);
  const { rt } = runtime(t, { dirty: pools, realClock: true });
  const bystander = rt.spawn(async (self) => {
    await self.receive();
  });
  const caller = rt.spawn(async (self) => {
    await self.dirty.call("cpu", tasks.where, [], { where: "inline" });
    await self.dirty.call("cpu", tasks.add, [1, 2], { where: "inline" });
    // Refused before it went anywhere: not counted.
    await codeOf(self.dirty.call("cpu", tasks.add, [1, 2], { timeoutMs: -1 }));
    await Promise.all([
      self.dirty.call("cpu", tasks.gate, [h.flags.words, 0], { where: "dirty" }),
      self.dirty.call("cpu", tasks.add, [1, 2], { where: "dirty" }),
    ]);
    await self.receive();
  });
  await h.flags.whenEntered(0);
  assert.deepEqual(rt.processInfo(caller)?.dirty, { waiting: 2, inline: 2, dirty: 2 });
  assert.deepEqual(rt.processInfo(bystander)?.dirty, { waiting: 0, inline: 0, dirty: 0 });
  h.flags.open(0);
  await waitFor(() => rt.processInfo(caller)?.dirty.waiting === 0, "the caller's calls to settle", 10_000);
  assert.deepEqual(rt.processInfo(caller)?.dirty, { waiting: 0, inline: 2, dirty: 2 });
  rt.send(caller, "done");
  rt.send(bystander, "done");
});

describe("dirty calls of processes that exit", () => {
  test("a call not started when its caller exits is dropped and never runs", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    const thread = await pools.cpu(tasks.where);
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    const caller = rt.spawn(async (self) => {
      await self.dirty.cpu(tasks.mark, h.flags.words, 1);
    });
    await waitFor(() => pools.stats().cpu?.held[0] === 2, "the process's call to be queued");
    rt.exit(caller, KILL);
    await waitFor(() => !rt.isAlive(caller), "the caller to exit");
    h.flags.open(0);
    assert.equal(await gated, thread);
    // A call made after the dropped one runs after it would have.
    assert.equal(await pools.cpu(tasks.mark, h.flags.words, 2), thread);
    assert.equal(h.flags.isSet(1), false, "the dropped call never ran");
    assert.deepEqual(pools.stats().cpu?.held, [0]);
  });

  test("a call already running when its caller exits ends on its worker", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    const thread = await pools.cpu(tasks.where);
    const caller = rt.spawn(async (self) => {
      await self.dirty.cpu(tasks.gate, h.flags.words, 0);
    });
    await h.flags.whenEntered(0);
    rt.exit(caller, KILL);
    await waitFor(() => !rt.isAlive(caller), "the caller to exit");
    h.flags.open(0);
    assert.equal(await pools.cpu(tasks.where), thread, "the same worker, not restarted");
    assert.equal(pools.stats().cpu?.restarts, 0);
  });

  test("a call made by a process that already exited never runs", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const { rt } = runtime(t, { dirty: pools, realClock: true });
    await pools.cpu(tasks.noop);
    let lateCall: Promise<string | undefined> | undefined;
    const caller: Pid = rt.spawn(async (self) => {
      // Its code goes on after it was killed, once the call it awaits fails.
      await codeOf(self.dirty.cpu(tasks.gate, h.flags.words, 0));
      lateCall = codeOf(self.dirty.cpu(tasks.mark, h.flags.words, 1));
    });
    await h.flags.whenEntered(0);
    rt.exit(caller, KILL);
    await waitFor(() => lateCall !== undefined, "the killed process to make its late call");
    assert.equal(await lateCall, ErrorCodes.DIRTY_CALLER_GONE);
    h.flags.open(0);
    await pools.cpu(tasks.noop);
    assert.equal(h.flags.isSet(1), false, "the late call never ran");
  });
});

test("processes exchange messages and timers fire while the CPU pool is saturated", TIMEOUT, async (t) => {
  const h = dirtyHarness(t);
  const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 2 } });
  const { rt } = runtime(t, { dirty: pools, realClock: true });
  await Promise.all([pools.cpu(tasks.noop), pools.cpu(tasks.noop)]);
  // Two calls keep both workers' cores busy until the test opens their gates; two more wait behind them.
  const long = [0, 1, 2, 3].map((i) => pools.cpu(tasks.spinGate, h.flags.words, i));
  await waitFor(() => h.flags.entered(0) && h.flags.entered(1), "both workers to be busy", 10_000);
  const echo = rt.spawn(async (self) => {
    for (;;) {
      const from = await self.receive();
      if (from === "stop") return;
      self.send(from as Pid, "pong");
    }
  });
  const rounds = await rt.run(async (self) => {
    let n = 0;
    for (; n < 200; n++) {
      self.send(echo, self.pid);
      await self.receive();
    }
    // A receive timeout is a timer too.
    assert.equal(await self.receive(undefined, { timeout: 10 }), undefined);
    self.send(echo, "stop");
    return n;
  });
  assert.equal(rounds, 200);
  // A plain timer fires too.
  await new Promise<void>((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(pools.stats().cpu?.held, [2, 2], "the pool was saturated all along");
  assert.equal(h.flags.entered(2) || h.flags.entered(3), false);
  h.flags.openAll();
  assert.equal(new Set(await Promise.all(long)).size, 2);
});
