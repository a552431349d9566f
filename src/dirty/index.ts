// Dirty pools: worker threads for CPU-bound and blocking work, as BEAM's dirty schedulers.
export type { BusyWait } from "./busy-wait.ts";
export type { CallOptions, CallOwner } from "./call.ts";
export type { PoolStats, StopOptions } from "./pool.ts";
export {
  type DirtyKind,
  DirtyPools,
  type DirtyPoolsOptions,
  type DirtyStats,
  type FunctionStats,
  type LoadOptions,
  startDirtyPools,
} from "./pools.ts";
