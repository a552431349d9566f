// Tests for how the shell prepares an input: esbuild's output cut into top-level statements (past strings,
// templates, regular expressions and comments), declarations turned into assignments with the names they bind,
// functions hoisted, imports made dynamic, the last expression kept as the value, and incomplete input told apart.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bindingNames, type PreparedInput, prepareInput } from "../../../src/node/shell-source.ts";
import { splitStatements, tokenize } from "../../../src/node/shell-tokens.ts";

async function code(source: string): Promise<Extract<PreparedInput, { kind: "code" }>> {
  const prepared = await prepareInput(source);
  assert.equal(prepared.kind, "code", JSON.stringify(prepared));
  return prepared as Extract<PreparedInput, { kind: "code" }>;
}

describe("shell input", () => {
  test("statements start at the start of a line, outside brackets, strings, templates and regexps", () => {
    const js = [
      'a = "x\\"\\n" + `t',
      "${ {b: `",
      "`} }",
      "`; // a comment",
      "if (a) b();",
      "else c();",
      'r = /[/]"/g; /* a',
      "comment */",
      "do",
      "  x();",
      "while (y);",
      "z;",
    ].join("\n");
    const statements = splitStatements(tokenize(js)).map((s) => s.map((t) => t.text).join(" "));
    assert.deepEqual(
      statements.map((s) => s.split(" ")[0]),
      ["a", "if", "r", "do", "z"],
    );
  });

  test("the names a binding pattern binds", () => {
    const names = (pattern: string) => bindingNames(tokenize(pattern));
    assert.deepEqual(names("x"), ["x"]);
    assert.deepEqual(names("{ a, b: [c, , d = f(1, 2)], [k]: e, 'q': g, ...rest }"), ["a", "c", "d", "e", "g", "rest"]);
    assert.deepEqual(names("[first, { inner = { z: 1 } }, ...others]"), ["first", "inner", "others"]);
  });

  test("declarations become assignments; the names are returned", async () => {
    const prepared = await code("const a = 1, { b } = o; let c;\nvar d: number = 2");
    assert.equal(prepared.body, "(a = 1, { b } = o);\n(c = void 0);\n(d = 2);");
    assert.deepEqual([...prepared.names].sort(), ["a", "b", "c", "d"]);
    assert.equal(prepared.last, undefined);
  });

  test("functions are hoisted, classes assigned where they stand, the last expression is the value", async () => {
    const prepared = await code("g();\nclass K {}\nasync function g() {}\nfunction* h() {}\n1 + 2;");
    assert.equal(prepared.body, "g = async function g() {\n};\nh = function* h() {\n};\ng();\nK = class K {\n};");
    assert.equal(prepared.last, "1 + 2");
    assert.deepEqual([...prepared.names].sort(), ["K", "g", "h"]);
  });

  test("imports become dynamic imports bound in the session", async () => {
    const prepared = await code("import d, { a as b, c } from 'm'\nimport * as ns from 'n'\nimport 'side'");
    assert.equal(
      prepared.body,
      '({ default: d, a: b, c: c } = await import("m"));\n(ns = await import("n"));\nawait import("side");',
    );
    assert.deepEqual([...prepared.names].sort(), ["b", "c", "d", "ns"]);
  });

  test("statements that are not expressions give no value", async () => {
    for (const source of ["if (a) 1;", "for (;;) break;", "label: { }", "{ let x = 1; x; }", "throw e"]) {
      assert.equal((await code(source)).last, undefined, source);
    }
  });

  test("an input cut short is incomplete; other errors are syntax errors with the place", async () => {
    assert.equal((await prepareInput("const o = {")).kind, "incomplete");
    assert.equal((await prepareInput("`open template")).kind, "incomplete");
    const bad = await prepareInput("let = = 1");
    assert.equal(bad.kind, "syntax");
    assert.match((bad as { message: string }).message, /^SyntaxError: .+ \(shell:1:\d+\)\n {2}let = = 1\n +\^$/);
  });
});
