// Preparing a literal data file in the worker: checked and cut into pieces, or refused with CODE_BAD_LITERAL.
import { CodeError, ErrorCodes, OtterError } from "../../errors.ts";
import { indexEtf } from "./etf-index.ts";
import { indexJson } from "./json-index.ts";
import { PIECE_BUDGET_NS, type PreparedLiteral } from "./prepared-literal.ts";

export interface PrepareLiteralOptions {
  /** Estimated main-thread time to build one piece, in nanoseconds (default PIECE_BUDGET_NS). */
  readonly pieceBudgetNs?: number;
}

/**
 * Checks a literal file's bytes (ETF with its version byte, or JSON text) and indexes its top-level value for
 * building in pieces. The result's `bytes` may be `file` itself: do not use `file` afterwards.
 */
export function prepareLiteral(
  file: Uint8Array,
  kind: "json" | "etf",
  options?: PrepareLiteralOptions,
): PreparedLiteral {
  const budget = options?.pieceBudgetNs ?? PIECE_BUDGET_NS;
  let prepared: PreparedLiteral;
  try {
    prepared = kind === "etf" ? indexEtf(file, budget) : indexJson(file, budget);
  } catch (error) {
    // The decoder's and the JSON checks' refusals; anything else is a fault of ours, not of the file.
    if (!(error instanceof OtterError || error instanceof SyntaxError)) throw error;
    const what = kind === "etf" ? "an ETF" : "a JSON";
    throw new CodeError(ErrorCodes.CODE_BAD_LITERAL, `${what} literal is malformed: ${error.message}`, {
      cause: error,
    });
  }
  return { ...prepared, bytes: ownBuffer(prepared.bytes) };
}

/** `bytes` over a buffer that holds nothing else (copied if it shares one, as a pooled Buffer does). */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !isShared(bytes.buffer)) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

function isShared(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
}
