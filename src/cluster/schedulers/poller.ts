// When a scheduler's thread looks at the rings that bring it signals from the other schedulers: in rounds of the
// event loop while signals come (and for a busy-wait after the last, as BEAM's schedulers spin before they
// sleep), then parked with Atomics.waitAsync on its doorbell, which a sender rings only while it is parked. The
// event loop never blocks: a round takes what waits, up to a budget, and the loop runs timers and sockets between.
// While the runtime runs processes it polls too, between them (`poll`): a busy thread's event loop comes round
// only between turns of up to a few ms, and a parked one's wake-up waits for that.
import { performance } from "node:perf_hooks";

const SETTLED = Promise.resolve();
/**
 * How long a round that found nothing spins on the rings while records came lately, in µs: a partner on another
 * scheduler answers within a few, and catching that here spares a turn of the event loop (a `setImmediate`
 * round trip through libuv) per message. The event loop waits that long at most.
 */
const SPIN_US = 10;
/** Spinning looks at the rings this many times between two reads of the clock. */
const SPIN_CLOCK_EVERY = 16;

export class Poller {
  private state: "idle" | "queued" | "parked" | "stopped" = "idle";
  /** Until when (performance.now()) rounds go on though nothing came. */
  private busyUntil = 0;
  private readonly roundNow = () => this.round();
  private readonly wokenNow = () => {
    if (this.state !== "parked") return;
    Atomics.store(this.control, this.parkedAt, 0);
    this.state = "idle";
    this.round();
  };

  /**
   * `take` handles what waits (at most a budget's worth) and returns how many it took; `pending` says whether this
   * side still has something to do (signals it could not send yet) that needs rounds to go on.
   */
  constructor(
    private readonly control: Int32Array,
    private readonly bellAt: number,
    private readonly parkedAt: number,
    private readonly busyWaitMs: number,
    private readonly take: () => number,
    private readonly pending: () => boolean,
    private readonly waiting: () => boolean,
  ) {}

  /** How long a round that found nothing spins for a record before it lets the event loop turn, in ms. */
  private readonly spinMs = SPIN_US / 1000;

  /** Looks for a record for up to spinMs (a reply often comes within microseconds); takes what came. */
  private spin(): number {
    const until = performance.now() + this.spinMs;
    do {
      for (let i = 0; i < SPIN_CLOCK_EVERY; i++) if (this.waiting()) return this.take();
    } while (performance.now() < until);
    return 0;
  }

  /** Starts looking (a round now). */
  start(): void {
    if (this.state === "idle") this.round();
  }

  /** Something to do came up on this side: makes sure a round comes. */
  wake(): void {
    if (this.state === "idle") this.queue();
    else if (this.state === "parked") {
      this.unpark(); // releases the pending wait too: no stale waiter is left behind
      this.round();
    }
  }

  /** The runtime, running processes, looks between two of them: takes what waits now. */
  poll(): void {
    if (this.state === "stopped" || !this.waiting()) return;
    if (this.state === "parked") this.unpark();
    this.take();
    this.busyUntil = performance.now() + this.busyWaitMs;
    if (this.state === "idle") this.queue();
  }

  stop(): void {
    if (this.state === "parked") Atomics.store(this.control, this.parkedAt, 0);
    this.state = "stopped";
  }

  /** Stops waiting on the doorbell: senders stop ringing it, and the pending wait is released (wokenNow ignores it). */
  private unpark(): void {
    Atomics.store(this.control, this.parkedAt, 0);
    this.state = "idle";
    Atomics.notify(this.control, this.bellAt);
  }

  private queue(): void {
    this.state = "queued";
    setImmediate(this.roundNow);
  }

  private round(): void {
    if (this.state === "stopped") return;
    this.state = "idle";
    let took = this.take();
    if (took === 0 && this.spinMs > 0) took = this.spin();
    const now = performance.now();
    if (took > 0 || this.pending()) this.busyUntil = now + this.busyWaitMs;
    if (now < this.busyUntil) this.queue();
    else this.park();
  }

  private park(): void {
    const { control, bellAt, parkedAt } = this;
    // Read before the flag goes up: a sender that rings once it is up (say for a record taken already, late to
    // look at the flag) lowers the flag, so no later sender rings; its ring must still end the wait.
    const seen = Atomics.load(control, bellAt);
    Atomics.store(control, parkedAt, 1);
    // A signal written before the flag was up rang no bell: look once more.
    if (this.take() > 0) {
      Atomics.store(control, parkedAt, 0);
      this.busyUntil = performance.now() + this.busyWaitMs;
      this.queue();
      return;
    }
    this.state = "parked";
    const wait = Atomics.waitAsync(control, bellAt, seen);
    if (wait.async) wait.value.then(this.wokenNow);
    else SETTLED.then(this.wokenNow);
  }
}

/** Rings the doorbell of a scheduler that has parked (a cheap look when it has not). */
export function ringBell(control: Int32Array, bellAt: number, parkedAt: number): void {
  if (Atomics.load(control, parkedAt) === 0) return;
  if (Atomics.compareExchange(control, parkedAt, 1, 0) !== 1) return;
  Atomics.add(control, bellAt, 1);
  Atomics.notify(control, bellAt);
}
