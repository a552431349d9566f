// A distributed Otter node: a runtime named `alive@host`, registered with EPMD, listening for and connecting to
// other nodes (Erlang, Elixir, Otter), with the system processes a BEAM node has for its peers: `net_kernel`
// (answers `net_adm:ping`), `rex` (old-style `rpc`), and spawn requests (what `erpc`/`rpc:call` use since OTP 23).

import { type SameHostSetting, sameHostCarrier } from "../cluster/same-host/index.ts";
import { planNames, planSchedulers, type SchedulerPlan, Schedulers } from "../cluster/schedulers/schedulers.ts";
import { type CodeServer, type CodeServerOptions, startCodeServer } from "../code/index.ts";
import { DirtyPools, type DirtyPoolsOptions } from "../dirty/index.ts";
import { distBufferBusyLimit } from "../dist/connection.ts";
import { resolveCookie } from "../dist/cookie.ts";
import { Distribution } from "../dist/distribution.ts";
import { type EpmdRegistration, register } from "../dist/epmd/client.ts";
import { type EpmdServer, ensureEpmd } from "../dist/epmd/server.ts";
import * as erpc from "../dist/erpc.ts";
import { advertisedFlags } from "../dist/flags.ts";
import { type ExportedFunction, ExportedModules } from "../dist/modules.ts";
import { ownNodeName } from "../dist/node-name.ts";
import * as rpc from "../dist/rpc.ts";
import { spawnReplyMessage } from "../dist/signal-map.ts";
import type { TickerOptions } from "../dist/ticker.ts";
import { DistError, ErrorCodes } from "../errors.ts";
import { GenServer } from "../otp/gen-server.ts";
import { startIoServer } from "../otp/io-server.ts";
import { type NodesKind, type Process, Runtime, type RuntimeOptions } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import { type Term, tuple } from "../term/types.ts";
import { builtinModules } from "./builtins.ts";
import { codeModule } from "./code-builtins.ts";
import { startNetKernel } from "./net-kernel.ts";
import { observerModule } from "./observer-builtins.ts";
import { startRex } from "./rex.ts";
import { Shell, shellModule } from "./shell.ts";

/** The log domain of the distribution's events. */
const DIST_DOMAIN = ["otter", "dist"];

export interface NodeOptions extends TickerOptions {
  /** A short name (`alive` or `alive@host`; host defaults to this machine's short hostname), like `erl -sname`. */
  sname?: string;
  /** A long name (`alive` or `alive@host`; host defaults to the FQDN or address), like `erl -name`. */
  name?: string;
  /** The cookie (default: `OTTER_COOKIE`, else `~/.erlang.cookie`, created like erl does when missing). */
  cookie?: string;
  /** A hidden node: not in other nodes' `nodes()` (erl's `-hidden`). */
  hidden?: boolean;
  /** Where to listen for other nodes (default: all interfaces, any free port). */
  listen?: { host?: string; port?: number };
  /** EPMD's port on every host (default `ERL_EPMD_PORT`, else 4369). */
  epmdPort?: number;
  /** Start an embedded EPMD when none listens on this host (default true). */
  embeddedEpmd?: boolean;
  /** net_setuptime in ms (default 7,000). */
  setupTimeMs?: number;
  /**
   * Bytes a connection's output queue may hold before it is busy: a process sending on it is then suspended until
   * it drains (erl's `+zdbbl` dist_buf_busy_limit; default 1 MiB). A send from outside any process is never held.
   */
  distBufferBusyLimit?: number;
  /** Options of the node's runtime (logger, clock). */
  runtime?: Omit<RuntimeOptions, "node" | "creation" | "transport" | "dirty">;
  /** The dirty pools' sizes and busy wait (their workers start at each pool's first call). */
  dirty?: DirtyPoolsOptions;
  /** The code server's options (its preparing workers, slice length). Modules it loads import Otter as "otter". */
  code?: CodeServerOptions;
  /**
   * How many schedulers the node runs: the main thread and worker threads, each with its own processes (default:
   * the machine's cores, like erl's `+S`). The worker threads start when a process is first spawned on one.
   */
  schedulers?: number;
  /**
   * Otter nodes on this host connect over a Unix socket instead of loopback TCP (advertised in EPMD's extra
   * field; TCP when it cannot be opened; BEAM nodes always use TCP). Default on, unless OTTER_SAME_HOST=0;
   * `false` turns it off, `{ dir }` chooses the socket's private directory.
   */
  sameHost?: SameHostSetting;
}

/** Starts a distributed node; resolves once it is registered with EPMD and listening. */
export async function startNode(options: NodeOptions): Promise<OtterNode> {
  if ((options.sname === undefined) === (options.name === undefined)) {
    throw new DistError(ErrorCodes.DIST_BAD_NAME, "a node needs exactly one of `sname` and `name`");
  }
  const nameOption = options.sname !== undefined ? { sname: options.sname } : { name: options.name! };
  const { name } = await ownNodeName(nameOption);
  const cookie = await resolveCookie({ cookie: options.cookie, env: process.env });
  const sameHost = sameHostCarrier(name.full, options.sameHost); // a bad option fails before anything starts
  const epmd = options.embeddedEpmd === false ? undefined : await ensureEpmd({ port: options.epmdPort });
  const flags = advertisedFlags({ hidden: options.hidden });
  distBufferBusyLimit(options); // a bad limit fails here, not at the first connection
  // The creation comes from EPMD, which needs the port first: listen, register, then make the runtime.
  const distribution = new Distribution({ ...options, name: name.full, flags, cookie, sameHost });
  let registration: EpmdRegistration;
  try {
    const port = await distribution.listen(options.listen?.port ?? 0, options.listen?.host ?? "0.0.0.0");
    registration = await register(name.alive, port, {
      port: options.epmdPort,
      hidden: options.hidden,
      extra: sameHost?.advertisement,
    });
  } catch (e) {
    await distribution.close();
    await epmd?.close();
    throw e;
  }
  try {
    await distribution.listenSameHost(); // after EPMD took the name: a running namesake is EPMD's to refuse
  } catch (e) {
    await registration.close();
    await distribution.close();
    await epmd?.close();
    throw e;
  }
  const dirty = new DirtyPools(options.dirty);
  const plan = planSchedulers({ count: options.schedulers, busyWaitUs: options.runtime?.busyWaitUs });
  const runtime = new Runtime({
    ...options.runtime,
    node: name.full,
    creation: registration.creation,
    transport: distribution,
    dirty,
    scheduler: { index: 0, count: plan.count },
    names: planNames(plan, atom(name.full), registration.creation),
  });
  // Loaded modules get the Otter the node runs on: the same atom table, term classes and behaviours.
  const otter = (await import("../index.ts")) as Record<string, unknown>;
  const code = startCodeServer(runtime, { ...options.code, modules: { otter, ...options.code?.modules } });
  return new OtterNode(runtime, distribution, registration, epmd, dirty, code, plan);
}

export class OtterNode {
  readonly name: Atom;
  /** The functions other nodes can call here (`rpc:call`, `erpc:call`, `spawn_request`), by module. */
  readonly modules = new ExportedModules(builtinModules(this));
  /** The node's schedulers: `await node.schedulers.load(name, url)` makes a module spawnable on any of them. */
  readonly schedulers: Schedulers;
  private stopped = false;

  /** @internal Use `startNode`. */
  constructor(
    readonly runtime: Runtime,
    /** @internal */ readonly distribution: Distribution,
    private readonly registration: EpmdRegistration,
    private readonly epmd: EpmdServer | undefined,
    /** The dirty pools: `await node.dirty.load(url)` makes a module's functions callable with `self.dirty`. */
    readonly dirty: DirtyPools,
    /** The code server: `await node.code.load("name", { path })`, then `node.code.module("name")`. */
    readonly code: CodeServer,
    plan: SchedulerPlan,
  ) {
    this.name = runtime.node;
    this.schedulers = new Schedulers(plan, runtime, distribution, this.modules);
    // What the code server loads, every scheduler loads too.
    if (this.schedulers.code !== undefined) code.setReplicas(this.schedulers.code);
    // `rpc:call(Node, M, F, A)` reaches a module loaded into the code server too (its current version), and
    // Erlang's `code` module is this node's code server.
    this.modules.export("code", codeModule(code));
    this.modules.export("otter_observer", observerModule(this));
    this.modules.export("otter_shell", shellModule(new Shell(this))); // `otter remsh` and `otter eval`
    // A function called so runs as called through its module's name: a process it spawns runs that version's code.
    this.modules.setFallback((module, fn) =>
      code.isLoaded(module) === false ? undefined : code.module<Record<string, unknown>>(module)[fn],
    );
    distribution.attach(this.schedulers.sink, runtime.creation, {
      control: (message, peer) => {
        if (message.op === "spawn_request") {
          // On the scheduler its `{scheduler, N}` option names, or one the schedulers choose.
          this.schedulers.spawnRequested(message, (reply) =>
            distribution.sendTo(peer, spawnReplyMessage(reply), reply.to),
          );
        } else if (message.op === "group_leader") {
          runtime.setGroupLeader(message.to, message.leader); // BEAM ignores one for a process that is gone too
        }
      },
      nodeUp: () => {},
      // A malformed frame closes the connection: logged, as OTP logs a corrupted distribution term. A silent peer
      // is logged in dist_util's words.
      nodeDown: (node, why) => {
        if (why?.code === ErrorCodes.DIST_TICK_TIMEOUT) {
          runtime.logger.error(`** Node ${format(node)} not responding **\n** Removing (timedout) connection **`, {
            domain: DIST_DOMAIN,
            error: why,
          });
        } else if (why?.code === ErrorCodes.DIST_PROTOCOL) {
          runtime.logger.error(`connection to ${node.name} closed: ${why.message}`, {
            domain: DIST_DOMAIN,
            error: why,
          });
        }
      },
      // OTP logs a refused connection attempt too ("Connection attempt from node X rejected"); the refusals we
      // chose (`nok` in a simultaneous connect, `not_allowed`) are not worth an error.
      refused: (error) => {
        if (error instanceof DistError && error.code === ErrorCodes.DIST_NOT_ALLOWED) return;
        runtime.logger.error(`connection attempt refused: ${(error as Error).message}`, {
          domain: DIST_DOMAIN,
          error,
        });
      },
      unsendable: (node, message, error) =>
        runtime.logger.error(`could not send a ${message.op} to ${node.name}: ${String(error)}`),
    });
    startNetKernel(runtime);
    startRex(runtime, this.modules);
    // Erlang code run elsewhere for this node's processes (rpc, spawn_request) prints through `user`, here.
    runtime.defaultGroupLeader = startIoServer(runtime, { name: atom("user") });
  }

  get creation(): number {
    return this.runtime.creation;
  }

  /**
   * The nodes this one is connected to (erlang:nodes/1): the `visible` ones by default (erlang:nodes/0), or the
   * `hidden` ones, or both (`connected`); `this` adds this node.
   */
  nodes(kinds: NodesKind | readonly NodesKind[] = "visible"): Atom[] {
    return this.runtime.nodes(kinds);
  }

  /** Connects to `node` (net_kernel:connect_node/1): true once connected, false if it cannot be reached. */
  connect(node: string | Atom): Promise<boolean> {
    return this.distribution.connect(typeof node === "string" ? atom(node) : node);
  }

  /** Closes the connection to `node` (erlang:disconnect_node/1). */
  disconnect(node: string | Atom): boolean {
    return this.distribution.disconnect(typeof node === "string" ? atom(node) : node);
  }

  /** How the connection to `node` carries its bytes: "unix" (same-host transport) or "tcp"; undefined when down. */
  carrierOf(node: string | Atom): string | undefined {
    return this.distribution.carrierOf(typeof node === "string" ? atom(node) : node);
  }

  /** net_adm:ping/1: `pong` if `node` answers its net_kernel's `is_auth` call, else `pang`. */
  async ping(node: string | Atom, options?: { timeoutMs?: number }): Promise<"pong" | "pang"> {
    const target = typeof node === "string" ? atom(node) : node;
    if (!(await this.connect(target))) return "pang";
    try {
      const answer = await this.runtime.run((self) =>
        GenServer.call(self, { name: atom("net_kernel"), node: target }, tuple(atom("is_auth"), this.name), {
          timeout: options?.timeoutMs ?? "infinity",
        }),
      );
      return answer === atom("yes") ? "pong" : "pang";
    } catch {
      return "pang";
    }
  }

  /**
   * erpc from code outside any process: `await node.erpc.call(target, "lists", "reverse", [[1, 2]])`. Each call
   * runs in a process of its own; it resolves and rejects as `erpc.call` does (an ErpcError).
   */
  readonly erpc = {
    call: (target: erpc.Name, module: erpc.Name, fn: erpc.Name, args: readonly Term[], options?: erpc.CallOptions) =>
      this.outside((self) => erpc.call(self, target, module, fn, args, options)),
    cast: (target: erpc.Name, module: erpc.Name, fn: erpc.Name, args: readonly Term[]) =>
      this.outside(async (self) => erpc.cast(self, target, module, fn, args)),
  };

  /** rpc from code outside any process: `await node.rpc.call(target, "erlang", "node", [])`, as `rpc.call`. */
  readonly rpc = {
    call: (target: erpc.Name, module: erpc.Name, fn: erpc.Name, args: readonly Term[], timeout?: number | "infinity") =>
      this.outside((self) => rpc.call(self, target, module, fn, args, timeout)),
    cast: (target: erpc.Name, module: erpc.Name, fn: erpc.Name, args: readonly Term[]) =>
      this.outside(async (self) => rpc.cast(self, target, module, fn, args)),
  };

  /** Offers `functions` to other nodes as module `name` (`rpc:call(Node, name, fn, Args)` from erl). */
  exportModule(name: string, functions: Record<string, ExportedFunction>): void {
    this.modules.export(name, functions);
  }

  /** Runs `body` in a new process; settles as `body` does (what it throws is thrown here, not made an exit). */
  private async outside<T>(body: (self: Process) => Promise<T>): Promise<T> {
    const outcome = await this.runtime.run(async (self): Promise<{ value: T } | { error: unknown }> => {
      try {
        return { value: await body(self) };
      } catch (error) {
        return { error };
      }
    });
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }

  /** Stops the node: its processes, its connections, its EPMD name (and the embedded EPMD, if it started one). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.runtime.shutdown();
    await this.schedulers.stop();
    await this.dirty.stop();
    await this.code.stop();
    await this.distribution.close();
    await this.registration.close();
    await this.epmd?.close();
  }
}
