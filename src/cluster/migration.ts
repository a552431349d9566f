// Migration of a GenServer between nodes: `startMigration(node)` makes a node able to start moved servers and
// start migratable ones; `migrate(self, server, target)` moves one (the steps are in migration-server.ts).
//
// What the old pid's watchers see: nothing during the move; for the grace period (default 2 s) it forwards what
// reaches it, so calls made through a stale name or pid still get their reply; then it exits with
// `{shutdown, {migrated, NewPid}}`: monitors get that DOWN, linked processes that trap exits get that EXIT, and a
// linked process that does not trap exits ends with it, as with any `{shutdown, _}` exit. It is a clean end: no
// crash report; a supervisor does not restart a `transient` or `temporary` child that ended so (OTP's
// supervisor.erl restarts transient children only on reasons other than normal, shutdown and {shutdown, _}),
// but does restart a `permanent` one — migrate only servers whose parent expects them to leave. The new process
// is nobody's child. A caller waiting on the old pid at the very end of the grace period sees the same DOWN.
import * as erpc from "../dist/erpc.ts";
import type { ExportedModules } from "../dist/modules.ts";
import { ErlangThrow } from "../dist/modules.ts";
import { DistError, ErrorCodes } from "../errors.ts";
import { GenServer } from "../otp/gen-server.ts";
import type { ServerRef, ViaName } from "../otp/names.ts";
import type { StartOptions } from "../otp/start.ts";
import { type Process, ProcessExit, type Runtime } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";
import {
  MIGRATE,
  type Migrated,
  type MigrationPlacer,
  migratableCallbacks,
  moveError,
  type RepointableRegistry,
  Resumed,
} from "./migration-server.ts";
import { type AnyServerCallbacks, lookupServer, type ServerSpec } from "./migration-spec.ts";

export type { Migrated, MigrationPlacer, Move, RepointableRegistry } from "./migration-server.ts";
export type { ServerSpec } from "./migration-spec.ts";

/** Where a server moves: a node by name. (A scheduler of this node, `{ scheduler: n }`, once schedulers exist.) */
export type MigrationTarget = Atom | string | { readonly scheduler: number };

export interface MigrateOptions {
  /** How long the old pid forwards what reaches it before it exits (default 2,000 ms). */
  graceMs?: number;
  /** How long starting at the target may take (default 5,000 ms); the whole migration waits at most twice that. */
  timeoutMs?: number;
}

/** The module every node running migration offers: `otter_migration:start/5` starts a moved server there. */
const MIGRATION_MODULE = "otter_migration";
const SCHEDULER = atom("scheduler");
const OK = atom("ok");
const ERROR = atom("error");
const NO_NAME = atom("undefined");

/** How targets of kinds other than a node are reached (the schedulers register theirs here). */
const placers = new Map<Atom, (target: Tuple) => MigrationPlacer | undefined>();

/** Lets `migrate` reach targets `{Kind, …}` (e.g. `{scheduler, N}`) through `placer`. */
export function registerPlacer(kind: Atom, placer: (target: Tuple) => MigrationPlacer | undefined): void {
  placers.set(kind, placer);
}

function placerFor(target: Term): MigrationPlacer | undefined {
  if (target instanceof Atom) return nodePlacer(target);
  if (target instanceof Tuple && target.at(0) instanceof Atom) return placers.get(target.at(0) as Atom)?.(target);
  return undefined;
}

/** Another node: its `otter_migration:start` over erpc. */
function nodePlacer(node: Atom): MigrationPlacer {
  return {
    async start(self, move) {
      const args = [atom(move.spec.module), atom(move.spec.fn), move.state, move.name ?? NO_NAME, move.from];
      const pid = await erpc.call(self, node, MIGRATION_MODULE, "start", [...args, move.commitTimeoutMs], {
        timeout: move.commitTimeoutMs,
      });
      if (!(pid instanceof Pid))
        throw new DistError(ErrorCodes.CLUSTER_MIGRATION_FAILED, `${node.name} gave ${format(pid)}`);
      return pid;
    },
  };
}

function targetTerm(target: MigrationTarget): Term {
  if (typeof target === "string") return atom(target);
  if (target instanceof Atom) return target;
  return tuple(SCHEDULER, target.scheduler);
}

/** A node able to run migratable servers: what `startMigration` needs of an OtterNode. */
export interface MigrationHost {
  readonly runtime: Runtime;
  readonly modules: ExportedModules;
  exportModule(name: string, functions: Record<string, (self: Process, ...args: Term[]) => Term | Promise<Term>>): void;
}

/** Migration on one node: starts migratable servers here, and starts those moved here. */
export class Migration {
  constructor(
    private readonly node: MigrationHost,
    private readonly names: RepointableRegistry | undefined,
  ) {}

  /**
   * Starts `spec`'s server here as a migratable one (from outside any process, unlinked); its `via` name, if in a
   * registry that re-points (ClusterNames), follows it when it moves.
   */
  async start(
    spec: ServerSpec,
    arg: unknown,
    options?: StartOptions,
  ): Promise<{ pid: Pid } | { ignore: true } | { error: Term }> {
    let unknownSpec: unknown;
    const started = await this.node.runtime.run(async (self) => {
      let callbacks: AnyServerCallbacks;
      try {
        callbacks = lookupServer(self, this.node.modules, spec, ErrorCodes.CLUSTER_MIGRATION_FAILED);
      } catch (error) {
        unknownSpec = error;
        return undefined;
      }
      const name = options?.name;
      const via = name !== undefined && !(name instanceof Atom) && "via" in name ? (name as ViaName) : undefined;
      const movableName =
        via !== undefined && typeof (via.via as Partial<RepointableRegistry>).repoint === "function"
          ? { registry: via.via as RepointableRegistry, name: via.name }
          : undefined;
      const wrapped = migratableCallbacks(spec, callbacks, movableName, placerFor);
      return GenServer.start(self, wrapped, { fresh: arg }, options);
    });
    if (started === undefined) throw unknownSpec;
    return started;
  }

  /** `otter_migration:start(Module, Fn, State, Name, From, CommitTimeoutMs)`: a moved server started here. */
  async startMoved(self: Process, args: Term[]): Promise<Pid> {
    const [module, fn, state, name, from, commitTimeoutMs] = args as [Atom, Atom, Term, Term, Pid, number];
    const spec = { module: module.name, fn: fn.name };
    let callbacks: AnyServerCallbacks & Migrated<unknown>;
    try {
      callbacks = lookupServer(self, this.node.modules, spec, ErrorCodes.CLUSTER_MIGRATION_FAILED);
    } catch (error) {
      throw new ErlangThrow(tuple(atom("no_server"), module, fn, (error as Error).message));
    }
    const movableName = name === NO_NAME || this.names === undefined ? undefined : { registry: this.names, name };
    const wrapped = migratableCallbacks(spec, callbacks, movableName, placerFor);
    const started = await GenServer.start(self, wrapped, new Resumed(state, from, commitTimeoutMs));
    if ("pid" in started) return started.pid;
    throw new ErlangThrow("error" in started ? tuple(ERROR, started.error) : atom("ignore"));
  }
}

/**
 * Makes `node` able to run migratable servers: exports `otter_migration` (how a server moved here is started).
 * `names` is the node's cluster-wide registry: moved servers keep their name in it.
 */
export function startMigration(node: MigrationHost, options: { names?: RepointableRegistry } = {}): Migration {
  const migration = new Migration(node, options.names);
  node.exportModule(MIGRATION_MODULE, {
    start: (self, module, fn, state, name, from, commitTimeoutMs) =>
      migration.startMoved(self, [module!, fn!, state!, name!, from!, commitTimeoutMs!]),
  });
  return migration;
}

/**
 * Moves a migratable server to `target` and resolves with its new pid. Throws a DistError
 * CLUSTER_NOT_MIGRATABLE (its state does not encode to ETF) or CLUSTER_MIGRATION_FAILED (the target cannot
 * start it, its name moved, the server did not answer); then the server runs on where it was, nothing lost.
 */
export async function migrate(
  self: Process,
  server: ServerRef,
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<Pid> {
  const graceMs = options.graceMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 5000;
  let answer: Term;
  try {
    answer = await GenServer.call(self, server, tuple(MIGRATE, targetTerm(target), graceMs, timeoutMs), {
      timeout: 2 * timeoutMs,
    });
  } catch (error) {
    if (!(error instanceof ProcessExit)) throw error;
    throw new DistError(ErrorCodes.CLUSTER_MIGRATION_FAILED, `migration failed: ${format(error.reason)}`);
  }
  if (answer instanceof Tuple && answer.at(0) === OK && answer.at(1) instanceof Pid) return answer.at(1) as Pid;
  if (answer instanceof Tuple && answer.at(0) === ERROR) throw moveError(answer.at(1)!, format);
  throw new DistError(ErrorCodes.CLUSTER_NOT_MIGRATABLE, `not a migratable server: it answered ${format(answer)}`);
}
