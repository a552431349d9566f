// Tests for the module splitter against Node's own loader: each fixture module, imported as it is and installed from
// its segments (cut as small as they go, at the default size, and whole), does the same things.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type SplitModule, splitModule } from "../../../src/code/split/index.ts";
import { describeNamespace } from "./fixtures/split/describe.ts";
import { installSplit } from "./fixtures/split/installer.ts";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "split");

/** Each fixture, and why it stays one segment (undefined: it is cut). */
const CASES: { file: string; whole?: RegExp }[] = [
  { file: "declarations.mjs" },
  { file: "imports.mjs" },
  { file: "literals.mjs" },
  { file: "statements.mjs" },
  { file: "default-expression.mjs" },
  { file: "default-function.mjs" },
  { file: "default-class.mjs" },
  { file: "top-level-await.mjs" },
  { file: "import-meta.mjs" },
  { file: "hashbang.mjs" },
  { file: "asi.mjs" },
  { file: "falls-back-let.mjs", whole: /top-level let/ },
  { file: "falls-back-var.mjs", whole: /var outside any function/ },
  { file: "falls-back-reassign.mjs", whole: /assignment to the function or class handler/ },
];

function fixture(file: string): { path: string; text: string } {
  const path = join(FIXTURES, file);
  return { path, text: readFileSync(path, "utf8") };
}

/** What the original module's namespace does (described once: its functions may change its state). */
const originals = new Map<string, Promise<Record<string, unknown>>>();
function original(file: string): Promise<Record<string, unknown>> {
  let described = originals.get(file);
  if (described === undefined) {
    described = import(pathToFileURL(join(FIXTURES, file)).href).then(describeNamespace);
    originals.set(file, described);
  }
  return described;
}

async function installed(split: SplitModule, path: string): Promise<Record<string, unknown>> {
  return describeNamespace(await installSplit(split, path));
}

describe("split modules behave as the original", () => {
  for (const { file, whole } of CASES) {
    test(`${file}, cut into the smallest segments`, async () => {
      const { path, text } = fixture(file);
      const split = splitModule(text, { filename: path, segmentBytes: 1 });
      if (whole === undefined) {
        assert.equal(split.split, true, split.reason);
        assert.ok(split.segments.length > 1, `${split.segments.length} segments`);
      } else {
        assert.equal(split.split, false);
        assert.match(split.reason ?? "", whole);
        assert.equal(split.segments.length, 1);
      }
      assert.deepStrictEqual(await installed(split, path), await original(file));
    });

    test(`${file}, at the default segment size`, async () => {
      const { path, text } = fixture(file);
      const split = splitModule(text, { filename: path });
      assert.equal(split.segments.length, 1);
      assert.deepStrictEqual(await installed(split, path), await original(file));
    });

    test(`${file}, prepared whole`, async () => {
      const { path, text } = fixture(file);
      const split = splitModule(text, { filename: path, whole: true });
      assert.equal(split.split, false);
      assert.equal(split.reason, "prepared whole on request");
      assert.deepStrictEqual(await installed(split, path), await original(file));
    });
  }
});

describe("what a split module declares", () => {
  test("imports, with their bindings, literals and re-exports", () => {
    const { path, text } = fixture("imports.mjs");
    const split = splitModule(text, { filename: path, segmentBytes: 64 });
    const dep = "./dep.mjs";
    assert.deepStrictEqual(split.imports.slice(0, 9), [
      { specifier: dep, bindings: [{ imported: "default", local: "greet" }] },
      {
        specifier: dep,
        bindings: [
          { imported: "one", local: "one" },
          { imported: "two", local: "deux" },
        ],
      },
      { specifier: dep, bindings: [{ imported: "*", local: "depNamespace" }] },
      {
        specifier: dep,
        bindings: [
          { imported: "default", local: "greetAgain" },
          { imported: "add", local: "add" },
        ],
      },
      {
        specifier: dep,
        bindings: [
          { imported: "default", local: "greetThird" },
          { imported: "*", local: "depAgain" },
        ],
      },
      {
        specifier: dep,
        bindings: [
          { imported: "default", local: "greetFourth" },
          { imported: "add", local: "addByString" },
        ],
      },
      { specifier: "./side-effect.mjs", bindings: [] },
      { specifier: "./data.json", bindings: [{ imported: "default", local: "data" }], literal: "json" },
      { specifier: dep, bindings: [{ imported: "Base", local: "Base" }] },
    ]);
    assert.deepStrictEqual(split.exportAllFrom, [dep]);
    const reexported = split.exports.filter(({ local }) => local.startsWith("__otter_reexport_"));
    assert.deepStrictEqual(
      reexported.map(({ exported }) => exported),
      ["sideEffects", "depDefault", "Base Class", "everything"],
    );
  });

  test("a default import of .json or .etf is a literal; a named import is not", () => {
    const text = [
      'import table from "./table.etf";',
      'import config from "./config.json" with { type: "json" };',
      'import { named } from "./other.json";',
      "export const both = [table, config, named];",
    ].join("\n");
    const { imports } = splitModule(text, { filename: "/m.mjs" });
    assert.deepStrictEqual(
      imports.map((i) => i.literal),
      ["etf", "json", undefined],
    );
  });

  test("segments stay under the size, unless one statement is bigger", () => {
    const functions = (prefix: string) =>
      Array.from({ length: 200 }, (_, i) => `export function ${prefix}${i}() { return ${i}; }`);
    const big = `export const big = [${"1, ".repeat(2000)}];`;
    const lines = [...functions("f"), big, ...functions("g")];
    const split = splitModule(`${lines.join("\n")}\n`, { filename: "/m.mjs", segmentBytes: 1000 });
    // The module's text in each segment: its lines of code, without the wrapper's.
    const code = split.segments.map((s) =>
      s.source.split("\n").filter((line) => /function [fg]\d|big = \[/.test(line)),
    );
    assert.deepStrictEqual(code.flat().length, lines.length, "every line is in one segment");
    const sizes = code.map((segment) => segment.join("\n").length);
    const oversized = sizes.filter((size) => size > 1000);
    assert.equal(oversized.length, 1, `only the big statement's segment is oversized: ${sizes}`);
    assert.ok(oversized[0]! >= big.length);
    const functionsLength = lines.join("\n").length - big.length;
    assert.ok(split.segments.length > functionsLength / 1000, `${split.segments.length} segments`);
  });

  test("an import or export list does not make a segment of its own", () => {
    const text = 'import { a } from "./a.mjs";\nimport { b } from "./b.mjs";\nexport { a, b };\nexport const c = a;\n';
    const split = splitModule(text, { filename: "/m.mjs", segmentBytes: 1 });
    assert.equal(split.segments.length, 1);
  });
});

describe("line and column numbers", () => {
  const frames = (stack: unknown): string[] =>
    [...String(stack).matchAll(/stack-lines\.mjs:(\d+):(\d+)/g)].map(([, line, column]) => `${line}:${column}`);

  for (const segmentBytes of [1, 64, 100_000]) {
    test(`stack traces show the module's own lines and columns (segments of ${segmentBytes})`, async () => {
      const { path, text } = fixture("stack-lines.mjs");
      const namespace = await import(pathToFileURL(path).href);
      const split = await installSplit(splitModule(text, { filename: path, segmentBytes }), path);
      const whole = await installSplit(splitModule(text, { filename: path, whole: true }), path);
      for (const ns of [split, whole]) {
        const thrower = ns.Thrower as { where(): string };
        assert.deepStrictEqual(frames((ns.throwsHere as () => string)()), frames(namespace.throwsHere()));
        // Its line; not its column when it follows a statement on its line and the two are one segment.
        const sameLine = frames((ns.sameLine as () => string)())[0]!;
        const expected = frames(namespace.sameLine())[0]!;
        if (segmentBytes < 100) assert.equal(sameLine, expected);
        else assert.equal(sameLine.split(":")[0], expected.split(":")[0]);
        assert.deepStrictEqual(frames(thrower.where()).slice(0, 1), frames(namespace.Thrower.where()).slice(0, 1));
        const [made, inDefault] = (ns.default as () => string[])();
        const [originalMade, originalInDefault] = namespace.default();
        assert.deepStrictEqual(frames(made).slice(0, 1), frames(originalMade).slice(0, 1));
        assert.deepStrictEqual(frames(inDefault).slice(0, 1), frames(originalInDefault).slice(0, 1));
      }
    });
  }
});
