// Where a movable server's code comes from on any node: `module:fn/0`, found as remote spawn finds a function — a
// module exported with `node.exportModule`, else a module loaded into the node's code server — and returning the
// server's GenServer callbacks. Migration and replication start servers by this name, never by a JS reference.
import type { ExportedModules } from "../dist/modules.ts";
import { DistError, type ErrorCodes } from "../errors.ts";
import type { GenServerCallbacks } from "../otp/gen-server.ts";
import type { Process } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";

/** A server's code by name: `module:fn/0` returns its callbacks on every node that runs it. */
export interface ServerSpec {
  readonly module: string;
  readonly fn: string;
}

// biome-ignore lint/suspicious/noExplicitAny: a spec names servers of any state and message types.
export type AnyServerCallbacks = GenServerCallbacks<any, any, any, any, any>;

/** The callbacks `spec` names on the node whose modules are `modules`; a DistError `code` when it names none. */
export function lookupServer(
  self: Process,
  modules: ExportedModules,
  spec: ServerSpec,
  code: typeof ErrorCodes.CLUSTER_MIGRATION_FAILED | typeof ErrorCodes.CLUSTER_REPLICATION_FAILED,
): AnyServerCallbacks {
  const factory = modules.lookup(atom(spec.module), atom(spec.fn), 0);
  // The factory returns an object, not a term: what the ExportedFunction type says does not hold here.
  const callbacks = factory?.(self) as unknown as AnyServerCallbacks | undefined;
  if (typeof callbacks?.init !== "function") {
    throw new DistError(
      code,
      `${spec.module}:${spec.fn}/0 returns no GenServer callbacks on ${self.runtime.node.name}`,
    );
  }
  return callbacks;
}
