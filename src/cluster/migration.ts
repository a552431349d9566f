// Migration of a GenServer to another node or to another scheduler of its node: `startMigration(node)` makes a
// node able to start migratable servers and to receive moved ones; `migrate(self, server, target)` moves one (the
// steps are in migration-server.ts, the receiving side in migration-target.ts).
//
// What the old pid's watchers see: nothing during the move; for the grace period (default 2 s) it forwards what
// reaches it, so calls made through a stale name or pid still get their reply; then it exits with
// `{shutdown, {migrated, NewPid}}`: monitors get that DOWN, linked processes that trap exits get that EXIT, and a
// linked process that does not trap exits ends with it, as with any `{shutdown, _}` exit. It is a clean end: no
// crash report; a supervisor does not restart a `transient` or `temporary` child that ended so (OTP's
// supervisor.erl restarts transient children only on reasons other than normal, shutdown and {shutdown, _}),
// but does restart a `permanent` one — migrate only servers whose parent expects them to leave. The new process
// is nobody's child. A caller waiting on the old pid at the very end of the grace period sees the same DOWN.
//
// What the name does:
// - A `via` name in a registry that re-points (ClusterNames) moves to the new pid at the switch, on every node.
//   Such a server moves between nodes only (the registry is an object of the node's main thread).
// - A local atom name (`{ name: atom }`), moving to another scheduler of the node: names are the node's, so the new
//   pid takes it at the switch in one step (the name is never free meanwhile); callers by name never notice.
// - A local atom name, moving to another node: a local name cannot point at a pid of another node, so the old pid
//   keeps it for the grace period (calls by name there are forwarded) and it is freed when the old pid exits; the
//   new process registers the same name on its node if it is free there (or held by the old pid of an earlier
//   move of this server, back within its grace period: that one hands it over), else it runs on unnamed, with a
//   warning logged. Callers on the old node that keep calling by name after the grace period get `noproc`: use a
//   `via` name for servers that leave their node.
// Order: what one sender sends to the server keeps its order when it is sent from the old pid's own scheduler; a
// message sent from elsewhere through the old pid (forwarded) may be overtaken by one sent after the switch
// straight to the new pid. Calls are not affected (a caller waits for each reply).
import type { ExportedModules } from "../dist/modules.ts";
import { DistError, ErrorCodes } from "../errors.ts";
import { GenServer } from "../otp/gen-server.ts";
import type { ServerRef, ViaName } from "../otp/names.ts";
import type { StartOptions } from "../otp/start.ts";
import { type Process, ProcessExit, type Runtime } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";
import { migratableOnNode, noteMigratable } from "./migratable-servers.ts";
import {
  MIGRATE,
  MIGRATION_MODULE,
  type MovableName,
  migratableCallbacks,
  moveError,
  type RepointableRegistry,
  SUSPENDED,
  wallClockMs,
} from "./migration-server.ts";
import { type AnyServerCallbacks, lookupServer, type ServerSpec } from "./migration-spec.ts";
import { migrationModule } from "./migration-target.ts";

export type { Migrated, RepointableRegistry } from "./migration-server.ts";
export type { ServerSpec } from "./migration-spec.ts";

/** Where a server moves: a node by name, or a scheduler of the node it runs on, `{ scheduler: n }`. */
export type MigrationTarget = Atom | string | { readonly scheduler: number };

export interface MigrateOptions {
  /** How long the old pid forwards what reaches it before it exits (default 2,000 ms). */
  graceMs?: number;
  /** How long preparing at the target may take, and then taking the state (default 5,000 ms each). */
  timeoutMs?: number;
}

const SCHEDULER = atom("scheduler");
const OK = atom("ok");
const ERROR = atom("error");

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

/** Migration on one node: starts migratable servers here, and receives those moved here. */
export class Migration {
  constructor(
    private readonly node: MigrationHost,
    private readonly names: RepointableRegistry | undefined,
  ) {}

  /**
   * The migratable servers of this node that still run, on any of its schedulers: those started here and those
   * moved here, from another node or another scheduler; the main scheduler's first. A server that moved on is
   * listed until its old pid's grace period ends and it exits (its new pid is listed too, where it went). Asks
   * each other scheduler's thread once (none before their threads start).
   */
  servers(): Promise<Pid[]> {
    return migratableOnNode(this.node.runtime);
  }

  /**
   * Starts `spec`'s server here as a migratable one (from outside any process, unlinked). Its name follows it
   * when it moves: a local atom name, or a `via` name in a registry that re-points (ClusterNames).
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
      const wrapped = migratableCallbacks(spec, callbacks, movableName(options?.name));
      return GenServer.start(self, wrapped, { fresh: arg }, options);
    });
    if (started === undefined) throw unknownSpec;
    if ("pid" in started) noteMigratable(this.node.runtime, started.pid);
    return started;
  }

  /** The `otter_migration` module of this node's main scheduler. */
  targetModule(): ReturnType<typeof migrationModule> {
    return migrationModule(this.node.modules, { names: this.names });
  }
}

/** The name a server started with, as it follows the server: an atom, a re-pointable `via` name, or none. */
function movableName(name: StartOptions["name"]): MovableName {
  if (name instanceof Atom) return name;
  if (name === undefined || !("via" in name)) return undefined;
  const via = name as ViaName;
  const registry = via.via as Partial<RepointableRegistry>;
  return typeof registry.repoint === "function"
    ? { registry: via.via as RepointableRegistry, name: via.name }
    : undefined;
}

/** Each node's latest Migration, by its main runtime. */
const migrations = new WeakMap<Runtime, Migration>();

/**
 * Makes `node` able to run migratable servers: exports `otter_migration` (how a server moved here is started).
 * `names` is the node's cluster-wide registry: moved servers keep their name in it.
 */
export function startMigration(node: MigrationHost, options: { names?: RepointableRegistry } = {}): Migration {
  const migration = new Migration(node, options.names);
  node.exportModule(MIGRATION_MODULE.name, migration.targetModule());
  migrations.set(node.runtime, migration);
  return migration;
}

/**
 * The Migration last started on the node whose main runtime is `runtime`: how code that has only its process
 * (an application's `start` under `otter start --rebalance`) starts migratable servers.
 */
export function migrationOf(runtime: Runtime): Migration | undefined {
  return migrations.get(runtime);
}

/** A finished move: the new pid, and when and for how long the server was suspended (handled no message). */
export interface Moved {
  readonly pid: Pid;
  /** When the switch began, in ms since the epoch (µs precision: `performance.timeOrigin + performance.now()`). */
  readonly suspendedAt: number;
  /** From the switch's start until the new process took the state, in ms (0 when it ran there already). */
  readonly suspendedMs: number;
}

/**
 * Moves a migratable server to `target` and resolves with its new pid (its own pid when it runs there already).
 * Throws a DistError CLUSTER_NOT_MIGRATABLE (its state does not encode to ETF) or CLUSTER_MIGRATION_FAILED (the
 * target cannot start it — no such node or scheduler, its module not loaded there —, its name moved, a move is
 * under way already, the server did not answer); then the server runs on where it was, nothing lost.
 */
export async function migrate(
  self: Process,
  server: ServerRef,
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<Pid> {
  return (await migrateTimed(self, server, target, options)).pid;
}

/** As `migrate`, and says how long the server was suspended (what its callers waited for, at least). */
export async function migrateTimed(
  self: Process,
  server: ServerRef,
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<Moved> {
  const graceMs = options.graceMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 5000;
  let answer: Term;
  try {
    answer = await GenServer.call(self, server, tuple(MIGRATE, targetTerm(target), graceMs, timeoutMs), {
      timeout: 3 * timeoutMs,
    });
  } catch (error) {
    if (!(error instanceof ProcessExit)) throw error;
    throw new DistError(ErrorCodes.CLUSTER_MIGRATION_FAILED, `migration failed: ${format(error.reason)}`);
  }
  if (answer instanceof Tuple && answer.at(0) === OK && answer.at(1) instanceof Pid) {
    const pid = answer.at(1) as Pid;
    const suspended = answer.at(2);
    if (suspended instanceof Tuple && suspended.at(0) === SUSPENDED) {
      return { pid, suspendedAt: suspended.at(1) as number, suspendedMs: suspended.at(2) as number };
    }
    return { pid, suspendedAt: wallClockMs(), suspendedMs: 0 };
  }
  if (answer instanceof Tuple && answer.at(0) === ERROR) throw moveError(answer.at(1)!);
  throw new DistError(ErrorCodes.CLUSTER_NOT_MIGRATABLE, `not a migratable server: it answered ${format(answer)}`);
}
