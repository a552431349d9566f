// A scheduler's load as the other schedulers see it: each samples its own run queue, processes and event-loop
// utilisation a few times a second into its words of the mesh's memory, where any thread reads them for free.
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import type { Runtime } from "../../runtime/index.ts";
import type { SchedulerLoad } from "../load-report.ts";
import { type MeshMemory, Word } from "./mesh-memory.ts";

/** How often a scheduler samples its load, in ms. */
export const SAMPLE_MS = 100;

/** One scheduler's load as it last sampled it (run queue and utilisation as a load report carries them). */
export interface SchedulerSample extends SchedulerLoad {
  readonly scheduler: number;
  /** Its live processes. */
  readonly processes: number;
}

export class LoadMeter {
  private timer: NodeJS.Timeout | undefined;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly memory: MeshMemory,
    private readonly runtime: Runtime,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const { memory, runtime } = this;
    const index = runtime.seat.index;
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.elu).utilization;
    this.elu = now;
    Atomics.store(memory.control, memory.word(index, Word.RunQueue), runtime.runQueueLength);
    Atomics.store(memory.control, memory.word(index, Word.Processes), runtime.processCount);
    Atomics.store(memory.control, memory.word(index, Word.Utilisation), Math.round((busy || 0) * 1000));
  }
}

/** Every scheduler's load, as each last sampled it. */
export function readLoads(memory: MeshMemory): SchedulerSample[] {
  const loads: SchedulerSample[] = [];
  const c = memory.control;
  for (let scheduler = 0; scheduler < memory.layout.count; scheduler++) {
    loads.push({
      scheduler,
      runQueue: Atomics.load(c, memory.word(scheduler, Word.RunQueue)),
      processes: Atomics.load(c, memory.word(scheduler, Word.Processes)),
      utilisation: Atomics.load(c, memory.word(scheduler, Word.Utilisation)) / 1000,
    });
  }
  return loads;
}
