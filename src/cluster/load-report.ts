// Load reports: what a node says about its own load (one entry per scheduler), the ETF term that carries it
// between cluster members, and the score spawnLb ranks nodes by.
//
// A report is a list with one map per scheduler, `[#{run_queue => N, utilisation => U}, …]`, so a node with N
// schedulers reports N entries and a later field is one more map key (readers skip keys they do not know).
import { performance } from "node:perf_hooks";
import type { Runtime } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { ErlMap } from "../term/map.ts";
import { Float, type Term } from "../term/types.ts";

/** One scheduler's load over the last report interval. */
export interface SchedulerLoad {
  /** Processes queued to run when it was sampled (BEAM's `statistics(run_queue)` for one scheduler). */
  readonly runQueue: number;
  /** Share of the interval its thread was busy, 0..1 (perf_hooks' event-loop utilisation). */
  readonly utilisation: number;
}

/**
 * Where a node's load comes from: one entry per scheduler. The cluster service samples it once per report
 * interval, so each call covers the time since the previous one; sampling must be cheap (no timers of its own).
 */
export interface LoadSource {
  sample(): readonly SchedulerLoad[];
}

/**
 * The load of a runtime on the main thread: its run-queue length, and the event loop's utilisation as the delta
 * of two `performance.eventLoopUtilization()` readings. Two counter reads per sample, nothing between samples
 * (observe's LoadSampler also runs a 100 Hz delay histogram, which a report every second does not need).
 */
export class RuntimeLoadSource implements LoadSource {
  private last = performance.eventLoopUtilization();

  constructor(private readonly runtime: Runtime) {}

  sample(): readonly SchedulerLoad[] {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    return [{ runQueue: this.runtime.runQueueLength, utilisation: Number.isFinite(utilization) ? utilization : 0 }];
  }
}

/**
 * How many queued processes a fully busy scheduler counts as. A run queue says how many wait now; utilisation
 * says how loaded the thread was over the interval even when each process ran briefly and the queue looked empty.
 */
export const UTILISATION_WEIGHT = 10;

/**
 * A node's score (lower is less loaded): per scheduler `runQueue + UTILISATION_WEIGHT × utilisation`, averaged
 * over the node's schedulers, plus the processes spawnLb placed there since its last report, spread over those
 * schedulers as well. The average, not the sum: a node with more schedulers takes more work for the same score.
 */
export function nodeScore(schedulers: readonly SchedulerLoad[], placedSinceReport: number): number {
  let sum = placedSinceReport;
  for (const s of schedulers) sum += s.runQueue + UTILISATION_WEIGHT * s.utilisation;
  return sum / Math.max(1, schedulers.length);
}

const RUN_QUEUE = atom("run_queue");
const UTILISATION = atom("utilisation");
/** More schedulers than any machine has: a longer list is not a report. */
const MAX_SCHEDULERS = 4096;

/** The report as it travels between members. */
export function reportTerm(schedulers: readonly SchedulerLoad[]): Term[] {
  return schedulers.map(
    (s) =>
      new ErlMap([
        [RUN_QUEUE, s.runQueue],
        [UTILISATION, new Float(s.utilisation)],
      ]),
  );
}

/** The report in `term`, or undefined when it is not one (a malformed report is dropped, never trusted). */
export function reportFromTerm(term: Term): SchedulerLoad[] | undefined {
  if (!Array.isArray(term) || term.length === 0 || term.length > MAX_SCHEDULERS) return undefined;
  const schedulers: SchedulerLoad[] = [];
  for (const entry of term) {
    if (!(entry instanceof ErlMap)) return undefined;
    const runQueue = entry.get(RUN_QUEUE);
    const utilisation = numberOf(entry.get(UTILISATION));
    if (typeof runQueue !== "number" || !Number.isSafeInteger(runQueue) || runQueue < 0) return undefined;
    if (utilisation === undefined || utilisation < 0 || utilisation > 1) return undefined;
    schedulers.push({ runQueue, utilisation });
  }
  return schedulers;
}

/** A float term's value (an integral float decodes boxed, as Float). */
function numberOf(term: Term | undefined): number | undefined {
  if (term instanceof Float) return term.value;
  return typeof term === "number" && Number.isFinite(term) ? term : undefined;
}

/** A node's load as this node last heard of it. */
export interface NodeLoad {
  readonly node: Atom;
  readonly schedulers: readonly SchedulerLoad[];
  /** How long ago the report came (this node's own: how long ago it was sampled). */
  readonly ageMs: number;
  /** Older than the staleness limit: the node may be too busy to report, or gone; nothing is placed there. */
  readonly stale: boolean;
  /** Processes spawnLb placed there since the report. */
  readonly placed: number;
  /** nodeScore of the report and the placed count: lower is less loaded. */
  readonly score: number;
}

/**
 * The index of the scheduler with the lowest score among `schedulers` (the first on a tie; 0 for none), counting
 * `placedOn(index)` processes placed on each since it was sampled.
 */
export function leastLoadedIndex(
  schedulers: readonly SchedulerLoad[],
  placedOn: (index: number) => number = () => 0,
): number {
  let best = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  schedulers.forEach((load, index) => {
    const score = nodeScore([load], placedOn(index));
    if (score < bestScore) [best, bestScore] = [index, score];
  });
  return best;
}

/**
 * The node with the lowest score among `loads` that are not stale. Ties go to `self` (no network hop), then to the
 * node whose name sorts first; the `placed` count in the score then spreads the next spawns over equal nodes.
 */
export function leastLoaded(loads: readonly NodeLoad[], self: Atom): Atom | undefined {
  let best: NodeLoad | undefined;
  for (const load of loads) {
    if (load.stale) continue;
    if (best === undefined || load.score < best.score || (load.score === best.score && before(load, best, self))) {
      best = load;
    }
  }
  return best?.node;
}

function before(a: NodeLoad, b: NodeLoad, self: Atom): boolean {
  if (b.node === self) return false;
  return a.node === self || a.node.name < b.node.name;
}
