// Tests for the dirty pools from outside processes: values both ways, many calls in flight, each fault (a throw,
// arguments and results that cannot be carried, a dead worker, a runaway call, unknown functions, modules that do
// not load, stop and its deadline, bad options, workers that cannot start), the adaptive choice between inline and
// dirty, and the stats that show it all. Real worker threads.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { type CallOptions, DirtyCall } from "../../../src/dirty/call.ts";
import { DirtyPools } from "../../../src/dirty/index.ts";
import { DirtyPool } from "../../../src/dirty/pool.ts";
import { ErrorCodes } from "../../../src/errors.ts";
import { dirtyError, dirtyHarness, fixture, settled, TASKS, type Tasks } from "./fixtures/harness.ts";

const TIMEOUT = { timeout: 20_000 };

/** What structured clone throws for what it cannot carry (a DOMException). */
const isDataCloneError = (error: unknown): boolean => (error as Error).name === "DataCloneError";

/** Call options that are wrong, each in its own way. */
const BAD_CALL_OPTIONS: CallOptions[] = [
  { timeoutMs: 0 },
  { timeoutMs: -5 },
  { timeoutMs: Number.NaN },
  { timeoutMs: Number.POSITIVE_INFINITY },
  { timeoutMs: 2 ** 31 },
  { timeoutMs: "10" as never },
  { where: "elsewhere" as never },
  { where: "inline", timeoutMs: 1000 },
  { transfer: new ArrayBuffer(8) as never },
  { transferResult: "yes" as never },
  null as never,
];

/** The next id a dirty call gets (ids are numbered across all pools). */
function nextCallId(): number {
  const ignore = () => {};
  return new DirtyCall(0, [], ignore, ignore).id + 1;
}

describe("dirty calls", () => {
  test("values of the codec's kinds go to a worker and come back unchanged", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
    const nullPrototype = Object.assign(Object.create(null), { a: 1 });
    const values: unknown[] = [
      undefined,
      null,
      true,
      false,
      0,
      -0,
      42,
      -2_147_483_648,
      1.5,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      2n ** 70n,
      -(2n ** 70n),
      "",
      "ascii",
      "héllo ✓",
      "\ud800 lone",
      new Uint8Array([1, 2, 3]),
      [1, [2, [3]], "x"],
      { a: { b: [null, undefined] }, "": 0 },
      nullPrototype,
    ];
    for (const value of values) assert.deepStrictEqual(await pools.cpu(tasks.echo, value), value);
    assert.deepStrictEqual(await pools.cpu(tasks.echo, values), values);
    assert.deepEqual(await pools.cpu(tasks.kinds, 1, "s", [], {}, new Uint8Array(1)), [
      "[object Number]",
      "[object String]",
      "[object Array]",
      "[object Object]",
      "[object Uint8Array]",
    ]);
  });

  test("values only structured clone carries (Date, Map, Set) go by the port, both ways", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
    const date = new Date(1_700_000_000_000);
    const map = new Map<unknown, unknown>([
      [1, { a: new Set(["x"]) }],
      ["k", date],
    ]);
    assert.deepStrictEqual(await pools.cpu(tasks.echo, date), date);
    assert.deepStrictEqual(await pools.cpu(tasks.echo, map), map);
    assert.deepStrictEqual(await pools.cpu(tasks.today), new Date(0));
    assert.deepEqual(await pools.cpu(tasks.kinds, date, map, 7, new Set()), [
      "[object Date]",
      "[object Map]",
      "[object Number]",
      "[object Set]",
    ]);
  });

  test("a SharedArrayBuffer view reaches the worker as shared memory, not a copy", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const ranOn = await pools.cpu(tasks.mark, h.flags.words, 3);
    assert.notEqual(ranOn, 0, "it ran on a worker thread");
    assert.ok(h.flags.isSet(3), "the worker's write is seen by the main thread");
  });

  test("1,000 calls in flight, small and large, all come back right", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 2 } });
    const text = (i: number): string => String.fromCharCode(97 + (i % 26)).repeat((i * 37) % 40_000);
    const calls = Array.from({ length: 1000 }, (_, i) =>
      i % 3 === 0
        ? pools.cpu(tasks.add, i, 1)
        : i % 3 === 1
          ? pools.cpu(tasks.echo, text(i))
          : pools.cpu(tasks.echo, { i, date: new Date(i) }),
    );
    const results = await Promise.all(calls);
    results.forEach((result, i) => {
      const expected = i % 3 === 0 ? i + 1 : i % 3 === 1 ? text(i) : { i, date: new Date(i) };
      assert.deepStrictEqual(result, expected, `call ${i}`);
    });
    assert.equal(pools.stats().cpu?.calls, 1000);
  });

  test("async functions run on the IO pool; their rejections fail their call", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ io: { size: 2 } });
    const answers = await Promise.all([pools.io(tasks.sleep, 5, "late"), pools.io(tasks.sleep, 0, { v: 1 })]);
    assert.deepEqual(answers, ["late", { v: 1 }]);
    await assert.rejects(
      pools.io(tasks.failLater, "no disk"),
      dirtyError(ErrorCodes.DIRTY_CALL_FAILED, (cause) => cause instanceof RangeError && cause.message === "no disk"),
    );
    assert.equal(await pools.io(tasks.add, 1, 1), 2);
    assert.equal(pools.stats().cpu, undefined, "the CPU pool never started");
  });
});

describe("dirty call faults", () => {
  test(
    "a throwing function fails only its own call, with what it threw (a DOMException too) as the cause",
    TIMEOUT,
    async (t) => {
      const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
      const [before, failed, after] = await Promise.allSettled([
        pools.cpu(tasks.add, 1, 2),
        pools.cpu(tasks.fail, "boom"),
        pools.cpu(tasks.add, 3, 4),
      ]);
      assert.deepEqual(before, { status: "fulfilled", value: 3 });
      assert.deepEqual(after, { status: "fulfilled", value: 7 });
      assert.equal(failed.status, "rejected");
      dirtyError(
        ErrorCodes.DIRTY_CALL_FAILED,
        (cause) => cause instanceof TypeError && cause.message === "boom",
      )((failed as PromiseRejectedResult).reason);
      // Node 20's structured clone empties a DOMException: it crosses as its parts.
      await assert.rejects(
        pools.cpu(tasks.abort),
        dirtyError(
          ErrorCodes.DIRTY_CALL_FAILED,
          (cause) =>
            cause instanceof DOMException &&
            cause.name === "AbortError" &&
            cause.message === "the operation was aborted",
        ),
      );
      assert.equal(await pools.cpu(tasks.add, 5, 6), 11);
      assert.equal(pools.stats().cpu?.restarts, 0);
    },
  );

  test("arguments that cannot be carried fail with DIRTY_BAD_ARGUMENT; the worker goes on", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
    const thread = await pools.cpu(tasks.where);
    const throwing = {
      get x(): never {
        throw new RangeError("no x here");
      },
    };
    const cases: [string, unknown[], CallOptions, (cause: unknown) => boolean][] = [
      ["a function", [() => 1], {}, isDataCloneError],
      ["a symbol", [Symbol("no clone")], {}, isDataCloneError],
      ["a WeakMap", [{ deep: [new WeakMap()] }], {}, isDataCloneError],
      ["a getter that throws", [throwing], {}, (c) => c instanceof RangeError && c.message === "no x here"],
      [
        "a transfer list that cannot move",
        [1],
        { transfer: [new SharedArrayBuffer(8) as unknown as ArrayBuffer] },
        (c) => c instanceof TypeError,
      ],
    ];
    for (const [what, args, options, cause] of cases) {
      await assert.rejects(
        pools.call("cpu", tasks.echo, args, options),
        dirtyError(ErrorCodes.DIRTY_BAD_ARGUMENT, cause),
        what,
      );
    }
    assert.equal(await pools.cpu(tasks.where), thread, "the same worker");
    assert.equal(pools.stats().cpu?.restarts, 0);
  });

  test("a result that cannot be carried back fails with DIRTY_BAD_RESULT; the worker goes on", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 }, io: { size: 1 } });
    const [cpuThread, ioThread] = [await pools.cpu(tasks.where), await pools.io(tasks.where)];
    await assert.rejects(pools.cpu(tasks.unclonable), dirtyError(ErrorCodes.DIRTY_BAD_RESULT, isDataCloneError));
    await assert.rejects(
      pools.call("cpu", tasks.unclonable, [], { transferResult: true }),
      dirtyError(ErrorCodes.DIRTY_BAD_RESULT, isDataCloneError),
    );
    await assert.rejects(
      pools.cpu(tasks.throwingGetter),
      dirtyError(ErrorCodes.DIRTY_BAD_RESULT, (c) => c instanceof RangeError && c.message === "no x here"),
    );
    await assert.rejects(pools.io(tasks.unclonableLater), dirtyError(ErrorCodes.DIRTY_BAD_RESULT, isDataCloneError));
    assert.deepEqual([await pools.cpu(tasks.where), await pools.io(tasks.where)], [cpuThread, ioThread]);
    assert.deepEqual([pools.stats().cpu?.restarts, pools.stats().io?.restarts], [0, 0]);
  });

  test("arguments that cannot be cloned fail their call alone, and its timeout never fires", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    t.after(() => process.off("unhandledRejection", onUnhandled));
    assert.equal(await pools.cpu(tasks.add, 0, 0), 0);

    const badArgument = dirtyError(ErrorCodes.DIRTY_BAD_ARGUMENT, isDataCloneError);
    // Straight to the worker.
    await assert.rejects(pools.call("cpu", tasks.echo, [() => 1], { timeoutMs: 20 }), badArgument);
    // After waiting for room: the worker, held by a gate, holds all the calls it may.
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    const many = Array.from({ length: 4100 }, (_, i) => pools.cpu(tasks.add, i, 1));
    assert.ok((pools.stats().cpu?.queued ?? 0) > 0, "the worker holds all it may: calls wait");
    const waited = assert.rejects(pools.cpu(tasks.echo, Symbol("no clone") as never), badArgument);
    const last = pools.cpu(tasks.add, 1, 2);
    // A later timeout of the same length fires after the first one's.
    await assert.rejects(pools.call("cpu", tasks.noop, [], { timeoutMs: 20 }), dirtyError(ErrorCodes.DIRTY_TIMEOUT));
    h.flags.open(0);
    await gated;
    assert.deepEqual(
      await Promise.all(many),
      many.map((_, i) => i + 1),
    );
    await waited;
    assert.equal(await last, 3);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  });

  test("a worker that exits fails the call it ran, is restarted, and loses no queued call", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const first = await pools.cpu(tasks.where);
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    const exiting = pools.cpu(tasks.exitThread);
    const queued = [pools.cpu(tasks.add, 1, 2), pools.cpu(tasks.echo, "x"), pools.cpu(tasks.mark, h.flags.words, 1)];
    h.flags.open(0);
    assert.equal(await gated, first);
    await assert.rejects(exiting, dirtyError(ErrorCodes.DIRTY_WORKER_DIED));
    const [sum, echoed, markedOn] = await Promise.all(queued);
    assert.deepEqual([sum, echoed], [3, "x"]);
    assert.notEqual(markedOn, first, "the queued calls ran on the new worker");
    assert.ok(h.flags.isSet(1));
    assert.equal(pools.stats().cpu?.restarts, 1);
    assert.equal(await pools.cpu(tasks.where), markedOn);
  });

  test("a worker that runs out of memory fails the call it ran and is replaced", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    // V8 sizes a heap from this flag when a thread starts: the first worker gets a small one (the pools do not
    // offer resourceLimits), so it runs out fast; the flag is back to its default before anything else starts.
    setFlagsFromString("--max-old-space-size=48");
    let first: number;
    try {
      first = await pools.cpu(tasks.where);
    } finally {
      setFlagsFromString("--max-old-space-size=0");
    }
    const exhausting = pools.cpu(tasks.exhaustHeap);
    const behind = pools.cpu(tasks.add, 1, 2);
    await assert.rejects(
      exhausting,
      dirtyError(
        ErrorCodes.DIRTY_WORKER_DIED,
        (cause) => (cause as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY",
      ),
    );
    assert.equal(await behind, 3);
    assert.equal(pools.stats().cpu?.restarts, 1);
    assert.notEqual(await pools.cpu(tasks.where), first);
  });

  test("a per-call timeout ends a runaway call: its worker is restarted, calls behind it run", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const first = await pools.cpu(tasks.where);
    const runaway = pools.call("cpu", tasks.forever, [], { timeoutMs: 50 });
    const behind = pools.cpu(tasks.add, 2, 3);
    await assert.rejects(runaway, dirtyError(ErrorCodes.DIRTY_TIMEOUT));
    assert.equal(await behind, 5);
    assert.equal(pools.stats().cpu?.restarts, 1);
    assert.notEqual(await pools.cpu(tasks.where), first, "a new worker");
  });

  test("a call whose timeout passes before it starts is dropped and its worker kept", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    const first = await pools.cpu(tasks.where);
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    await assert.rejects(
      pools.call("cpu", tasks.mark, [h.flags.words, 1], { timeoutMs: 10 }),
      dirtyError(ErrorCodes.DIRTY_TIMEOUT),
    );
    h.flags.open(0);
    assert.equal(await gated, first);
    assert.equal(await pools.cpu(tasks.where), first, "the same worker");
    assert.equal(h.flags.isSet(1), false, "the timed-out call never ran");
    assert.equal(pools.stats().cpu?.restarts, 0);
  });

  test("a call is never mistaken for another one made 4096 calls later", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 }, io: { size: 1 } });
    await Promise.all([pools.cpu(tasks.noop), pools.io(tasks.noop)]);
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    const queuedId = nextCallId();
    const queued = pools.cpu(tasks.add, 20, 22);
    // Calls to the other pool take the ids in between: the next CPU call's id is 4096 after the queued one's.
    const others: Promise<unknown>[] = [];
    for (let id = nextCallId(); id < queuedId + 4096; id++) others.push(pools.io(tasks.noop));
    const later = pools.cpu(tasks.add, 1, 1);
    assert.equal(nextCallId(), queuedId + 4096 + 2, "the later call's id was the queued one's + 4096");
    await Promise.all(others);
    h.flags.open(0);
    await gated;
    assert.equal(await later, 2);
    assert.equal(await queued, 42, "the queued call ran and answered");
  });

  test("an unknown function fails with DIRTY_UNKNOWN_FUNCTION", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
    await assert.rejects(
      pools.cpu(() => 1),
      dirtyError(ErrorCodes.DIRTY_UNKNOWN_FUNCTION),
    );
    await assert.rejects(pools.io(Math.max, 1, 2), dirtyError(ErrorCodes.DIRTY_UNKNOWN_FUNCTION));
    assert.equal(await pools.cpu(tasks.add, 1, 2), 3);
  });

  test("a module that cannot be loaded fails with DIRTY_LOAD_FAILED", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
    await assert.rejects(pools.load(fixture("does-not-exist.mjs")), dirtyError(ErrorCodes.DIRTY_LOAD_FAILED));
    await assert.rejects(
      pools.load(fixture("throws-on-import.mjs")),
      dirtyError(ErrorCodes.DIRTY_LOAD_FAILED, (cause) => (cause as Error).message === "this module refuses to load"),
    );
    await assert.rejects(pools.load(fixture("no-functions.mjs")), dirtyError(ErrorCodes.DIRTY_LOAD_FAILED));
    // Loaded by the main thread, refused by the running worker.
    assert.equal(await pools.cpu(tasks.add, 1, 2), 3);
    await assert.rejects(
      pools.load(fixture("worker-only-failure.mjs")),
      dirtyError(
        ErrorCodes.DIRTY_LOAD_FAILED,
        (cause) => (cause as Error).message === "this module refuses to load in a worker",
      ),
    );
    assert.equal(await pools.cpu(tasks.add, 2, 2), 4, "the pool goes on");
  });

  test("a module loaded while a worker is being replaced reaches the new worker", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
    const first = await pools.cpu(tasks.where);
    // The worker cannot take the load until its runaway call is ended (by its timeout) and it is replaced.
    const runaway = pools.call("cpu", tasks.forever, [], { timeoutMs: 50 });
    const loading = pools.load<{ add(a: number, b: number): number }>(fixture("breaks-in-new-workers.mjs"));
    await assert.rejects(runaway, dirtyError(ErrorCodes.DIRTY_TIMEOUT));
    const more = await loading;
    assert.equal(await pools.cpu(more.add, 20, 22), 42);
    assert.notEqual(await pools.cpu(tasks.where), first);
  });

  test("a module that does not load in a pool's workers fails only its functions' calls", TIMEOUT, async (t) => {
    const pools = dirtyHarness(t).pools({ cpu: { size: 1 }, io: { size: 1 } });
    const tasks = await pools.load<Tasks>(TASKS);
    // Loaded before either pool started (on the main thread only): each pool's workers load it as they start.
    const refusing = await pools.load<{ unreachable(): void }>(fixture("worker-only-failure.mjs"));
    const refused = dirtyError(
      ErrorCodes.DIRTY_LOAD_FAILED,
      (cause) => (cause as Error).message === "this module refuses to load in a worker",
    );
    const thread = await pools.cpu(tasks.where);
    await assert.rejects(pools.cpu(refusing.unreachable), refused);
    await assert.rejects(pools.io(refusing.unreachable), refused);
    assert.equal(await pools.cpu(tasks.where), thread, "the worker started without the module and goes on");
    assert.equal(await pools.io(tasks.add, 1, 2), 3);
    assert.deepEqual([pools.stats().cpu?.restarts, pools.stats().io?.restarts], [0, 0]);
  });

  test("a module that loads in one pool's workers and not in the other's fails only there", TIMEOUT, async (t) => {
    const pools = dirtyHarness(t).pools({ cpu: { size: 1 }, io: { size: 1 } });
    const tasks = await pools.load<Tasks>(TASKS);
    const m = await pools.load<{ add(a: number, b: number): number }>(fixture("breaks-in-new-workers.mjs"));
    assert.equal(await pools.cpu(m.add, 1, 2), 3);
    // The IO pool's worker starts after this: its import of the module throws.
    process.env.OTTER_DIRTY_FIXTURE_BROKEN = "throw";
    t.after(() => {
      delete process.env.OTTER_DIRTY_FIXTURE_BROKEN;
    });
    await assert.rejects(
      pools.io(m.add, 1, 2),
      dirtyError(ErrorCodes.DIRTY_LOAD_FAILED, (cause) => (cause as Error).message === "broken since the last start"),
    );
    assert.equal(await pools.io(tasks.add, 2, 2), 4);
    assert.equal(await pools.cpu(m.add, 3, 4), 7);
    assert.deepEqual([pools.stats().cpu?.restarts, pools.stats().io?.restarts], [0, 0]);
  });

  test("stop lets the running call end, fails the rest, and refuses later calls", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    await pools.cpu(tasks.noop);
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    const queued = assert.rejects(pools.cpu(tasks.mark, h.flags.words, 1), dirtyError(ErrorCodes.DIRTY_STOPPED));
    await h.flags.whenEntered(0);
    const stopping = pools.stop();
    await assert.rejects(pools.cpu(tasks.add, 1, 2), dirtyError(ErrorCodes.DIRTY_STOPPED));
    await assert.rejects(pools.io(tasks.add, 1, 2), dirtyError(ErrorCodes.DIRTY_STOPPED));
    await assert.rejects(pools.load(fixture("no-functions.mjs")), dirtyError(ErrorCodes.DIRTY_STOPPED));
    h.flags.open(0);
    assert.notEqual(await gated, 0, "the running call ended");
    await queued;
    await stopping;
    assert.equal(h.flags.isSet(1), false, "the queued call never ran");
    await pools.stop();
  });

  test(
    "stop's deadline ends a runaway call: it and the calls behind it fail with DIRTY_STOPPED",
    TIMEOUT,
    async (t) => {
      const h = dirtyHarness(t);
      const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 }, io: { size: 1 } });
      await pools.io(tasks.noop);
      const runaway = pools.cpu(tasks.spinGate, h.flags.words, 0);
      const behind = pools.cpu(tasks.mark, h.flags.words, 1);
      // Running when the stop comes, it ends within the deadline.
      const inTime = pools.io(tasks.gate, h.flags.words, 2);
      await Promise.all([h.flags.whenEntered(0), h.flags.whenEntered(2)]);
      const stopping = pools.stop({ timeoutMs: 500 });
      h.flags.open(2);
      assert.equal(pools.stop(), stopping, "a second stop returns the first one's promise");
      await assert.rejects(runaway, dirtyError(ErrorCodes.DIRTY_STOPPED));
      await assert.rejects(behind, dirtyError(ErrorCodes.DIRTY_STOPPED));
      assert.notEqual(await inTime, 0, "a call that ends within the deadline is answered");
      await stopping;
      assert.equal(h.flags.isSet(1), false, "the call behind the runaway never ran");
    },
  );

  test("a load on its way when the pools stop fails with DIRTY_STOPPED", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    await pools.cpu(tasks.noop);
    // The worker is held by a gate: it cannot take the load before the stop.
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    await h.flags.whenEntered(0);
    // Whether the load reaches the worker before the stop or after it, it must fail, not wait forever.
    const loading = pools.load(fixture("breaks-in-new-workers.mjs"));
    const stopping = pools.stop();
    h.flags.open(0);
    await assert.rejects(loading, dirtyError(ErrorCodes.DIRTY_STOPPED));
    assert.notEqual(await gated, 0);
    await stopping;
  });

  test("bad options fail with DIRTY_BAD_OPTION", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    for (const options of [
      { cpu: { size: 0 } },
      { io: { size: 1.5 } },
      { cpu: { size: Number.NaN } },
      { busyWait: "forever" as never },
      { busyWait: -1 },
    ]) {
      assert.throws(() => h.pools(options), dirtyError(ErrorCodes.DIRTY_BAD_OPTION), JSON.stringify(options));
    }
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 }, busyWait: "none" });
    for (const options of BAD_CALL_OPTIONS) {
      await assert.rejects(
        pools.call("cpu", tasks.add, [1, 2], options),
        dirtyError(ErrorCodes.DIRTY_BAD_OPTION),
        String(options && JSON.stringify(options)),
      );
    }
    for (const timeoutMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, "10" as never]) {
      await assert.rejects(pools.stop({ timeoutMs }), dirtyError(ErrorCodes.DIRTY_BAD_OPTION), String(timeoutMs));
    }
    assert.equal(await pools.cpu(tasks.add, 1, 2), 3, "a stop with a bad option did not stop the pools");
  });

  test("a pool refuses bad options with a rejected promise, before it makes a call", TIMEOUT, async (t) => {
    const pool = new DirtyPool("cpu", 1, { workers: 0, main: 0 }, []);
    t.after(() => pool.stop());
    for (const options of BAD_CALL_OPTIONS) {
      const what = String(options && JSON.stringify(options));
      const before = nextCallId();
      let settled: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        settled = pool.call(0, [], options);
      }, what);
      await assert.rejects(settled!, dirtyError(ErrorCodes.DIRTY_BAD_OPTION), what);
      // nextCallId() takes an id itself: one more than before means the pool took none.
      assert.equal(nextCallId(), before + 1, `${what}: no call was made`);
    }
    await assert.rejects(pool.stop({ timeoutMs: -1 }), dirtyError(ErrorCodes.DIRTY_BAD_OPTION));
  });

  test("a worker that cannot start is tried three times, then its calls fail", TIMEOUT, async (t) => {
    const pools = dirtyHarness(t).pools({ cpu: { size: 1 } });
    const m = await pools.load<{ add(a: number, b: number): number; exitThread(): never }>(
      fixture("breaks-in-new-workers.mjs"),
    );
    assert.equal(await pools.cpu(m.add, 1, 2), 3);
    process.env.OTTER_DIRTY_FIXTURE_BROKEN = "exit";
    t.after(() => {
      delete process.env.OTTER_DIRTY_FIXTURE_BROKEN;
    });
    const exiting = pools.cpu(m.exitThread);
    const queued = pools.cpu(m.add, 3, 4);
    await assert.rejects(exiting, dirtyError(ErrorCodes.DIRTY_WORKER_DIED));
    await assert.rejects(queued, (error: Error) => {
      dirtyError(ErrorCodes.DIRTY_WORKER_DIED)(error);
      assert.match(error.message, /cannot start: it exited with code 5/);
      return true;
    });
    assert.equal(pools.stats().cpu?.restarts, 3, "three new workers were tried");
    await assert.rejects(pools.cpu(m.add, 5, 6), dirtyError(ErrorCodes.DIRTY_WORKER_DIED));
    assert.equal(pools.stats().cpu?.restarts, 3, "and no more");
    await pools.stop();
  });
});

describe("adaptive dispatch", () => {
  test("a cheap function moves inline; one that becomes slow moves to the pool, and back", TIMEOUT, async (t) => {
    const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } }, true);
    /** Calls spin(micros) until it runs where `wanted` says (0: inline); how many calls that took. */
    const until = async (wanted: (thread: number) => boolean, micros: number, most: number): Promise<number> => {
      for (let n = 1; n <= most; n++) if (wanted(await pools.cpu(tasks.spin, micros))) return n;
      return assert.fail(`spin(${micros}) never ran where wanted in ${most} calls: ${JSON.stringify(pools.stats())}`);
    };
    const first = await pools.cpu(tasks.spin, 0);
    assert.notEqual(first, 0, "a function never measured goes to the pool first");
    await until((thread) => thread === 0, 0, 50);
    const inlineBefore = pools.stats().functions.find((f) => f.name === "spin")?.inlineCalls ?? 0;
    assert.ok(inlineBefore > 0);
    // It becomes slow (50 ms, where a hand-off costs microseconds): after one such call it goes to the pool.
    await pools.cpu(tasks.spin, 50_000);
    assert.notEqual(await pools.cpu(tasks.spin, 0), 0, "a function that became slow runs dirty");
    // Cheap again: the moving average falls below the hand-off, and it comes back inline.
    await until((thread) => thread === 0, 0, 500);
    const spin = pools.stats().functions.find((f) => f.name === "spin");
    assert.ok(spin !== undefined && spin.inlineCalls > inlineBefore && spin.dirtyCalls >= 2, JSON.stringify(spin));
  });

  test("`where` overrides the measurement; inline is refused for a module not loaded for it", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } }, true);
    assert.equal(await pools.call("cpu", tasks.where, [], { where: "inline" }), 0, "inline before any measurement");
    for (let i = 0; i < 20; i++) await pools.call("cpu", tasks.where, [], { where: "inline" });
    assert.notEqual(await pools.call("cpu", tasks.where, [], { where: "dirty" }), 0, "dirty though cheap");
    const where = pools.stats().functions.find((f) => f.name === "where");
    assert.deepEqual([where?.inlineCalls, where?.dirtyCalls], [21, 1]);

    const { pools: dirtyOnly, tasks: dirtyTasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    await assert.rejects(
      dirtyOnly.call("cpu", dirtyTasks.where, [], { where: "inline" }),
      dirtyError(ErrorCodes.DIRTY_BAD_OPTION),
    );
    assert.equal(dirtyOnly.stats().cpu, undefined, "refused before any pool started");
  });
});

describe("adaptive dispatch and timeouts", () => {
  test(
    "a call with a timeout never runs inline, however cheap; `where: inline` with one is refused",
    TIMEOUT,
    async (t) => {
      const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } }, true);
      let inline = false;
      for (let n = 0; n < 50 && !inline; n++) inline = (await pools.cpu(tasks.where)) === 0;
      assert.ok(inline, `where() never moved inline: ${JSON.stringify(pools.stats())}`);
      const dirtyBefore = pools.stats().functions.find((f) => f.name === "where")?.dirtyCalls ?? 0;
      assert.notEqual(await pools.call("cpu", tasks.where, [], { timeoutMs: 10_000 }), 0, "it ran on a worker");
      assert.equal(pools.stats().functions.find((f) => f.name === "where")?.dirtyCalls, dirtyBefore + 1);
      await assert.rejects(
        pools.call("cpu", tasks.where, [], { where: "inline", timeoutMs: 10_000 }),
        dirtyError(ErrorCodes.DIRTY_BAD_OPTION),
      );
    },
  );
});

describe("dirty pool stats", () => {
  test("stats show queue lengths, held calls, utilisation, calls and restarts as they move", TIMEOUT, async (t) => {
    const h = dirtyHarness(t);
    const { pools, tasks } = await h.poolsWithTasks({ cpu: { size: 1 } });
    assert.equal(pools.stats().cpu, undefined, "no pool before the first call");
    await pools.cpu(tasks.noop);
    const idle = pools.stats().cpu!;
    assert.deepEqual(
      { ...idle, utilisation: [] },
      {
        workers: 1,
        queued: 0,
        held: [0],
        utilisation: [],
        calls: 1,
        restarts: 0,
      },
    );
    const gated = pools.cpu(tasks.gate, h.flags.words, 0);
    const small = Array.from({ length: 3 }, (_, i) => pools.cpu(tasks.add, i, i));
    assert.deepEqual(pools.stats().cpu?.held, [4]);
    // A worker holds at most 4096 calls (its ring and its cancel table); the rest wait.
    const big = Array.from({ length: 4100 }, () => pools.cpu(tasks.echo, new Uint8Array(20_000)));
    const full = pools.stats().cpu!;
    assert.deepEqual([full.held, full.queued], [[4096], 4104 - 4096]);
    h.flags.open(0);
    await Promise.all([gated, ...small, ...big]);
    const after = pools.stats().cpu!;
    assert.deepEqual([after.queued, after.held, after.calls], [0, [0], 4105]);
    assert.ok(after.utilisation[0]! > idle.utilisation[0]! && after.utilisation[0]! <= 1, String(after.utilisation));
  });
});

test("stop ends workers spinning for work, and its promise keeps the event loop alive", TIMEOUT, async () => {
  // Not the harness: nothing else (no after hook, no gate) may keep this test's event loop alive.
  const pools = new DirtyPools({ cpu: { size: 1 }, io: { size: 1 }, busyWait: "very_long" });
  const tasks = await pools.load<Tasks>(TASKS);
  await Promise.all([pools.cpu(tasks.noop), pools.io(tasks.noop)]);
  // Both workers spin for 10 ms for the next call before they park: the stop comes meanwhile.
  await pools.stop();
  assert.equal(await settled(pools.cpu(tasks.noop)), "rejected");
});
