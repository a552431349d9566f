// Where moved servers arrive: `otter_migration:prepare/6`, which a server about to move spawns on its target (a
// node, or a scheduler of this node), finds the server's code there and starts the process that waits for its
// state (migration-server.ts), noted as one of that scheduler's migratable servers (migratable-servers.ts).
// Scheduler 0 offers it once `startMigration` ran; every other scheduler always.
import type { ExportedFunction, ExportedModules } from "../dist/modules.ts";
import { ErrorCodes } from "../errors.ts";
import { GenServer } from "../otp/gen-server.ts";
import type { Process } from "../runtime/index.ts";
import type { Atom } from "../term/atom.ts";
import { atom } from "../term/atom.ts";
import type { Pid, Ref, Term } from "../term/types.ts";
import { tuple } from "../term/types.ts";
import { noteMigratable } from "./migratable-servers.ts";
import {
  Awaiting,
  MIGRATION,
  migratableCallbacks,
  movableNameOf,
  PREPARED,
  REFUSED,
  type RepointableRegistry,
} from "./migration-server.ts";
import { type AnyServerCallbacks, lookupServer } from "./migration-spec.ts";

export interface TargetOptions {
  /** The registry `via` names of servers moved here are kept in (a node's ClusterNames), if any. */
  readonly names?: RepointableRegistry;
}

/** The `otter_migration` module of one node or scheduler, whose modules are `modules`. */
export function migrationModule(
  modules: ExportedModules,
  options: TargetOptions = {},
): Record<string, ExportedFunction> {
  return {
    prepare: (self, server, tag, module, fn, name, timeoutMs) => {
      const args = { server: server as Pid, tag: tag as Ref, module: module as Atom, fn: fn as Atom };
      return prepare(self, modules, options, { ...args, name: name!, timeoutMs: timeoutMs as number });
    },
  };
}

interface PrepareRequest {
  readonly server: Pid;
  readonly tag: Ref;
  readonly module: Atom;
  readonly fn: Atom;
  readonly name: Term;
  readonly timeoutMs: number;
}

/** Starts the process that waits for `request.server`'s state and tells the server its pid, or why it cannot. */
async function prepare(
  self: Process,
  modules: ExportedModules,
  options: TargetOptions,
  request: PrepareRequest,
): Promise<Term> {
  const { server, tag, module, fn } = request;
  const refuse = (why: Term) => {
    self.send(server, tuple(MIGRATION, REFUSED, tag, why));
    return atom("ok");
  };
  const spec = { module: module.name, fn: fn.name };
  let callbacks: AnyServerCallbacks;
  try {
    callbacks = lookupServer(self, modules, spec, ErrorCodes.CLUSTER_MIGRATION_FAILED);
  } catch (error) {
    return refuse(tuple(atom("no_server"), module, fn, (error as Error).message));
  }
  const name = movableNameOf(request.name, options.names);
  if (name === "no_registry") return refuse(tuple(atom("no_registry"), request.name));
  const wrapped = migratableCallbacks(spec, callbacks, name);
  const started = await GenServer.start(self, wrapped, new Awaiting(server, tag, request.timeoutMs));
  if (!("pid" in started))
    return refuse(tuple(atom("start_failed"), "error" in started ? started.error : atom("ignore")));
  noteMigratable(self.runtime, started.pid);
  self.send(server, tuple(MIGRATION, PREPARED, tag, started.pid));
  return atom("ok");
}
