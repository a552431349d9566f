// Properties of the codec over generated terms: round trips, chunk-split invariance, iovec equivalence, hashing.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decode, encode, encodeIovec, equals, hash } from "../../../../src/index.ts";
import { arbTerm } from "../../../support/arbitraries.ts";

const terms = arbTerm({ maxDepth: 4, maxLength: 8, largeMaps: true, strings: true });

test("decode(encode(t)) equals t, and hashes alike", () => {
  fc.assert(
    fc.property(terms, (t) => {
      const back = decode(encode(t));
      return equals(back, t) && hash(back) === hash(t);
    }),
    { numRuns: 2000 },
  );
});

test("re-encoding a decoded term gives the same bytes (maps of ≤ 32 keys)", () => {
  fc.assert(
    fc.property(arbTerm({ maxDepth: 4, maxLength: 8 }), (t) => {
      const b = encode(t);
      return encode(decode(b)).equals(b);
    }),
    { numRuns: 2000 },
  );
});

test("decoding from any split of the bytes into chunks gives the same term", () => {
  fc.assert(
    fc.property(
      terms.map((t) => encode(t)),
      fc.array(fc.nat(), { maxLength: 6 }),
      (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(bytes.subarray(from, p));
          from = p;
        }
        chunks.push(bytes.subarray(from));
        return equals(decode(chunks), decode(bytes));
      },
    ),
    { numRuns: 2000 },
  );
});

test("encodeIovec concatenates to encode, for any reference threshold", () => {
  fc.assert(
    fc.property(terms, fc.integer({ min: 1, max: 300 }), (t, threshold) => {
      const chunks = encodeIovec(t, { referenceThreshold: threshold });
      assert.deepEqual(Buffer.concat(chunks), encode(t));
      return equals(decode(chunks), t);
    }),
    { numRuns: 1000 },
  );
});

test("compressed encodings decode to the same term", () => {
  fc.assert(
    fc.property(terms, fc.integer({ min: 0, max: 9 }), (t, level) =>
      equals(decode(encode(t, { compressed: level })), t),
    ),
    { numRuns: 500 },
  );
});
