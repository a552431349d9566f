// Tests for the dirty-pool value codec: round trips of every carried kind, refusals, limits, and bad frames.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import fc from "fast-check";
import { DOES_NOT_FIT, decodeValues, encodeValues } from "../../../src/dirty/codec.ts";
import { DirtyError, ErrorCodes } from "../../../src/errors.ts";

const SENTINEL = 0xa5;

function sharedBytes(size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size));
}

function roundTrip(values: readonly unknown[], target: Uint8Array = sharedBytes(1 << 16), at = 3): unknown[] {
  const length = encodeValues(values, target, at, target.length - at);
  assert.notEqual(length, DOES_NOT_FIT, "the values fit");
  return decodeValues(target, at, length);
}

function encoded(values: readonly unknown[]): Uint8Array {
  const target = new Uint8Array(1 << 16);
  const length = encodeValues(values, target, 0, target.length);
  assert.notEqual(length, DOES_NOT_FIT);
  return target.slice(0, length);
}

function isBadFrame(error: unknown): boolean {
  return error instanceof DirtyError && error.code === ErrorCodes.DIRTY_BAD_FRAME;
}

/** Arrays nested `depth` deep, the innermost holding null. */
function nestedArrays(depth: number): unknown {
  let value: unknown = null;
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

/** An array of `first`, a hole, and `last`. */
function sparse(first: unknown, last: unknown): unknown[] {
  const array: unknown[] = [first];
  array[2] = last;
  return array;
}

const strings = fc.oneof(
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
  fc.string({ unit: "binary-ascii", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  // Any code units, lone surrogates included.
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units)),
);

const numbers = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MIN_VALUE, NaN),
);

const leaves = fc.oneof(
  fc.constantFrom(undefined, null, true, false),
  numbers,
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }),
  strings,
  fc.uint8Array({ maxLength: 40 }),
);

const { value: carried } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaves, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc
    .tuple(
      fc.array(fc.tuple(fc.oneof(strings, fc.constantFrom("__proto__", "0", "7", "constructor")), tie("value")), {
        maxLength: 5,
      }),
      fc.boolean(),
    )
    .map(([entries, nullPrototype]) => {
      const object = Object.fromEntries(entries);
      return nullPrototype ? Object.assign(Object.create(null), object) : object;
    }),
}));

describe("round trips", () => {
  test("every carried value comes back deepStrictEqual, and one byte less than it needs does not fit", () => {
    const ring = sharedBytes(1 << 16);
    fc.assert(
      fc.property(fc.array(carried, { maxLength: 4 }), fc.nat(64), (values, at) => {
        ring.fill(SENTINEL);
        const length = encodeValues(values, ring, at, ring.length - at);
        assert.notEqual(length, DOES_NOT_FIT);
        assert.deepStrictEqual(decodeValues(ring, at, length), values);
        if (length === 0) return;
        ring.fill(SENTINEL);
        assert.equal(encodeValues(values, ring, at, length - 1), DOES_NOT_FIT);
        const limit = at + length - 1;
        for (let index = 0; index < ring.length; index++) {
          if (index < at || index >= limit) assert.equal(ring[index], SENTINEL, `byte ${index} stays untouched`);
        }
      }),
      { numRuns: 400 },
    );
  });

  test("numbers keep -0, NaN, ±Infinity and the int32 boundaries", () => {
    const values = [0, -0, NaN, Infinity, -Infinity, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 0.1, 2 ** 60];
    const back = roundTrip(values);
    assert.deepStrictEqual(back, values);
    assert.ok(Object.is(back[1], -0));
    // An int32 takes 5 bytes, -0 takes the 9 of a float.
    assert.equal(encoded([7]).length, 5);
    assert.equal(encoded([-0]).length, 9);
  });

  test("bigints of every size and sign", () => {
    const values = [0n, 1n, -1n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 3n ** 200n, -(7n ** 99n)];
    assert.deepStrictEqual(roundTrip(values), values);
  });

  test("strings: empty, ASCII short and long, non-ASCII, astral, lone surrogates, at odd offsets", () => {
    const values = [
      "",
      "hello",
      "x".repeat(16),
      "y".repeat(17),
      "z".repeat(5000),
      "héllo",
      "日本語".repeat(300),
      "😀",
      "\ud800",
      "a\udc00b",
      "\u0080\u00ff",
    ];
    for (const at of [0, 1, 2, 7]) assert.deepStrictEqual(roundTrip(values, sharedBytes(1 << 16), at), values);
  });

  test("objects keep a null prototype and an own __proto__ key, and stay in key order", () => {
    const own = JSON.parse('{"__proto__": {"x": 1}, "b": 2, "1": 3}');
    const bare = Object.assign(Object.create(null), { __proto__: 5, k: [1] });
    const [ownBack, bareBack] = roundTrip([own, bare]) as [object, object];
    assert.deepStrictEqual(ownBack, own);
    assert.equal(Object.getPrototypeOf(ownBack), Object.prototype);
    assert.deepStrictEqual(Object.keys(ownBack), ["1", "__proto__", "b"]);
    assert.deepStrictEqual(bareBack, bare);
    assert.equal(Object.getPrototypeOf(bareBack), null);
  });

  test("a Buffer comes back a Uint8Array with its bytes, copied out of the frame", () => {
    const source = Buffer.from("bytes");
    const ring = Buffer.alloc(64);
    const [back] = roundTrip([source], ring, 0) as [Uint8Array];
    assert.equal(Object.getPrototypeOf(back), Uint8Array.prototype);
    assert.deepStrictEqual(back, new Uint8Array(source));
    ring.fill(0);
    assert.deepStrictEqual(back, new Uint8Array(source), "decoding copied the bytes out of the ring");
  });

  test("encodes into a plain Uint8Array and a Buffer as into shared memory", () => {
    const values = [1, "é", "plain", [true, null], { a: 1n }];
    assert.deepStrictEqual(roundTrip(values, new Uint8Array(256)), values);
    assert.deepStrictEqual(roundTrip(values, Buffer.alloc(256)), values);
    assert.deepStrictEqual(roundTrip(values, sharedBytes(256)), values);
  });

  test("an empty list is zero bytes", () => {
    assert.equal(encodeValues([], sharedBytes(4), 0, 0), 0);
    assert.deepStrictEqual(decodeValues(sharedBytes(4), 4, 0), []);
  });

  test("nesting 64 deep fits; 65 does not, so a cycle does not either", () => {
    assert.deepStrictEqual(roundTrip([nestedArrays(64)]), [nestedArrays(64)]);
    const target = sharedBytes(1024);
    assert.equal(encodeValues([nestedArrays(65)], target, 0, target.length), DOES_NOT_FIT);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const loop: unknown[] = [];
    loop.push(loop);
    assert.equal(encodeValues([cyclic], target, 0, target.length), DOES_NOT_FIT);
    assert.equal(encodeValues([loop], target, 0, target.length), DOES_NOT_FIT);
  });

  test("as structured clone: getters are read, symbol keys and non-enumerable properties are left behind", () => {
    const object = {
      get computed() {
        return 5;
      },
      [Symbol("hidden")]: 1,
    };
    Object.defineProperty(object, "secret", { value: 2, enumerable: false });
    assert.deepStrictEqual(roundTrip([object]), [{ computed: 5 }]);
  });

  test("an array carries its elements only, not named properties", () => {
    const match = /b(c)/.exec("abc") as RegExpExecArray;
    assert.deepStrictEqual(roundTrip([match]), [["bc", "c"]]);
  });
});

describe("refusals", () => {
  class Point {
    x = 1;
  }
  const refused: [string, unknown][] = [
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a Set", new Set()],
    ["a RegExp", /x/],
    ["an Error", new Error("x")],
    ["a SharedArrayBuffer", new SharedArrayBuffer(4)],
    ["an ArrayBuffer", new ArrayBuffer(4)],
    ["an Int32Array", new Int32Array(2)],
    ["a Uint8ClampedArray", new Uint8ClampedArray(2)],
    ["a DataView", new DataView(new ArrayBuffer(2))],
    ["a Uint8Array over shared memory", sharedBytes(4)],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["a class instance", new Point()],
    ["a boxed number", Object(1)],
    ["an array subclass", new (class extends Array {})()],
    ["a sparse array", sparse(1, 3)],
  ];

  for (const [kind, value] of refused) {
    test(`${kind} does not fit, alone or nested`, () => {
      const target = sharedBytes(256).fill(SENTINEL);
      assert.equal(encodeValues([value], target, 0, target.length), DOES_NOT_FIT);
      assert.equal(encodeValues([1, { list: ["a", value] }], target, 0, target.length), DOES_NOT_FIT);
    });
  }

  test("a hole in the argument list does not fit", () => {
    assert.equal(encodeValues(sparse(1, 3), sharedBytes(64), 0, 64), DOES_NOT_FIT);
    assert.notEqual(encodeValues([1, undefined, 3], sharedBytes(64), 0, 64), DOES_NOT_FIT);
  });

  test("a limit past the end of the target is the end of the target", () => {
    const target = new Uint8Array(8);
    assert.equal(encodeValues(["a long string"], target, 2, 1000), DOES_NOT_FIT);
    assert.equal(encodeValues([1], target, 2, 1000), 5);
  });

  test("long strings and bigints do not fit one byte short, and write nothing past the limit", () => {
    for (const value of ["a".repeat(100), "é".repeat(100), "\ud800".repeat(30), 5n ** 100n, new Uint8Array(50)]) {
      const needed = encoded([value]).length;
      const target = sharedBytes(needed + 16).fill(SENTINEL);
      assert.equal(encodeValues([value], target, 4, needed - 1), DOES_NOT_FIT);
      assert.ok(target.subarray(4 + needed - 1).every((byte) => byte === SENTINEL));
    }
  });
});

describe("bad frames", () => {
  const singles: unknown[] = [
    -5,
    1.5,
    2n ** 70n,
    "ascii",
    "é",
    new Uint8Array([1, 2, 3]),
    [1, "a", null],
    { a: 1, b: [2] },
    Object.assign(Object.create(null), { k: "v" }),
  ];

  test("a frame cut anywhere inside a value throws DIRTY_BAD_FRAME", () => {
    for (const value of singles) {
      const frame = encoded([value]);
      for (let length = 1; length < frame.length; length++) {
        assert.throws(() => decodeValues(frame, 0, length), isBadFrame, `${inspect(value)} cut at ${length}`);
      }
    }
  });

  test("a tag the codec never writes throws DIRTY_BAD_FRAME", () => {
    for (const tag of [99, 200, 255]) assert.throws(() => decodeValues(Uint8Array.of(tag), 0, 1), isBadFrame);
  });

  test("a count larger than the frame throws at once, before it allocates", () => {
    for (const value of [[1], "ascii", "é", new Uint8Array(1), 2n ** 64n, { a: 1 }]) {
      const frame = encoded([value]);
      frame.set([0xff, 0xff, 0xff, 0xff], 1);
      assert.throws(() => decodeValues(frame, 0, frame.length), isBadFrame);
    }
  });

  test("an object key that is not a string throws DIRTY_BAD_FRAME", () => {
    const frame = encoded([{ a: 1 }]);
    frame.set(encoded([1]), 5);
    assert.throws(() => decodeValues(frame, 0, frame.length), isBadFrame);
  });

  test("nesting deeper than 64 throws DIRTY_BAD_FRAME", () => {
    const frame = encoded([nestedArrays(64)]);
    const deeper = new Uint8Array(frame.length + 5);
    deeper.set(frame.subarray(0, 5));
    deeper.set(frame, 5);
    assert.throws(() => decodeValues(deeper, 0, deeper.length), isBadFrame);
  });

  test("a frame outside its source throws DIRTY_BAD_FRAME", () => {
    assert.throws(() => decodeValues(new Uint8Array(8), 6, 4), isBadFrame);
    assert.throws(() => decodeValues(new Uint8Array(8), -1, 2), isBadFrame);
  });

  test("random bytes decode to values or throw DIRTY_BAD_FRAME, and always return", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          assert.ok(Array.isArray(decodeValues(bytes, 0, bytes.length)));
        } catch (error) {
          assert.ok(isBadFrame(error), String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("garbled encodings decode to values or throw DIRTY_BAD_FRAME", () => {
    fc.assert(
      fc.property(carried, fc.nat(), fc.nat(255), (value, where, byte) => {
        const frame = encoded([value]);
        frame[where % frame.length] = byte;
        try {
          decodeValues(frame, 0, frame.length);
        } catch (error) {
          assert.ok(isBadFrame(error), String(error));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
