// Replicated GenServers: a primary on one node and hot standbys on others (roles in replicated-server.ts), one
// cluster-wide name that a standby takes over when the primary's node goes down, and `callReplicated`, the call
// that rides out the takeover.
//
// What a caller sees during a takeover: the name resolves to the dead primary until its node's loss is noticed
// (a plain GenServer.call exits `{nodedown, Node}` or `noproc`), then to nobody (`noproc`), then to the new
// primary. `callReplicated` retries through that window until its timeout, then throws a DistError
// CLUSTER_REPLICATION_FAILED. A retried call may run twice: the first attempt may have reached the primary,
// been shipped to the standbys, and lost only its reply — make requests that may be retried idempotent.
import * as erpc from "../dist/erpc.ts";
import { ErlangThrow } from "../dist/modules.ts";
import { DistError, ErrorCodes } from "../errors.ts";
import { DEFAULT_CALL_TIMEOUT } from "../otp/gen.ts";
import { GenServer } from "../otp/gen-server.ts";
import { KILLED, type Process, ProcessExit } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";
import type { MigrationHost, RepointableRegistry } from "./migration.ts";
import { lookupServer, type ServerSpec } from "./migration-spec.ts";
import {
  FreshPrimary,
  primaryCallbacks,
  type ReplicationContext,
  standbyBody,
  startTakeOver,
} from "./replicated-server.ts";

const REPLICATION_MODULE = "otter_replication";
const NO_NAME = atom("undefined");
const NOPROC = atom("noproc");
const NODEDOWN = atom("nodedown");
const NOCONNECTION = atom("noconnection");

export interface ReplicatedOptions {
  /** The cluster-wide name (in the node's ClusterNames) callers use; a standby that takes over re-points it. */
  name?: Term;
  /** The nodes that hold standbys, in the order they take over (each must run `startReplication`). */
  standbys: readonly (Atom | string)[];
  /** How long a standby may take to acknowledge a state before it is dropped (default 5,000 ms). */
  ackTimeoutMs?: number;
}

/** Replication on one node: starts replicated servers here, and the standbys other primaries place here. */
export class Replication {
  constructor(
    private readonly node: MigrationHost,
    private readonly names: RepointableRegistry | undefined,
  ) {}

  /** Starts `spec`'s server here as the primary, with a standby on each of `options.standbys`. */
  async start(spec: ServerSpec, arg: unknown, options: ReplicatedOptions): Promise<{ pid: Pid }> {
    const standbyNodes = options.standbys.map((n) => (typeof n === "string" ? atom(n) : n));
    const name = options.name;
    const started = await this.node.runtime.run(async (self) => {
      const callbacks = lookupServer(self, this.node.modules, spec, ErrorCodes.CLUSTER_REPLICATION_FAILED);
      const context = this.context(spec, name, options.ackTimeoutMs);
      const via = name === undefined || this.names === undefined ? undefined : { via: this.names, name };
      return GenServer.start(self, primaryCallbacks(callbacks, context), new FreshPrimary(arg, standbyNodes), {
        name: via,
      });
    });
    if ("pid" in started) return started;
    const why = "error" in started ? format(started.error) : "its init said ignore";
    throw new DistError(ErrorCodes.CLUSTER_REPLICATION_FAILED, `the replicated server did not start: ${why}`);
  }

  /** `otter_replication:standby(Module, Fn, Name, Primary, AckTimeoutMs, State)`: a standby started here. */
  startStandby(self: Process, args: Term[]): Pid {
    const [module, fn, name, primary, ackTimeoutMs, state] = args as [Atom, Atom, Term, Pid, number, Term];
    const spec = { module: module.name, fn: fn.name };
    let callbacks: ReturnType<typeof lookupServer>;
    try {
      callbacks = lookupServer(self, this.node.modules, spec, ErrorCodes.CLUSTER_REPLICATION_FAILED);
    } catch (error) {
      throw new ErlangThrow(tuple(atom("no_server"), (error as Error).message));
    }
    const context = this.context(spec, name === NO_NAME ? undefined : name, ackTimeoutMs);
    return self.runtime.spawn(
      standbyBody(primary, state, (standby, takeOver) => startTakeOver(standby, callbacks, context, takeOver)),
    );
  }

  private context(spec: ServerSpec, name: Term | undefined, ackTimeoutMs = 5000): ReplicationContext {
    return {
      spec,
      name: name === undefined || this.names === undefined ? undefined : { registry: this.names, name },
      ackTimeoutMs,
      startStandby: async (self, node, state) => {
        const args = [atom(spec.module), atom(spec.fn), name ?? NO_NAME, self.pid, ackTimeoutMs, state];
        const pid = await erpc.call(self, node as Atom, REPLICATION_MODULE, "standby", args, { timeout: ackTimeoutMs });
        if (!(pid instanceof Pid)) throw new Error(`${format(node)} gave ${format(pid)}`);
        return pid;
      },
    };
  }
}

/**
 * Makes `node` able to run replicated servers and hold standbys: exports `otter_replication`. `names` is the
 * node's cluster-wide registry, in which a primary started or taking over here holds its name.
 */
export function startReplication(node: MigrationHost, options: { names?: RepointableRegistry } = {}): Replication {
  const replication = new Replication(node, options.names);
  node.exportModule(REPLICATION_MODULE, {
    standby: (self, module, fn, name, primary, ackTimeoutMs, state) =>
      replication.startStandby(self, [module!, fn!, name!, primary!, ackTimeoutMs!, state!]),
  });
  return replication;
}

/**
 * GenServer.call to a replicated server by its cluster name, retried while a standby takes over (the server not
 * there, its node down) until `timeout` (default 5,000 ms) passes; then a DistError CLUSTER_REPLICATION_FAILED.
 * Other exits of the call are the caller's, as with GenServer.call.
 */
export async function callReplicated(
  self: Process,
  server: { via: RepointableRegistry; name: Term },
  request: Term,
  options: { timeout?: number } = {},
): Promise<Term> {
  const deadline = self.runtime.clock.now() + (options.timeout ?? DEFAULT_CALL_TIMEOUT);
  for (;;) {
    const left = deadline - self.runtime.clock.now();
    if (left <= 0) break;
    try {
      return await GenServer.call(self, server, request, { timeout: left });
    } catch (error) {
      if (!(error instanceof ProcessExit) || !isTakeOverWindow(error.reason)) throw error;
    }
    await self.receive(() => false, { timeout: Math.min(5, left) }); // a short pause before the next try
  }
  throw new DistError(
    ErrorCodes.CLUSTER_REPLICATION_FAILED,
    `no primary of ${format(server.name)} answered within ${options.timeout ?? DEFAULT_CALL_TIMEOUT} ms`,
  );
}

/** A call's exit `{Reason, {gen_server, call, …}}` that a takeover explains: the primary or its node gone. */
function isTakeOverWindow(reason: Term): boolean {
  const why = reason instanceof Tuple ? reason.at(0) : reason;
  if (why === NOPROC || why === NOCONNECTION) return true;
  // A killed primary (not one that crashed on the request, which would crash its successor too) is taken over.
  return why === KILLED || (why instanceof Tuple && why.at(0) === NODEDOWN);
}
