// Tests for term text parsing: each syntax, the number and binary shapes it yields, errors, depth, round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ErrorCodes, TermParseError } from "../../../src/errors.ts";
import { type Atom, atom } from "../../../src/term/atom.ts";
import { equals } from "../../../src/term/compare.ts";
import { format } from "../../../src/term/format.ts";
import { ErlMap, map } from "../../../src/term/map.ts";
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
  Tuple,
  tuple,
} from "../../../src/term/types.ts";

const LOCAL = atom("nonode@nohost");
const REMOTE = atom("a@host.example");

function assertTerm(actual: Term, expected: Term, message?: string): void {
  assert.ok(equals(actual, expected), message ?? `${format(actual)} is not ${format(expected)}`);
}

test("atoms, quoted atoms and booleans", () => {
  assert.equal(parse("ok"), atom("ok"));
  assert.equal(parse("a_B@1"), atom("a_B@1"));
  assert.equal(parse("'hello world'"), atom("hello world"));
  assert.equal(parse("'it\\'s'"), atom("it's"));
  assert.equal(parse("'a\\n\\x{1F600}\\x41\\101\\^A\\s\\q'"), atom("a\n\u{1F600}AA\u0001 q"));
  assert.equal(parse("'end'"), atom("end"));
  assert.equal(parse("é"), atom("é"));
  assert.equal(parse("maybe"), atom("maybe"));
  assert.equal(parse("true"), true);
  assert.equal(parse("'false'"), false);
});

test("integers: safe ones are numbers, larger ones bigints", () => {
  assert.equal(parse("42"), 42);
  assert.equal(parse("-7"), -7);
  assert.equal(parse("+7"), 7);
  assert.ok(Object.is(parse("-0"), 0));
  assert.equal(parse("16#FF"), 255);
  assert.equal(parse("2#1010"), 10);
  assert.equal(parse("36#zz"), 1295);
  assert.equal(parse("1_000_000"), 1_000_000);
  assert.equal(parse("$a"), 97);
  assert.equal(parse("$\\n"), 10);
  assert.equal(parse("$ "), 32);
  assert.equal(parse("$😀"), 0x1f600);
  assert.equal(parse("- $a"), -97);
  assert.equal(parse("9007199254740991"), Number.MAX_SAFE_INTEGER);
  assert.equal(parse("9007199254740992"), 2n ** 53n);
  assert.equal(parse("-9007199254740992"), -(2n ** 53n));
  assert.equal(parse("16#10000000000000000"), 2n ** 64n);
});

test("floats: integral values come back boxed, others as plain numbers", () => {
  const one = parse("1.0");
  assert.ok(one instanceof Float && one.value === 1);
  const negZero = parse("-0.0");
  assert.ok(negZero instanceof Float && Object.is(negZero.value, -0));
  const big = parse("1.0e308");
  assert.ok(big instanceof Float && big.value === 1e308);
  assert.equal(parse("0.1"), 0.1);
  assert.equal(parse("1.5e-7"), 1.5e-7);
  const scaled = parse("-2.5E+2");
  assert.ok(scaled instanceof Float && scaled.value === -250);
  assert.equal(parse("5.0e-324"), 5e-324);
  assert.equal(parse("1_0.2_5"), 10.25);
});

test("strings are lists of integers, as Erlang reads them", () => {
  assert.deepEqual(parse('"abc"'), [97, 98, 99]);
  assert.deepEqual(parse('""'), []);
  assert.deepEqual(parse('"ab" "cd"'), [97, 98, 99, 100]);
  assert.deepEqual(parse('"é\\t\\"日"'), [0xe9, 9, 34, 0x65e5]);
  assert.deepEqual(parse('"a\nb"'), [97, 10, 98]);
});

test("binaries and bitstrings come back as Uint8Array and BitString", () => {
  const bytes = (text: string) => {
    const b = parse(text);
    assert.ok(b instanceof Uint8Array, text);
    return [...b];
  };
  assert.deepEqual(bytes("<<>>"), []);
  assert.deepEqual(bytes('<<"abc">>'), [97, 98, 99]);
  assert.deepEqual(bytes("<<1,2,3>>"), [1, 2, 3]);
  assert.deepEqual(bytes('<<"é"/utf8>>'), [0xc3, 0xa9]);
  assert.deepEqual(bytes('<<"é">>'), [0xe9]);
  assert.deepEqual(bytes("<<256>>"), [0]);
  assert.deepEqual(bytes("<<-1>>"), [255]);
  assert.deepEqual(bytes("<<1:16>>"), [0, 1]);
  assert.deepEqual(bytes("<<1:16/little>>"), [1, 0]);
  assert.deepEqual(bytes("<<16#ABC:12/little,0:4>>"), [0xbc, 0xa0]);
  assert.deepEqual(bytes("<<1:2/unit:8>>"), [0, 1]);
  assert.deepEqual(bytes('<<"ab":16/big-unsigned-integer>>'), [0, 97, 0, 98]);
  assert.deepEqual(bytes("<<1.5/float>>"), [63, 248, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(bytes("<<1.5:32/float-little>>"), [0, 0, 192, 63]);
  assert.deepEqual(bytes("<<1/float>>"), [63, 240, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(bytes('<<"😀"/utf16>>'), [0xd8, 0x3d, 0xde, 0x00]);
  assert.deepEqual(bytes("<<$a/utf32-little>>"), [97, 0, 0, 0]);
  assert.deepEqual(bytes("<<16#123456789ABCDEF0123:72>>"), [0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23]);
  assert.deepEqual(bytes("<<16#0123456789ABCDEF01:72/little>>"), [1, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 1]);
  const bits = parse("<<1,2:3>>");
  assert.ok(bits instanceof BitString);
  assert.deepEqual([...bits.bytes], [1, 0b0100_0000]);
  assert.equal(bits.bits, 3);
  const little = parse("<<16#ABC:12/little>>");
  assert.ok(little instanceof BitString && little.bytes[0] === 0xbc && little.bytes[1] === 0xa0);
});

test("lists, improper lists, tuples and maps", () => {
  assert.deepEqual(parse("[]"), []);
  assert.deepEqual(parse("[1, 2, 3]"), [1, 2, 3]);
  assert.deepEqual(parse("[1|[2|[3]]]"), [1, 2, 3]);
  assert.deepEqual(parse("[1|[]]"), [1]);
  assert.deepEqual(parse('[1|"ab"]'), [1, 97, 98]);
  assertTerm(parse("[1,2|x]"), new ImproperList([1, 2], atom("x")));
  assertTerm(parse("[1|[2|x]]"), new ImproperList([1, 2], atom("x")));
  assert.ok(parse("{}") instanceof Tuple);
  assertTerm(parse("{ok, {a, b}, [c]}"), tuple(atom("ok"), tuple(atom("a"), atom("b")), [atom("c")]));
  const m = parse('#{b => 2, a => 1, a => 3, <<"k">> => {}}');
  assert.ok(m instanceof ErlMap);
  assertTerm(
    m,
    map([
      [atom("a"), 3],
      [atom("b"), 2],
      [Uint8Array.of(107), tuple()],
    ]),
  );
  assert.ok(parse("#{}") instanceof ErlMap);
});

test("pids, refs, ports and funs in the forms format prints", () => {
  assertTerm(parse("<0.42.0>"), new Pid(LOCAL, 42, 0, 0));
  assertTerm(parse("#Pid<0.42.0>"), new Pid(LOCAL, 42, 0, 0));
  assertTerm(parse("#Pid<'a@host.example'.3.42.1>"), new Pid(REMOTE, 42, 1, 3));
  assertTerm(parse("#Pid<b@h.3.42.1>"), new Pid(atom("b@h"), 42, 1, 3));
  assertTerm(parse("#Ref<0.1.2.3>"), new Ref(LOCAL, 0, [3, 2, 1]));
  assertTerm(parse("#Ref<'a@host.example'.9.5>"), new Ref(REMOTE, 9, [5]));
  assertTerm(parse("#Port<0.5>"), new Port(LOCAL, 5, 0));
  assertTerm(parse("#Port<0.18446744073709551615>"), new Port(LOCAL, 2n ** 64n - 1n, 0));
  assertTerm(parse("fun lists:map/2"), new ExportFun(atom("lists"), atom("map"), 2));
  assertTerm(parse("fun 'Elixir.Enum':'+'/0"), new ExportFun(atom("Elixir.Enum"), atom("+"), 0));
  const f = parse("#Fun<m.1.2.3.4.16#FF.#Pid<'a@host.example'.3.42.1>.[a,<0.1.0>]>");
  assert.ok(f instanceof ErlFun);
  assert.equal(f.module, atom("m"));
  assert.deepEqual([f.index, f.oldUniq, f.arity, f.oldIndex], [1, 2, 3, 4]);
  assert.deepEqual([...f.uniq], [...new Uint8Array(15), 255]);
  assertTerm(f.pid, new Pid(REMOTE, 42, 1, 3));
  assertTerm(f.freeVars as Term, [atom("a"), new Pid(LOCAL, 1, 0, 0)]);
});

test("the local node is configurable, and format and parse agree on it", () => {
  const options = { localNode: REMOTE, localCreation: 7 };
  assertTerm(parse("<0.42.0>", options), new Pid(REMOTE, 42, 0, 7));
  assertTerm(parse("#Ref<0.1>", options), new Ref(REMOTE, 7, [1]));
  const other = new Pid(LOCAL, 1, 2, 0);
  assert.equal(format(other, options), "#Pid<'nonode@nohost'.0.1.2>");
  assertTerm(parse(format(other, options), options), other);
});

test("whitespace, comments and one trailing dot may surround the term", () => {
  assertTerm(parse("  % a comment\n {a, % inside\n b} . % after\n"), tuple(atom("a"), atom("b")));
  assertTerm(parse("[1,2]."), [1, 2]);
  assertTerm(parse("1.5."), 1.5);
});

test("malformed text raises TermParseError with the offset", () => {
  const cases: [string, number][] = [
    ["", 0],
    ["X", 0],
    ["[1,2", 4],
    ["{a,}", 3],
    ["end", 0],
    ["<1.2.3>", 1],
    ["#{a := 1}", 4],
    ["#Fun<m.1.2>", 10],
    ["1 2", 2],
    ["'abc", 0],
    ['"abc', 0],
    ["<<1.0>>", 2],
    ["[1|2,3]", 4],
    ["a. b", 3],
    ["16#", 3],
    ["37#1", 0],
    ["1.0e999", 0],
    ["#Pid<0.1>", 5],
    ["#Ref<0.1.2.3.4.5.6>", 0],
    ["<0.4294967296.0>", 1],
    ["#Foo<1>", 1],
    ['<<"a"/binary>>', 6],
    ["<<1:99999999>>", 2],
    ["<<16#D800/utf8>>", 2],
    ["'\\x{110000}'", 1],
    ["&", 0],
    [`'${"a".repeat(256)}'`, 0],
  ];
  for (const [text, offset] of cases) {
    assert.throws(
      () => parse(text),
      (e: unknown) => e instanceof TermParseError && e.code === ErrorCodes.TERM_PARSE && e.offset === offset,
      `${JSON.stringify(text)} should fail at ${offset}`,
    );
  }
});

test("nesting 100,000 deep parses without overflowing the stack", () => {
  const depth = 100_000;
  const lists = parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
  let t: Term = lists;
  for (let i = 1; i < depth; i++) t = (t as Term[])[0]!;
  assert.deepEqual(t, []);
  const tuples = parse(`${"{a,".repeat(depth)}x${"}".repeat(depth)}`);
  assert.equal(format(tuples), `${"{a,".repeat(depth)}x${"}".repeat(depth)}`);
  const maps = parse(`${"#{k => ".repeat(depth)}1${"}".repeat(depth)}`);
  assert.equal(format(maps), `${"#{k => ".repeat(depth)}1${"}".repeat(depth)}`);
  // A tail that is a list continues the same list: one flat list, no quadratic copying.
  const tails = parse(`${"[1|".repeat(depth)}[]${"]".repeat(depth)}`);
  assert.equal((tails as Term[]).length, depth);
});

// ---- Round trips --------------------------------------------------------------------------------------------

const uniq = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
const EVERY_KIND: Term[] = [
  atom("ok"),
  atom("hello world"),
  atom(""),
  atom('it\'s \\ "q" \n\u0001\u007f'),
  atom("日本😀"),
  atom("Émile"),
  atom("end"),
  true,
  false,
  0,
  -1,
  Number.MAX_SAFE_INTEGER,
  2n ** 64n,
  -(2n ** 200n),
  new Float(1),
  new Float(-0),
  new Float(1e308),
  0.1,
  5e-324,
  -1.2345e-5,
  new Uint8Array(),
  Uint8Array.of(97, 98, 99),
  Uint8Array.of(0, 255, 128, 10),
  new TextEncoder().encode("héllo 日本"),
  new BitString(Uint8Array.of(1, 0b0100_0000), 3),
  new BitString(Uint8Array.of(0b1110_0000), 3),
  [],
  [97, 98, 99],
  [97, 0],
  [1000, 0x10ffff],
  [[], [[]], atom("x")],
  new ImproperList([1, 2], atom("x")),
  new ImproperList([97], 98),
  new ImproperList([1], Uint8Array.of(1)),
  tuple(),
  tuple(atom("ok"), Uint8Array.of(97), new ImproperList([1], atom("x"))),
  map(),
  map([
    [atom("a"), 1],
    [new Float(1), 2],
    [1, 3],
    [Uint8Array.of(120), tuple()],
    [[97], map()],
  ]),
  map(Array.from({ length: 40 }, (_, i) => [i, tuple(atom("v"), i)] as [Term, Term])),
  new Pid(LOCAL, 42, 0, 0),
  new Pid(LOCAL, 42, 0, 9),
  new Pid(REMOTE, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff),
  new Ref(LOCAL, 0, [3, 2, 1]),
  new Ref(LOCAL, 0, [7]),
  new Ref(REMOTE, 5, [1, 2, 3, 4, 5]),
  new Port(LOCAL, 5, 0),
  new Port(REMOTE, 2n ** 64n - 1n, 2),
  new ExportFun(atom("lists"), atom("map"), 2),
  new ExportFun(atom("Elixir.Enum"), atom("end"), 255),
  new ErlFun(atom("probe"), 1, uniq, 3, 4, 39219873, new Pid(LOCAL, 9, 0, 0), []),
  new ErlFun(atom("m m"), 0, new Uint8Array(16), 0, 0, 0, new Pid(REMOTE, 1, 2, 3), [[97], tuple(), map([[1, 2]])]),
];

test("parse(format(t)) equals t for every kind of term", () => {
  for (const t of EVERY_KIND) {
    const text = format(t);
    assertTerm(parse(text), t, `round trip of ${text}`);
    assert.equal(format(parse(text)), text);
  }
  const options = { localNode: REMOTE, localCreation: 3 };
  for (const t of EVERY_KIND) assertTerm(parse(format(t, options), options), t, `round trip of ${format(t)} (remote)`);
});

test("JS strings print as UTF-8 binaries and read back as their bytes", () => {
  for (const s of ["", "abc", "héllo", "日本😀", "a\u0000b"]) {
    const back = parse(format(s));
    assert.ok(back instanceof Uint8Array);
    assert.deepEqual([...back], [...new TextEncoder().encode(s)]);
  }
});

/** Random terms of every kind, in the shapes `parse` returns. */
function termArbitrary(): fc.Arbitrary<Term> {
  const nodeName = fc.constantFrom("nonode@nohost", "a@host.example", "b@h", "'q'@h");
  const node: fc.Arbitrary<Atom> = nodeName.map((n) => atom(n));
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const atomName = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => s.isWellFormed());
  const integer = fc.oneof(
    fc.integer(),
    fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }).map((n) => (Number.isSafeInteger(Number(n)) ? Number(n) : n)),
  );
  const float = fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((x) => (Number.isInteger(x) ? new Float(x) : x));
  const bits = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }))
    .map(([bytes, n]) => {
      bytes[bytes.length - 1]! &= (0xff << (8 - n)) & 0xff;
      return new BitString(bytes, n);
    });
  const leaf: fc.Arbitrary<Term> = fc.oneof(
    atomName.map((s) => atom(s)),
    fc.boolean(),
    integer,
    float,
    fc.uint8Array({ maxLength: 12 }),
    fc.string({ maxLength: 8 }).map((s) => [...s].map((c) => c.codePointAt(0)!)),
    bits,
    fc.tuple(node, u32, u32, u32).map(([n, id, serial, creation]) => new Pid(n, id, serial, creation)),
    fc.tuple(node, u32, fc.array(u32, { minLength: 1, maxLength: 5 })).map(([n, c, ids]) => new Ref(n, c, ids)),
    fc.tuple(node, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), u32).map(([n, id, c]) => new Port(n, id, c)),
    fc
      .tuple(atomName, atomName, fc.integer({ min: 0, max: 255 }))
      .map(([m, f, a]) => new ExportFun(atom(m), atom(f), a)),
  );
  return fc.letrec<{ term: Term }>((tie) => ({
    term: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("term"), { maxLength: 4 }),
      fc
        .tuple(fc.array(tie("term"), { minLength: 1, maxLength: 3 }), tie("term"))
        .filter(([, tail]) => !Array.isArray(tail) && !(tail instanceof ImproperList))
        .map(([items, tail]) => new ImproperList(items, tail)),
      fc.array(tie("term"), { maxLength: 4 }).map((items) => new Tuple(items)),
      fc.array(fc.tuple(tie("term"), tie("term")), { maxLength: 4 }).map((entries) => map(entries)),
      fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), u32, fc.array(tie("term"), { maxLength: 3 }))
        .map(([u, n, env]) => new ErlFun(atom("m"), n % 256, u, n, n >>> 1, n, new Pid(LOCAL, n, 0, 0), env)),
    ),
  })).term;
}

test("parse(format(t)) equals t for random terms", () => {
  fc.assert(
    fc.property(termArbitrary(), (t) => {
      const text = format(t);
      return equals(parse(text), t) && format(parse(text)) === text;
    }),
    { numRuns: 500 },
  );
});
