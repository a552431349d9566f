// Byte assertions that say where two encodings part, instead of dumping megabytes of hex.
import assert from "node:assert/strict";

/** Where `a` and `b` first differ, or -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Hex of `bytes[from, from + count)`, with an ellipsis when cut. */
export function hexSlice(bytes: Uint8Array, from: number, count = 24): string {
  const start = Math.max(0, from);
  const end = Math.min(bytes.length, start + count);
  return `${start > 0 ? "…" : ""}${Buffer.from(bytes.subarray(start, end)).toString("hex")}${end < bytes.length ? "…" : ""}`;
}

/** Asserts equal bytes; the message shows lengths and both sides around the first difference. */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  const at = firstDifference(actual, expected);
  if (at < 0) return;
  assert.fail(
    `${what} differ at byte ${at} (lengths ${actual.length} vs ${expected.length}):\n` +
      `  actual   ${hexSlice(actual, at - 4)}\n  expected ${hexSlice(expected, at - 4)}`,
  );
}
