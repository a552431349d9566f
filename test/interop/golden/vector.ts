// A golden vector: one term with the exact bytes OTP's term_to_binary gives for it (the shape of vectors.json).
import { readFileSync } from "node:fs";

/** One entry of vectors.json. */
export interface Vector {
  /** Unique, stable, readable: `category/what`. */
  id: string;
  category: string;
  /** An Erlang expression whose value is the term (for byte inputs: `binary_to_term(<<…>>)`). */
  source: string;
  /** term_to_binary(T, [{minor_version,2} | options]) as hex; for legacy and rejected vectors, the input bytes. */
  hex?: string;
  /** For big vectors: the name of the builder in big.ts, and the bytes' SHA-256 (hex) and length. */
  big?: string;
  sha256?: string;
  length?: number;
  /** term_to_binary options besides minor version 2. */
  options?: { compressed: true | number };
  /** A map of more than 32 keys somewhere inside: BEAM's key order is hash-based, compare decoded terms. */
  largeMap?: true;
  /** Input BEAM decodes but never produces; `reencoded` is term_to_binary(binary_to_term(Input), [{minor_version,2}]). */
  legacy?: true;
  reencoded?: string;
  /** Bytes after the term that binary_to_term/1 ignores (BEAM accepts them; a strict decoder may say ETF_TRAILING_BYTES). */
  trailing?: number;
  /** Input binary_to_term rejects with badarg. */
  rejected?: true;
  /** io_lib:format("~tp", [T]), when the term is small and has no pid, ref, port or fun. */
  text?: string;
}

/** The file's shape. */
export interface VectorFile {
  otpRelease: string;
  generatedBy: string;
  count: number;
  vectors: Vector[];
}

/** Where the checked-in fixture lives. */
export const VECTORS_PATH = new URL("./vectors.json", import.meta.url);

/** Reads vectors.json. */
export function loadVectors(): VectorFile {
  return JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as VectorFile;
}

/** The bytes a vector's `hex` (or `reencoded`) field holds. */
export function fromHex(hex: string): Buffer {
  return Buffer.from(hex, "hex");
}
