// A process's way to its node's dirty pools: a call suspends only the process that awaits it, the calls a process
// made are dropped, if not started, when it exits (as a BEAM process waiting on a dirty scheduler), and each
// process's calls are counted for processInfo.
import { DirtyError, ErrorCodes } from "../errors.ts";
import type { AnyFunction, DirtyCallOptions, DirtyCallOwner, DirtyResult } from "./contracts.ts";
import { type Process, Status } from "./process.ts";

export class ProcessDirty {
  /** @internal Use `self.dirty`. */
  constructor(private readonly process: Process) {}

  /** Runs `fn` (a loaded module's export) with `args` on the CPU pool, or inline where measured cheaper. */
  cpu<F extends AnyFunction>(fn: F, ...args: Parameters<F>): DirtyResult<F> {
    return this.call("cpu", fn, args) as DirtyResult<F>;
  }

  /** Runs `fn` with `args` on the IO pool (blocking or long-waiting work). */
  io<F extends AnyFunction>(fn: F, ...args: Parameters<F>): DirtyResult<F> {
    return this.call("io", fn, args) as DirtyResult<F>;
  }

  /** Runs `fn` with `args` on the `kind` pool, with per-call options (a timeout; inline or dirty). */
  call(kind: "cpu" | "io", fn: AnyFunction, args: readonly unknown[], options?: DirtyCallOptions): Promise<unknown> {
    const runner = this.process.runtime.dirty;
    if (runner === undefined) {
      return Promise.reject(
        new DirtyError(ErrorCodes.DIRTY_NO_POOLS, "this runtime has no dirty pools (startNode starts them)"),
      );
    }
    return runner.call(kind, fn, args, options, ownerOf(this.process));
  }
}

/** A process's dirty work, as processInfo shows it. */
export interface DirtyCounts {
  /** Its calls handed to a pool that have not settled yet (an inline call settles as it runs). */
  readonly waiting: number;
  /** Its calls that ran inline, on the main thread. */
  readonly inline: number;
  /** Its calls handed to a pool. */
  readonly dirty: number;
}

/** A process as the owner of its dirty calls: gone when it exits; counts its calls as the pools report them. */
class ProcessCallOwner implements DirtyCallOwner, DirtyCounts {
  waiting = 0;
  inline = 0;
  dirty = 0;

  constructor(private readonly process: Process) {}

  /** The pools watch once per call they hold and stop when it settles: that brackets the call's wait. */
  watch(onGone: () => void): () => void {
    const p = this.process;
    if (p.status === Status.Exited) {
      onGone();
      return () => {};
    }
    const extra = p.extras();
    extra.exitWatchers ??= new Set();
    extra.exitWatchers.add(onGone);
    this.waiting++;
    return () => {
      this.waiting--;
      extra.exitWatchers?.delete(onGone);
    };
  }

  dispatched(where: "inline" | "dirty"): void {
    if (where === "inline") this.inline++;
    else this.dirty++;
  }
}

/** Each process's owner: the pools know a caller by it (its calls go to one worker, in order), so it is made once. */
const owners = new WeakMap<Process, ProcessCallOwner>();

/** `p` as the owner of dirty calls. */
function ownerOf(p: Process): ProcessCallOwner {
  let owner = owners.get(p);
  if (owner === undefined) {
    owner = new ProcessCallOwner(p);
    owners.set(p, owner);
  }
  return owner;
}

/** `p`'s dirty work so far (zeros for a process that never made a dirty call). */
export function dirtyCountsOf(p: Process): DirtyCounts {
  const owner = owners.get(p);
  return owner === undefined
    ? { waiting: 0, inline: 0, dirty: 0 }
    : { waiting: owner.waiting, inline: owner.inline, dirty: owner.dirty };
}
