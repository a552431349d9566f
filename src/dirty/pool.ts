// A pool of worker threads of one kind (CPU or IO): where each call goes (the least-loaded worker with room, or a
// queue while every worker is full), per-call timeouts, calls dropped when their owner goes, and module loads
// that reach every worker.
import { performance } from "node:perf_hooks";
import { DirtyError, ErrorCodes } from "../errors.ts";
import { RingQueue } from "../runtime/ring-queue.ts";
import { badCallOption, badOption, type CallOptions, type CallOwner, DirtyCall, MAX_TIMEOUT_MS } from "./call.ts";
import { describeThrown, receivedError } from "./carried-error.ts";
import { createSignal } from "./channel.ts";
import { Collector } from "./collector.ts";
import type { LoadModule, WorkerAnswer } from "./messages.ts";
import { WorkerSlot } from "./worker-slot.ts";

export interface PoolStats {
  workers: number;
  /** Calls waiting for a worker with room. */
  queued: number;
  /** Calls held by workers (in their rings or running), per worker. */
  held: number[];
  /** Share of the time since the pool started that each worker spent running calls (0–1). */
  utilisation: number[];
  /** Calls answered by workers. */
  calls: number;
  /** Workers replaced after they died or were terminated. */
  restarts: number;
}

export interface StopOptions {
  /** How long workers get to end the calls they are running before they are terminated, in ms (default 5,000). */
  timeoutMs?: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 5_000;

/** The deadline `options` give a stop, in ms; DIRTY_BAD_OPTION for one that is not a number ≥ 0 and < 2³¹. */
export function stopDeadline(options: StopOptions): number {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  if (!(typeof timeoutMs === "number" && timeoutMs >= 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw badOption("stop's timeoutMs must be a number of ms ≥ 0 and < 2³¹", timeoutMs);
  }
  return timeoutMs;
}

/** A module load on its way to the workers: the slots whose workers have not answered it yet. */
interface PendingLoad {
  readonly message: LoadModule;
  readonly owing: Set<WorkerSlot>;
  failed: unknown;
  done(failed: unknown): void;
}

export class DirtyPool {
  private readonly slots: WorkerSlot[] = [];
  private readonly waiting = new RingQueue<DirtyCall>();
  private readonly collector: Collector;
  private readonly modules: LoadModule[] = [];
  private readonly loads = new Map<number, PendingLoad>();
  private lastLoadId = 0;
  /** Per caller with calls held by a worker: that worker, so its calls run and answer in the order made. */
  private readonly affinity = new Map<CallOwner, { slot: WorkerSlot; held: number }>();
  /** Set by the first stop(): what later ones return. */
  private stopping: Promise<void> | undefined;
  private restarts = 0;
  private calls = 0;
  private readonly startedAt = performance.now();

  /**
   * `size` workers spinning `spinMicros.workers` for work before they park (the main thread spins
   * `spinMicros.main` for their answers), which load the `loaded` modules first;
   * `answered` hears of each answer with the time its function ran (µs), for the adaptive dispatch.
   */
  constructor(
    readonly name: string,
    size: number,
    spinMicros: { workers: number; main: number },
    loaded: readonly Omit<LoadModule, "id" | "kind">[],
    private readonly answered: (call: DirtyCall, micros: number) => void = () => {},
  ) {
    for (const m of loaded) this.modules.push({ kind: "load", id: ++this.lastLoadId, ...m });
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new DirtyError(ErrorCodes.DIRTY_BAD_OPTION, `a ${name} pool needs at least one worker, not ${size}`);
    }
    const signal = createSignal();
    const setup = {
      signal,
      spinMicros: spinMicros.workers,
      modules: () => this.modules,
      wokeWorker: () => this.collector.workerWoken(),
    };
    for (let i = 0; i < size; i++) {
      const slot: WorkerSlot = new WorkerSlot(setup, {
        answered: (call, micros) => {
          this.calls++;
          this.release(call);
          this.answered(call, micros);
        },
        died: (failed, notStarted, replaced) => this.died(slot, failed, notStarted, replaced),
        loadAnswer: (answer) => this.loadAnswered(slot, answer),
      });
      this.slots.push(slot);
    }
    this.collector = new Collector(
      signal,
      spinMicros.main,
      () => this.collect(),
      () => this.held(),
      () => this.answerWaits(),
    );
  }

  /**
   * Runs function `fnId` with `args` on a worker; the promise settles with its result or a DirtyError (a bad
   * option included: it never throws).
   */
  call(fnId: number, args: readonly unknown[], options: CallOptions = {}, owner?: CallOwner): Promise<unknown> {
    if (this.stopping !== undefined) {
      return Promise.reject(new DirtyError(ErrorCodes.DIRTY_STOPPED, `the ${this.name} pool is stopped`));
    }
    const bad = badCallOption(options);
    if (bad !== undefined) return Promise.reject(bad);
    let call!: DirtyCall;
    const settled = new Promise<unknown>((resolve, reject) => {
      call = new DirtyCall(fnId, args, resolve, reject, owner, options);
    });
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined) call.timer = setTimeout(() => this.timedOut(call, timeoutMs), timeoutMs);
    if (owner !== undefined) call.stopWatching = owner.watch(() => this.ownerGone(call));
    // An owner already gone failed the call at once: it must not run.
    if (!call.settled) this.place(call);
    return settled;
  }

  /** Loads `message`'s module into every worker (and every worker started later); rejects if any fails. */
  load(message: Omit<LoadModule, "id" | "kind">): Promise<void> {
    if (this.stopping !== undefined) {
      return Promise.reject(new DirtyError(ErrorCodes.DIRTY_STOPPED, `the ${this.name} pool is stopped`));
    }
    const full: LoadModule = { kind: "load", id: ++this.lastLoadId, ...message };
    return new Promise<void>((resolve, reject) => {
      this.loads.set(full.id, {
        message: full,
        owing: new Set(this.slots),
        failed: undefined,
        done: (failed) => {
          if (failed === undefined) {
            this.modules.push(full);
            resolve();
          } else {
            reject(failed);
          }
        },
      });
      for (const slot of this.slots) slot.postLoad(full);
    });
  }

  stats(): PoolStats {
    const elapsed = (performance.now() - this.startedAt) * 1000;
    return {
      workers: this.slots.length,
      queued: this.waiting.length,
      held: this.slots.map((s) => s.load),
      utilisation: this.slots.map((s) => Math.min(1, s.busyMicros / elapsed)),
      calls: this.calls,
      restarts: this.restarts,
    };
  }

  /**
   * Stops taking calls and loads; calls not started and loads on their way fail with DIRTY_STOPPED. The workers
   * get `timeoutMs` (default 5,000) to end the calls they are running; then they are terminated, and those calls
   * fail with DIRTY_STOPPED. A second stop() returns the first one's promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    let timeoutMs: number;
    try {
      timeoutMs = stopDeadline(options);
    } catch (error) {
      return Promise.reject(error);
    }
    while (this.waiting.length > 0) {
      this.waiting.shift()!.fail(ErrorCodes.DIRTY_STOPPED, `the ${this.name} pool stopped before the call started`);
    }
    // A stopping worker takes no more control messages: a load would wait for its answer forever.
    for (const load of this.loads.values()) {
      load.done(new DirtyError(ErrorCodes.DIRTY_STOPPED, `the ${this.name} pool stopped before the module loaded`));
    }
    this.loads.clear();
    this.stopping = Promise.all(this.slots.map((s) => s.stop(timeoutMs))).then(() => {});
    return this.stopping;
  }

  private place(call: DirtyCall): void {
    if (this.waiting.length > 0 || !this.submit(call)) this.waiting.push(call);
    this.collector.wake();
  }

  /**
   * Gives `call` to a worker with room: the one holding its caller's earlier calls if any (so they answer in
   * order), else the least loaded. False if that worker has no room. A call the worker refused (settled by it) is
   * not held, so it does not tie its caller to that worker.
   */
  private submit(call: DirtyCall): boolean {
    const owner = call.owner;
    const sticky = owner === undefined ? undefined : this.affinity.get(owner);
    let slot = sticky?.slot;
    if (slot === undefined) for (const s of this.slots) if (slot === undefined || s.load < slot.load) slot = s;
    if (slot === undefined || !slot.submit(call)) return false;
    if (owner === undefined || call.settled) return true;
    if (sticky !== undefined) sticky.held++;
    else this.affinity.set(owner, { slot, held: 1 });
    return true;
  }

  /** `call` left its worker (answered, or handed back by a dead one). */
  private release(call: DirtyCall): void {
    const owner = call.owner;
    if (owner === undefined) return;
    const sticky = this.affinity.get(owner);
    if (sticky !== undefined && --sticky.held === 0) this.affinity.delete(owner);
  }

  /** Calls held by workers. */
  private held(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.load;
    return n;
  }

  /** Whether a worker has written an answer not collected yet. */
  private answerWaits(): boolean {
    for (const slot of this.slots) if (slot.answerWaits) return true;
    return false;
  }

  private collect(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.collect();
    if (n > 0) this.placeWaiting();
    return n;
  }

  /** Calls that waited for room go to workers, oldest first, while any has room. */
  private placeWaiting(): void {
    while (this.waiting.length > 0) {
      const call = this.waiting.peek()!;
      if (call.settled) {
        this.waiting.shift();
        continue;
      }
      if (!this.submit(call)) return;
      this.waiting.shift();
    }
  }

  private died(slot: WorkerSlot, failed: DirtyCall[], notStarted: DirtyCall[], replaced: boolean): void {
    if (replaced) this.restarts++;
    // Loads on their way: the fresh worker started with the finished ones only, so it gets these too (an answer
    // the dead worker gave counts, the fresh one's then does not); a slot that gave up owes no answer.
    for (const [id, load] of this.loads) {
      if (replaced) slot.postLoad(load.message);
      else this.answeredBy(id, load, slot);
    }
    for (const call of failed) this.release(call);
    for (const call of notStarted) {
      this.release(call);
      call.holder = undefined; // until placed again: its old entry is in a dead worker's cancel table
    }
    // Handed back calls go first, in their order, then those that waited already.
    const again = [...notStarted];
    while (this.waiting.length > 0) again.push(this.waiting.shift()!);
    for (const call of again) if (!call.settled) this.waiting.push(call);
    this.placeWaiting();
    this.collector.wake();
  }

  private timedOut(call: DirtyCall, timeoutMs: number): void {
    if (call.settled) return;
    call.fail(ErrorCodes.DIRTY_TIMEOUT, `the dirty call did not end within ${timeoutMs} ms`);
    const holder = call.holder;
    if (holder === undefined) return; // still waiting: placeWaiting skips it
    if (holder.isRunning(call)) holder.kill();
    else holder.cancel(call);
  }

  private ownerGone(call: DirtyCall): void {
    if (call.settled) return;
    call.fail(ErrorCodes.DIRTY_CALLER_GONE, "the process that made the call exited before it ended");
    // One that started runs to its end (its answer is dropped); one that did not is skipped.
    const holder = call.holder;
    if (holder !== undefined && !holder.isRunning(call)) holder.cancel(call);
  }

  private loadAnswered(slot: WorkerSlot, answer: WorkerAnswer): void {
    const load = this.loads.get(answer.id);
    if (load === undefined || !load.owing.has(slot)) return;
    if (answer.kind === "loadFailed" && load.failed === undefined) {
      const cause = receivedError(answer.error);
      load.failed = new DirtyError(
        ErrorCodes.DIRTY_LOAD_FAILED,
        `a worker could not load the module: ${describeThrown(cause)}`,
        { cause },
      );
    }
    this.answeredBy(answer.id, load, slot);
  }

  /** `slot` owes load `id` no answer any more: once no slot does, the load is done. */
  private answeredBy(id: number, load: PendingLoad, slot: WorkerSlot): void {
    if (!load.owing.delete(slot) || load.owing.size > 0) return;
    this.loads.delete(id);
    load.done(load.failed);
  }
}
