// The timing loop every benchmark uses: warm-up, batch calibration, and the median of several timed runs.
//
// A benchmark hands over a *batch*: a function that performs `ops` operations in its own tight loop and
// returns something derived from every result, so the optimizer cannot drop the work. Timing a whole batch
// keeps the clock's own cost (one `hrtime.bigint()` per batch) out of the figure, and writing the loop in
// the batch, not here, keeps each call site monomorphic: a shared `for (…) fn()` here would see every
// system's closure and turn megamorphic, charging JavaScript peers a call overhead BEAM's loops do not pay.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Performs `ops` operations and returns a value that depends on all of them (a byte count, say). */
export type Batch = (ops: number) => number;

export interface MeasureOptions {
  /** Time spent running the batch untimed before the runs, so the JIT has optimized it. */
  warmupMs: number;
  /** Minimum duration of one timed run; long enough that garbage collection is part of every run. */
  runMs: number;
  /** Number of timed runs; the median is reported. */
  runs: number;
}

/** One timed run: how many operations took how long. */
export interface Run {
  ns: number;
  ops: number;
}

export interface Measurement {
  /** Median over the runs of the time per operation, in microseconds. */
  usPerOp: number;
  /** Fastest and slowest run, in microseconds per operation. */
  minUsPerOp: number;
  maxUsPerOp: number;
  /** Operations per second at the median. */
  opsPerSec: number;
  runs: readonly Run[];
}

/** Batches per run once calibrated: enough to amortize the clock, few enough to keep slow ops timed. */
const BATCHES_PER_RUN = 10;

let sink = 0;

/** Folds a batch's return value into a global, so no batch's result is ever dead. */
function consume(value: number): void {
  sink = (sink + value) | 0;
}

/** The value all batch results were folded into (printing it is never needed; reading it keeps it live). */
export function sinkValue(): number {
  return sink;
}

function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Times `batch` as described by `options`. */
export function measure(batch: Batch, options: MeasureOptions): Measurement {
  const targetBatchNs = (options.runMs * 1e6) / BATCHES_PER_RUN;
  const ops = calibrate(batch, targetBatchNs, options.warmupMs * 1e6);
  const runs: Run[] = [];
  const runNs = options.runMs * 1e6;
  for (let r = 0; r < options.runs; r++) {
    let done = 0;
    const start = nowNs();
    let elapsed = 0;
    do {
      consume(batch(ops));
      done += ops;
      elapsed = Number(nowNs() - start);
    } while (elapsed < runNs);
    runs.push({ ns: elapsed, ops: done });
  }
  return summarize(runs);
}

/**
 * Runs the batch untimed for at least `warmupNs`, doubling its size while it is shorter than the target,
 * and returns the number of operations per batch that fills `targetBatchNs`.
 */
function calibrate(batch: Batch, targetBatchNs: number, warmupNs: number): number {
  const start = nowNs();
  let ops = 1;
  let perOpNs = 0;
  for (;;) {
    const t0 = nowNs();
    consume(batch(ops));
    const t1 = nowNs();
    perOpNs = Math.max(Number(t1 - t0) / ops, 0.01);
    if (Number(t1 - start) >= warmupNs && ops * perOpNs >= targetBatchNs / 2) break;
    if (ops * perOpNs < targetBatchNs / 2) ops *= 2;
  }
  return Math.max(1, Math.round(targetBatchNs / perOpNs));
}

/** Median, fastest and slowest of a set of runs. */
export function summarize(runs: readonly Run[]): Measurement {
  if (runs.length === 0) throw new Error("no runs to summarize");
  const perOp = runs.map((r) => r.ns / 1e3 / r.ops).sort((a, b) => a - b);
  const usPerOp = median(perOp);
  return {
    usPerOp,
    minUsPerOp: perOp[0]!,
    maxUsPerOp: perOp[perOp.length - 1]!,
    opsPerSec: 1e6 / usPerOp,
    runs,
  };
}

/** The median of numbers sorted ascending (the mean of the middle two for an even count). */
export function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

let gcFunction: (() => void) | undefined;

/**
 * Runs a full garbage collection, so the garbage one measurement leaves is not collected during the next.
 * `--expose-gc` is switched on at run time; `gc` is then a global of every new context.
 */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
}
