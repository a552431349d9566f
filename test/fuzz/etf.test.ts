// Fuzzing the decoder: random and mutated bytes give a term or an ETF_* error, never anything else.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decode, EtfDecodeError, encode, type Term } from "../../src/index.ts";
import { arbTerm } from "../support/arbitraries.ts";

/** Decodes, and checks the outcome is a term that encodes again, or a typed ETF error. */
function decodesOrFailsCleanly(input: Uint8Array | Uint8Array[]): boolean {
  let term: Term;
  try {
    term = decode(input, { maxInflatedSize: 1 << 20 });
  } catch (e) {
    if (e instanceof EtfDecodeError && e.code.startsWith("ETF_")) return true;
    throw e;
  }
  encode(term);
  return true;
}

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("flip", "set", "insert", "delete", "truncate", "big-length"),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Buffer, m: { at: number; kind: string; value: number }): Buffer {
  const b = Buffer.from(bytes);
  const i = m.at % Math.max(1, b.length);
  switch (m.kind) {
    case "flip":
      b[i] = b[i]! ^ (1 << (m.value & 7));
      return b;
    case "set":
      b[i] = m.value;
      return b;
    case "insert":
      return Buffer.concat([b.subarray(0, i), Buffer.of(m.value), b.subarray(i)]);
    case "delete":
      return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    case "truncate":
      return b.subarray(0, i);
    default:
      // Overwrite four bytes with a huge length, the classic attack on length fields.
      for (let k = 0; k < 4 && i + k < b.length; k++) b[i + k] = k === 0 ? 0x7f : 0xff;
      return b;
  }
}

test("random bytes after the version byte", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (tail) =>
      decodesOrFailsCleanly(Buffer.concat([Buffer.of(131), tail])),
    ),
    { numRuns: 20_000 },
  );
});

test("mutated encodings of generated terms, whole and split into chunks", () => {
  fc.assert(
    fc.property(
      arbTerm({ maxDepth: 3, maxLength: 6 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.nat(),
      (term, mutations, cut) => {
        let b = encode(term);
        for (const m of mutations) b = mutate(b, m);
        const at = cut % (b.length + 1);
        return decodesOrFailsCleanly(b) && decodesOrFailsCleanly([b.subarray(0, at), b.subarray(at)]);
      },
    ),
    { numRuns: 20_000 },
  );
});

test("mutated compressed encodings", () => {
  fc.assert(
    fc.property(arbTerm({ maxDepth: 3, maxLength: 10 }), mutation, (term, m) => {
      return decodesOrFailsCleanly(mutate(encode([term, term, term, term], { compressed: 6 }), m));
    }),
    { numRuns: 3000 },
  );
});

test("the errors carry the offset where decoding stopped, inside the input", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), (tail) => {
      const input = Buffer.concat([Buffer.of(131), tail]);
      try {
        decode(input);
      } catch (e) {
        assert.ok(e instanceof EtfDecodeError);
        assert.ok(e.offset >= 0 && e.offset <= input.length, `offset ${e.offset} of ${input.length}`);
      }
    }),
    { numRuns: 5000 },
  );
});
