// Which schedulers a runtime has beside it: the mesh each scheduler's thread registers its runtime with, so code
// running in a process (spawnOn, spawnLb) can find its node's schedulers and their loads from `self` alone.
import type { Runtime } from "../../runtime/index.ts";
import type { MeshMemory } from "./mesh-memory.ts";

export interface SchedulerContext {
  readonly memory: MeshMemory;
}

const contexts = new WeakMap<Runtime, SchedulerContext>();

export function bindSchedulerContext(runtime: Runtime, context: SchedulerContext): void {
  contexts.set(runtime, context);
}

/** The schedulers beside `runtime`; undefined for a runtime that is its node's only scheduler. */
export function schedulerContext(runtime: Runtime): SchedulerContext | undefined {
  return contexts.get(runtime);
}
