// Encoder behaviour beyond byte-exact golden vectors: iovec output, minor versions, options and refusals.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  decode,
  ErlFun,
  EtfEncodeError,
  encode,
  encodeIovec,
  equals,
  Float,
  Pid,
  type Term,
  tuple,
} from "../../../../src/index.ts";

function refuses(value: unknown, code: string, options?: Parameters<typeof encode>[1]): void {
  assert.throws(
    () => encode(value as Term, options),
    (e: unknown) => e instanceof EtfEncodeError && e.code === code,
  );
}

describe("encodeIovec", () => {
  test("large binaries are their own chunks, shared with the term, not copied", () => {
    const big = Buffer.alloc(100_000, 7);
    const term = tuple(atom("data"), big, "tail");
    const chunks = encodeIovec(term);
    assert.equal(chunks.length, 3);
    assert.equal(chunks[1], big);
    assert.deepEqual(Buffer.concat(chunks), encode(term));
  });

  test("a plain Uint8Array is referenced too, as a Buffer over the same memory", () => {
    const big = new Uint8Array(5000).fill(3);
    const chunks = encodeIovec([big, big]);
    const shared = chunks.filter((c) => c.buffer === big.buffer);
    assert.equal(shared.length, 2);
    assert.ok(equals(decode(chunks), [big, big]));
  });

  test("referenceThreshold decides what is referenced; small terms are one chunk", () => {
    assert.equal(encodeIovec(tuple("abc", 1)).length, 1);
    assert.equal(encodeIovec(Buffer.alloc(100), { referenceThreshold: 50 }).length, 2);
  });

  test("chunks stay valid after later encodes reuse the scratch buffer", () => {
    const first = encodeIovec(tuple(atom("first"), Buffer.alloc(4096, 1), 42));
    const copy = Buffer.concat(first);
    encodeIovec(tuple(atom("second"), Buffer.alloc(4096, 2), 43));
    encode(Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(Buffer.concat(first), copy);
  });
});

describe("encode: results share a pool, never bytes", () => {
  test("successive small results do not overlap", () => {
    const results = Array.from({ length: 2000 }, (_, i) => encode(tuple(atom("n"), i)));
    for (const r of results) r.fill(0);
    const again = encode(tuple(atom("n"), 7));
    assert.ok(equals(decode(again), tuple(atom("n"), 7)));
    const fresh = Array.from({ length: 2000 }, (_, i) => encode(tuple(atom("n"), i)));
    for (const [i, r] of fresh.entries()) assert.ok(equals(decode(r), tuple(atom("n"), i)));
  });

  test("a result that outgrows the pool is whole, and the next small one is unaffected", () => {
    const small = encode(tuple(atom("small"), 1));
    const copy = Buffer.from(small);
    const big = Array.from({ length: 5000 }, (_, i) => i * 1000);
    assert.ok(equals(decode(encode(big)), big));
    assert.deepEqual(small, copy);
    assert.ok(equals(decode(encode(tuple(atom("after"), 2))), tuple(atom("after"), 2)));
  });

  test("an encode that fails leaves the pool usable", () => {
    const before = encode(tuple(atom("ok"), 1));
    const copy = Buffer.from(before);
    refuses(tuple(atom("x"), Buffer.alloc(100), undefined as unknown as Term), "ETF_UNENCODABLE");
    assert.deepEqual(before, copy);
    assert.deepEqual([...encode(1)], [131, 97, 1]);
  });
});

describe("encode: sizes that are patched after the fact", () => {
  test("a fun whose free variables hold a spliced binary gets the right NEW_FUN_EXT size", () => {
    const pid = new Pid(atom("n@h"), 1, 0, 3);
    const fun = new ErlFun(atom("m"), 1, new Uint8Array(16).fill(5), 2, 3, 123456, pid, [Buffer.alloc(10_000, 1), 7]);
    const single = encode(fun);
    assert.deepEqual(Buffer.concat(encodeIovec(fun)), single);
    const back = decode(single) as ErlFun;
    assert.ok(back instanceof ErlFun && equals(back, fun));
  });
});

describe("encode: minor versions", () => {
  test("minor 2 (default) writes UTF-8 atom tags", () => {
    assert.deepEqual([...encode(atom("ok"))], [131, 119, 2, 111, 107]);
  });

  test("minor 1 writes ATOM_EXT for Latin-1 atoms, as OTP 25's term_to_binary/1 does", () => {
    assert.deepEqual([...encode(atom("ok"), { minorVersion: 1 })], [131, 100, 0, 2, 111, 107]);
    assert.deepEqual([...encode(atom("é"), { minorVersion: 1 })], [131, 100, 0, 1, 0xe9]);
    assert.deepEqual([...encode(atom("ё"), { minorVersion: 1 })], [131, 119, 2, 0xd1, 0x91]);
    assert.deepEqual([...encode(true, { minorVersion: 1 })], [131, 100, 0, 4, ...Buffer.from("true")]);
  });

  test("minor 0 writes FLOAT_EXT as C's %.20e", () => {
    const b = encode(0.1, { minorVersion: 0 });
    assert.equal(b[1], 99);
    assert.equal(b.length, 33);
    assert.equal(b.subarray(2).toString("latin1").replace(/\0+$/, ""), "1.00000000000000005551e-01");
    assert.equal(decode(b), 0.1);
    assert.ok(equals(decode(encode(new Float(1e300), { minorVersion: 0 })), new Float(1e300)));
  });
});

describe("encode: compression", () => {
  test("kept only when smaller, as BEAM does", () => {
    const tiny = encode(atom("a"), { compressed: true });
    assert.deepEqual(tiny, encode(atom("a")));
    const repetitive = encode(
      Array.from({ length: 100 }, () => atom("same")),
      { compressed: true },
    );
    assert.equal(repetitive[1], 80);
  });

  test("an invalid level is refused", () => {
    refuses(1, "ETF_UNENCODABLE", { compressed: 11 });
  });
});

describe("encode: values with no Erlang counterpart are refused with a typed error", () => {
  const cases: [string, unknown][] = [
    ["undefined", undefined],
    ["null", null],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a boxed NaN", new Float(Number.NaN)],
    ["a symbol", Symbol("s")],
    ["a function", () => 1],
    ["a plain object", { a: 1 }],
    ["a JS Map", new Map()],
    ["a typed array other than Uint8Array", new Int16Array(2)],
    ["a DataView", new DataView(new ArrayBuffer(2))],
    ["a nested undefined", tuple(1, undefined as unknown as Term)],
  ];
  for (const [name, value] of cases) test(name, () => refuses(value, "ETF_UNENCODABLE"));

  test("a cyclic array is ETF_TOO_DEEP, quickly, and the encoder works afterwards", () => {
    const cyclic: Term[] = [];
    cyclic.push(cyclic);
    refuses(cyclic, "ETF_TOO_DEEP", { maxDepth: 10_000 });
    refuses(cyclic, "ETF_TOO_DEEP");
    assert.deepEqual([...encode(1)], [131, 97, 1]);
  });
});

describe("encode: integers pick BEAM's tags", () => {
  const cases: [Term, number][] = [
    [0, 97],
    [255, 97],
    [256, 98],
    [-1, 98],
    [2 ** 31 - 1, 98],
    [-(2 ** 31), 98],
    [2 ** 31, 110],
    [-(2 ** 31) - 1, 110],
    [2 ** 53 - 1, 110],
    [1e300, 110],
    [1n << 2040n, 111],
    [(1n << 2040n) - 1n, 110],
    [5n, 97],
  ];
  for (const [value, tag] of cases) {
    test(`${value} → tag ${tag}`, () => {
      const b = encode(value);
      assert.equal(b[1], tag);
      assert.ok(equals(decode(b), value));
    });
  }
});
