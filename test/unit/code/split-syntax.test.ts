// Tests for the splitter's reading of JavaScript: the scanner's tokens (regular expressions against divisions,
// templates, comments), what makes a module stay whole and what does not, the rewrites, text it cannot read, and
// lines and columns kept in the segments' text.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are JavaScript source text
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { splitModule } from "../../../src/code/split/index.ts";
import { Scanner } from "../../../src/code/split/scanner.ts";
import {
  EOF,
  IDENT,
  KEYWORD,
  NUMBER,
  PRIVATE,
  PUNCT,
  REGEX,
  STRING,
  TEMPLATE,
  TEMPLATE_HEAD,
  TEMPLATE_MIDDLE,
} from "../../../src/code/split/tokens.ts";
import { CodeError, ErrorCodes } from "../../../src/errors.ts";
import { describeNamespace } from "./fixtures/split/describe.ts";
import { installSplit } from "./fixtures/split/installer.ts";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "split");

const KIND_NAMES: Record<number, string> = {
  [IDENT]: "ident",
  [KEYWORD]: "keyword",
  [NUMBER]: "number",
  [STRING]: "string",
  [TEMPLATE]: "template",
  [TEMPLATE_HEAD]: "template-head",
  [TEMPLATE_MIDDLE]: "template-middle",
  [REGEX]: "regex",
  [PRIVATE]: "private",
  [PUNCT]: "punct",
};

/** The tokens of `text`, as "kind text". */
function tokens(text: string): string[] {
  const scanner = new Scanner(text);
  const found: string[] = [];
  for (scanner.next(); scanner.kind !== EOF; scanner.next()) {
    found.push(`${KIND_NAMES[scanner.kind]} ${text.slice(scanner.start, scanner.end)}`);
  }
  return found;
}

const kinds = (text: string) => tokens(text).map((token) => token.split(" ")[0]);

describe("the scanner", () => {
  test("a / after the end of an expression divides", () => {
    for (const text of [
      "a / b / c",
      "f(x) / 2",
      "a[0] / 2",
      "({}) / 2",
      "a++ / 2",
      "this / 2",
      "x.return / 2",
      "1 / 2",
    ]) {
      assert.ok(!kinds(text).includes("regex"), text);
    }
    assert.deepStrictEqual(tokens("x.if / 2"), ["ident x", "punct .", "ident if", "punct /", "number 2"]);
  });

  test("a / anywhere else starts a regular expression", () => {
    const cases: [string, string][] = [
      ["x = /re/g", "regex /re/g"],
      ["if (x) /}/.test(y)", "regex /}/"],
      ["while (x) /[/]/.test(y)", "regex /[/]/"],
      ["return /x/", "regex /x/"],
      ["typeof /x/", "regex /x/"],
      ["{} /re/.test(s)", "regex /re/"],
      ["f(/a\\/b/)", "regex /a\\/b/"],
      ["[/=/]", "regex /=/"],
      ["x => /y/", "regex /y/"],
      ["a ? /b/ : /c/", "regex /b/"],
      ["++/x/.lastIndex", "regex /x/"],
    ];
    for (const [text, expected] of cases) assert.ok(tokens(text).includes(expected), `${text}: ${tokens(text)}`);
  });

  test("template literals nest, with braces and backquotes inside their substitutions", () => {
    assert.deepStrictEqual(tokens("`a${ { b: `c${d}e` } }f${g}h`"), [
      "template-head `a${",
      "punct {",
      "ident b",
      "punct :",
      "template-head `c${",
      "ident d",
      "template }e`",
      "punct }",
      "template-middle }f${",
      "ident g",
      "template }h`",
    ]);
    assert.deepStrictEqual(tokens("`\\${not} \\` ${'}'}`"), [
      "template-head `\\${not} \\` ${",
      "string '}'",
      "template }`",
    ]);
  });

  test("comments and strings are skipped whole", () => {
    assert.deepStrictEqual(tokens("/* } function f() { */ a // { `\n'/*' \"//\""), [
      "ident a",
      "string '/*'",
      'string "//"',
    ]);
  });

  test("numbers, private names, optional chaining and spreads", () => {
    assert.deepStrictEqual(tokens("x?.5:1e+3"), ["ident x", "punct ?", "number .5", "punct :", "number 1e+3"]);
    assert.deepStrictEqual(tokens("#p in o?.q"), ["private #p", "keyword in", "ident o", "punct ?.", "ident q"]);
    assert.deepStrictEqual(tokens("[...a] 0x1F_FFn"), [
      "punct [",
      "punct ...",
      "ident a",
      "punct ]",
      "number 0x1F_FFn",
    ]);
  });
});

/** Why `text` stays one segment (undefined: it is cut). */
const reason = (text: string): string | undefined => splitModule(text, { filename: "/m.mjs", segmentBytes: 1 }).reason;

describe("what keeps a module whole", () => {
  test("a top-level let or var, or a var outside any function, wherever it stands", () => {
    const cases: [string, RegExp][] = [
      ["let x = 1;", /top-level let/],
      ["export let x = 1;", /top-level let/],
      ["var x = 1;", /top-level var/],
      ["export var x = 1;", /top-level var/],
      ["for (var i = 0; i < 1; i++);", /var outside any function/],
      ["{ var x = 1; }", /var outside any function/],
      ["if (a) { var x = 1; }", /var outside any function/],
      ["switch (a) { case 1: { var x = 1; } }", /var outside any function/],
      ["try {} catch { var x; }", /var outside any function/],
    ];
    for (const [text, expected] of cases) assert.match(reason(`const a = 1;\n${text}`) ?? "(cut)", expected, text);
  });

  test("a var inside a function, a block-scoped let, and words that only look like var do not", () => {
    const cases = [
      "function f() { var x; }",
      "const f = () => { var x; };",
      "const f = function () { var x; };",
      "class A { m() { var x; } static { var y; } get g() { var z; return z; } }",
      "const o = { m() { var x; }, catch(e) { var y; }, if() { var z; } };",
      "class P { catch(e) { var x; } }",
      "{ let x = 1; }",
      "for (let i = 0; i < 1; i++) {}",
      "const o = { var: 1 }; o.var;",
      "const f = async () => { for await (const x of []) { var y = x; } };",
    ];
    for (const text of cases) assert.equal(reason(`const a = 1;\n${text}`), undefined, text);
  });

  test("an assignment to a function or class declaration", () => {
    const cases: [string, RegExp][] = [
      ["function f() {}\nf = 1;", /assignment to the function or class f/],
      ["class A {}\nA = null;", /class A/],
      ["function g() {}\nfunction h() { g++; }", /function or class g/],
      ["function g() {}\nfunction h() { ++g; }", /function or class g/],
      ["function g() {}\nfunction h() { g ??= 1; }", /function or class g/],
    ];
    for (const [text, expected] of cases) assert.match(reason(text) ?? "(cut)", expected, text);
    for (const text of [
      "function f() {}\nclass A { f = 1; }",
      "function f() {}\nconst o = {}; o.f = 1;",
      "function f() {}\nconst x = f === 1;",
      "function f() {}\nconst g = () => f;",
    ]) {
      assert.equal(reason(text), undefined, text);
    }
  });

  test("an identifier spelled with an escape, and a destructuring pattern it cannot read", () => {
    assert.match(reason("const \\u0061 = 1;") ?? "", /\\u escape/);
    assert.match(reason("const { a: b.c } = o;") ?? "", /destructuring pattern/);
  });
});

describe("what the scripts say", () => {
  test("import.meta and import() name the scope's values; the hashbang becomes a comment", () => {
    const text =
      "#!/usr/bin/env node\nexport const a = import.meta.url, b = import . meta;\nexport const c = () => import ('x');\n";
    for (const options of [{ segmentBytes: 1 }, { whole: true }]) {
      const all = splitModule(text, { filename: "/m.mjs", ...options })
        .segments.map((s) => s.source)
        .join("\n");
      assert.match(all, /^\(function \(__otter_scope\) \{"use strict";.*\n\/\/\/usr\/bin\/env node\n/);
      assert.match(all, /__otter_import_meta\.url, b = __otter_import_meta;/);
      assert.match(all, /__otter_import \('x'\)/);
      assert.doesNotMatch(all, /(?<!__otter_)import[ .(]/);
    }
  });

  test("a segment links only the names of others it mentions, and declares its own", () => {
    const text = [
      'import { imported, unused } from "./x.mjs";',
      "export function f() { return g() + imported; }",
      "function g() { return obj.h + C.name; }",
      "class C {}",
    ].join("\n");
    const [first, second, third] = splitModule(text, { filename: "/m.mjs", segmentBytes: 1 }).segments.map(
      (s) => s.source.split("\n", 1)[0],
    );
    assert.match(first!, /let g, imported;$/);
    assert.match(second!, /let h, C;$|let C;$/);
    assert.match(third!, /let C;function __otter_step0\(\) \{;C = $/);
  });

  test("the text keeps its lines and columns", () => {
    const text = readFileSync(join(FIXTURES, "literals.mjs"), "utf8");
    const lines = text.split("\n");
    for (const segmentBytes of [1, 200, 100_000]) {
      for (const segment of splitModule(text, { filename: "/m.mjs", segmentBytes }).segments) {
        const scriptLines = segment.source.split("\n");
        // The wrapper's first line; then the module's, up to the wrapper's closing lines. (A segment's first line of
        // the module's text is the rest of the line the segment before ended on.)
        for (let k = segment.lineOffset < 0 ? 1 : 2; k < scriptLines.length - 2; k++) {
          const line = lines[segment.lineOffset + k]!;
          const code = line.trimStart();
          if (code === "" || /^(export|const|import)\b/.test(code)) continue;
          const column = line.length - code.length;
          assert.equal(scriptLines[k]!.slice(column, column + code.length), code, `line ${segment.lineOffset + k + 1}`);
        }
      }
    }
  });

  test("lines count \\r\\n, \\r, U+2028 and U+2029 as V8 does", async () => {
    const text = [
      "export const a = 1;\r\n",
      "/* \u2028 */ export const b = 2;\r",
      "export const c = 3;\u2029",
      "export function where() {\n",
      "  return new Error('here').stack;\n",
      "}\n",
    ].join("");
    const original = await import(`data:text/javascript,${encodeURIComponent(text)}`);
    const [, line, column] = /:(\d+):(\d+)\)/.exec(original.where())!;
    assert.equal(line, "6", "the U+2028 in the comment ends a line too");
    for (const options of [{ segmentBytes: 1 }, { whole: true }]) {
      const namespace = await installSplit(splitModule(text, { filename: "/lines.mjs", ...options }), "/lines.mjs");
      assert.match((namespace.where as () => string)(), new RegExp(`/lines\\.mjs:${line}:${column}\\)`));
    }
  });
});

/** Asserts that `text`, cut into its smallest segments, behaves as Node's import of it. */
async function behavesAsImported(text: string): Promise<void> {
  const original = await import(`data:text/javascript,${encodeURIComponent(text)}`);
  const split = splitModule(text, { filename: "/m.mjs", segmentBytes: 1 });
  assert.equal(split.split, true, split.reason);
  const installed = await installSplit(split, "/m.mjs");
  assert.deepStrictEqual(await describeNamespace(installed), await describeNamespace(original));
}

describe("modules that read like something else", () => {
  test("methods named import are not dynamic imports; import() in a member's value is", async () => {
    await behavesAsImported(
      [
        "export const o = { import(x) { return x + 1; }, async import2() {}, get import3() { return 3; },",
        '  load: () => import("node:path").then((m) => typeof m.join) };',
        "export class C {",
        "  import(y) { return y * 2; }",
        "  static import() { return 'static'; }",
        "  field = 1",
        "  import2() { return this.field; }",
        '  other = import("node:os").then((m) => typeof m.platform);',
        "}",
        "export const called = [o.import(1), new C().import(2), C.import(), await o.load(), await new C().other];",
      ].join("\n"),
    );
  });

  test("a mention of eval links every name", async () => {
    await behavesAsImported(
      [
        "export function viaEval() { return eval('helper() + constant'); }",
        "function helper() { return 1; }",
        "const constant = 2;",
      ].join("\n"),
    );
  });

  test("names with letters outside ASCII", async () => {
    await behavesAsImported(
      ["export const café = 'crème';", "export function ünïcode() { return café + ñame; }", "const ñame = '!';"].join(
        "\n",
      ),
    );
  });

  test("a minified module: one long line", async () => {
    const functions = Array.from({ length: 400 }, (_, i) => `function f${i}(){return f${(i + 1) % 400}.name+${i}}`);
    await behavesAsImported(`${functions.join(";")};export{f0,f399 as last};export const k=f5();`);
  });

  test("a module of nothing but comments, and an empty one", async () => {
    await behavesAsImported("// nothing here\n/* at all */");
    await behavesAsImported("");
  });
});

describe("text it cannot read", () => {
  const cases: [string, RegExp][] = [
    ['const a = "unterminated;\n', /unterminated string \(line 1, column 11\)/],
    ["const a = 1; /* never closed", /unterminated comment/],
    ["const a = `never ${closed}", /unterminated template/],
    ["const a = /never closed\n;", /unterminated regular expression/],
    ["function f() { return 1;\n", /never closed/],
    ["const a = 1; }", /unmatched \} \(line 1, column 14\)/],
    ["const a = (1];", /unmatched \]/],
    ['import { a as } from "x";', /expected a name/],
    ['import a "x";', /expected from/],
    ["export + 1;", /export it does not know/],
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} is CODE_BAD_MODULE`, () => {
      assert.throws(
        () => splitModule(text, { filename: "/bad.mjs" }),
        (error: unknown) => {
          assert.ok(error instanceof CodeError);
          assert.equal(error.code, ErrorCodes.CODE_BAD_MODULE);
          assert.match(error.message, /^\/bad\.mjs does not read as a module: /);
          assert.match(error.message, expected);
          return true;
        },
      );
    });
  }
});
