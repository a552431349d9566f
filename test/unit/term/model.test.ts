// The term model: atom table, map semantics, equality, order and hash (order is also checked against erl live).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import {
  atom,
  atomTableInfo,
  BitString,
  compare,
  ErlMap,
  equals,
  Float,
  hash,
  ImproperList,
  map,
  Pid,
  Ref,
  SMALL_MAP_LIMIT,
  setAtomTableLimit,
  type Term,
  TermError,
  tuple,
} from "../../../src/index.ts";

describe("atoms", () => {
  test("are interned", () => {
    assert.equal(atom("same"), atom("same"));
  });

  test("longer than 255 characters, or ill-formed, are refused", () => {
    assert.equal(atom("ä".repeat(255)).name.length, 255);
    assert.equal(atom("😀".repeat(255)).utf8.length, 1020);
    assert.throws(
      () => atom("a".repeat(256)),
      (e: unknown) => e instanceof TermError && e.code === "ATOM_BAD_NAME",
    );
    assert.throws(
      () => atom("\ud800"),
      (e: unknown) => e instanceof TermError && e.code === "ATOM_BAD_NAME",
    );
  });

  test("a full table is a clear error in a child process (the table is global and never shrinks)", () => {
    const script = `
      import { atom, setAtomTableLimit, atomTableInfo } from "./src/index.ts";
      setAtomTableLimit(atomTableInfo().count + 10);
      let made = 0;
      try { for (;;) { atom("fill_" + made); made++; } }
      catch (e) { console.log(JSON.stringify({ code: e.code, made, again: atom("fill_0").name })); }`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(r.stdout), { code: "ATOM_TABLE_FULL", made: 10, again: "fill_0" });
  });

  test("the limit cannot drop below the atoms that exist", () => {
    assert.throws(() => setAtomTableLimit(1), TermError);
    assert.ok(atomTableInfo().limit >= atomTableInfo().count);
  });
});

describe("maps", () => {
  test("keys compare by value: binaries, tuples, lists and strings work", () => {
    const m = map([
      [Buffer.from("k"), 1],
      [tuple(1, 2), 2],
      [[1, 2], 3],
    ]);
    assert.equal(m.get("k"), 1);
    assert.equal(m.get(tuple(1, 2)), 2);
    assert.equal(m.get([1, 2]), 3);
    assert.equal(m.get(1), undefined);
  });

  test("1 and 1.0 are different keys, and integers sort before floats", () => {
    const m = map([
      [new Float(1), atom("a")],
      [2, atom("b")],
      [1, atom("c")],
    ]);
    assert.equal(m.size, 3);
    assert.deepEqual(m.keys(), [1, 2, new Float(1)]);
  });

  test("true and atom('true') are one key", () => {
    const m = map([[true, 1]]);
    m.set(atom("true"), 2);
    assert.equal(m.size, 1);
    assert.equal(m.get(true), 2);
  });

  test("past 32 keys lookups still work, and deleting back to 32 restores term order", () => {
    const m = new ErlMap();
    for (let i = 40; i > 0; i--) m.set(tuple(i), i);
    assert.ok(m.isLarge);
    for (let i = 1; i <= 40; i++) assert.equal(m.get(tuple(i)), i);
    for (let i = 40; i > SMALL_MAP_LIMIT; i--) assert.ok(m.delete(tuple(i)));
    assert.ok(!m.isLarge);
    assert.deepEqual(
      m.keys().map((k) => (k as ReturnType<typeof tuple>).elements[0]),
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
    assert.equal(m.delete(tuple(99)), false);
  });

  test("a later duplicate key in the constructor replaces the earlier value", () => {
    assert.equal(
      map([
        ["k", 1],
        [Buffer.from("k"), 2],
      ]).get("k"),
      2,
    );
  });
});

describe("equality, order and hash", () => {
  const equalPairs: [Term, Term][] = [
    ["abc", Buffer.from("abc")],
    [5, 5n],
    [true, atom("true")],
    [new Ref(atom("n@h"), 1, [1, 0, 0]), new Ref(atom("n@h"), 1, [1])],
    [map([[atom("a"), [1]]]), map([[atom("a"), [1]]])],
    [new ImproperList([1], 2), new ImproperList([1], 2)],
  ];
  for (const [a, b] of equalPairs) {
    test(`${String(a)} =:= ${String(b)}, with equal hashes`, () => {
      assert.ok(equals(a, b));
      assert.equal(compare(a, b), 0);
      assert.equal(hash(a), hash(b));
    });
  }

  test("1 == 1.0 but not =:=; 0.0 =:= -0.0 is false (OTP 27)", () => {
    assert.equal(compare(1, new Float(1)), 0);
    assert.ok(!equals(1, new Float(1)));
    assert.ok(!equals(new Float(0), new Float(-0)));
    assert.equal(compare(new Float(0), new Float(-0)), 0);
  });

  test("type order: number < atom < ref < fun < port < pid < tuple < map < nil < list < bitstring", () => {
    const pid = new Pid(atom("n@h"), 1, 0, 1);
    const ordered: Term[] = [1, atom("a"), new Ref(atom("n@h"), 1, [1]), pid, tuple(), map(), [], [1], "bin"];
    for (let i = 1; i < ordered.length; i++) assert.equal(compare(ordered[i - 1]!, ordered[i]!), -1, `at ${i}`);
  });

  test("atoms compare by code point, bitstrings bit by bit", () => {
    assert.equal(compare(atom("\uffff"), atom("\u{10000}")), -1);
    assert.equal(compare(Buffer.from([1, 2]), new BitString(Uint8Array.of(1, 0x80), 2)), -1);
    assert.equal(compare(new BitString(Uint8Array.of(0x80), 1), Buffer.from([1])), 1);
  });

  test("deep terms compare without stack overflow", () => {
    let a: Term = [];
    let b: Term = [];
    for (let i = 0; i < 200_000; i++) {
      a = [a];
      b = [b];
    }
    assert.ok(equals(a, b));
    assert.equal(compare(a, b), 0);
    assert.equal(hash(a), hash(b));
  });
});
