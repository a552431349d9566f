// Tests for term text printing: exact strings, the lossless identifier forms, depth, and a live `erl` reference.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TermError } from "../../../src/errors.ts";
import { atom } from "../../../src/term/atom.ts";
import { format } from "../../../src/term/format.ts";
import { map } from "../../../src/term/map.ts";
import { parse } from "../../../src/term/parse.ts";
import {
  BitString,
  ErlFun,
  ExportFun,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  type Term,
  tuple,
} from "../../../src/term/types.ts";

const LOCAL = atom("nonode@nohost");
const REMOTE = atom("a@host.example");

test("atoms are bare when Erlang writes them bare, else quoted with escapes", () => {
  const cases: [string, string][] = [
    ["ok", "ok"],
    ["a_B@1", "a_B@1"],
    ["hello world", "'hello world'"],
    ["Foo", "'Foo'"],
    ["_x", "'_x'"],
    ["", "''"],
    ["it's", "'it\\'s'"],
    ['a"b', "'a\"b'"],
    ["back\\slash", "'back\\\\slash'"],
    ["a\nb\u0001\u007f", "'a\\nb\\001\\d'"],
    ["end", "'end'"],
    ["maybe", "maybe"],
    ["[]", "'[]'"],
    ["é", "é"],
    ["Émile", "'Émile'"],
    ["日本", "'日本'"],
    ["a\u00d7b", "'a×b'"],
  ];
  for (const [name, text] of cases) assert.equal(format(atom(name)), text, name);
  assert.equal(format(true), "true");
  assert.equal(format(false), "false");
});

test("integers: numbers, bigints, and integral JS numbers past 2^53", () => {
  assert.equal(format(0), "0");
  assert.equal(format(-0), "0");
  assert.equal(format(-42), "-42");
  assert.equal(format(2 ** 64), "18446744073709551616");
  assert.equal(format(-(2n ** 70n)), "-1180591620717411303424");
  assert.equal(format(5n), "5");
});

test("floats print float_to_list(F, [short]) style", () => {
  const cases: [number | Float, string][] = [
    [new Float(1), "1.0"],
    [0.1, "0.1"],
    [new Float(-0), "-0.0"],
    [new Float(0), "0.0"],
    [new Float(1e308), "1.0e308"],
    [5e-324, "5.0e-324"],
    [new Float(100), "100.0"],
    [new Float(1000), "1.0e3"],
    [new Float(123456789), "123456789.0"],
    [new Float(2 ** 53), "9.007199254740992e15"],
    [new Float(1234567891234567), "1234567891234567.0"],
    [0.0001, "0.0001"],
    [0.00001, "1.0e-5"],
    [0.00123, "0.00123"],
    [1.2345e-4, "1.2345e-4"],
    [-1.5, "-1.5"],
    [1 / 3, "0.3333333333333333"],
    [new Float(1.5), "1.5"],
  ];
  for (const [x, text] of cases) assert.equal(format(x), text, String(x));
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => format(bad), TermError);
});

test("binaries print as ~tp prints them", () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  assert.equal(format(bytes()), "<<>>");
  assert.equal(format(bytes(97, 98, 99)), '<<"abc">>');
  assert.equal(format(Buffer.from("abc")), '<<"abc">>');
  assert.equal(format("abc"), '<<"abc">>');
  assert.equal(format("héllo"), '<<"héllo"/utf8>>');
  assert.equal(format("日本"), "<<230,151,165,230,156,172>>");
  assert.equal(format(bytes(233)), '<<"é">>');
  assert.equal(format(bytes(1, 2, 3)), "<<1,2,3>>");
  assert.equal(format(bytes(127)), "<<127>>");
  assert.equal(format(bytes(10, 9, 27, 34, 92)), '<<"\\n\\t\\e\\"\\\\">>');
  assert.equal(format(bytes(0xef, 0xbb, 0xbf)), "<<239,187,191>>");
  assert.equal(format(new BitString(bytes(1, 0b0100_0000), 3)), "<<1,2:3>>");
  assert.equal(format(new BitString(bytes(0b1010_0000), 3)), "<<5:3>>");
});

test("lists, strings, improper lists, tuples and maps", () => {
  assert.equal(format([]), "[]");
  assert.equal(format([97, 98, 99]), '"abc"');
  assert.equal(format([97, 10, 34]), '"a\\n\\""');
  assert.equal(format([97n, 98n]), '"ab"');
  assert.equal(format([97, 0]), "[97,0]");
  assert.equal(format([1000, 2000]), "[1000,2000]");
  assert.equal(format([97, new Float(98)]), "[97,98.0]");
  assert.equal(format([[], [97]]), '[[],"a"]');
  assert.equal(format(new ImproperList([1, 2], atom("x"))), "[1,2|x]");
  assert.equal(format(new ImproperList([97], new ImproperList([98], 99))), "[97,98|99]");
  assert.equal(format(tuple()), "{}");
  assert.equal(format(tuple(atom("ok"), "abc", new ImproperList([1, 2], atom("x")))), '{ok,<<"abc">>,[1,2|x]}');
  assert.equal(format(map()), "#{}");
  assert.equal(
    format(
      map([
        [atom("b"), 2],
        [atom("a"), 1],
      ]),
    ),
    "#{a => 1,b => 2}",
  );
  assert.equal(
    format(
      map([
        [new Float(1), atom("b")],
        [1, atom("a")],
      ]),
    ),
    "#{1 => a,1.0 => b}",
  );
});

test("pids, refs and ports of the local node print as Erlang prints them", () => {
  assert.equal(format(new Pid(LOCAL, 42, 0, 0)), "<0.42.0>");
  assert.equal(format(new Ref(LOCAL, 0, [3, 2, 1])), "#Ref<0.1.2.3>");
  assert.equal(format(new Port(LOCAL, 5, 0)), "#Port<0.5>");
  const options = { localNode: REMOTE, localCreation: 7 };
  assert.equal(format(new Pid(REMOTE, 42, 1, 7), options), "<0.42.1>");
  assert.equal(format(new Port(REMOTE, 2n ** 60n, 7), options), "#Port<0.1152921504606846976>");
});

test("other nodes' identifiers keep the node name and creation", () => {
  assert.equal(format(new Pid(REMOTE, 42, 0, 3)), "#Pid<'a@host.example'.3.42.0>");
  assert.equal(format(new Ref(REMOTE, 3, [1])), "#Ref<'a@host.example'.3.1>");
  assert.equal(format(new Port(REMOTE, 5, 3)), "#Port<'a@host.example'.3.5>");
  // Same name, other creation: another incarnation of the node, so not local.
  assert.equal(format(new Pid(LOCAL, 42, 0, 1)), "#Pid<'nonode@nohost'.1.42.0>");
});

test("funs: export funs as Erlang, local funs in the lossless long form", () => {
  assert.equal(format(new ExportFun(atom("lists"), atom("map"), 2)), "fun lists:map/2");
  assert.equal(format(new ExportFun(atom("Elixir.Enum"), atom("+"), 0)), "fun 'Elixir.Enum':'+'/0");
  const uniq = Uint8Array.from({ length: 16 }, (_, i) => i);
  const f = new ErlFun(atom("probe"), 1, uniq, 3, 4, 39219873, new Pid(LOCAL, 9, 0, 0), [atom("a"), [98]]);
  assert.equal(format(f), '#Fun<probe.3.39219873.1.4.16#000102030405060708090A0B0C0D0E0F.<0.9.0>.[a,"b"]>');
});

test("a value that is not a term is refused", () => {
  assert.throws(() => format({} as unknown as Term), TermError);
});

test("a list nested 1,000,000 deep prints without overflowing the stack", () => {
  const depth = 1_000_000;
  let t: Term = [];
  for (let i = 0; i < depth; i++) t = [t];
  assert.equal(format(t), `${"[".repeat(depth + 1)}${"]".repeat(depth + 1)}`);
  let m: Term = 0;
  for (let i = 0; i < depth; i++) m = i % 2 === 0 ? tuple(atom("k"), m) : map([[atom("v"), m]]);
  assert.equal(format(m), `${"#{v => {k,".repeat(depth / 2)}0${"}}".repeat(depth / 2)}`);
});

// ---- The reference: real erl -----------------------------------------------------------------------------

/** Erlang source for a term, and the text `parse` gets when Erlang source cannot spell the term directly. */
interface ReferenceCase {
  erl: string;
  otter?: string;
}

const REFERENCE_CASES: ReferenceCase[] = [
  { erl: "ok" },
  { erl: "'hello world'" },
  { erl: "'Foo'" },
  { erl: "''" },
  { erl: "'it\\'s'" },
  { erl: "'a\\nb'" },
  { erl: "'\\x{1}a'" },
  { erl: "'é'" },
  { erl: "'Émile'" },
  { erl: "'日本'" },
  { erl: "'hello\\x{1F600}'" },
  { erl: "'end'" },
  { erl: "maybe" },
  { erl: "'[]'" },
  { erl: "'a.b'" },
  { erl: "a_B@1" },
  { erl: "{true,false,'$a','\\''}" },
  { erl: "0" },
  { erl: "-1" },
  { erl: "16#FF" },
  { erl: "18446744073709551616" },
  { erl: "-1180591620717411303424" },
  { erl: "9007199254740993" },
  { erl: "$a" },
  { erl: "1.0" },
  { erl: "0.1" },
  { erl: "-0.0" },
  { erl: "1.0e308" },
  { erl: "5.0e-324" },
  { erl: "1.0e3" },
  { erl: "123456789.0" },
  { erl: "9007199254740992.0" },
  { erl: "1.2345e-5" },
  { erl: "0.00123" },
  { erl: "2.2250738585072014e-308" },
  { erl: "-1.5e-7" },
  { erl: "1.0e23" },
  { erl: "12345678900.0" },
  { erl: '<<"abc">>' },
  { erl: "<<>>" },
  { erl: "<<1,2,3>>" },
  { erl: '<<"héllo"/utf8>>' },
  { erl: '<<"日本"/utf8>>' },
  { erl: "<<233>>" },
  { erl: '<<"a\\"b\\\\c\'">>' },
  { erl: '<<"\\n\\t\\e">>' },
  { erl: "<<127>>" },
  { erl: '<<0,"abc">>' },
  { erl: "<<1,2:3>>" },
  { erl: "<<5:3>>" },
  { erl: '<<"abc",1:1>>' },
  { erl: '<<"\\x{a0}\\x{ff}">>' },
  { erl: '<<"\\x{a0}"/utf8>>' },
  { erl: "[]" },
  { erl: '"abc"' },
  { erl: "[1,2|x]" },
  { erl: "[97,98|99]" },
  { erl: '"a\\nb\\"c\'"' },
  { erl: "[$a,0]" },
  { erl: "[1000,2000]" },
  { erl: '"\\x{7f}\\x{80}"' },
  { erl: "[[]]" },
  { erl: '["abc",[1,2],"",<<>>]' },
  { erl: '"héllo"' },
  { erl: "{}" },
  { erl: '{ok,<<"abc">>,[1,2|x]}' },
  { erl: "{{{a}}}" },
  { erl: "[{a,1},{b,<<2>>}]" },
  { erl: "#{}" },
  { erl: "#{a => 1}" },
  { erl: "#{b => 2,a => 1}" },
  { erl: '#{1 => a,1.0 => b,<<"x">> => c,{} => d,[] => e,x => f}' },
  { erl: '#{[1] => #{},"k" => [#{}]}' },
  { erl: 'list_to_pid("<0.42.0>")', otter: "<0.42.0>" },
  { erl: 'list_to_ref("#Ref<0.1.2.3>")', otter: "#Ref<0.1.2.3>" },
  { erl: 'list_to_port("#Port<0.5>")', otter: "#Port<0.5>" },
  { erl: "fun lists:map/2" },
  { erl: "fun 'Elixir.Enum':map/2" },
  { erl: "fun erlang:'+'/2" },
];

/**
 * Prints each Erlang expression with `io_lib:format("~0tp", [Value])` in one `erl -noshell`.
 * Expressions go in and renderings come out base64-encoded, one per line, so no quoting or encoding can blur them.
 */
const RENDER = `
[File] = init:get_plain_arguments(),
{ok, Bin} = file:read_file(File),
Render = fun(Line) ->
  try
    Src = unicode:characters_to_list(base64:decode(Line)),
    {ok, Tokens, _} = erl_scan:string(Src ++ "."),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    {value, Value, _} = erl_eval:exprs(Exprs, []),
    [<<"ok ">>, base64:encode(unicode:characters_to_binary(io_lib:format("~0tp", [Value])))]
  catch Class:Reason -> io_lib:format("error ~0p:~0p", [Class, Reason])
  end
end,
io:put_chars([[Render(L), $\\n] || L <- binary:split(Bin, <<"\\n">>, [global, trim_all])]),
halt(0).`;

const ERL_DEADLINE_MS = 60_000;

async function renderWithErl(expressions: readonly string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "otter-format-"));
  const file = join(dir, "cases.txt");
  writeFileSync(file, `${expressions.map((e) => Buffer.from(e, "utf8").toString("base64")).join("\n")}\n`);
  const child = spawn("erl", ["-noshell", "-eval", RENDER, "-extra", file], { stdio: ["ignore", "pipe", "pipe"] });
  let timer: NodeJS.Timeout | undefined;
  try {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("latin1");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("latin1");
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", (e) => reject(new Error(`cannot run erl (install erlang-nox): ${e.message}`)));
      child.on("close", resolve);
      timer = setTimeout(() => reject(new Error(`erl gave no answer within ${ERL_DEADLINE_MS} ms`)), ERL_DEADLINE_MS);
    });
    assert.equal(code, 0, `erl exited with ${code}: ${stderr}`);
    const lines = stdout.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, expressions.length, `erl printed ${lines.length} lines: ${stdout}${stderr}`);
    return lines.map((line, i) => {
      assert.ok(line.startsWith("ok "), `erl could not evaluate ${expressions[i]}: ${line}`);
      return Buffer.from(line.slice(3), "base64").toString("utf8");
    });
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

test('format matches erl\'s io_lib:format("~0tp") byte for byte', async () => {
  // erl is required (Debian's erlang-nox): without it this test fails, in CI and locally alike.
  const reference = await renderWithErl(REFERENCE_CASES.map((c) => c.erl));
  const mismatches: string[] = [];
  REFERENCE_CASES.forEach((c, i) => {
    const ours = format(parse(c.otter ?? c.erl));
    if (ours !== reference[i]) mismatches.push(`${c.erl}: erl ${reference[i]} otter ${ours}`);
  });
  assert.deepEqual(mismatches, []);
});
