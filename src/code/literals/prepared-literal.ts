// A literal data file as the preparing worker hands it to the main thread: its bytes, checked, and cut into
// pieces that each build in well under a millisecond.

/**
 * What the top-level value is. Elements of a "list", "tuple" or "array" and entries of a "map" or "object" are
 * built a piece at a time; a "value" (any other term or JSON value) is one piece.
 */
export type LiteralShape = "list" | "tuple" | "map" | "array" | "object" | "value";

/**
 * A checked literal, cheap to post: a plain object and one transferable buffer. Building it on the main thread
 * cannot fail on its data (a full atom table still can: atoms are made there).
 */
export interface PreparedLiteral {
  readonly kind: "etf" | "json";
  /**
   * ETF: the term's bytes (inflated when the file was compressed); JSON: the file's UTF-8 text. Its buffer holds
   * nothing else, so it can be transferred. It belongs to the literal for ever: the built term's binaries are
   * views of it, so nothing may write to it.
   */
  readonly bytes: Uint8Array;
  readonly shape: LiteralShape;
  /** Elements (list, tuple, array) or entries (map, object); 1 for a value. */
  readonly length: number;
  /**
   * Three numbers per piece, in order: the offset in `bytes` where its first element starts, where its last one
   * ends, and how many elements (or entries) it holds. A value is one piece.
   */
  readonly pieces: readonly number[];
  /** ETF list: where its tail starts (the tail ends where `bytes` does). */
  readonly tail?: number;
}

/** How long building one piece should take on the main thread, in nanoseconds. */
export const PIECE_BUDGET_NS = 400_000;
