// Golden ETF vectors recorded from a real erl (vectors.json): our codec must give BEAM's bytes, without erl.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode, type EncodeOptions, encode, equals, OtterError, type Term } from "../../src/index.ts";
import { parse } from "../../src/term/parse.ts";
import { assertBytes } from "../support/bytes.ts";
import { BIG_TERMS, sha256 } from "./golden/big.ts";
import { fromHex, loadVectors, type Vector } from "./golden/vector.ts";

const file = loadVectors();

function encodeOptions(vector: Vector): EncodeOptions {
  return vector.options === undefined ? {} : { compressed: vector.options.compressed };
}

function isEtfError(error: unknown): boolean {
  return error instanceof OtterError && error.code.startsWith("ETF_");
}

/**
 * Whether our bytes must equal BEAM's. Not for maps over 32 keys (BEAM's order comes from internal hashes) and
 * not for compressed terms: Node's zlib (Chromium's fork) writes other, equally valid deflate streams than the
 * zlib BEAM links, so there the decoded terms must agree instead.
 */
function exactBytes(vector: Vector): boolean {
  return !vector.largeMap && vector.options?.compressed === undefined;
}

/** decode → encode gives the bytes back, or, where bytes cannot match (see exactBytes), the same term back. */
function checkRoundTrip(vector: Vector, bytes: Buffer): void {
  const term = decode(bytes);
  const options = encodeOptions(vector);
  if (!exactBytes(vector)) {
    assert.ok(equals(decode(encode(term, options)), term), "decode(encode(decode(bytes))) differs from decode(bytes)");
  } else {
    assertBytes(encode(term, options), bytes, "encode(decode(bytes))");
  }
}

/** encode(parse(~tp text)) gives BEAM's bytes: the text syntax and the codec agree with erl. */
function checkText(vector: Vector, expected: Buffer): void {
  const parsed = parse(vector.text!);
  if (!exactBytes(vector)) assert.ok(equals(parsed, decode(expected)), "parse(text) differs from decode(bytes)");
  else assertBytes(encode(parsed, encodeOptions(vector)), expected, "encode(parse(text))");
}

function checkBig(vector: Vector): void {
  const builder = BIG_TERMS[vector.big!];
  assert.ok(builder !== undefined, `big.ts has no builder ${vector.big}`);
  const term: Term = builder.build();
  const bytes = encode(term, encodeOptions(vector));
  assert.equal(bytes.length, vector.length, "encoded length");
  assert.equal(sha256(bytes), vector.sha256, "SHA-256 of encode(term)");
  const decoded = decode(bytes);
  assert.ok(equals(decoded, term), "decode(encode(term)) differs from term");
  assert.equal(sha256(encode(decoded, encodeOptions(vector))), vector.sha256, "SHA-256 of encode(decode(bytes))");
}

function checkVector(vector: Vector): void {
  if (vector.big !== undefined) {
    checkBig(vector);
    return;
  }
  const input = fromHex(vector.hex!);
  if (vector.rejected) {
    assert.throws(() => decode(input), isEtfError, "decode must throw an OtterError with an ETF_* code");
    return;
  }
  const expected = vector.legacy ? fromHex(vector.reencoded!) : input;
  if (vector.trailing !== undefined) {
    // BEAM's binary_to_term/1 ignores trailing bytes; a decoder may instead refuse them with ETF_TRAILING_BYTES.
    let term: Term;
    try {
      term = decode(input);
    } catch (error) {
      assert.ok(error instanceof OtterError && error.code === "ETF_TRAILING_BYTES", `unexpected ${error}`);
      return;
    }
    assertBytes(encode(term), expected, "encode(decode(input))");
    return;
  }
  if (vector.legacy) assertBytes(encode(decode(input)), expected, "encode(decode(legacy input))");
  else checkRoundTrip(vector, input);
  if (vector.text !== undefined) checkText(vector, expected);
}

describe(`golden ETF vectors from OTP ${file.otpRelease}`, () => {
  it("has at least 500 vectors", () => {
    assert.ok(file.vectors.length >= 500, `${file.vectors.length} vectors`);
    assert.equal(file.count, file.vectors.length);
  });

  const categories = new Map<string, Vector[]>();
  for (const vector of file.vectors) {
    const list = categories.get(vector.category) ?? [];
    list.push(vector);
    categories.set(vector.category, list);
  }
  for (const [category, vectors] of categories) {
    describe(category, () => {
      for (const vector of vectors) it(vector.id, () => checkVector(vector));
    });
  }
});
