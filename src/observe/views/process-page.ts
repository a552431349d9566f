// One page of the processes table from rows read on any node: filtered, sorted and cut server-side, and the random
// sample read instead of every process when a node has more than a page can afford to read each interval.
import type { Pid } from "../../term/types.ts";
import type { ProcessPage, ProcessRow, View } from "../protocol.ts";

export type ProcessesView = Extract<View, { kind: "processes" }>;

/** A row before its pid is printed (only the page's rows, and those a filter looks at, need the text). */
export interface Row extends Omit<ProcessRow, "pid"> {
  readonly pid: Pid;
}

/** How a node's pids print (relative to that node). */
export type PidText = (pid: Pid) => string;

/** Whether `view` needs every process read (a filter, or a sort by anything but the pid). */
export function readsEveryProcess(view: ProcessesView): boolean {
  return view.filter !== "" || view.sort !== "pid";
}

/** Pids in pid order (id, then serial), as erlang:processes/0 would list a fresh node's. */
export function comparePids(a: Pid, b: Pid): number {
  return a.id - b.id || a.serial - b.serial;
}

/** Up to `size` of `pids` chosen at random (a partial Fisher–Yates shuffle of a copy). */
export function sampleOf<T>(items: readonly T[], size: number): T[] {
  if (items.length <= size) return [...items];
  const copy = [...items];
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  copy.length = size;
  return copy;
}

/** The page `view` asks for out of `rows` (all of a node's processes, or a sample when `sampled`). */
export function pageOf(rows: readonly Row[], view: ProcessesView, sampled: boolean, text: PidText): ProcessPage {
  const needle = view.filter.trim().toLowerCase();
  const matching = needle === "" ? [...rows] : rows.filter((row) => matches(row, needle, text));
  const compare = comparator(view.sort, view.descending);
  const end = view.offset + view.limit;
  // A page near the top (the usual one) needs only the first `end` rows in order, not all of them sorted.
  const ordered = end < matching.length / 4 ? firstInOrder(matching, end, compare) : matching.sort(compare);
  return {
    total: matching.length,
    offset: view.offset,
    rows: ordered.slice(view.offset, end).map((row) => printed(row, text)),
    sampled,
  };
}

/** The `count` first of `rows` by `compare`, in order: each row is compared with the last kept one first. */
function firstInOrder(rows: readonly Row[], count: number, compare: (a: Row, b: Row) => number): Row[] {
  const kept: Row[] = [];
  for (const row of rows) {
    if (kept.length === count && compare(row, kept[count - 1]!) >= 0) continue;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(kept[middle]!, row) <= 0) low = middle + 1;
      else high = middle;
    }
    kept.splice(low, 0, row);
    if (kept.length > count) kept.pop();
  }
  return kept;
}

/** The row as it goes on the wire. */
export function printed(row: Row, text: PidText): ProcessRow {
  return { ...row, pid: text(row.pid) };
}

function matches(row: Row, needle: string, text: PidText): boolean {
  return (
    (row.name?.toLowerCase().includes(needle) ?? false) ||
    row.currentFunction.toLowerCase().includes(needle) ||
    // A process's own node's pids print as `<0.42.0>`: printing them is worth it only for a needle that can match.
    (PID_CHARACTERS.test(needle) && text(row.pid).includes(needle))
  );
}

const PID_CHARACTERS = /^[<>.0-9]+$/;

/** Order by `key`, either way; ties stay in pid order, and processes without a name come after the named ones. */
function comparator(key: ProcessesView["sort"], descending: boolean): (a: Row, b: Row) => number {
  const way = descending ? -1 : 1;
  if (key === "pid") return (a, b) => way * comparePids(a.pid, b.pid);
  const byKey = keyOrder(key);
  return (a, b) => {
    if (key === "name" && (a.name === null) !== (b.name === null)) return a.name === null ? 1 : -1;
    return way * byKey(a, b) || comparePids(a.pid, b.pid);
  };
}

/** Ascending order of `key` alone. */
function keyOrder(key: Exclude<ProcessesView["sort"], "pid">): (a: Row, b: Row) => number {
  switch (key) {
    case "name":
      return (a, b) => (a.name === b.name ? 0 : (a.name ?? "") < (b.name ?? "") ? -1 : 1);
    case "currentFunction":
      return (a, b) => (a.currentFunction === b.currentFunction ? 0 : a.currentFunction < b.currentFunction ? -1 : 1);
    default:
      return (a, b) => a[key] - b[key];
  }
}
