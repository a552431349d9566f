// Which of this node's schedulers a process placed by load goes to: the one with the lowest score from the loads
// the schedulers last sampled (load-meter.ts), counting the processes this thread placed on each since then, so
// a burst of spawns spreads instead of piling onto the one that looked idle.
import type { Runtime } from "../../runtime/index.ts";
import { leastLoadedIndex } from "../load-report.ts";
import { schedulerContext } from "./context.ts";
import { readLoads, SAMPLE_MS } from "./load-meter.ts";

/** Spawns this thread placed on each scheduler since `since` (reset once the samples are newer). */
const placed = new Map<Runtime, { counts: number[]; since: number }>();

/** The least loaded scheduler of `runtime`'s node; undefined when it is the node's only scheduler. */
export function leastLoadedScheduler(runtime: Runtime): number | undefined {
  const context = schedulerContext(runtime);
  if (context === undefined) return undefined;
  const loads = readLoads(context.memory);
  const now = performance.now();
  let mine = placed.get(runtime);
  if (mine === undefined || now - mine.since >= SAMPLE_MS) {
    mine = { counts: loads.map(() => 0), since: now };
    placed.set(runtime, mine);
  }
  const counts = mine.counts;
  const best = leastLoadedIndex(loads, (index) => counts[index]!);
  counts[best]!++;
  return best;
}
