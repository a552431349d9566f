// The preparing worker's warm-up corpus: it must exercise the splitter's real work (a module that is cut, whose
// segments compile and install) and the literal indexers, or the warm-up would warm the wrong paths.
import assert from "node:assert/strict";
import { test } from "node:test";
import vm from "node:vm";
import { splitModule } from "../../../src/code/split/index.ts";
import { WARM_UP_ROUNDS, warmUpModule, warmUpRound } from "../../../src/code/warm-up.ts";

test("the warm-up module is cut into segments that compile, with its imports, exports and literal", () => {
  const split = splitModule(warmUpModule(7), { filename: "warm-up-7.js", segmentBytes: 16 * 1024 });
  assert.equal(split.split, true, split.reason);
  assert.ok(split.segments.length > 4, `${split.segments.length} segments`);
  for (const segment of split.segments) new vm.Script(segment.source, { filename: segment.filename });
  assert.deepEqual(
    split.imports.map((i) => [i.specifier, i.literal]),
    [
      ["node:fs", undefined],
      ["node:path", undefined],
      ["./data.json", "json"],
      ["./other.js", undefined],
      ["node:path", undefined],
    ],
  );
  assert.deepEqual(split.exportAllFrom, ["./other.js"]);
  const exported = new Set(split.exports.map((e) => e.exported));
  for (const name of ["limit7_0", "Shape7_119", "walk7_5", "check7_9", "t7_3", "joinPath", "default"]) {
    assert.ok(exported.has(name), name);
  }
});

test("every warm-up round runs: its module cuts and its literals index", () => {
  for (let round = 0; round < WARM_UP_ROUNDS; round++) warmUpRound(round);
});
