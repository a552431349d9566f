// The scheduler: run queues by priority, the reduction budget of an event-loop turn, and yielding to the event loop.
//
// Sends only queue work; the scheduler alone resumes processes. It runs queued processes from a microtask
// while the turn's budget lasts (reductions, and wall time checked every few hundred), then stops and lets the
// event loop run timers and sockets; a `setImmediate` opens the next turn. Each run is a slice of the process's
// own (see execution.ts). When it resumes an async body the drain steps aside until the body hands control back
// (waits, queues again, exits) or the turn closes. An async process woken while the budget lasts and nobody is
// queued is resumed at once (its continuation runs as a microtask): that keeps ping-pong between async processes
// off the queue without letting it starve the event loop.
// After a turn that ran processes, the scheduler busy-waits for a while, as BEAM's schedulers do (`+sbwt`): it
// keeps the event loop turning (a `setImmediate` each round, so the loop polls its sockets without blocking)
// instead of letting it sleep in the kernel, whose wake-up costs tens of microseconds. A message that arrives
// meanwhile is picked up at once: a round trip between two nodes drops from about 80 µs to about 15 µs here.
// Signals from the node's other schedulers wait in shared rings, which nothing in the event loop announces while
// this thread is busy: a `poll` installed for them runs (as a microtask, between processes) every POLL_EVERY
// reductions, as BEAM's schedulers look for incoming signals between processes, not only between turns.
// Imported, not the global: Node defines the global `performance` as a getter, which every use then calls.
import { performance } from "node:perf_hooks";
import { Flag, type Process } from "./process.ts";
import { RingQueue } from "./ring-queue.ts";

/** Reductions (messages handled, resumptions) an event-loop turn may spend. */
const TURN_REDUCTIONS = 20_000;
/** Wall time a turn may take, in ms; checked every CLOCK_CHECK_EVERY reductions. */
const TURN_MS = 4;
const CLOCK_CHECK_EVERY = 256;
/** How often, in reductions, a running turn looks for signals from the node's other schedulers (`setPoll`). */
const POLL_EVERY = 64;
/** A low-priority process runs once per this many normal ones when both wait (BEAM skips low 8 times). */
const LOW_EVERY = 8;

const SETTLED = Promise.resolve();

/** How long the scheduler busy-waits after its last turn, in microseconds (BEAM's `+sbwt`), unless told. */
export const DEFAULT_BUSY_WAIT_US = 100;

export class Scheduler {
  private readonly high = new RingQueue<Process>();
  private readonly normal = new RingQueue<Process>();
  private readonly low = new RingQueue<Process>();
  private normalRunsSinceLow = 0;
  private drainQueued = false;
  private draining = false;
  private turnOpen = false;
  private turnReductions = 0;
  private turnStart = 0;
  /** The turn's reductions at which `charge` next looks at the budget; 0 while no turn is open. */
  private nextCheck = 0;
  private exhausted = false;
  /**
   * The async process the drain resumed and stepped aside for: the drain comes back when it hands control back
   * (`handBack`), or, if it awaits something else, when the turn closes.
   */
  private handedTo: Process | undefined = undefined;
  private stopped = false;
  private readonly drainNow = () => this.drain();
  private readonly closeTurnNow = () => this.closeTurn();
  /** Busy-waiting lasts this long after a turn, in ms (0: never). */
  private readonly busyWaitMs: number;
  /** When the current busy wait ends (performance.now()), and whether its next round is queued. */
  private busyUntil = 0;
  private busyWaiting = false;
  private readonly busyWaitRoundNow = () => this.busyWaitRound();
  /** What takes signals from the node's other schedulers while turns run, and the reductions of its next run. */
  private poll: (() => void) | undefined = undefined;
  private nextPoll = Number.POSITIVE_INFINITY;

  /**
   * `run` does what a queued process has to do; it returns true when that was resuming an async body, whose
   * continuation is a microtask: the drain then steps aside so the continuation runs before anything else.
   * `busyWaitUs`: how long to keep the event loop turning after a turn (default DEFAULT_BUSY_WAIT_US; 0: never).
   */
  constructor(
    private readonly run: (process: Process) => boolean,
    busyWaitUs = DEFAULT_BUSY_WAIT_US,
  ) {
    if (!Number.isFinite(busyWaitUs) || busyWaitUs < 0) {
      throw new RangeError(`busyWaitUs must be a number of microseconds ≥ 0, not ${busyWaitUs}`);
    }
    this.busyWaitMs = busyWaitUs / 1000;
  }

  /** Processes waiting in the run queues. */
  get runnable(): number {
    return this.high.length + this.normal.length + this.low.length;
  }

  /** Whether the scheduler has nothing queued and no drain pending. */
  get isIdle(): boolean {
    return this.runnable === 0 && !this.drainQueued && !this.draining;
  }

  /** Queues a process that has work; a process already queued stays where it is. */
  enqueue(process: Process): void {
    if ((process.flags & Flag.Queued) !== 0 || this.stopped) return;
    process.flags |= Flag.Queued;
    const flags = process.flags;
    if ((flags & Flag.PriorityHigh) !== 0) this.high.push(process);
    else if ((flags & Flag.PriorityLow) !== 0) this.low.push(process);
    else this.normal.push(process);
    this.requestDrain();
  }

  /**
   * Whether a woken process may resume right away instead of queueing; charges it one reduction. No when the
   * turn's budget is spent or other processes are queued (they were first).
   */
  mayResumeNow(): boolean {
    if (this.exhausted || this.runnable !== 0 || this.stopped) return false;
    this.charge(1);
    return true;
  }

  /**
   * Whether a running async process may go on without queueing (its slice lasts); charges it one reduction. No
   * when the turn's budget is spent.
   */
  mayContinue(): boolean {
    if (this.exhausted || this.stopped) return false;
    this.charge(1);
    return true;
  }

  /** `process` stops running (it waits, queues again or exits): if the drain stepped aside for it, it resumes. */
  handBack(process: Process): void {
    if (process !== this.handedTo) return;
    this.handedTo = undefined;
    this.requestDrain();
  }

  /** Counts `reductions` against the current turn, opening one if none is open. */
  charge(reductions: number): void {
    this.turnReductions += reductions;
    if (this.turnReductions >= this.nextCheck) this.check();
    if (this.turnReductions >= this.nextPoll) this.queuePoll();
  }

  /**
   * Installs what looks for signals from the node's other schedulers while processes run: it runs as a microtask
   * (no process mid-run) when a turn opens and every POLL_EVERY reductions of it.
   */
  setPoll(poll: () => void): void {
    this.poll = poll;
    this.nextPoll = this.turnReductions;
  }

  /** Drops every queued process and refuses new ones (runtime shutdown). */
  stop(): void {
    this.stopped = true;
    this.high.clear();
    this.normal.clear();
    this.low.clear();
  }

  /**
   * Queues a drain for the processes waiting, unless one runs or is queued, the turn's budget is spent (its close
   * drains), or a resumed body has the floor (it hands back).
   */
  private requestDrain(): void {
    if (this.draining || this.drainQueued || this.exhausted || this.stopped || this.handedTo !== undefined) return;
    if (this.runnable === 0) return;
    this.drainQueued = true;
    this.queueDrain();
  }

  /**
   * Runs the drain as a microtask. A reaction on a settled promise, not `queueMicrotask`: Node wraps each of
   * those for async_hooks, which cost a third of the time where an async process takes message after message.
   */
  private queueDrain(): void {
    SETTLED.then(this.drainNow);
  }

  private queuePoll(): void {
    this.nextPoll = this.turnReductions + POLL_EVERY;
    SETTLED.then(this.poll);
  }

  /** The slow path of `charge`: opens a turn, or checks its budget (every CLOCK_CHECK_EVERY reductions). */
  private check(): void {
    if (!this.turnOpen) {
      this.turnOpen = true;
      this.turnStart = performance.now();
      this.nextCheck = this.turnReductions + CLOCK_CHECK_EVERY;
      setImmediate(this.closeTurnNow);
    } else if (this.turnReductions >= TURN_REDUCTIONS || performance.now() - this.turnStart >= TURN_MS) {
      this.exhausted = true;
      this.nextCheck = Number.POSITIVE_INFINITY; // nothing more to check until the turn closes
    } else {
      this.nextCheck = this.turnReductions + CLOCK_CHECK_EVERY;
    }
  }

  /** Runs after the event loop had its turn: a fresh budget, and the queue is run again if anything waits. */
  private closeTurn(): void {
    this.turnOpen = false;
    this.exhausted = false;
    this.turnReductions = 0;
    this.nextCheck = 0; // the first charge opens the next turn
    if (this.poll !== undefined) this.nextPoll = 0;
    this.handedTo = undefined; // it awaits something else, if it still runs
    if (this.runnable !== 0 && !this.drainQueued && !this.draining && !this.stopped) this.drain();
    this.busyWait();
  }

  /** Keeps the event loop turning for busyWaitMs from now (see the file header). */
  private busyWait(): void {
    if (this.busyWaitMs === 0 || this.stopped) return;
    this.busyUntil = performance.now() + this.busyWaitMs;
    if (this.busyWaiting) return;
    this.busyWaiting = true;
    setImmediate(this.busyWaitRoundNow);
  }

  private busyWaitRound(): void {
    if (performance.now() < this.busyUntil && !this.stopped) setImmediate(this.busyWaitRoundNow);
    else this.busyWaiting = false;
  }

  private drain(): void {
    this.drainQueued = false;
    this.draining = true;
    try {
      while (!this.exhausted) {
        const next = this.pick();
        if (next === undefined) break;
        next.flags &= ~Flag.Queued;
        if (this.run(next)) {
          // Let the resumed body run now (its continuation is queued already) and come back when it hands back.
          this.handedTo = next;
          break;
        }
      }
    } finally {
      this.draining = false;
    }
    // Budget spent with work left: the turn's closing immediate resumes it (and opens the next turn).
  }

  private pick(): Process | undefined {
    if (this.high.length !== 0) return this.high.shift();
    if (this.normal.length !== 0 && (this.low.length === 0 || this.normalRunsSinceLow < LOW_EVERY)) {
      this.normalRunsSinceLow++;
      return this.normal.shift();
    }
    this.normalRunsSinceLow = 0;
    return this.low.shift();
  }
}
