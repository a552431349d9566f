// One worker of a pool, seen from the main thread: its channel, the calls it holds in the order it answers them,
// and its life: a worker that dies fails the call it was running, hands back the ones it had not started, and is
// replaced by a fresh one.
import type { MessagePort, Worker } from "node:worker_threads";
import { ErrorCodes } from "../errors.ts";
import { RingQueue } from "../runtime/ring-queue.ts";
import { settleByAnswer } from "./answer.ts";
import type { DirtyCall } from "./call.ts";
import { describeThrown } from "./carried-error.ts";
import {
  CALL_ARGS_ON_PORT,
  CALL_TRANSFER_RESULT,
  type ChannelViews,
  MAX_OUTSTANDING,
  Status,
  WORKER_PARKED,
  WORKER_RUNNING,
  Word,
} from "./channel.ts";
import { DOES_NOT_FIT, decodeValues, encodeValues } from "./codec.ts";
import type { LoadModule, WorkerAnswer } from "./messages.ts";
import { RingConsumer, RingProducer } from "./ring.ts";
import { startWorkerThread } from "./worker-thread.ts";

/** Workers in a row that may die before they are ready before a slot stops starting new ones. */
const MAX_START_FAILURES = 3;
/** The most bytes a call's arguments take in the ring; larger ones go by the port. */
const MAX_INLINE_ARGS = 16 * 1024;

export interface SlotEvents {
  /** `call` was answered: its worker ran it for `micros` µs (0 when it did not run). */
  answered(call: DirtyCall, micros: number): void;
  /**
   * The worker died: `failed` were running (or, when no fresh worker can start, held) and failed with
   * DIRTY_WORKER_DIED, `notStarted` were held and not started, to be placed again. `replaced`: a fresh worker took
   * its place (false once the slot gave up starting workers).
   */
  died(failed: DirtyCall[], notStarted: DirtyCall[], replaced: boolean): void;
  /** A module load's answer from this worker. */
  loadAnswer(answer: WorkerAnswer): void;
}

/** Where a pool's slots get what they share: the completion signal, the spin time, the modules loaded so far. */
export interface SlotSetup {
  readonly signal: Int32Array;
  readonly spinMicros: number;
  modules(): readonly LoadModule[];
  /** A call woke the worker from its park. */
  wokeWorker(): void;
}

export class WorkerSlot {
  private worker!: Worker;
  private views!: ChannelViews;
  private producer!: RingProducer;
  private consumer!: RingConsumer;
  private dataPort!: MessagePort;
  private controlPort!: MessagePort;
  /** Calls sent to the current worker and not answered, in the order it answers them. */
  private readonly held = new RingQueue<DirtyCall>();
  /** How the current worker ended, once it has: its last error, if any. */
  private lastError: unknown;
  private stopping = false;
  /** Workers in a row that died before they were ready; at MAX_START_FAILURES, why the last one did. */
  private startFailures = 0;
  private cannotStart: unknown;
  private stopped: Promise<void> | undefined;
  /** Settles when the current worker's thread has ended. */
  private workerEnded!: Promise<void>;
  /** Time this slot's calls ran, in µs, across its workers (for utilisation). */
  busyMicros = 0;
  /** Calls the current worker answered (against its Taken count: which call it is running). */
  private answeredCalls = 0;
  /** Module loads posted to the current worker and not answered: while there are, its control port is ref'd. */
  private loadsAsked = 0;
  /** Calls appended to the current worker's ring: the next one's place in its cancel table. */
  private appended = 0;
  /** Whether the current worker holds the event loop open (it does while it holds calls, and a little after). */
  private workerRefd = false;
  private releaseScheduled = false;

  constructor(
    private readonly setup: SlotSetup,
    private readonly events: SlotEvents,
  ) {
    this.startWorker();
  }

  /** Calls this worker holds (queued in its ring or running). */
  get load(): number {
    return this.held.length;
  }

  /**
   * Appends `call` to the worker's ring; false when the ring (or the cancel table) has no room: try later. A slot
   * whose workers cannot start fails the call instead, and arguments that cannot be carried (a function, a symbol,
   * what structured clone refuses, a getter that throws) fail it with DIRTY_BAD_ARGUMENT: either way it is settled
   * and not held.
   */
  submit(call: DirtyCall): boolean {
    if (this.cannotStart !== undefined) {
      call.fail(ErrorCodes.DIRTY_WORKER_DIED, `the dirty worker cannot start: ${describeThrown(this.cannotStart)}`);
      return true;
    }
    if (this.held.length >= MAX_OUTSTANDING || this.stopping) return false;
    const p = this.producer;
    const room = p.reserve(MAX_INLINE_ARGS);
    if (room < 0) return false;
    let length: number;
    let flags = 0;
    try {
      const transfer = call.moves.transfer;
      length =
        room === 0 || transfer !== undefined
          ? DOES_NOT_FIT
          : encodeValues(call.args, this.views.requests.bytes, p.reservedAt, room);
      if (length === DOES_NOT_FIT) {
        this.dataPort.postMessage(call.args, transfer);
        length = 0;
        flags = CALL_ARGS_ON_PORT;
      }
      if (call.moves.transferResult === true) flags |= CALL_TRANSFER_RESULT;
    } catch (error) {
      // Nothing was appended. Thrown from here, it would escape a collect that placed a waiting call.
      const why = describeThrown(error);
      call.fail(ErrorCodes.DIRTY_BAD_ARGUMENT, `an argument cannot be carried to the worker: ${why}`, error);
      return true;
    }
    call.cancelAt = this.appended % MAX_OUTSTANDING;
    p.commit(call.id, call.fnId, flags, length);
    this.appended++;
    call.holder = this;
    // A call that waits for the worker to start counts as queued behind something.
    call.ahead = this.held.length + (Atomics.load(this.views.control, Word.Ready) === 0 ? 1 : 0);
    this.held.push(call);
    this.holdEventLoop();
    if (this.wakeWorker()) this.setup.wokeWorker();
    return true;
  }

  /** Whether the worker has written an answer not collected yet. */
  get answerWaits(): boolean {
    return this.consumer.hasRecord;
  }

  /** Takes the answers the worker has written; returns how many. */
  collect(): number {
    if (this.held.length === 0) return 0;
    let n = 0;
    for (let r = this.consumer.take(); r !== undefined; r = this.consumer.take()) {
      const call = this.held.shift()!;
      const status = r.b;
      const micros = r.c;
      let value: unknown;
      if (status === Status.Returned) value = decodeValues(this.views.responses.bytes, r.payloadAt, r.payloadLength)[0];
      this.consumer.release();
      if (call.id !== r.a) throw new Error(`dirty worker answered call ${r.a} where ${call.id} was next`);
      this.settle(call, status, value, micros);
      n++;
    }
    if (n > 0 && this.held.length === 0) this.releaseEventLoopWhenIdle();
    return n;
  }

  private holdEventLoop(): void {
    if (this.workerRefd) return;
    this.worker.ref();
    this.workerRefd = true;
  }

  /**
   * Lets the event loop end without the worker once it has held no call for a turn of the loop. Not at once: ref
   * and unref are calls into C++, and a caller making one call after another would pay for both on every call.
   */
  private releaseEventLoopWhenIdle(): void {
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      if (this.held.length > 0 || !this.workerRefd || this.stopping) return;
      this.worker.unref();
      this.workerRefd = false;
    });
  }

  /** Whether `call` is the one this worker is running now (taken and not answered). */
  isRunning(call: DirtyCall): boolean {
    return this.takenNotAnswered() > 0 && this.held.length > 0 && this.held.peek() === call;
  }

  /** Marks `call` so the worker skips it if it has not started it (its answer is then Cancelled). */
  cancel(call: DirtyCall): void {
    Atomics.store(this.views.cancel, call.cancelAt, -call.id);
  }

  /**
   * Wakes the worker if it is parked (after what it is woken for was made visible to it); whether it was. Taking
   * WorkerState back to WORKER_RUNNING, not only notifying, is what a worker about to park sees.
   */
  private wakeWorker(): boolean {
    const control = this.views.control;
    const parked =
      Atomics.load(control, Word.WorkerState) === WORKER_PARKED &&
      Atomics.compareExchange(control, Word.WorkerState, WORKER_PARKED, WORKER_RUNNING) === WORKER_PARKED;
    if (parked) Atomics.notify(control, Word.WorkerState);
    return parked;
  }

  /** Calls the worker took and whose answers were not collected (Taken is a 32-bit word: it wraps). */
  private takenNotAnswered(): number {
    return (Atomics.load(this.views.control, Word.Taken) - this.answeredCalls) | 0;
  }

  /** Posts a module load to the worker (its answer comes through `events.loadAnswer`). */
  postLoad(message: LoadModule): void {
    if (this.cannotStart !== undefined) {
      // No worker will run anything here, so none needs the module.
      this.events.loadAnswer({ kind: "loaded", id: message.id });
      return;
    }
    // The answer must keep the event loop alive (an idle worker and its port do not).
    if (this.loadsAsked++ === 0) this.controlPort.ref();
    this.controlPort.postMessage(message);
    Atomics.add(this.views.control, Word.ControlPosted, 1);
    this.wakeWorker();
  }

  /** Terminates the worker (a runaway call): it is then replaced, as when a worker dies. */
  kill(): void {
    void this.worker.terminate();
  }

  /**
   * Stops the worker once it has ended the call it is running, or terminates it after `timeoutMs`; the calls it
   * holds as it ends (not started, or cut short) fail with DIRTY_STOPPED.
   */
  stop(timeoutMs: number): Promise<void> {
    if (this.stopped !== undefined) return this.stopped;
    this.stopping = true;
    Atomics.store(this.views.control, Word.Stop, 1);
    this.wakeWorker();
    // Waiting for the thread keeps the event loop alive (an idle worker is unref'd): `await stop()` needs it.
    this.worker.ref();
    this.workerRefd = true;
    const deadline = setTimeout(() => this.kill(), timeoutMs);
    this.stopped = this.workerEnded.then(() => clearTimeout(deadline));
    return this.stopped;
  }

  private settle(call: DirtyCall, status: number, value: unknown, micros: number): void {
    this.answeredCalls++;
    this.busyMicros += micros;
    settleByAnswer(call, status, value, this.dataPort);
    this.events.answered(call, micros);
  }

  private startWorker(): void {
    const { worker, views, dataPort, controlPort } = startWorkerThread(
      this.setup.signal,
      this.setup.spinMicros,
      this.setup.modules(),
    );
    this.views = views;
    this.producer = new RingProducer(views.requests);
    this.consumer = new RingConsumer(views.responses);
    this.dataPort = dataPort;
    this.controlPort = controlPort;
    this.controlPort.on("message", (answer: WorkerAnswer) => {
      if (--this.loadsAsked === 0) this.controlPort.unref();
      this.events.loadAnswer(answer);
    });
    this.controlPort.unref();
    this.loadsAsked = 0;
    this.answeredCalls = 0;
    this.appended = 0;
    this.lastError = undefined;
    worker.on("error", (error) => {
      this.lastError = error;
    });
    worker.on("exit", (code) => this.exited(worker, code));
    this.workerEnded = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.unref();
    this.workerRefd = false;
    this.worker = worker;
  }

  /** The worker is gone: what it answered counts, the call it ran fails, the rest is handed back. */
  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.collect();
    this.dataPort.close();
    this.controlPort.close();
    const held: DirtyCall[] = [];
    while (this.held.length > 0) held.push(this.held.shift()!);
    if (this.stopping) {
      for (const call of held) call.fail(ErrorCodes.DIRTY_STOPPED, "the dirty pool stopped before the call ended");
      return;
    }
    const why = this.lastError === undefined ? `it exited with code ${code}` : describeThrown(this.lastError);
    if (Atomics.load(this.views.control, Word.Ready) === 0 && ++this.startFailures >= MAX_START_FAILURES) {
      // Starting again would fail again (a module whose import ends the thread, a thread that cannot be made). A
      // module that throws as it loads does not count: the worker starts without it (see worker.ts `load`).
      this.cannotStart = this.lastError ?? new Error(why);
      for (const call of held) call.fail(ErrorCodes.DIRTY_WORKER_DIED, `the dirty worker cannot start: ${why}`);
      this.events.died(held, [], false);
      return;
    }
    if (Atomics.load(this.views.control, Word.Ready) !== 0) this.startFailures = 0;
    const started = this.takenNotAnswered();
    const failed = held.slice(0, started);
    for (const call of failed) {
      call.fail(ErrorCodes.DIRTY_WORKER_DIED, `the dirty worker running the call died: ${why}`, this.lastError);
    }
    this.startWorker();
    this.events.died(failed, held.slice(started), true);
  }
}
