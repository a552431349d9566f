// The splitter on the code-load benchmark's generated module of 20,000 functions (about 4 MB): how long reading
// and cutting it take (printed, not asserted: timed assertions do not belong in tests), and that, cut at the
// default size, it installs to what Node's own import of it gives.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { type SplitModule, splitModule } from "../../../src/code/split/index.ts";
import { readModule } from "../../../src/code/split/top-level.ts";
import { installSplit } from "./fixtures/split/installer.ts";

/** The benchmark generator's "funs" module: `count` exported functions, each referring to the next. */
function generatedFunctions(count: number): string {
  const functions: string[] = [];
  for (let i = 0; i < count; i++) {
    functions.push(`export function f${i}(x) {
  if (typeof x === "number") return [x + ${i}, x * ${(i % 97) + 1}, [x, ${i}, "f${i}"]];
  if (Array.isArray(x)) return [${i}, ...x].reverse();
  return ["error", x, ${i}, f${(i + 1) % count}];
}`);
  }
  return `${functions.join("\n")}\n`;
}

function timed(runs: number, work: () => void): string {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return `first ${ms(times[0]!)}, best ${ms(sorted[0]!)}, median ${ms(sorted[runs >> 1]!)}`;
}

test("20,000 generated functions: timed, then installed as Node imports them", { timeout: 120_000 }, async (t) => {
  const count = 20_000;
  const text = generatedFunctions(count);
  const directory = mkdtempSync(join(tmpdir(), "otter-split-"));
  const path = join(directory, "bigfun20k.mjs");
  try {
    writeFileSync(path, text);
    let split: SplitModule | undefined;
    const cutting = timed(8, () => {
      split = splitModule(text, { filename: path });
    });
    const reading = timed(8, () => readModule(text));
    const size = `${(text.length / 1e6).toFixed(1)} MB`;
    t.diagnostic(`splitModule, ${size}, ${split!.segments.length} segments: ${cutting}`);
    t.diagnostic(`of which scanning and reading its statements: ${reading}`);

    assert.equal(split!.split, true);
    assert.equal(split!.exports.length, count);
    const original = await import(pathToFileURL(path).href);
    const installed = await installSplit(split!, path);
    assert.deepStrictEqual(Object.keys(installed).sort(), Object.keys(original).sort());
    for (const i of [0, 1, 2, 330, 331, 9_999, count - 1]) {
      const name = `f${i}`;
      type Generated = (x: unknown) => unknown[];
      const [ours, theirs] = [installed[name] as Generated, original[name] as Generated];
      assert.deepStrictEqual(ours(7), theirs(7));
      assert.deepStrictEqual(ours([1, 2]), theirs([1, 2]));
      // The last element is the next function: another segment's, for the last function of each segment.
      const [next, theirNext] = [ours("x").at(-1) as () => void, theirs("x").at(-1) as () => void];
      assert.equal(next.name, theirNext.name);
      assert.deepStrictEqual((next as (x: unknown) => unknown)(5), (theirNext as (x: unknown) => unknown)(5));
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
