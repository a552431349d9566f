// JSON literal text: UTF-8 bytes to the strings JSON.parse reads, as Node's loader decodes a JSON module.

// Not fatal: Node reads a JSON module's file as UTF-8 text, where a malformed sequence becomes U+FFFD.
const utf8 = new TextDecoder();

/** The text of `bytes[start, end)`. */
export function textOf(bytes: Uint8Array, start: number, end: number): string {
  return utf8.decode(bytes.subarray(start, end));
}

/** The JSON text of a piece of a top-level array (`[…]`) or object (`{…}`): its elements, bracketed. */
export function pieceText(bytes: Uint8Array, start: number, end: number, shape: "array" | "object"): string {
  const inner = textOf(bytes, start, end);
  return shape === "array" ? `[${inner}]` : `{${inner}}`;
}
