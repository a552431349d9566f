// How the main thread learns that a pool's workers answered, without ever blocking its event loop: it spins
// briefly after calls are made (a no-op call's answer is back within a microsecond or two), looking at the heads of
// the workers' answer rings, and otherwise parks with Atomics.waitAsync on the pool's completion counter, which
// workers bump and notify only while it is parked (a shared word bumped at every answer was one more cache line
// crossing between the threads per call).
//
// Collecting runs as a microtask after the calls of the current step, so answers settle before anything else
// runs; a chain of such microtasks (callers making the next call as each answer arrives) yields to the event loop
// once it has run for CHAIN_MS, so sockets and timers never wait long for a busy pool.
import { performance } from "node:perf_hooks";
import { Signal } from "./channel.ts";

/** A chain of collecting microtasks longer than this goes on from a `setImmediate`. */
const CHAIN_MS = 1;

const SETTLED = Promise.resolve();
/** How many times longer the main thread spins after waking a parked worker. */
const WOKEN_SPIN_FACTOR = 4;
/** Spinning looks at the signal this many times between two reads of the clock (a read costs 40 ns, a look 2). */
const SPIN_CLOCK_EVERY = 32;

export class Collector {
  /** idle: nothing outstanding or nothing queued; queued: a collect is on its way; parked: waiting on the signal. */
  private state: "idle" | "queued" | "parked" = "idle";
  private wokenWorker = false;
  /** When the current chain of collects began, or NaN until its first look at the clock. */
  private chainStart = Number.NaN;
  /** The clock as the last spin read it, and whether this run's spin read it (a read costs 40 ns: reuse it). */
  private spinNow = 0;
  private spunThisRun = false;
  private readonly runNow = () => this.run();
  private readonly wokenNow = () => {
    Atomics.store(this.signal, Signal.MainParked, 0);
    this.state = "idle";
    this.run();
  };

  /**
   * `collect` takes every answer waiting and returns how many; `outstanding` counts calls not answered yet;
   * `answerWaits` says whether any worker has written an answer (a look at the rings' heads, for spinning);
   * `spinMicros` is how long to spin for an answer before parking.
   */
  constructor(
    private readonly signal: Int32Array,
    private readonly spinMicros: number,
    private readonly collect: () => number,
    private readonly outstanding: () => number,
    private readonly answerWaits: () => boolean,
  ) {}

  /**
   * A worker was woken from its park for a call: its answer comes a wake-up later (tens of µs), so the next spin
   * waits that much longer rather than parking the main thread too, which would leave both sides paying a
   * wake-up on every later call.
   */
  workerWoken(): void {
    this.wokenWorker = true;
  }

  /** Calls were made: makes sure their answers will be collected. */
  wake(): void {
    if (this.state !== "idle") return;
    this.state = "queued";
    this.chainStart = Number.NaN;
    SETTLED.then(this.runNow);
  }

  private run(): void {
    this.state = "idle";
    this.spunThisRun = false;
    let got = this.collect();
    if (this.outstanding() === 0) return;
    if (got === 0 && this.spinMicros > 0) got = this.spin();
    if (this.outstanding() === 0) return;
    if (got > 0) {
      // Their continuations may make more calls: collect again after them.
      this.state = "queued";
      const now = this.spunThisRun ? this.spinNow : performance.now();
      if (Number.isNaN(this.chainStart)) this.chainStart = now;
      if (now - this.chainStart < CHAIN_MS) {
        SETTLED.then(this.runNow);
      } else {
        this.chainStart = now;
        setImmediate(this.runNow);
      }
      return;
    }
    this.park();
  }

  /** Spins until an answer comes or spinMicros pass; returns the answers taken. */
  private spin(): number {
    let now = performance.now();
    const until = now + (this.wokenWorker ? WOKEN_SPIN_FACTOR : 1) * (this.spinMicros / 1000);
    this.wokenWorker = false;
    this.spunThisRun = true;
    do {
      for (let i = 0; i < SPIN_CLOCK_EVERY; i++) {
        // A ring's head also moves past a wrap marker: only answers taken end the spin.
        if (this.answerWaits()) {
          const got = this.collect();
          if (got > 0) {
            this.spinNow = now;
            return got;
          }
        }
      }
      now = performance.now();
    } while (now < until);
    this.spinNow = now;
    return 0;
  }

  private park(): void {
    const signal = this.signal;
    Atomics.store(signal, Signal.MainParked, 1);
    const seen = Atomics.load(signal, Signal.Completions);
    // An answer written before the flag was seen would not notify: look once more.
    if (this.collect() > 0 || this.outstanding() === 0) {
      Atomics.store(signal, Signal.MainParked, 0);
      if (this.outstanding() > 0) this.wake();
      return;
    }
    const wait = Atomics.waitAsync(signal, Signal.Completions, seen);
    this.state = "parked";
    if (wait.async) wait.value.then(this.wokenNow);
    else SETTLED.then(this.wokenNow);
  }
}
