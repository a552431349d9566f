// Big vectors: terms too large for vectors.json, built the same way in Erlang (source) and TypeScript (build).
import { createHash } from "node:crypto";
import type { Term } from "../../../src/term/index.ts";

export interface BigTerm {
  /** The Erlang expression the generator evaluates. */
  source: string;
  /** The same term, built in TypeScript. */
  build(): Term;
}

export const BIG_TERMS: Readonly<Record<string, BigTerm>> = {
  "binary-10MB": {
    source: "binary:copy(<<1,2,3,4,5,6,7,8,9,10>>, 1048576)",
    build: () => {
      const bytes = Buffer.allocUnsafe(10 * 1_048_576);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i % 10) + 1;
      return bytes;
    },
  },
};

/** SHA-256 of bytes, hex. */
export function sha256(bytes: Uint8Array | readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes) hash.update(chunk);
  return hash.digest("hex");
}
