// A WebAssembly module loaded into the dirty pools: its exported functions run on a worker, and inline when its
// module may run on the main thread and the call is cheap.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { dirtyHarness } from "./fixtures/harness.ts";

/** `(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))`, assembled. */
const ADD_WASM = Uint8Array.from([
  // magic, version
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  // type section: one type, (i32, i32) → i32
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
  // function section: one function of type 0
  0x03, 0x02, 0x01, 0x00,
  // export section: "add" is function 0
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
  // code section: local.get 0, local.get 1, i32.add, end
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
]);

async function wasmFile(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "otter-wasm-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "add.wasm");
  await writeFile(path, ADD_WASM);
  return path;
}

test("a .wasm module's exports run on a worker", { timeout: 20_000 }, async (t) => {
  const pools = dirtyHarness(t).pools({ cpu: { size: 1 } });
  const { add } = await pools.load<{ add: (a: number, b: number) => number }>(await wasmFile(t));
  assert.equal(await pools.cpu(add, 2, 3), 5);
  assert.equal(await pools.cpu(add, 2_147_483_647, 1), -2_147_483_648, "i32 arithmetic wraps");
  const stats = pools.stats();
  assert.equal(stats.cpu?.calls, 2);
  assert.deepEqual(
    stats.functions.filter((f) => f.name === "add").map((f) => [f.dirtyCalls, f.inlineCalls]),
    [[2, 0]],
  );
});

test("a .wasm module allowed on the main thread runs its cheap functions inline", { timeout: 20_000 }, async (t) => {
  const pools = dirtyHarness(t).pools({ cpu: { size: 1 } });
  const { add } = await pools.load<{ add: (a: number, b: number) => number }>(await wasmFile(t), {
    mainThread: true,
  });
  for (let i = 0; i < 20; i++) assert.equal(await pools.cpu(add, i, 1), i + 1);
  const [timing] = pools.stats().functions.filter((f) => f.name === "add");
  assert.ok(timing !== undefined && timing.inlineCalls > 0, `inline calls: ${JSON.stringify(timing)}`);
  assert.equal(await pools.call("cpu", add, [4, 5], { where: "dirty" }), 9);
});
