// Presentation of the ETF benchmark: one table per workload, the goals of issue 3, and the `--json` records.
import type { Measurement } from "../lib/measure.ts";
import type { BenchResult } from "../lib/report.ts";
import { fmt, fmtInt, fmtRatio, formatTable } from "../lib/table.ts";
import type { WorkloadName } from "./workloads.ts";

export type Op = "encode" | "decode";

/** How a codec's bytes compare with BEAM's: decoders all read the same input; "unchecked" when BEAM failed. */
export type Wire = "reference" | "identical" | "differs" | "same input" | "unchecked";

export interface Row {
  workload: WorkloadName;
  op: Op;
  /** "otter", "beam", or an npm package name. */
  system: string;
  /** ETF bytes produced (encode) or consumed (decode) per operation. */
  bytes: number;
  wire: Wire;
  timing: Measurement;
  /** BEAM encode only: `term_to_binary(T)` (default minor version) for comparison. */
  beamDefault?: { bytes: number; timing: Measurement } | undefined;
}

/** Megabytes (10^6 bytes) per second at the median time. */
export function mbPerSec(row: Row): number {
  return row.bytes / row.timing.usPerOp;
}

function find(rows: readonly Row[], workload: WorkloadName, op: Op, system: string): Row | undefined {
  return rows.find((r) => r.workload === workload && r.op === op && r.system === system);
}

/** The fastest npm peer on a workload and op, if any peer managed it. */
export function bestPeer(
  rows: readonly Row[],
  workload: WorkloadName,
  op: Op,
  peers: readonly string[],
): Row | undefined {
  let best: Row | undefined;
  for (const r of rows) {
    if (r.workload !== workload || r.op !== op || !peers.includes(r.system)) continue;
    if (best === undefined || r.timing.usPerOp < best.timing.usPerOp) best = r;
  }
  return best;
}

/** The table of one workload: every system, encode then decode, with ratios to BEAM and the best peer. */
export function workloadTable(rows: readonly Row[], workload: WorkloadName, peers: readonly string[]): string {
  const body: string[][] = [];
  for (const op of ["encode", "decode"] as const) {
    const beam = find(rows, workload, op, "beam");
    const peer = bestPeer(rows, workload, op, peers);
    for (const r of rows.filter((x) => x.workload === workload && x.op === op)) {
      const t = r.timing;
      body.push([
        op,
        r.system,
        fmtInt(r.bytes),
        r.wire,
        fmt(t.usPerOp),
        `${fmt(t.minUsPerOp)}–${fmt(t.maxUsPerOp)}`,
        fmt(mbPerSec(r)),
        fmt(t.opsPerSec),
        fmtRatio(beam && beam.timing.usPerOp / t.usPerOp),
        fmtRatio(peer && peer.timing.usPerOp / t.usPerOp),
      ]);
    }
  }
  return formatTable(
    ["op", "system", "ETF bytes", "bytes vs BEAM", "µs/op", "(min–max)", "MB/s", "ops/s", "vs BEAM", "vs best npm"],
    body,
    ["left", "left", "right", "left", "right", "right", "right", "right", "right", "right"],
  );
}

type Verdict = "PASS" | "FAIL" | "SKIP";

/** The goals of issue 3, each as a PASS/FAIL/SKIP line with its numbers. */
export function goalLines(
  rows: readonly Row[],
  peers: readonly string[],
): { lines: string[]; passed: number; total: number } {
  const lines: string[] = [];
  let passed = 0;
  let total = 0;
  const check = (workload: WorkloadName, op: Op, against: Row | undefined, goal: number, what: string): void => {
    total++;
    const otter = find(rows, workload, op, "otter");
    let verdict: Verdict = "SKIP";
    let detail = `no ${otter === undefined ? "otter" : what} figure`;
    if (otter !== undefined && against !== undefined) {
      const ratio = against.timing.usPerOp / otter.timing.usPerOp;
      verdict = ratio >= goal ? "PASS" : "FAIL";
      detail =
        `otter ${fmt(otter.timing.usPerOp)} µs/op vs ${against.system} ${fmt(against.timing.usPerOp)} µs/op ` +
        `= ${fmtRatio(ratio)} (goal ≥ ${goal}× ${what})`;
    }
    if (verdict === "PASS") passed++;
    lines.push(`${verdict}  ${op} ${workload.padEnd(7)}  ${detail}`);
  };
  const workloads: WorkloadName[] = ["small", "bin1m", "maps10k"];
  for (const w of workloads) check(w, "decode", find(rows, w, "decode", "beam"), 1, "BEAM");
  for (const w of ["small", "maps10k"] as const) check(w, "encode", find(rows, w, "encode", "beam"), 0.5, "BEAM");
  for (const w of workloads) {
    for (const op of ["encode", "decode"] as const) check(w, op, bestPeer(rows, w, op, peers), 3, "best npm");
  }
  return { lines, passed, total };
}

/** The `--json` records: per row, time per op, throughput, rate and ETF size. */
export function toResults(rows: readonly Row[]): BenchResult[] {
  const results: BenchResult[] = [];
  for (const r of rows) {
    const base = { case: `${r.workload}/${r.op}`, system: r.system };
    results.push(
      { ...base, metric: "time_per_op", unit: "us", value: r.timing.usPerOp },
      { ...base, metric: "throughput", unit: "MB/s", value: mbPerSec(r) },
      { ...base, metric: "rate", unit: "ops/s", value: r.timing.opsPerSec },
      { ...base, metric: "etf_size", unit: "bytes", value: r.bytes },
    );
    if (r.beamDefault !== undefined) {
      results.push(
        { ...base, metric: "time_per_op_term_to_binary_1", unit: "us", value: r.beamDefault.timing.usPerOp },
        { ...base, metric: "etf_size_term_to_binary_1", unit: "bytes", value: r.beamDefault.bytes },
      );
    }
  }
  return results;
}
