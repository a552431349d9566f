// A node's dirty pools (BEAM's dirty CPU and dirty IO schedulers): the modules they can run, the choice between
// running a call inline and handing it to a pool, and the pools themselves, each started at its first use.

import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { DirtyError, ErrorCodes } from "../errors.ts";
import type { AnyFunction, DirtyResult } from "../runtime/contracts.ts";
import { type FunctionTiming, HandoffCost, runsInline } from "./adaptive.ts";
import { type BusyWait, busyWaitMicros } from "./busy-wait.ts";
import { badCallOption, type CallOptions, type CallOwner, type DirtyCall } from "./call.ts";
import type { LoadModule } from "./messages.ts";
import { ModuleTable } from "./modules.ts";
import { DirtyPool, type PoolStats, type StopOptions, stopDeadline } from "./pool.ts";

export type DirtyKind = "cpu" | "io";

export interface DirtyPoolsOptions {
  /** The CPU pool: `size` workers (default: cores − 1, at least 1; erl's `+SDcpu`). */
  cpu?: { size?: number };
  /** The IO pool: `size` workers (default 10; erl's `+SDio`). */
  io?: { size?: number };
  /** How long workers spin for work before they park (erl's `+sbwtdcpu`/`+sbwtdio`; default "medium"). */
  busyWait?: BusyWait;
  /**
   * How long the main thread spins for answers before it waits for them with the event loop (erl's `+sbwt` for
   * its normal schedulers; default "medium", as the runtime scheduler's own busy wait).
   */
  mainBusyWait?: BusyWait;
}

export interface LoadOptions {
  /** Its functions may also run on the main thread, when measured cheaper than the hand-off (default false). */
  mainThread?: boolean;
}

export interface FunctionStats {
  name: string;
  /** Moving average of its running time, µs (NaN until it ran). */
  micros: number;
  inlineCalls: number;
  dirtyCalls: number;
}

export interface DirtyStats {
  cpu: PoolStats | undefined;
  io: PoolStats | undefined;
  /** What a hand-off to a worker and back costs beyond the function itself, µs (moving average). */
  handoffMicros: number;
  functions: FunctionStats[];
}

export class DirtyPools {
  private readonly modules = new ModuleTable();
  /** Every module loaded so far, in order: a pool started later loads them into its workers first. */
  private readonly loaded: Omit<LoadModule, "id" | "kind">[] = [];
  private readonly pools: Record<DirtyKind, DirtyPool | undefined> = { cpu: undefined, io: undefined };
  private readonly sizes: Record<DirtyKind, number>;
  private readonly spinMicros: { workers: number; main: number };
  private readonly handoff = new HandoffCost();
  /** Set by the first stop(): what later ones return. */
  private stopping: Promise<void> | undefined;

  constructor(options: DirtyPoolsOptions = {}) {
    this.spinMicros = { workers: busyWaitMicros(options.busyWait), main: busyWaitMicros(options.mainBusyWait) };
    this.sizes = {
      cpu: poolSize("cpu", options.cpu?.size, Math.max(1, availableParallelism() - 1)),
      io: poolSize("io", options.io?.size, 10),
    };
  }

  /**
   * Loads a module (a path, a file URL, or a `.wasm` file) into the pools: resolves with its exports, whose
   * functions `cpu`, `io` and `call` then accept. DIRTY_LOAD_FAILED if it, or any worker, cannot load it.
   */
  async load<M = Record<string, AnyFunction>>(where: string | URL, options: LoadOptions = {}): Promise<M> {
    this.refuseIfStopped();
    const prepared = await this.modules.prepare(where, options.mainThread ?? false);
    const message = { source: prepared.source, names: prepared.names, base: prepared.base };
    await Promise.all(Object.values(this.pools).map((pool) => pool?.load(message)));
    this.loaded.push(message);
    return prepared.exports as M;
  }

  /** Runs `fn` (a loaded module's export) with `args` on the CPU pool, or inline where that is cheaper. */
  cpu<F extends AnyFunction>(fn: F, ...args: Parameters<F>): DirtyResult<F> {
    return this.call("cpu", fn, args) as DirtyResult<F>;
  }

  /** Runs `fn` with `args` on the IO pool (for blocking or long-waiting work), or inline where that is cheaper. */
  io<F extends AnyFunction>(fn: F, ...args: Parameters<F>): DirtyResult<F> {
    return this.call("io", fn, args) as DirtyResult<F>;
  }

  /**
   * Runs `fn` with `args` on the `kind` pool, with per-call options; `owner`'s calls run in the order made, and
   * those not started when it goes are dropped; `owner` hears where each call went. Rejects with a DirtyError
   * (DIRTY_CALL_FAILED carries what the function threw as its cause), never throws.
   */
  call(
    kind: DirtyKind,
    fn: AnyFunction,
    args: readonly unknown[],
    options: CallOptions = {},
    owner?: CallOwner,
  ): Promise<unknown> {
    try {
      this.refuseIfStopped();
      const bad = badCallOption(options);
      if (bad !== undefined) throw bad;
      const f = this.modules.lookup(fn);
      // A call with a timeout goes to a pool, where it can be stopped.
      const inline =
        options.where === "inline"
          ? f.mainThread || refuseInline(f.name)
          : options.where !== "dirty" &&
            options.timeoutMs === undefined &&
            runsInline(f.timing, f.mainThread, this.handoff);
      owner?.dispatched?.(inline ? "inline" : "dirty");
      if (inline) return runInline(f.fn, args, f.timing);
      return this.pool(kind).call(f.id, args, options, owner);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stats(): DirtyStats {
    return {
      cpu: this.pools.cpu?.stats(),
      io: this.pools.io?.stats(),
      handoffMicros: this.handoff.micros,
      functions: [...this.modules.all()].map((f) => ({
        name: f.name,
        micros: f.timing.micros,
        inlineCalls: f.timing.inlineCalls,
        dirtyCalls: f.timing.dirtyCalls,
      })),
    };
  }

  /**
   * Stops both pools: later calls, and calls not started, fail with DIRTY_STOPPED. Workers get `timeoutMs` (default
   * 5,000) to end the calls they are running; then they are terminated, and those calls fail with DIRTY_STOPPED. A
   * second stop() returns the first one's promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping === undefined) {
      let timeoutMs: number;
      try {
        timeoutMs = stopDeadline(options);
      } catch (error) {
        return Promise.reject(error);
      }
      const stops = Object.values(this.pools).map((pool) => pool?.stop({ timeoutMs }));
      this.stopping = Promise.all(stops).then(() => {});
    }
    return this.stopping;
  }

  private pool(kind: DirtyKind): DirtyPool {
    const existing = this.pools[kind];
    if (existing !== undefined) return existing;
    const pool = new DirtyPool(kind, this.sizes[kind], this.spinMicros, this.loaded, (call, micros) =>
      this.answered(call, micros),
    );
    this.pools[kind] = pool;
    return pool;
  }

  private answered(call: DirtyCall, micros: number): void {
    this.modules.byId(call.fnId)?.timing.ranDirty(micros);
    if (call.ahead === 0 && !Number.isNaN(call.madeAt)) {
      this.handoff.measured((performance.now() - call.madeAt) * 1000, micros);
    }
  }

  private refuseIfStopped(): void {
    if (this.stopping !== undefined) throw new DirtyError(ErrorCodes.DIRTY_STOPPED, "the dirty pools are stopped");
  }
}

/** Starts a node's dirty pools (their workers start at each pool's first call). */
export function startDirtyPools(options?: DirtyPoolsOptions): DirtyPools {
  return new DirtyPools(options);
}

function runInline(fn: AnyFunction, args: readonly unknown[], timing: FunctionTiming): Promise<unknown> {
  const t0 = performance.now();
  try {
    const value = fn(...args);
    timing.ranInline((performance.now() - t0) * 1000);
    return Promise.resolve(value);
  } catch (error) {
    timing.ranInline((performance.now() - t0) * 1000);
    return Promise.reject(
      new DirtyError(ErrorCodes.DIRTY_CALL_FAILED, `the dirty function threw: ${String(error)}`, { cause: error }),
    );
  }
}

function refuseInline(name: string): never {
  throw new DirtyError(
    ErrorCodes.DIRTY_BAD_OPTION,
    `${name} may not run on the main thread: load its module with { mainThread: true }`,
  );
}

function poolSize(kind: DirtyKind, size: number | undefined, fallback: number): number {
  const n = size ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new DirtyError(ErrorCodes.DIRTY_BAD_OPTION, `the ${kind} pool size must be a whole number ≥ 1, not ${n}`);
  }
  return n;
}
