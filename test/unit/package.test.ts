// The package as users see it: the root exports, the hidden internals, and the `otter` command.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";

describe("package surface", () => {
  test("the root exports the codec, the term model and its constructors", async () => {
    const otter = await import("otter");
    for (const name of ["encode", "encodeIovec", "decode", "decodePrefix", "atom", "tuple", "map", "format", "parse"]) {
      assert.equal(typeof (otter as Record<string, unknown>)[name], "function", name);
    }
    for (const name of ["Tuple", "ErlMap", "Float", "Pid", "Ref", "Port", "BitString", "ImproperList", "OtterError"]) {
      assert.equal(typeof (otter as Record<string, unknown>)[name], "function", name);
    }
    assert.deepEqual([...otter.encode(otter.tuple(otter.atom("ok"), 1))], [131, 104, 2, 119, 2, 111, 107, 97, 1]);
  });

  test("the test kit is its own entry point", async () => {
    const testing = await import("otter/testing");
    assert.equal(typeof testing.ErlOracle.start, "function");
  });

  test("internals are not importable", async () => {
    await assert.rejects(import("otter/dist/term/atom.js" as string), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
    await assert.rejects(import("otter/src/index.ts" as string), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
  });
});

describe("the otter command", () => {
  function otter(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ["bin/otter.js", ...args], { encoding: "utf8", timeout: 20_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test("encode and decode", () => {
    assert.deepEqual(otter("encode", "{ok,[1,2]}"), {
      status: 0,
      stdout: "<<131,104,2,119,2,111,107,107,0,2,1,2>>\n",
      stderr: "",
    });
    assert.equal(otter("encode", "--hex", "[a|b]").stdout, "836c00000001770161770162\n");
    assert.equal(otter("decode", "836c00000001770161770162").stdout, "[a|b]\n");
  });

  test("bad input is a typed error with exit code 1; bad usage exits 2", () => {
    const truncated = otter("decode", "8368");
    assert.equal(truncated.status, 1);
    assert.match(truncated.stderr, /ETF_TRUNCATED/);
    assert.match(otter("encode", "{ok").stderr, /TERM_PARSE/);
    assert.equal(otter("frobnicate").status, 2);
    assert.equal(otter("decode", "xyz").status, 2);
  });
});
