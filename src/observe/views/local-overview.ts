// One overview sample of this node: process count, memory (the OS process's, the JS heap's, and an estimate of
// what the processes hold), the event loop's load, the dirty pools' load and the connected nodes.
import type { Runtime } from "../../runtime/index.ts";
import type { Load } from "../load-sampler.ts";
import type { ObservedNode, ObservedPoolLoad } from "../observed-node.ts";
import type { OverviewSample } from "../protocol.ts";
import { sampleOf } from "./process-page.ts";

/** Processes whose memory is read for the estimate; with more, their mean times the count. */
const MEMORY_SAMPLE = 1_000;
/** Past this many processes, listing them all costs milliseconds: the mean is refreshed every REFRESH_EVERY reads. */
const MANY_PROCESSES = 10_000;
const REFRESH_EVERY = 10;

/**
 * What the processes hold by `processInfo`'s estimate: the mean of a random sample of them (all of them up to
 * MEMORY_SAMPLE) times their count. With many processes the mean is kept between refreshes, the count is always now.
 */
export class ProcessMemory {
  private mean = 0;
  private reads = 0;

  bytes(rt: Runtime): number {
    const count = rt.processCount;
    if (count <= MANY_PROCESSES || this.reads++ % REFRESH_EVERY === 0) {
      const read = sampleOf(rt.processes(), MEMORY_SAMPLE);
      let bytes = 0;
      for (const pid of read) bytes += rt.processInfo(pid)?.memory ?? 0;
      this.mean = read.length === 0 ? 0 : bytes / read.length;
    }
    return Math.round(this.mean * count);
  }
}

export function localOverview(observed: ObservedNode, load: Load, memoryOfProcesses: ProcessMemory): OverviewSample {
  const rt = observed.runtime;
  const memory = process.memoryUsage();
  const pools = observed.dirty?.stats();
  return {
    time: Date.now(),
    uptimeMs: Math.round(process.uptime() * 1000),
    processCount: rt.processCount,
    runQueue: rt.runQueueLength,
    memory: { total: memory.rss, heapUsed: memory.heapUsed, processes: memoryOfProcesses.bytes(rt) },
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
