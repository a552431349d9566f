// Cluster membership: the `otter_cluster` service every member runs — which connected nodes are members (they run
// it too), the seeds it keeps connected, the names it discovers at this host's EPMD, and the load reports members
// exchange for spawnLb.
//
// The services speak in casts (`{'$gen_cast', Msg}` to the registered name or pid):
//   {hello, Pid, Report}    to {otter_cluster, Node} at each nodeup, and to every node connected at start
//   {welcome, Pid, Report}  the answer to a hello (a hello is always answered: its sender may have restarted)
//   {load, Pid, Report}     every report interval, to every member
// A node becomes a member when its service's hello or welcome arrives, and stops being one when the monitor on that
// service fires: the service stopped, or `noconnection` when the node went down. A BEAM node drops the hello
// (nothing is registered as otter_cluster there), so it stays connected but never becomes a member.
//
// Processes subscribed with `monitorMembers` get `{member_up, Node}` and `{member_down, Node, Reason}`, as
// net_kernel:monitor_nodes subscribers get `{nodeup, Node}`; the Cluster object emits `memberUp`/`memberDown`.
import { EventEmitter } from "node:events";
import { names } from "../dist/epmd/client.ts";
import { parseNodeName } from "../dist/node-name.ts";
import { DistError, ErrorCodes } from "../errors.ts";
import type { OtterNode } from "../node/node.ts";
import { GenServer, type GenServerCallbacks } from "../otp/gen-server.ts";
import { DOWN, type Process, ProcessExit } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import { Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import {
  type LoadSource,
  leastLoaded,
  leastLoadedIndex,
  type NodeLoad,
  nodeScore,
  reportFromTerm,
  reportTerm,
  type SchedulerLoad,
} from "./load-report.ts";

/** The name the cluster service is registered under on every member. */
export const OTTER_CLUSTER = atom("otter_cluster");

export interface ClusterOptions {
  /** Nodes to connect to, and to reconnect to with backoff whenever they are down. */
  seeds?: readonly (string | Atom)[];
  /** Connect to every name registered at this host's EPMD (same cookie, or the handshake fails), now and then. */
  discoverEpmd?: boolean;
  /** EPMD's port for discovery (default `$ERL_EPMD_PORT`, else 4369: what the node registered with). */
  epmdPort?: number;
  /** How often the EPMD names are read again (default 5,000 ms). */
  discoverIntervalMs?: number;
  /** How often this node samples its load and sends it to every member (default 1,000 ms). */
  loadIntervalMs?: number;
  /** The first and the longest wait between attempts to reach a seed that is down (default 100 and 5,000 ms). */
  reconnectMs?: { readonly min?: number; readonly max?: number };
  /** Where this node's load comes from (default: the runtime's run queue and event-loop utilisation). */
  loadSource?: LoadSource;
}

/** A report older than this many intervals is stale: spawnLb does not place on that node. */
export const STALE_INTERVALS = 3;

export interface ClusterEvents {
  memberUp: [node: Atom];
  memberDown: [node: Atom, reason: Term];
}

/** Starts the cluster service on `node`; resolves once it runs (its first hellos are on their way). */
export async function startCluster(node: OtterNode, options: ClusterOptions = {}): Promise<Cluster> {
  const settings = settingsOf(node, options);
  const membership = new Membership(node, settings);
  const started = await GenServer.start(node.runtime, service, membership, { name: OTTER_CLUSTER });
  if (!("pid" in started)) {
    const why = "error" in started ? format(started.error) : "ignore";
    throw new DistError(ErrorCodes.CLUSTER_SERVICE, `the cluster service did not start: ${why}`);
  }
  membership.servicePid = started.pid;
  return membership.cluster;
}

/** The cluster service of one node, as seen from that node's code (not a process). */
export class Cluster extends EventEmitter<ClusterEvents> {
  /** @internal Use `startCluster`. */
  constructor(
    readonly node: OtterNode,
    private readonly membership: Membership,
  ) {
    super();
  }

  /** The other nodes that run the cluster service and are connected now (this node excluded, as nodes() does). */
  members(): Atom[] {
    return [...this.membership.members.keys()];
  }

  /** This node's load, then each member's: its last report, how old it is, and its score (see nodeScore). */
  loads(): NodeLoad[] {
    return this.membership.loads();
  }

  /** Stops the service: the members see it go (`memberDown`), and its timers and reconnections end. */
  async stop(): Promise<void> {
    const pid = this.membership.servicePid;
    if (pid === undefined || !this.node.runtime.isAlive(pid)) return;
    await this.node.runtime.run(async (self) => {
      try {
        await GenServer.stop(self, pid);
      } catch (e) {
        if (!(e instanceof ProcessExit)) throw e; // it was gone already
      }
    });
  }
}

/** Subscribes `self` to `{member_up, Node}` / `{member_down, Node, Reason}` (`flag` false: unsubscribes). */
export async function monitorMembers(self: Process, flag: boolean): Promise<void> {
  if (self.runtime.whereis(OTTER_CLUSTER) === undefined) throw notRunning(self.runtime.node);
  await GenServer.call(self, OTTER_CLUSTER, tuple(MONITOR_MEMBERS, flag));
}

/**
 * @internal spawnLb's question to its node's service: the node to place on and, from its last report, its least
 * loaded scheduler; undefined for none.
 */
export async function placement(
  self: Process,
  candidates: readonly Atom[] | undefined,
): Promise<{ node: Atom; scheduler: number } | undefined> {
  if (self.runtime.whereis(OTTER_CLUSTER) === undefined) throw notRunning(self.runtime.node);
  const answer = await GenServer.call(self, OTTER_CLUSTER, tuple(PLACE, candidates ?? ALL));
  if (!(answer instanceof Tuple) || !(answer.at(0) instanceof Atom)) return undefined;
  return { node: answer.at(0) as Atom, scheduler: answer.at(1) as number };
}

const HELLO = atom("hello");
const WELCOME = atom("welcome");
const LOAD = atom("load");
const NODEUP = atom("nodeup");
const NODEDOWN = atom("nodedown");
const TICK = atom("tick");
const CONNECT = atom("connect");
const CONNECT_FAILED = atom("connect_failed");
const DISCOVER = atom("discover");
const DISCOVERED = atom("discovered");
const PLACE = atom("place");
const MONITOR_MEMBERS = atom("monitor_members");
const MEMBER_UP = atom("member_up");
const MEMBER_DOWN = atom("member_down");
const ALL = atom("all");
const NONE = atom("none");
const OK = atom("ok");

interface Settings {
  readonly seeds: readonly Atom[];
  readonly discoverEpmd: boolean;
  readonly epmdPort: number | undefined;
  readonly discoverIntervalMs: number;
  readonly loadIntervalMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly loadSource: LoadSource;
}

/** A member: its service's pid, the monitor on it, its last report. */
interface Member {
  pid: Pid;
  ref: Ref;
  report: Report;
}

interface Report {
  readonly schedulers: readonly SchedulerLoad[];
  /** When it arrived (the runtime's clock), for staleness: the sender's clock is not ours. */
  readonly at: number;
  /** Processes spawnLb placed on the node since this report. */
  placed: number;
}

/** The service's state, shared with the Cluster object of the same node (one thread, no copies). */
class Membership {
  readonly cluster: Cluster;
  readonly members = new Map<Atom, Member>();
  /** The service's pid, once it started. */
  servicePid: Pid | undefined;
  own: Report = { schedulers: [], at: 0, placed: 0 };
  /** Subscribed processes and the monitors on them. */
  readonly subscribers: { pid: Pid; ref: Ref }[] = [];
  /** The next wait before reconnecting to each seed that is down. */
  readonly backoff = new Map<Atom, number>();
  /** The seeds with a reconnection timer running (one at a time per seed, however many nodedowns came). */
  readonly retrying = new Set<Atom>();

  constructor(
    readonly node: OtterNode,
    readonly settings: Settings,
  ) {
    this.cluster = new Cluster(node, this);
  }

  get now(): number {
    return this.node.runtime.clock.now();
  }

  sampleOwn(): void {
    this.own = { schedulers: this.settings.loadSource.sample(), at: this.now, placed: 0 };
  }

  loads(): NodeLoad[] {
    const now = this.now;
    const staleMs = STALE_INTERVALS * this.settings.loadIntervalMs;
    const load = (node: Atom, report: Report, stale: boolean): NodeLoad => ({
      node,
      schedulers: report.schedulers,
      ageMs: now - report.at,
      stale,
      placed: report.placed,
      score: nodeScore(report.schedulers, report.placed),
    });
    const loads = [load(this.node.name, this.own, false)]; // this node's own view of itself is never stale
    for (const [node, m] of this.members) loads.push(load(node, m.report, now - m.report.at > staleMs));
    return loads;
  }

  /** Where spawnLb places next, counted as placed there; undefined when no candidate is fit. */
  place(candidates: readonly Atom[] | undefined): Atom | undefined {
    const chosen = leastLoaded(
      this.loads().filter((l) => candidates === undefined || candidates.includes(l.node)),
      this.node.name,
    );
    if (chosen === undefined) return undefined;
    const report = chosen === this.node.name ? this.own : this.members.get(chosen)!.report;
    report.placed++;
    return chosen;
  }

  /** The scheduler of `node` with the lowest score in its last report (0 when it sent none). */
  leastLoadedScheduler(node: Atom): number {
    const report = node === this.node.name ? this.own : this.members.get(node)?.report;
    return leastLoadedIndex(report?.schedulers ?? []);
  }

  /** The service `pid` introduced itself (hello or welcome) with `report`: false if that is not a member's. */
  up(self: Process, pid: Term, term: Term): pid is Pid {
    const schedulers = reportFromTerm(term);
    if (!(pid instanceof Pid) || pid.node === this.node.name || schedulers === undefined) {
      this.node.runtime.logger.debug(`cluster: a malformed introduction from ${format(pid)} dropped`);
      return false;
    }
    const report = { schedulers, at: this.now, placed: 0 };
    const known = this.members.get(pid.node);
    if (known !== undefined && equals(known.pid, pid)) {
      known.report = report;
      return true;
    }
    const ref = self.monitor(pid);
    if (known !== undefined) {
      // The service restarted while the connection stayed: the same member, a new pid to watch.
      self.demonitor(known.ref, { flush: true });
      Object.assign(known, { pid, ref, report });
      return true;
    }
    this.members.set(pid.node, { pid, ref, report });
    this.tell(self, tuple(MEMBER_UP, pid.node), () => this.cluster.emit("memberUp", pid.node));
    return true;
  }

  /** A report from a member's service (one from a pid that is not a member's is dropped). */
  reported(pid: Term, term: Term): void {
    const member = pid instanceof Pid ? this.members.get(pid.node) : undefined;
    const schedulers = reportFromTerm(term);
    if (member === undefined || !equals(member.pid, pid) || schedulers === undefined) return;
    member.report = { schedulers, at: this.now, placed: 0 };
  }

  /** A monitor fired: a member's service (the member is gone) or a subscriber. */
  down(self: Process, ref: Term, reason: Term): void {
    for (const [node, member] of this.members) {
      if (!equals(member.ref, ref)) continue;
      this.members.delete(node);
      this.tell(self, tuple(MEMBER_DOWN, node, reason), () => this.cluster.emit("memberDown", node, reason));
      return;
    }
    const i = this.subscribers.findIndex((s) => equals(s.ref, ref));
    if (i >= 0) this.subscribers.splice(i, 1);
  }

  subscribe(self: Process, pid: Pid, flag: boolean): void {
    const i = this.subscribers.findIndex((s) => equals(s.pid, pid));
    if (flag && i < 0) this.subscribers.push({ pid, ref: self.monitor(pid) });
    if (!flag && i >= 0) self.demonitor(this.subscribers.splice(i, 1)[0]!.ref, { flush: true });
  }

  /** Sends `message` to the subscribers and runs `emit` (a listener that throws is logged, not the service's end). */
  private tell(self: Process, message: Term, emit: () => void): void {
    for (const s of this.subscribers) self.send(s.pid, message);
    try {
      emit();
    } catch (error) {
      this.node.runtime.logger.error(`cluster: a member event listener threw: ${String(error)}`, { error });
    }
  }
}

/** Connecting, in the background: a seed that cannot be reached is tried again after a growing wait. */
function connectSeed(self: Process, m: Membership, seed: Atom): void {
  if (m.node.nodes("connected").includes(seed)) return;
  m.node.connect(seed).then(
    (ok) => ok || self.runtime.send(self.pid, tuple(CONNECT_FAILED, seed)),
    () => self.runtime.send(self.pid, tuple(CONNECT_FAILED, seed)),
  );
}

function retrySeed(self: Process, m: Membership, seed: Atom): void {
  if (m.retrying.has(seed)) return;
  m.retrying.add(seed);
  const wait = m.backoff.get(seed) ?? m.settings.reconnectMinMs;
  m.backoff.set(seed, Math.min(wait * 2, m.settings.reconnectMaxMs));
  self.runtime.sendAfter(wait, self.pid, tuple(CONNECT, seed));
}

/** Reads the names at this host's EPMD (in the background); the answer comes as `{discovered, Nodes}`. */
function discover(self: Process, m: Membership): void {
  const host = parseNodeName(m.node.name.name).host;
  names({ port: m.settings.epmdPort }).then(
    (entries) =>
      self.runtime.send(
        self.pid,
        tuple(
          DISCOVERED,
          entries.map((e) => atom(`${e.name}@${host}`)),
        ),
      ),
    (error) => m.node.runtime.logger.debug(`cluster: EPMD names unavailable: ${String(error)}`),
  );
  self.runtime.sendAfter(m.settings.discoverIntervalMs, self.pid, DISCOVER);
}

/** Connects to a node found at EPMD, once: one that refuses (another cookie, a BEAM peer's limits) is no member. */
function discovered(m: Membership, node: Atom): void {
  m.node.connect(node).catch((error) => m.node.runtime.logger.debug(`cluster: connecting to ${node.name}: ${error}`));
}

function sendReports(self: Process, m: Membership): void {
  m.sampleOwn();
  const report = reportTerm(m.own.schedulers);
  for (const member of m.members.values()) GenServer.cast(self, member.pid, tuple(LOAD, self.pid, report));
  self.runtime.sendAfter(m.settings.loadIntervalMs, self.pid, TICK);
}

function hello(self: Process, m: Membership, node: Atom): void {
  GenServer.cast(self, { name: OTTER_CLUSTER, node }, tuple(HELLO, self.pid, reportTerm(m.own.schedulers)));
}

const service: GenServerCallbacks<Membership, Membership> = {
  init(self, m) {
    self.monitorNodes(true, { nodeType: "all" });
    sendReports(self, m);
    for (const node of m.node.nodes("connected")) hello(self, m, node);
    for (const seed of m.settings.seeds) connectSeed(self, m, seed);
    if (m.settings.discoverEpmd) discover(self, m);
    return { state: m };
  },

  handleCast(self, message, m) {
    if (!(message instanceof Tuple) || message.size !== 3) return { state: m };
    const [tag, pid, report] = message.elements as [Term, Term, Term];
    if (tag === HELLO) {
      if (m.up(self, pid, report)) GenServer.cast(self, pid, tuple(WELCOME, self.pid, reportTerm(m.own.schedulers)));
    } else if (tag === WELCOME) m.up(self, pid, report);
    else if (tag === LOAD) m.reported(pid, report);
    return { state: m };
  },

  handleCall(self, request, from, m) {
    const [tag, arg] = request instanceof Tuple ? (request.elements as [Term, Term]) : [request, undefined];
    if (tag === PLACE) {
      const node = m.place(Array.isArray(arg) ? (arg as Atom[]) : undefined);
      return { reply: node === undefined ? NONE : tuple(node, m.leastLoadedScheduler(node)), state: m };
    }
    if (tag === MONITOR_MEMBERS && typeof arg === "boolean") {
      m.subscribe(self, from.pid, arg);
      return { reply: OK, state: m };
    }
    return { reply: atom("badarg"), state: m };
  },

  handleInfo(self, message, m) {
    if (message === TICK) sendReports(self, m);
    else if (message === DISCOVER) discover(self, m);
    else if (message instanceof Tuple) {
      const [tag, node] = message.elements as [Term, Term];
      if (tag === NODEUP && node instanceof Atom) {
        m.backoff.delete(node);
        hello(self, m, node);
      } else if (tag === NODEDOWN && node instanceof Atom && m.settings.seeds.includes(node)) {
        retrySeed(self, m, node);
      } else if (tag === DOWN) {
        m.down(self, message.at(1)!, message.at(4)!);
      } else if (tag === CONNECT && node instanceof Atom) {
        m.retrying.delete(node);
        connectSeed(self, m, node);
      } else if (tag === CONNECT_FAILED && node instanceof Atom) {
        retrySeed(self, m, node);
      } else if (tag === DISCOVERED && Array.isArray(node)) {
        const connected = new Set(m.node.nodes("connected"));
        for (const found of node) {
          if (found instanceof Atom && found !== m.node.name && !connected.has(found)) discovered(m, found);
        }
      }
    }
    return { state: m };
  },
};

function settingsOf(node: OtterNode, options: ClusterOptions): Settings {
  const ms = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new DistError(ErrorCodes.CLUSTER_BAD_OPTION, `${name} must be a positive number of ms, not ${value}`);
    }
    return value;
  };
  const seeds = (options.seeds ?? []).map((seed) => {
    const name = seed instanceof Atom ? seed.name : seed;
    if (typeof name !== "string" || name.split("@").length !== 2 || name.startsWith("@") || name.endsWith("@")) {
      throw new DistError(ErrorCodes.CLUSTER_BAD_OPTION, `a seed is a node name alive@host, not ${String(seed)}`);
    }
    return atom(name);
  });
  const reconnectMinMs = ms("reconnectMs.min", options.reconnectMs?.min, 100);
  return {
    seeds: seeds.filter((seed) => seed !== node.name),
    discoverEpmd: options.discoverEpmd === true,
    epmdPort: options.epmdPort,
    discoverIntervalMs: ms("discoverIntervalMs", options.discoverIntervalMs, 5_000),
    loadIntervalMs: ms("loadIntervalMs", options.loadIntervalMs, 1_000),
    reconnectMinMs,
    reconnectMaxMs: Math.max(reconnectMinMs, ms("reconnectMs.max", options.reconnectMs?.max, 5_000)),
    loadSource: options.loadSource ?? node.schedulers.loadSource(),
  };
}

function notRunning(node: Atom): DistError {
  return new DistError(ErrorCodes.CLUSTER_SERVICE, `no cluster service runs on ${node.name} (startCluster first)`);
}
