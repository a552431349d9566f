// Which migratable servers each scheduler of a node runs: those a Migration started there and those moved there,
// noted by the runtime of the scheduler whose thread they run on, and how the main scheduler asks the others for
// theirs (their runtimes live on other threads). Migration.servers() is the node's list built from them.
import type { Runtime } from "../runtime/index.ts";
import type { Pid } from "../term/types.ts";

/** Each scheduler's migratable server processes, by its runtime (several nodes may share one thread). */
const noted = new WeakMap<Runtime, Set<Pid>>();
/** How a scheduler asks its node's other schedulers for their lists (installed by its end of the mesh). */
const askers = new WeakMap<Runtime, () => Promise<Pid[]>>();

/** Notes `pid` as a migratable server process of `runtime`'s scheduler (started there, or moved there). */
export function noteMigratable(runtime: Runtime, pid: Pid): void {
  const pids = noted.get(runtime);
  if (pids === undefined) noted.set(runtime, new Set([pid]));
  else pids.add(pid);
}

/** The migratable servers of `runtime`'s scheduler that still run; those that ended are forgotten. */
export function migratableHere(runtime: Runtime): Pid[] {
  const pids = noted.get(runtime);
  if (pids === undefined) return [];
  for (const pid of pids) if (!runtime.isAlive(pid)) pids.delete(pid);
  return [...pids];
}

/** Installs how `runtime` asks the other schedulers of its node for their migratable servers. */
export function askOtherSchedulersWith(runtime: Runtime, ask: () => Promise<Pid[]>): void {
  askers.set(runtime, ask);
}

/** Every migratable server of `runtime`'s node that runs: its own scheduler's first, then the others'. */
export async function migratableOnNode(runtime: Runtime): Promise<Pid[]> {
  const here = migratableHere(runtime);
  const ask = askers.get(runtime);
  return ask === undefined ? here : [...here, ...(await ask())];
}
