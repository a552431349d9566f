// Plain-text tables and number formatting for benchmark output.

export type Align = "left" | "right";

/** Lays out rows under headers, columns padded to their widest cell; numbers usually align right. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (align[c] === "right" ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Three significant digits, grouped thousands for large values: 0.0432, 1.14, 618, 53,675. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs === 0) return "0";
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return value.toFixed(digits);
}

/** A ratio as `1.25×`. */
export function fmtRatio(value: number | undefined): string {
  return value === undefined ? "–" : `${fmt(value)}×`;
}

/** An integer with grouped thousands. */
export function fmtInt(value: number): string {
  return value.toLocaleString("en-US");
}
