// One overview sample of this node: process count, memory (the OS process's, the JS heap's, and an estimate of
// what the processes hold), the event loop's load, the dirty pools' load and the connected nodes. The processes
// are the node's, of every scheduler.
import type { ProcessInfo, Runtime } from "../../runtime/index.ts";
import type { Load } from "../load-sampler.ts";
import type { ObservedNode, ObservedPoolLoad } from "../observed-node.ts";
import type { OverviewSample } from "../protocol.ts";
import { sampleOf } from "./process-page.ts";

/** Processes whose memory is read for the estimate; with more, their mean times the count. */
const MEMORY_SAMPLE = 1_000;
/** Past this many processes, listing them all costs milliseconds: the mean is refreshed every REFRESH_EVERY reads. */
const MANY_PROCESSES = 10_000;
const REFRESH_EVERY = 10;

/** The node's live processes and those queued to run, of every scheduler. */
export interface ProcessTotals {
  readonly count: number;
  readonly runQueue: number;
}

/**
 * The node's processes: this scheduler's now, each other one's as it last sampled them (its load meter writes them
 * into shared memory a few times a second). An overview or a scrape reads them every time, so they are read where
 * it costs nothing rather than asked of every scheduler, which would also wake the idle ones.
 */
export function processTotals(observed: ObservedNode): ProcessTotals {
  const rt = observed.runtime;
  let count = rt.processCount;
  let runQueue = rt.runQueueLength;
  for (const load of observed.schedulers?.loads() ?? []) {
    if (load.scheduler === rt.seat.index) continue;
    count += load.processes;
    runQueue += load.runQueue;
  }
  return { count, runQueue };
}

/**
 * What the processes hold by `processInfo`'s estimate: the mean of a random sample of them (all of them up to
 * MEMORY_SAMPLE) times their count. With many processes the mean is kept between refreshes, the count is always now.
 * On a node of several schedulers the sample is of every scheduler's processes, which only their answers give: it
 * is taken in the background, a read using the mean of the last one (of this scheduler's processes, until one came).
 */
export class ProcessMemory {
  private mean: number | undefined;
  private reads = 0;
  private sampling = false;

  /** `count`: the node's processes now (processTotals). */
  bytes(rt: Runtime, count: number): number {
    if (count <= MANY_PROCESSES || this.reads++ % REFRESH_EVERY === 0) this.refresh(rt);
    return Math.round((this.mean ?? 0) * count);
  }

  private refresh(rt: Runtime): void {
    const alone = rt.seat.count === 1;
    if (alone || this.mean === undefined) {
      this.mean = meanMemory(sampleOf(rt.processes(), MEMORY_SAMPLE).map((pid) => rt.processInfo(pid)));
    }
    if (!alone && !this.sampling) void this.sampleNode(rt);
  }

  /** The mean of a sample of every scheduler's processes, into `mean` when the answers are in. */
  private async sampleNode(rt: Runtime): Promise<void> {
    this.sampling = true;
    try {
      const pids = sampleOf(await rt.nodeProcesses(), MEMORY_SAMPLE);
      this.mean = meanMemory(await rt.nodeProcessInfo(pids));
    } catch {
      // An inquiry failed (the schedulers are stopping): the estimate keeps its last mean.
    } finally {
      this.sampling = false;
    }
  }
}

/** The mean memory of the processes still alive among `infos`; 0 for none. */
function meanMemory(infos: readonly (ProcessInfo | undefined)[]): number {
  let bytes = 0;
  let alive = 0;
  for (const info of infos) {
    if (info === undefined) continue;
    bytes += info.memory;
    alive++;
  }
  return alive === 0 ? 0 : bytes / alive;
}

export function localOverview(observed: ObservedNode, load: Load, memoryOfProcesses: ProcessMemory): OverviewSample {
  const rt = observed.runtime;
  const memory = process.memoryUsage();
  const pools = observed.dirty?.stats();
  const processes = processTotals(observed);
  return {
    time: Date.now(),
    uptimeMs: Math.round(process.uptime() * 1000),
    processCount: processes.count,
    runQueue: processes.runQueue,
    memory: { total: memory.rss, heapUsed: memory.heapUsed, processes: memoryOfProcesses.bytes(rt, processes.count) },
    utilisation: load.utilisation,
    loopDelay: load.loopDelay,
    messagesPerSecond: load.messagesPerSecond,
    dirty: pools === undefined ? null : { cpu: poolLoad(pools.cpu), io: poolLoad(pools.io) },
    connectedNodes: rt.nodes("connected").length,
  };
}

/** A pool's calls waiting and share of workers holding calls; a pool not started yet is idle. */
export function poolLoad(pool: ObservedPoolLoad | undefined): { queued: number; busy: number } {
  if (pool === undefined || pool.workers === 0) return { queued: pool?.queued ?? 0, busy: 0 };
  return { queued: pool.queued, busy: pool.held.filter((held) => held > 0).length / pool.workers };
}
