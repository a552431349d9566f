// The event loop's load between two samples: utilisation (perf_hooks' eventLoopUtilization deltas), delay
// (monitorEventLoopDelay, reset at each sample) and the runtime's message rate. It runs only while started, so an
// observer nobody watches costs nothing (STYLE.md 9).
import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from "node:perf_hooks";
import type { Runtime } from "../runtime/index.ts";

export interface Load {
  /** Share of the time the event loop was busy (0..1); null for the first sample after a start. */
  readonly utilisation: number | null;
  readonly loopDelay: { readonly meanMs: number; readonly maxMs: number } | null;
  readonly messagesPerSecond: number | null;
}

/** The delay histogram's resolution, in ms (Node's default: one timer every 10 ms while enabled). */
const DELAY_RESOLUTION_MS = 10;

export class LoadSampler {
  private delay: IntervalHistogram | undefined;
  private elu: EventLoopUtilization | undefined;
  private messages = 0;
  private at = 0;

  constructor(private readonly runtime: Runtime) {}

  get running(): boolean {
    return this.delay !== undefined;
  }

  /** Starts measuring (again); the next sample covers the time from now. */
  start(): void {
    if (this.delay !== undefined) return;
    this.delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.delay.enable();
    this.mark();
  }

  stop(): void {
    this.delay?.disable();
    this.delay = undefined;
  }

  /** The load since the last sample (or the start), started if it was not. */
  sample(): Load {
    if (this.delay === undefined) {
      this.start();
      return { utilisation: null, loopDelay: null, messagesPerSecond: null };
    }
    const elapsedMs = performance.now() - this.at;
    const utilisation = performance.eventLoopUtilization(this.elu).utilization;
    const delay = this.delay;
    // The histogram records the time between its timer's ticks (ns): the delay is what exceeds the resolution.
    const late = (ns: number) => Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS);
    const loopDelay = delay.count === 0 ? null : { meanMs: late(delay.mean), maxMs: late(delay.max) };
    const sent = this.runtime.messagesSent - this.messages;
    delay.reset();
    this.mark();
    return {
      utilisation: Number.isFinite(utilisation) ? utilisation : null,
      loopDelay,
      messagesPerSecond: elapsedMs > 0 ? (sent * 1000) / elapsedMs : null,
    };
  }

  private mark(): void {
    this.elu = performance.eventLoopUtilization();
    this.messages = this.runtime.messagesSent;
    this.at = performance.now();
  }
}
