// Repeated whole-scenario runs (one figure per run): their median and range, and the text of a table cell.
import { median } from "./measure.ts";
import { fmt } from "./table.ts";

export interface Spread {
  median: number;
  min: number;
  max: number;
  count: number;
}

/** Median, min and max of the values (undefined when there are none). */
export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(sorted), min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length };
}

/** `1,234 (1,200–1,300)`, or just the median for one run, or `–`. */
export function fmtSpread(s: Spread | undefined): string {
  if (s === undefined) return "–";
  return s.count === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}
