// Tests for literal data files (ETF and JSON): prepared in one place, built piece by piece in another, giving
// exactly what `decode` or `JSON.parse` gives for the whole file; malformed files refused when prepared.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { LiteralBuilder, type PreparedLiteral, prepareLiteral } from "../../../src/code/literals/index.ts";
import {
  atom,
  CodeError,
  decode,
  ErlMap,
  ErrorCodes,
  EtfDecodeError,
  encode,
  equals,
  Float,
  ImproperList,
  type Term,
  Tuple,
  tuple,
} from "../../../src/index.ts";
import { arbTerm } from "../../support/arbitraries.ts";
import { assertBytes } from "../../support/bytes.ts";

/** A budget so small that every element is a piece of its own. */
const ONE_PER_PIECE = { pieceBudgetNs: 1 };

/** Prepares `file`, posts the result as a worker would (its buffer transferred), and builds it to the end. */
function build(
  file: Uint8Array,
  kind: "etf" | "json",
  options?: { pieceBudgetNs?: number },
): { value: unknown; prepared: PreparedLiteral; steps: number } {
  const prepared = prepareLiteral(file, kind, options);
  const posted = structuredClone(prepared, { transfer: [prepared.bytes.buffer as ArrayBuffer] });
  const builder = new LiteralBuilder(posted);
  let steps = 1;
  while (!builder.step(0)) steps++;
  assert.equal(builder.built, builder.pieces);
  return { value: builder.value, prepared: posted, steps };
}

/** Asserts `actual` is the same term as `expected`: equal, of the same shapes, encoding to the same bytes. */
function assertSameTerm(actual: unknown, expected: Term): void {
  assert.ok(equals(actual as Term, expected), "terms are not equal");
  assert.deepStrictEqual(actual, expected);
  // ErlMap keeps its entries private: their order shows in the encoding.
  assertBytes(encode(actual as Term), encode(expected), "encodings");
}

/** Builds the ETF file of `term` in pieces (one per element, then the default budget) and compares with decode. */
function assertPiecedEtf(term: Term, options?: { compressed?: boolean }): PreparedLiteral {
  const file = encode(term, options);
  const whole = decode(file);
  const pieced = build(new Uint8Array(file), "etf", ONE_PER_PIECE);
  assertSameTerm(pieced.value, whole);
  assertSameTerm(build(new Uint8Array(file), "etf").value, whole);
  return pieced.prepared;
}

function assertPiecedJson(text: string, expectedPieces?: number): void {
  const file = new TextEncoder().encode(text);
  const whole = JSON.parse(text.replace(/^\uFEFF/, ""));
  const pieced = build(file.slice(), "json", ONE_PER_PIECE);
  assert.deepStrictEqual(pieced.value, whole);
  assert.deepStrictEqual(build(file.slice(), "json").value, whole);
  if (expectedPieces !== undefined) assert.equal(pieced.prepared.pieces.length / 3, expectedPieces);
}

function bytesOf(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

const records: Term = Array.from({ length: 50 }, (_, i) =>
  tuple(i * 1000, Buffer.alloc(24, i), [97, 98, 99 + (i % 10)], i + 0.5),
);

describe("ETF literals: built in pieces, equal to decode of the whole file", () => {
  test("a list of records, one element per piece", () => {
    const prepared = assertPiecedEtf(records);
    assert.equal(prepared.shape, "list");
    assert.equal(prepared.length, 50);
    assert.equal(prepared.pieces.length / 3, 50);
  });

  test("a top-level tuple", () => {
    const prepared = assertPiecedEtf(new Tuple([atom("ok"), 1n << 80n, new Float(2), [records, "text"]]));
    assert.equal(prepared.shape, "tuple");
  });

  test("a small map (sorted keys) and a large map (insertion order), keys of every kind", () => {
    const small = new ErlMap([
      [atom("b"), 1],
      [atom("a"), [1, 2]],
      [2, tuple(1)],
    ]);
    assert.equal(assertPiecedEtf(small).shape, "map");
    const keys: Term[] = [];
    for (let i = 0; i < 40; i++) keys.push(i, atom(`k${i}`), Buffer.from(`b${i}`), tuple(i, i), [i, -i]);
    const large = new ErlMap(keys.map((k, i) => [k, i % 3 === 0 ? records : i] as const));
    const prepared = assertPiecedEtf(large);
    assert.equal(prepared.length, keys.length);
  });

  test("improper lists, and a list whose tail is a list (flattened as decode flattens it)", () => {
    const prepared = assertPiecedEtf(new ImproperList([1, atom("a"), records], atom("tail")));
    assert.equal(prepared.shape, "list");
    assertPiecedEtf(new ImproperList([1, 2], tuple()));
    // [1 | [2]] written the long way, as BEAM never writes it: LIST_EXT 1, 1, LIST_EXT 1, 2, NIL.
    const file = bytesOf(131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106);
    assertSameTerm(build(file.slice(), "etf", ONE_PER_PIECE).value, decode(file));
    // [ | atom] with no elements: LIST_EXT 0, then the tail.
    const bare = bytesOf(131, 108, 0, 0, 0, 0, 119, 1, 120);
    assertSameTerm(build(bare.slice(), "etf", ONE_PER_PIECE).value, decode(bare));
  });

  test("nested containers stay whole inside their element", () => {
    const nested: Term = [tuple([tuple(new ErlMap([[1, [2, [3, [4]]]]]))]), [[[[]]]], new ErlMap([[[], records]])];
    assertPiecedEtf(nested);
  });

  test("a compressed file", () => {
    const prepared = assertPiecedEtf(records, { compressed: true });
    assert.equal(encode(records, { compressed: true })[1], 80, "the test file is compressed");
    assert.equal(prepared.length, 50);
  });

  test("terms that are not containers are one piece", () => {
    for (const term of [atom("hello"), 42, -1n << 100n, 3.25, Buffer.alloc(100, 7), [], [1, 2, 3], tuple()]) {
      const prepared = assertPiecedEtf(term);
      assert.equal(prepared.shape, "value");
      assert.deepEqual(prepared.pieces.slice(2), [1]);
    }
    assert.equal(assertPiecedEtf(new ErlMap()).shape, "value");
  });

  test("binaries are views of the literal's bytes, not copies", () => {
    const { value, prepared } = build(new Uint8Array(encode([Buffer.alloc(3, 1), Buffer.alloc(100, 2)])), "etf");
    for (const binary of value as Uint8Array[]) assert.equal(binary.buffer, prepared.bytes.buffer);
  });

  test("a pooled Buffer is copied before its buffer is handed over", () => {
    const pooled = Buffer.from(encode(records));
    const prepared = prepareLiteral(pooled, "etf");
    assert.equal(prepared.bytes.byteLength, prepared.bytes.buffer.byteLength);
    if (pooled.byteLength !== pooled.buffer.byteLength) assert.notEqual(prepared.bytes.buffer, pooled.buffer);
  });

  test("random terms, in lists, tuples and maps", () => {
    const arbitrary = arbTerm({ largeMaps: true, maxDepth: 3 });
    fc.assert(
      fc.property(fc.array(arbitrary, { maxLength: 8 }), fc.boolean(), (items, compressed) => {
        const pairs = items.map((item, i) => [i % 2 === 0 ? item : i, item] as const);
        for (const term of [items, new Tuple(items), new ErlMap(pairs)]) {
          const file = encode(term, { compressed });
          assertSameTerm(build(new Uint8Array(file), "etf", ONE_PER_PIECE).value, decode(file));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("JSON literals: built in pieces, equal to JSON.parse of the whole file", () => {
  test("arrays", () => {
    assertPiecedJson('[1, "two", {"three": [3, 3.5]}, null, true, false, [], {}, -0.5e3]', 9);
    assertPiecedJson("[]", 0);
    assertPiecedJson(" [ [ ] , [ 1 ] ] \n", 2);
  });

  test("objects: order, repeated keys across pieces, integer-like keys, __proto__", () => {
    assertPiecedJson('{"b": 1, "a": [1, {"x": "y"}], "10": 1, "2": 2, "b": 3}', 5);
    const { value } = build(new TextEncoder().encode('{"__proto__": {"polluted": 1}, "a": 1}'), "json", ONE_PER_PIECE);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value as object), ["__proto__", "a"]);
    assertPiecedJson("{}", 0);
  });

  test("strings with escapes, brackets, commas and multi-byte characters do not cut elements", () => {
    assertPiecedJson('["a,b", "c]d", "e\\"f", "g\\\\", "{[", "héllo ☃ 😀", "\\u005d"]', 7);
    assertPiecedJson('{"k\\"ey": "v,}", "😀": "\\\\\\""}', 2);
  });

  test("scalars are one piece; a byte order mark is skipped as Node's loader skips it", () => {
    for (const text of ["42", '"str"', "null", "true", " -1.5e-7 ", "\uFEFF[1, 2]"]) assertPiecedJson(text);
  });
});

describe("step: builds pieces until the deadline", () => {
  const file = encode(records);

  test("a deadline already past builds exactly one piece per call", () => {
    const builder = new LiteralBuilder(prepareLiteral(new Uint8Array(file), "etf", ONE_PER_PIECE));
    assert.equal(builder.pieces, 50);
    for (let i = 1; i < 50; i++) {
      assert.equal(builder.step(performance.now() - 1), false);
      assert.equal(builder.built, i);
      assert.equal(builder.value, undefined);
    }
    assert.equal(builder.step(0), true);
    assert.equal(builder.done, true);
    assertSameTerm(builder.value, decode(file));
    assert.equal(builder.step(0), true, "a finished builder stays finished");
  });

  test("each call stops at the first piece that reaches the deadline", () => {
    // A clock that advances one unit per reading: a piece "takes" one unit.
    let clock = 0;
    const builder = new LiteralBuilder(prepareLiteral(new Uint8Array(file), "etf", ONE_PER_PIECE), {
      now: () => ++clock,
    });
    let before = 0;
    while (!builder.step(clock + 4)) {
      assert.equal(builder.built - before, 4);
      before = builder.built;
    }
    assert.ok(builder.built - before <= 4);
    assertSameTerm(builder.value, decode(file));
  });

  test("the default budget groups elements into pieces by estimated cost", () => {
    const many: Term = Array.from({ length: 20_000 }, (_, i) => tuple(i, Buffer.alloc(24, i), [1, 2, 3], i + 0.5));
    const prepared = prepareLiteral(new Uint8Array(encode(many)), "etf");
    const pieces = prepared.pieces.length / 3;
    assert.ok(pieces > 5 && pieces < 200, `${pieces} pieces`);
    let total = 0;
    for (let i = 2; i < prepared.pieces.length; i += 3) total += prepared.pieces[i]!;
    assert.equal(total, 20_000);
  });
});

describe("malformed files are refused when prepared (CODE_BAD_LITERAL)", () => {
  function refuses(file: Uint8Array, kind: "etf" | "json", causeCode?: string): void {
    assert.throws(
      () => prepareLiteral(file, kind),
      (e: unknown) =>
        e instanceof CodeError &&
        e.code === ErrorCodes.CODE_BAD_LITERAL &&
        (causeCode === undefined || (e.cause instanceof EtfDecodeError && e.cause.code === causeCode)),
    );
  }
  const good = new Uint8Array(encode(records));

  test("ETF: truncated, inside an element, inside the header, or before the tail", () => {
    for (const cut of [1, 3, 20, good.length - 30, good.length - 1]) {
      assert.throws(() => prepareLiteral(good.slice(0, cut), "etf"), CodeError, `cut at ${cut}`);
    }
    refuses(good.slice(0, good.length - 1), "etf", ErrorCodes.ETF_TRUNCATED);
  });

  test("ETF: a bad tag deep in an element, a bad version, trailing bytes", () => {
    // The last element's float: NEW_FLOAT_EXT, 8 bytes, then the list's NIL.
    const badTag = good.slice();
    assert.equal(badTag[good.length - 10], 70);
    badTag[good.length - 10] = 200;
    refuses(badTag, "etf", ErrorCodes.ETF_BAD_TAG);
    const notList = bytesOf(131, 104, 2, 97, 1, 200);
    refuses(notList, "etf", ErrorCodes.ETF_BAD_TAG);
    refuses(bytesOf(130, 106), "etf", ErrorCodes.ETF_BAD_VERSION);
    refuses(bytesOf(131, 106, 106), "etf", ErrorCodes.ETF_TRAILING_BYTES);
    refuses(bytesOf(131, 108, 0, 0, 0, 1, 97, 1, 106, 0), "etf", ErrorCodes.ETF_TRAILING_BYTES);
  });

  test("ETF: bad compression (not zlib, wrong declared size)", () => {
    refuses(bytesOf(131, 80, 0, 0, 0, 10, 1, 2, 3, 4), "etf", ErrorCodes.ETF_BAD_COMPRESSED);
    const body = deflateSync(Buffer.from(good.subarray(1)));
    const wrongSize = Buffer.concat([Buffer.from([131, 80, 0, 0, 0, 5]), body]);
    refuses(wrongSize, "etf", ErrorCodes.ETF_BAD_COMPRESSED);
    const trailing = Buffer.concat([Buffer.from([131, 80, 0, 0, 0, 2]), deflateSync(Buffer.from([106, 106]))]);
    refuses(trailing, "etf", ErrorCodes.ETF_TRAILING_BYTES);
  });

  test("ETF: what decode refuses inside an element: bad atoms, bad floats, duplicate map keys", () => {
    // [<atom with invalid UTF-8>]
    refuses(bytesOf(131, 108, 0, 0, 0, 1, 119, 1, 0xff, 106), "etf", ErrorCodes.ETF_BAD_VALUE);
    // [NaN as NEW_FLOAT_EXT]
    refuses(bytesOf(131, 108, 0, 0, 0, 1, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 106), "etf", ErrorCodes.ETF_BAD_VALUE);
    // #{1 => 1, 1 => 2} at the top, and inside a list.
    const dup = [116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2];
    refuses(bytesOf(131, ...dup), "etf", ErrorCodes.ETF_BAD_VALUE);
    refuses(bytesOf(131, 108, 0, 0, 0, 1, ...dup, 106), "etf", ErrorCodes.ETF_BAD_VALUE);
    // A length longer than the input: a list that claims 2^32-1 elements.
    refuses(bytesOf(131, 108, 255, 255, 255, 255, 106), "etf", ErrorCodes.ETF_BAD_LENGTH);
  });

  test("JSON: invalid text anywhere", () => {
    for (const text of [
      "[1, 2",
      "[1,,2]",
      "[,1]",
      "[1,]",
      '{"a": 1,}',
      "[1] x",
      "[1}",
      "[{]}",
      '["abc]',
      '["abc\\"]',
      "nul",
      "[1 2]",
      '{"a" 1}',
      "",
      "[01]",
    ]) {
      assert.throws(
        () => prepareLiteral(new TextEncoder().encode(text), "json"),
        (e: unknown) =>
          e instanceof CodeError && e.code === ErrorCodes.CODE_BAD_LITERAL && e.cause instanceof SyntaxError,
        text,
      );
    }
  });
});
