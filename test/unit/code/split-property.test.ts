// Property of the module splitter: random modules of top-level declarations (functions, consts, destructuring,
// classes, statements, exports, top-level await) cut at random sizes install to namespaces that behave as Node's
// own import of the same text.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { splitModule } from "../../../src/code/split/index.ts";
import { describeNamespace } from "./fixtures/split/describe.ts";
import { installSplit } from "./fixtures/split/installer.ts";

/** One top-level declaration or statement (its place in the module numbers the names it declares). */
type Piece =
  | { kind: "pure" }
  | { kind: "function"; refs: number[]; async: boolean }
  | { kind: "const"; init: number; awaited: boolean }
  | { kind: "destructure"; init: number }
  | { kind: "class"; base: number; refs: number[] }
  | { kind: "statement"; init: number };

const arbPiece: fc.Arbitrary<Piece> = fc.oneof(
  fc.record({ kind: fc.constant("pure" as const) }),
  fc.record({
    kind: fc.constant("function" as const),
    refs: fc.array(fc.nat(), { maxLength: 4 }),
    async: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("const" as const), init: fc.nat(), awaited: fc.boolean() }),
  fc.record({ kind: fc.constant("destructure" as const), init: fc.nat() }),
  fc.record({ kind: fc.constant("class" as const), base: fc.nat(), refs: fc.array(fc.nat(), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("statement" as const), init: fc.nat() }),
);

/** Text between statements: white space, and comments that look like code. */
const SEPARATORS = ["\n", "\n\n", " ", "\n/* } { export const no = 1; */\n", "\n// function no() {\n", ";\n"];

interface Generated {
  readonly text: string;
  readonly exported: readonly string[];
}

/** A module of the pieces; every name a piece reads while the module runs is declared before it (no TDZ errors). */
function generate(pieces: readonly Piece[], exportMask: readonly boolean[], separators: number[]): Generated {
  const lines: string[] = ["export const log = [];"];
  const exported: string[] = ["log"];
  const declared: string[] = []; // names any function may read once the module has run
  const ready: string[] = []; // names initialised so far (a const initialiser may read them)
  const classes: string[] = [];
  const pures: string[] = [];
  pieces.forEach((piece, i) => {
    if (piece.kind === "pure") pures.push(`p${i}`);
  });
  const pick = <T>(list: readonly T[], n: number): T | undefined =>
    list.length === 0 ? undefined : list[n % list.length];
  /** An expression that is safe to evaluate here. */
  const initializer = (n: number): string => {
    const choices = [
      () => `${n % 1000}`,
      () => JSON.stringify(`s}{/${n % 7}`),
      () => `\`t\${${n % 13} + 1}{}\``,
      () => `/[}\\/]${n % 5}/.source`,
      () => {
        const pure = pick(pures, n);
        return pure === undefined ? `${n}` : `${pure}(${n % 9})`;
      },
      () => {
        const earlier = pick(ready, n);
        return earlier === undefined ? `"none"` : `String(${earlier}) + "!"`;
      },
      () => {
        const klass = pick(classes, n);
        return klass === undefined ? "null" : `new ${klass}().constructor.name`;
      },
    ];
    return choices[n % choices.length]!();
  };
  const reference = (n: number): string => `(typeof N${n} === "undefined" ? "-" : N${n})`;
  const body: string[] = [];
  pieces.forEach((piece, i) => {
    const maybeExport = exportMask[i] ? "export " : "";
    switch (piece.kind) {
      case "pure":
        body.push(`${maybeExport}function p${i}(x) { return [x, ${i}, "{", /}/.source]; }`);
        declared.push(`p${i}`);
        break;
      case "function": {
        const refs = piece.refs.map(reference).join(", ");
        body.push(`${maybeExport}${piece.async ? "async " : ""}function f${i}() { return [${refs}]; }`);
        declared.push(`f${i}`);
        break;
      }
      case "const":
        body.push(`${maybeExport}const c${i} = ${piece.awaited ? "await " : ""}${initializer(piece.init)};`);
        declared.push(`c${i}`);
        ready.push(`c${i}`);
        break;
      case "destructure":
        body.push(
          `${maybeExport}const { a: c${i}, b: [d${i} = ${initializer(piece.init)}], ...r${i} } = { a: ${initializer(piece.init + 1)}, b: [], z: 1 };`,
        );
        declared.push(`c${i}`, `d${i}`, `r${i}`);
        ready.push(`c${i}`, `d${i}`, `r${i}`);
        break;
      case "class": {
        const base = pick(classes, piece.base);
        const refs = piece.refs.map(reference).join(", ");
        const heritage = base === undefined || piece.base % 3 === 0 ? "" : ` extends ${base}`;
        body.push(
          `${maybeExport}class K${i}${heritage} { static tag = ${initializer(piece.base)}; m() { return [${refs}]; } }`,
        );
        declared.push(`K${i}`);
        ready.push(`K${i}`);
        classes.push(`K${i}`);
        break;
      }
      case "statement":
        body.push(`log.push(${initializer(piece.init)});`);
        break;
    }
    if (exportMask[i] && piece.kind !== "statement")
      exported.push(...declared.slice(-(piece.kind === "destructure" ? 3 : 1)));
  });
  // References N<n> point at declared names, by number.
  const resolved = body.map((line) =>
    line.replace(/\(typeof N(\d+) === "undefined" \? "-" : N\d+\)/g, (_, n: string) => {
      const name = declared[Number(n) % Math.max(1, declared.length)];
      return name === undefined ? `"-"` : `(typeof ${name} === "function" ? ${name}.name : ${name})`;
    }),
  );
  // A list exporting a few names that were not exported where declared (it may come before or after them).
  const unexported = declared.filter((name) => !exported.includes(name)).slice(0, 2);
  if (unexported.length > 0) {
    const at = separators[0]! % (resolved.length + 1);
    resolved.splice(at, 0, `export { ${unexported.map((name) => `${name} as e_${name}`).join(", ")} };`);
  }
  lines.push(...resolved);
  const text = lines
    .map((line, i) => line + SEPARATORS[separators[i % separators.length]! % SEPARATORS.length])
    .join("");
  return { text, exported };
}

let generation = 0;

test("random modules cut at random sizes behave as Node's import of them", { timeout: 300_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(arbPiece, { minLength: 1, maxLength: 14 }),
      fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 400 }),
      async (pieces, exportMask, separators, segmentBytes) => {
        const { text } = generate(pieces, exportMask, separators);
        // A comment makes each text (and so each data: URL) new to the module cache.
        const source = `${text}\n// module ${generation++}\n`;
        const original = await describeNamespace(
          await import(`data:text/javascript,${encodeURIComponent(source)}`).catch((error: Error) => {
            throw new Error(`the generated module does not load: ${error.message}\n${source}`);
          }),
        );
        const split = splitModule(source, { filename: "/generated/module.mjs", segmentBytes });
        assert.equal(split.split, true, `${split.reason}\n${source}`);
        const installed = await describeNamespace(await installSplit(split, "/generated/module.mjs"));
        assert.deepStrictEqual(installed, original, source);
      },
    ),
    { numRuns: 150 },
  );
});
