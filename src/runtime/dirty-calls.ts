// A process's way to its node's dirty pools: a call suspends only the process that awaits it, and the calls a
// process made are dropped, if not started, when it exits (as a BEAM process waiting on a dirty scheduler).
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

/** Each process's owner: the pools know a caller by it (its calls go to one worker, in order), so it is made once. */
const owners = new WeakMap<Process, DirtyCallOwner>();

/** `p` as the owner of dirty calls: gone when it exits. */
function ownerOf(p: Process): DirtyCallOwner {
  let owner = owners.get(p);
  if (owner === undefined) {
    owner = {
      watch(onGone) {
        if (p.status === Status.Exited) {
          onGone();
          return () => {};
        }
        const extra = p.extras();
        extra.exitWatchers ??= new Set();
        extra.exitWatchers.add(onGone);
        return () => extra.exitWatchers?.delete(onGone);
      },
    };
    owners.set(p, owner);
  }
  return owner;
}
