// Spawning on a chosen place: a scheduler of this node (by index) or another node (by name), by module name and
// function, as erlang:spawn/4 does for a node.
import type { Name } from "../dist/erpc.ts";
import { type RemoteSpawnOptions, spawnRemote } from "../dist/spawn-remote.ts";
import type { Process } from "../runtime/index.ts";
import type { Pid, Term } from "../term/types.ts";

/**
 * A process running `module:fn(...args)` on scheduler `where` of this node (a number), or on node `where`, with the
 * spawn options a spawn request carries (`link`, `priority`, `trapExit`, `name`). The module must be loaded there
 * (`node.schedulers.load` loads one on every scheduler of a node). Fails as spawnRemote does; a scheduler the node
 * does not have, or an option it cannot honour, is a PROC_BAD_ARG.
 */
export function spawnOn(
  self: Process,
  where: number | Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
  options: Omit<RemoteSpawnOptions, "scheduler"> = {},
): Promise<Pid> {
  if (typeof where !== "number") return spawnRemote(self, where, module, fn, args, options);
  return spawnRemote(self, self.runtime.node, module, fn, args, { ...options, scheduler: where });
}
