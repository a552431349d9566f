// Moving ArrayBuffers to and from workers instead of copying them (the `transfer` and `transferResult` options;
// SharedArrayBuffer views, always shared, are in pools.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { dirtyHarness } from "./fixtures/harness.ts";

const TIMEOUT = { timeout: 20_000 };

test("arguments' buffers listed in `transfer` move to the worker: detached here", TIMEOUT, async (t) => {
  const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
  const moved = new Uint8Array(1 << 20).fill(1);
  assert.equal(
    await pools.call("cpu", tasks.byteLength, [moved], { transfer: [moved.buffer as ArrayBuffer] }),
    1 << 20,
  );
  assert.equal(moved.byteLength, 0, "the caller's buffer is detached");
  const copied = new Uint8Array(1 << 20).fill(1);
  assert.equal(await pools.cpu(tasks.byteLength, copied), 1 << 20);
  assert.equal(copied.byteLength, 1 << 20, "without `transfer` the arguments are copied");
});

test("`transferResult` moves the result's buffers out of the worker", TIMEOUT, async (t) => {
  const { pools, tasks } = await dirtyHarness(t).poolsWithTasks({ cpu: { size: 1 } });
  const copied = (await pools.cpu(tasks.keptBytes)) as Uint8Array;
  assert.deepEqual([copied.byteLength, copied[0]], [1024, 7]);
  assert.equal(await pools.cpu(tasks.keptLength), 1024, "a copied result leaves the worker's buffer alone");
  const moved = (await pools.call("cpu", tasks.keptBytes, [], { transferResult: true })) as Uint8Array;
  assert.deepEqual([moved.byteLength, moved[0]], [1024, 7]);
  assert.equal(await pools.cpu(tasks.keptLength), 0, "a moved result is detached in the worker");
});
