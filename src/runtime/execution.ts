// Running process bodies: starting them, handing messages to behaviours, resuming async bodies from receive,
// receive timeouts and idle timeouts, and turning what a body throws into its exit.
//
// A run is a slice of RUN_REDUCTIONS, as on BEAM: a behaviour handles messages until it has spent it, an async body
// resumed by the scheduler takes message after message without queueing until it has. Sends are charged to the
// sender. Nothing can preempt JavaScript, so a process that overruns its slice pays the excess back as debt.
import { ErrorCodes, ProcessError } from "../errors.ts";
import type { Ref, Term } from "../term/types.ts";
import type { BusyConnection } from "./contracts.ts";
import { type Match, NO_MESSAGE } from "./mailbox.ts";
import {
  type AsyncBody,
  type Behaviour,
  Flag,
  NOT_READY,
  PendingReceive,
  type Process,
  type ReceiveOptions,
  type ResolveReceive,
  Status,
} from "./process.ts";
import { NORMAL, reasonFromThrown, TIMEOUT } from "./reasons.ts";
import type { Runtime } from "./runtime.ts";
import { RUN_REDUCTIONS, Slices, sendCost } from "./slices.ts";
import type { Timer } from "./timer-wheel.ts";

/** The data of an idle-timeout timer (a receive timeout's data is its PendingReceive). */
const IDLE_TIMEOUT = Symbol("idle timeout");

/** What a receive in a dead process returns: it never settles, so the body's frame is collected. */
const NEVER: Promise<never> = new Promise(() => {});

export class Execution {
  /** The process whose code is on the JS stack, if any (for processInfo's `running`). */
  current: Process | undefined = undefined;
  private readonly slices = new Slices();

  constructor(private readonly rt: Runtime) {}

  /** Puts a message in a live local process's queue and wakes the process if it waits for one like it. */
  deliver(p: Process, message: Term): void {
    const waiting = p.waiting;
    if (typeof waiting === "function") {
      if ((p.flags & Flag.ReceiveDue) !== 0) p.enqueue(message);
      else this.complete(p, waiting, message); // a plain receive takes any message
      return;
    }
    if (waiting !== null && waiting.result === NOT_READY) {
      // The receive already scanned every older message: only this one needs checking (the save point).
      let matched: boolean;
      try {
        matched = waiting.match === undefined || waiting.match(message);
      } catch (error) {
        p.enqueue(message);
        this.crash(p, error);
        return;
      }
      if (matched) this.complete(p, waiting, message);
      else p.enqueue(message);
      return;
    }
    p.enqueue(message);
    if (p.status === Status.Idle && (p.flags & Flag.Async) === 0) {
      const extra = p.extra;
      if (extra?.idleTimer !== undefined) {
        this.rt.wheel.drop(extra.idleTimer);
        extra.idleTimer = undefined;
      }
      p.status = Status.Ready;
      this.rt.scheduler.enqueue(p);
    }
  }

  /** A send from a local process (or from outside any, `undefined`): delivers, then charges the sender. */
  deliverFrom(from: Process | undefined, p: Process, message: Term): void {
    this.deliver(p, message);
    if (from === undefined) return;
    const cost = sendCost(p);
    from.reductions += cost;
    this.rt.scheduler.charge(cost);
  }

  /** `self.receive`: takes a queued message that matches, or waits for one. */
  receive(p: Process, match: Match | undefined, options: ReceiveOptions | undefined): Promise<Term | undefined> {
    if (p.status === Status.Exited) return NEVER;
    const timeout = this.startReceive(p, options?.timeout);
    const found = p.takeMatching(match, options?.since);
    if (found !== NO_MESSAGE || timeout === 0) {
      const result = found === NO_MESSAGE ? undefined : found;
      if (this.mayGoOn(p)) return Promise.resolve(result);
      return new Promise((resolve) => this.parkFound(p, match, result, resolve));
    }
    if (match === undefined && timeout === Number.POSITIVE_INFINITY) {
      // The common `await self.receive()`: the resolve function alone is the pending receive.
      this.endSlice(p);
      return new Promise((resolve) => {
        p.waiting = resolve;
        p.status = Status.Idle;
      });
    }
    return new Promise((resolve) => this.wait(p, match, timeout, resolve));
  }

  /**
   * `receive` for code that settles its own promise (a call, which turns the reply into its result without a
   * second promise): `done` gets the message, or undefined when `timeout` passes first. In a dead process `done`
   * is never called. `done` may run before this returns, when the message is queued already.
   */
  receiveInto(
    p: Process,
    match: Match | undefined,
    since: Ref | undefined,
    timeoutMs: number | "infinity" | undefined,
    done: ResolveReceive,
  ): void {
    if (p.status === Status.Exited) return;
    const timeout = this.startReceive(p, timeoutMs);
    const found = p.takeMatching(match, since);
    if (found === NO_MESSAGE && timeout !== 0) this.wait(p, match, timeout, done);
    else {
      const result = found === NO_MESSAGE ? undefined : found;
      if (this.mayGoOn(p)) done(result);
      else this.parkFound(p, match, result, done);
    }
  }

  /** Checks that `p` may receive now; returns the timeout in ms (Infinity for none). */
  private startReceive(p: Process, timeout: number | "infinity" | undefined): number {
    if (p.waiting !== null) {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, "this process already waits in a receive");
    }
    return receiveTimeout(timeout);
  }

  /** The receive waits: `done` gets the message that `match` accepts, or undefined after `timeout` ms. */
  private wait(p: Process, match: Match | undefined, timeout: number, done: ResolveReceive): void {
    this.endSlice(p);
    const waiting = new PendingReceive(match, done);
    p.waiting = waiting;
    p.status = Status.Idle;
    if (timeout !== Number.POSITIVE_INFINITY) waiting.timer = this.rt.wheel.schedule(timeout, p, waiting);
  }

  /** The scheduler's entry: runs whatever the process has to do now; true when it resumed an async continuation. */
  run(p: Process): boolean {
    if (p.status === Status.Exited || (p.flags & Flag.Suspended) !== 0) return false; // `resumeSuspended` queues it again
    if (this.slices.paysDebt(p)) {
      this.rt.scheduler.enqueue(p);
      return false;
    }
    if (p.status === Status.New) {
      this.start(p);
      return false;
    }
    const waiting = p.waiting;
    if (typeof waiting === "function") {
      if ((p.flags & Flag.ReceiveDue) === 0) return false;
      p.flags &= ~Flag.ReceiveDue;
      this.resume(p, waiting, p.takeFirst() as Term);
      return true;
    }
    if (waiting !== null) {
      if (waiting.result === NOT_READY) return false;
      this.resume(p, waiting.resolve, waiting.result);
      return true;
    }
    if ((p.flags & Flag.Async) === 0 && p.status === Status.Ready) this.handleMessages(p);
    return false;
  }

  /**
   * `p` sent to a connection over its buffer limit: like BEAM's sender on a busy dist port it is suspended. Its
   * current step runs to its end (JavaScript cannot stop it), but it is not scheduled again — no next message for
   * a behaviour, no resumption of an async body's `await` — until the connection clears. A process suspended
   * already waits for the connection it found busy first; a send to another busy one suspends it again later.
   */
  suspend(p: Process, busy: BusyConnection): void {
    if ((p.flags & Flag.Suspended) !== 0) return;
    p.flags |= Flag.Suspended;
    busy.whenClear(() => this.resumeSuspended(p));
  }

  /** The connection `p` waited for cleared: it runs again when the scheduler gets to it. */
  private resumeSuspended(p: Process): void {
    p.flags &= ~Flag.Suspended;
    if (p.status !== Status.Exited) this.rt.scheduler.enqueue(p);
  }

  /** A timer of the wheel expired: a receive timeout, an idle timeout, or (else) a user timer. */
  expire(timer: Timer): boolean {
    const p = timer.owner as Process;
    if (timer.data instanceof PendingReceive) {
      const waiting = timer.data;
      waiting.timer = null;
      if (p.waiting === waiting && waiting.result === NOT_READY) this.complete(p, waiting, undefined);
      return true;
    }
    if (timer.data === IDLE_TIMEOUT) {
      const extra = p.extra;
      if (extra !== null && extra.idleTimer === timer) extra.idleTimer = undefined;
      if (p.status === Status.Idle) {
        p.flags |= Flag.TimeoutDue;
        p.status = Status.Ready;
        this.rt.scheduler.enqueue(p);
      }
      return true;
    }
    return false;
  }

  /** A body threw (or its promise rejected): the process exits with the reason the thrown value gives. */
  crash(p: Process, error: unknown): void {
    if (p.status === Status.Exited) return;
    this.rt.signals.terminate(p, reasonFromThrown(error), { error, selfInflicted: true });
  }

  /** Drops the waits a process has armed (it is exiting). */
  cancelWaits(p: Process): void {
    this.rt.scheduler.handBack(p);
    this.slices.forget(p);
    const waiting = p.waiting;
    if (waiting !== null) {
      if (typeof waiting !== "function" && waiting.timer !== null) this.rt.wheel.drop(waiting.timer);
      p.waiting = null;
      p.flags &= ~Flag.ReceiveDue;
    }
    const extra = p.extra;
    if (extra !== null && extra.idleTimer !== undefined) {
      this.rt.wheel.drop(extra.idleTimer);
      extra.idleTimer = undefined;
    }
  }

  private start(p: Process): void {
    p.status = Status.Ready;
    this.current = p;
    try {
      if ((p.flags & Flag.Async) !== 0) this.startAsync(p);
      else this.startBehaviour(p);
    } catch (error) {
      this.crash(p, error);
    } finally {
      this.current = undefined;
    }
    this.rt.scheduler.charge(1);
  }

  private startAsync(p: Process): void {
    const result = (p.body as AsyncBody)(p);
    if (result instanceof Promise) {
      // Bound functions, not closures: 96 bytes a waiting process instead of 160 (two closures and their context).
      result.then(bodyReturned.bind(p), bodyThrew.bind(p));
    } else {
      this.finished(p, result);
    }
  }

  private startBehaviour(p: Process): void {
    const behaviour = p.body as Behaviour;
    if (behaviour.init === undefined) {
      this.settle(p);
      return;
    }
    const state = behaviour.init(p, p.state);
    if (state instanceof Promise) this.awaitState(p, state);
    else {
      p.state = state;
      this.settle(p);
    }
  }

  /** Hands queued messages to a behaviour, up to its share of the turn. */
  private handleMessages(p: Process): void {
    const behaviour = p.body as Behaviour;
    const end = p.reductions + RUN_REDUCTIONS;
    let handled = 0; // the scheduler was charged for the sends already
    this.current = p;
    try {
      while (p.reductions < end && p.status === Status.Ready && (p.flags & Flag.Suspended) === 0) {
        const message = p.takeFirst();
        let next: unknown;
        if (message !== NO_MESSAGE) next = behaviour.handleMessage(p, message, p.state);
        else if ((p.flags & Flag.TimeoutDue) !== 0) {
          p.flags &= ~Flag.TimeoutDue;
          next =
            behaviour.handleTimeout !== undefined
              ? behaviour.handleTimeout(p, p.state)
              : behaviour.handleMessage(p, TIMEOUT, p.state);
        } else break;
        p.reductions++;
        handled++;
        if (next instanceof Promise) {
          this.awaitState(p, next);
          return;
        }
        if (p.exited) return;
        p.state = next;
      }
    } catch (error) {
      this.crash(p, error);
      return;
    } finally {
      this.current = undefined;
      this.rt.scheduler.charge(handled);
    }
    this.slices.overran(p, p.reductions - end);
    this.settle(p);
  }

  /** A behaviour callback returned a promise: no message is taken until it settles. */
  private awaitState(p: Process, pending: Promise<unknown>): void {
    if (p.exited) {
      pending.catch(ignore); // the process is gone; its callback's failure has nobody to tell
      return;
    }
    p.status = Status.Busy;
    pending.then(
      (state) => {
        if (p.status === Status.Exited) return;
        p.state = state;
        p.status = Status.Ready;
        this.settle(p);
      },
      (error) => this.crash(p, error),
    );
  }

  /** After a behaviour step: queue it again if messages wait, else let it idle (arming its idle timeout). */
  private settle(p: Process): void {
    if (p.status === Status.Exited) return;
    if (p.hasMessages || (p.flags & Flag.TimeoutDue) !== 0) {
      p.status = Status.Ready;
      this.rt.scheduler.enqueue(p);
      return;
    }
    p.status = Status.Idle;
    const extra = p.extra;
    if (extra !== null && extra.idleTimeout !== undefined) {
      extra.idleTimer = this.rt.wheel.schedule(extra.idleTimeout, p, IDLE_TIMEOUT);
      extra.idleTimeout = undefined;
    }
  }

  /** A receive found its message (or timed out, `undefined`): resume now if the scheduler allows, else queue. */
  private complete(p: Process, waiting: PendingReceive | ResolveReceive, result: Term | undefined): void {
    const plain = typeof waiting === "function";
    if (!plain && waiting.timer !== null) {
      this.rt.wheel.drop(waiting.timer);
      waiting.timer = null;
    }
    if ((p.flags & Flag.Suspended) === 0 && this.rt.scheduler.mayResumeNow()) {
      p.waiting = null;
      p.status = Status.Ready;
      this.slices.start(p);
      p.reductions++;
      (plain ? waiting : waiting.resolve)(result);
      return;
    }
    if (!plain) this.park(p, waiting, result);
    else {
      // The message waits in the queue, where a plain receive finds it first (the queue was empty): no record.
      p.enqueue(result as Term);
      p.flags |= Flag.ReceiveDue;
      p.status = Status.Ready;
      this.rt.scheduler.enqueue(p);
    }
  }

  /** Keeps a completed receive's result until the scheduler resumes the process. */
  private park(p: Process, waiting: PendingReceive, result: Term | undefined): void {
    waiting.result = result;
    p.waiting = waiting;
    p.status = Status.Ready;
    this.rt.scheduler.enqueue(p);
  }

  /**
   * Whether a receive that found its result before it could wait goes on now: yes if the process's slice lasts
   * or nobody else is runnable.
   */
  private mayGoOn(p: Process): boolean {
    if ((p.flags & Flag.Suspended) !== 0) return false;
    const scheduler = this.rt.scheduler;
    if (!(this.slices.lasts(p) ? scheduler.mayContinue() : scheduler.mayResumeNow())) return false;
    p.reductions++;
    return true;
  }

  /** A receive found its result but may not go on: it waits for the scheduler's say. */
  private parkFound(p: Process, match: Match | undefined, result: Term | undefined, done: ResolveReceive): void {
    this.endSlice(p);
    this.park(p, new PendingReceive(match, done), result);
  }

  /** `self.yield()`: the process goes to the back of its run queue. */
  yield(p: Process): Promise<undefined> {
    if (p.status === Status.Exited) return NEVER;
    if (p.waiting !== null) {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, "this process already waits in a receive");
    }
    this.endSlice(p);
    return new Promise<Term | undefined>((resolve) =>
      this.park(p, new PendingReceive(undefined, resolve), undefined),
    ) as Promise<undefined>;
  }

  /** An async process stops running (it waits, queues again or exits): the scheduler may go on. */
  private endSlice(p: Process): void {
    this.rt.scheduler.handBack(p);
    this.slices.stop(p);
  }

  private resume(p: Process, resolve: ResolveReceive, result: Term | undefined): void {
    p.waiting = null;
    this.slices.start(p);
    p.reductions++;
    this.rt.scheduler.charge(1);
    resolve(result);
  }

  /** An async body returned: the process exits normally, keeping the value for `run`. */
  finished(p: Process, value: unknown): void {
    if (p.status === Status.Exited) return;
    this.rt.signals.terminate(p, NORMAL, { result: value, selfInflicted: true });
  }
}

function ignore(): void {}

/** An async body's promise fulfilled: its process (`this`) exits normally. */
function bodyReturned(this: Process, value: unknown): void {
  this.runtime.execution.finished(this, value);
}

/** An async body's promise rejected: its process (`this`) exits with what it threw. */
function bodyThrew(this: Process, error: unknown): void {
  this.runtime.execution.crash(this, error);
}

function receiveTimeout(timeout: number | "infinity" | undefined): number {
  if (timeout === undefined || timeout === "infinity") return Number.POSITIVE_INFINITY;
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new ProcessError(
      ErrorCodes.PROC_BAD_ARG,
      `receive timeout must be a number ≥ 0 or "infinity", not ${timeout}`,
    );
  }
  return timeout;
}
