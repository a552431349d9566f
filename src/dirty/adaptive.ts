// Adaptive dispatch: a function that may also run on the main thread runs there when its measured cost is below
// the measured cost of handing a call to a worker and back, and goes to the pool otherwise — in both directions,
// as its cost changes. Both costs are moving averages of what the calls really took.

/** Weight of the newest measurement in a moving average. */
const WEIGHT = 0.2;
/** What the hand-off is taken to cost before any call measured it, in µs. */
const INITIAL_HANDOFF_MICROS = 5;

const average = (old: number, sample: number): number => (Number.isNaN(old) ? sample : old + WEIGHT * (sample - old));

/** How long one function takes to run, wherever it ran, and how often it ran where. */
export class FunctionTiming {
  /** Moving average of its running time in µs; NaN until it ran once. */
  micros = Number.NaN;
  inlineCalls = 0;
  dirtyCalls = 0;

  ranInline(micros: number): void {
    this.micros = average(this.micros, micros);
    this.inlineCalls++;
  }

  ranDirty(micros: number): void {
    this.micros = average(this.micros, micros);
    this.dirtyCalls++;
  }
}

/** The cost of a round trip to a worker beyond the function's own running time, in µs. */
export class HandoffCost {
  micros = INITIAL_HANDOFF_MICROS;

  /** A call that found its worker idle took `roundTripMicros`, of which the function ran `runMicros`. */
  measured(roundTripMicros: number, runMicros: number): void {
    this.micros = average(this.micros, Math.max(0, roundTripMicros - runMicros));
  }
}

/**
 * Whether a call runs inline: a function allowed on the main thread whose running time is known and below the
 * hand-off cost. A function not measured yet goes to the pool first (a slow function never blocks the main thread
 * on trust).
 */
export function runsInline(timing: FunctionTiming, mainThread: boolean, handoff: HandoffCost): boolean {
  return mainThread && timing.micros < handoff.micros;
}
