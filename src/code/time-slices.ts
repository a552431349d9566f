// Long main-thread work cut into slices of a bounded length, with an event-loop turn between slices, so that
// timers, I/O and every process keep running while a module installs.
import { performance } from "node:perf_hooks";

/**
 * The longest a thread works on an install before its event loop turns, ms, unless told otherwise. Half a
 * millisecond rather than one: with a 1 ms timer's wake-up rounded to the next millisecond, 1 ms slices let a
 * ticker process wake 2–3 ms late, and the young-generation collections that fall into a slice are shorter.
 */
export const DEFAULT_SLICE_MS = 0.5;

export class TimeSlices {
  private sliceEnd: number;

  /** Slices of at most `budgetMs` each (a step already running is not cut: keep steps short). */
  constructor(private readonly budgetMs: number) {
    this.sliceEnd = performance.now() + budgetMs;
  }

  /** When the current slice ends (a `performance.now()` time), for work that checks the time itself. */
  get deadline(): number {
    return this.sliceEnd;
  }

  /** Whether the current slice is over. */
  get over(): boolean {
    return performance.now() >= this.sliceEnd;
  }

  /** If the current slice is over, lets the event loop turn and starts the next one. */
  async next(): Promise<void> {
    if (performance.now() < this.sliceEnd) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceEnd = performance.now() + this.budgetMs;
  }
}
