// Turns a spec into a vector by asking the oracle: term_to_binary, binary_to_term's verdict, and ~tp text.
import type { ErlOracle } from "../../../src/testing/index.ts";
import { BIG_TERMS, sha256 } from "./big.ts";
import { type BytesSpec, erlBinary, type Spec, type TermSpec } from "./spec.ts";
import type { Vector } from "./vector.ts";

/** Longest `~tp` text kept in a vector. */
const MAX_TEXT = 4096;
/** `~tp` output that names a pid, ref, port or fun: it would not parse back as a term. */
const OPAQUE_TEXT = /#Fun<|#Ref<|#Port<|<\d+\.\d+\.\d+>/;

/** The vector for one spec. Throws when BEAM's verdict contradicts the spec's expectation. */
export async function buildVector(oracle: ErlOracle, spec: Spec): Promise<Vector> {
  try {
    return await ("input" in spec ? fromBytes(oracle, spec) : fromSource(oracle, spec));
  } catch (error) {
    throw new Error(`golden vector ${spec.id}: ${(error as Error).message}`, { cause: error });
  }
}

async function fromSource(oracle: ErlOracle, spec: TermSpec): Promise<Vector> {
  if (spec.big !== undefined && BIG_TERMS[spec.big]?.source !== spec.source) {
    throw new Error(`big.ts has no builder ${spec.big} with the same source`);
  }
  const encoded = await oracle.termToBinary(spec.source, spec.options ?? {});
  const vector: Vector = { id: spec.id, category: spec.category, source: spec.source };
  if (spec.big !== undefined) {
    vector.big = spec.big;
    vector.sha256 = sha256(encoded);
    vector.length = encoded.length;
  } else {
    vector.hex = encoded.toString("hex");
  }
  if (spec.options !== undefined) vector.options = spec.options;
  if (spec.largeMap) vector.largeMap = true;
  if (spec.opaque === undefined && spec.big === undefined && encoded.length <= MAX_TEXT) {
    await addText(oracle, vector, spec.source);
  }
  return vector;
}

async function fromBytes(oracle: ErlOracle, spec: BytesSpec): Promise<Vector> {
  const source = `binary_to_term(${erlBinary(spec.input)})`;
  const vector: Vector = { id: spec.id, category: spec.category, source, hex: Buffer.from(spec.input).toString("hex") };
  const result = await oracle.roundTrip(spec.input);
  const verdict = !result.ok ? "rejected" : result.bytes.equals(spec.input) ? "canonical" : "legacy";
  const expected = spec.expect === "accepted" ? ["canonical", "legacy"] : [spec.expect];
  if (!expected.includes(verdict)) throw new Error(`expected ${spec.expect}, BEAM says ${verdict}`);
  if (!result.ok) {
    vector.rejected = true;
    return vector;
  }
  if (verdict === "legacy") {
    vector.legacy = true;
    vector.reencoded = result.bytes.toString("hex");
  }
  if (spec.trailing !== undefined) vector.trailing = spec.trailing;
  if (spec.opaque === undefined) await addText(oracle, vector, source);
  return vector;
}

async function addText(oracle: ErlOracle, vector: Vector, source: string): Promise<void> {
  const text = await oracle.print(source);
  if (text.length <= MAX_TEXT && !OPAQUE_TEXT.test(text)) vector.text = text;
}
