// The rebalancer: a process on a node that moves migratable servers off an overloaded scheduler of the node, or
// off the node when it is overloaded next to the least loaded cluster member, with `migrate`.
//
// OTP has no such process: the BEAM balances its run queues itself. Its check_balance (erts, erl_process.c) runs
// once per balance period and judges each run queue by what it saw over the whole period — its longest length,
// the reductions it ran, whether it ran out of work (with `+sub true`: its utilisation) — compares each with the
// average, ignores small differences, and lets processes emigrate from the queues above to those below. Ours
// keeps that shape, at the scale of servers instead of processes, and stays simple enough to explain:
//
// - Every `intervalMs` it scores each place on one scale (load-report.ts's nodeScore: run queue +
//   UTILISATION_WEIGHT × utilisation, averaged over a node's schedulers): first this node's schedulers (their
//   loads sampled every 100 ms in shared memory), then the cluster members (their last fresh load reports; this
//   node's own score among them).
// - The gap is the score of the busiest place that has servers it may move minus that of the least loaded place.
//   A gap wider than `threshold` must be seen on `sustain` checks in a row before anything moves (a burst is not
//   an overload), and after moves the count starts again, so the next decision sees the moved load where it went.
// - Then at most `maxMoves` servers move this round, busiest first, each to the least loaded place, while the
//   projected gap stays wider than half the threshold (the band between the gap that starts moves and the gap
//   that ends them is the hysteresis), and only if the target would still be no busier than the source after the
//   move (rebalancer-policy.ts: planMoves): a move never makes its own reversal look right.
// - A server that moved stays put for `cooldownMs`. A move that fails is logged and skipped — `migrate` leaves
//   the server serving where it was — and that server and that target are left alone for the cool-down too.
// - A node moves only its own servers: each member that wants its load shed runs its own rebalancer, as each
//   BEAM run queue emigrates its own processes. Moves between this node's schedulers come first (a thread hop, no
//   network); the node level gets the moves left in the round.
//
// Which servers: the node's migratable servers on every one of its schedulers (`Migration.servers()`: those
// started or received by the node, and those moved between its schedulers), and those they became when they moved
// within this node, followed through the exit `{shutdown, {migrated, NewPid}}` the old pid ends with. "Busiest" is
// the reductions a server ran since the rebalancer last looked, plus its queue, wherever it runs: a check that
// sees a gap reads them for every server in one `nodeProcessInfo` (one question to each other scheduler's thread).
// An idle server (no work since last looked) never moves, since moving it relieves nothing.
//
// What it did: `moves()` (the latest moves, newest last) and the `move` event, each with the server, where from,
// where to, why, and the new pid or the error.
import { EventEmitter } from "node:events";
import { DistError, ErrorCodes, thrownMessage } from "../errors.ts";
import type { OtterNode } from "../node/node.ts";
import { GenServer, type GenServerCallbacks } from "../otp/gen-server.ts";
import { DOWN, type Process, ProcessExit, SHUTDOWN } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import { Pid, type Ref, type Term, Tuple } from "../term/types.ts";
import { type LoadSource, nodeScore } from "./load-report.ts";
import type { Cluster } from "./membership.ts";
import { type MigrateOptions, type Migration, type MigrationTarget, migrateTimed } from "./migration.ts";
import { type Candidate, type PlaceLoad, planMoves, widestGap } from "./rebalancer-policy.ts";

/** The name the rebalancer is registered under (one per node). */
export const OTTER_REBALANCER = atom("otter_rebalancer");

/** How many moves `moves()` keeps. */
const KEPT_MOVES = 100;

export interface RebalancerOptions {
  /** The node's migration: the servers it started or received are the ones the rebalancer may move. */
  readonly migration: Migration;
  /** The node's cluster service: with it, servers also move to less loaded members. */
  readonly cluster?: Cluster;
  /** Where the schedulers' loads come from, one entry per scheduler (default: `node.schedulers.loads()`). */
  readonly schedulerLoads?: LoadSource;
  /** How often it compares loads (default 1,000 ms; at least the cluster's load interval is wise). */
  readonly intervalMs?: number;
  /** The gap in score that counts as an overload (default 3: 30 % of a thread's time, or 3 queued processes). */
  readonly threshold?: number;
  /** On how many checks in a row the gap must be seen before servers move (default 2). */
  readonly sustain?: number;
  /** The most servers moved in one check (default 2). */
  readonly maxMoves?: number;
  /** How long a moved server, or a server and target whose move failed, are left alone (default 10 intervals). */
  readonly cooldownMs?: number;
  /** Passed to each `migrate` (grace period, timeout). */
  readonly migrate?: MigrateOptions;
}

/** Where a server ran or went: a node, and on this node a scheduler. */
export interface RebalancePlace {
  readonly node: Atom;
  readonly scheduler?: number;
}

/** One move the rebalancer made or tried. */
export interface RebalanceMove {
  /** The server's pid when it was chosen. */
  readonly server: Pid;
  readonly from: RebalancePlace;
  readonly to: RebalancePlace;
  /** The scores and the threshold that made it move. */
  readonly why: string;
  /** When (the runtime's clock, ms). */
  readonly at: number;
  /** Its new pid and how long it was suspended, in ms; or why the move failed. */
  readonly result: { readonly moved: Pid; readonly suspendedMs: number } | { readonly failed: string };
}

export interface RebalancerEvents {
  move: [move: RebalanceMove];
}

/** Starts the rebalancer on `node` (registered as `otter_rebalancer`); its first check is one interval away. */
export async function startRebalancer(node: OtterNode, options: RebalancerOptions): Promise<Rebalancer> {
  const balancing = new Balancing(node, settingsOf(node, options));
  const started = await GenServer.start(node.runtime, service, balancing, { name: OTTER_REBALANCER });
  if (!("pid" in started)) {
    const why = "error" in started ? format(started.error) : "ignore";
    throw new DistError(ErrorCodes.CLUSTER_SERVICE, `the rebalancer did not start: ${why}`);
  }
  balancing.pid = started.pid;
  return balancing.rebalancer;
}

/** The rebalancer of one node, as that node's code sees it (not a process). */
export class Rebalancer extends EventEmitter<RebalancerEvents> {
  /** @internal Use `startRebalancer`. */
  constructor(private readonly balancing: Balancing) {
    super();
  }

  /** The latest moves made or tried (at most 100), oldest first. */
  moves(): RebalanceMove[] {
    return [...this.balancing.log];
  }

  /**
   * Compares the loads now, as a check at the interval does; resolves with the moves it made or tried. Throws a
   * DistError CLUSTER_SERVICE once the rebalancer is stopped.
   */
  async check(): Promise<RebalanceMove[]> {
    const { pid, node } = this.balancing;
    if (pid === undefined || !node.runtime.isAlive(pid)) {
      throw new DistError(ErrorCodes.CLUSTER_SERVICE, `no rebalancer runs on ${node.name.name}`);
    }
    await node.runtime.run((self) => GenServer.call(self, pid, CHECK, { timeout: "infinity" }));
    return this.balancing.lastCheck;
  }

  /** Stops it; moves under way finish first. */
  async stop(): Promise<void> {
    const { pid, node } = this.balancing;
    if (pid === undefined || !node.runtime.isAlive(pid)) return;
    await node.runtime.run(async (self) => {
      try {
        await GenServer.stop(self, pid, { timeout: "infinity" });
      } catch (e) {
        if (!(e instanceof ProcessExit)) throw e; // it was gone already
      }
    });
  }
}

const TICK = atom("tick");
const CHECK = atom("check");
const OK = atom("ok");
const MIGRATED = atom("migrated");

interface Settings {
  readonly migration: Migration;
  readonly cluster: Cluster | undefined;
  readonly schedulerLoads: LoadSource;
  readonly intervalMs: number;
  readonly threshold: number;
  readonly sustain: number;
  readonly maxMoves: number;
  readonly cooldownMs: number;
  readonly migrate: MigrateOptions;
}

/** A server the rebalancer knows of: the monitor that tells it when the server ends or moves. */
interface Tracked {
  readonly pid: Pid;
  readonly ref: Ref;
  /** Its reductions when last looked at. */
  reductions: number;
  /** Not moved again before this time. */
  coolUntil: number;
  /** It moved: the old pid forwards until its grace period ends; never chosen again. */
  moved: boolean;
}

/** The two levels the rebalancer compares at, each with its own count of checks in a row that saw a gap. */
type Level = "schedulers" | "nodes";

/** The rebalancer's state, shared with its Rebalancer object (one thread, no copies). */
class Balancing {
  readonly rebalancer = new Rebalancer(this);
  pid: Pid | undefined;
  readonly log: RebalanceMove[] = [];
  lastCheck: RebalanceMove[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private readonly streak: Record<Level, number> = { schedulers: 0, nodes: 0 };
  /** Targets a move to failed, left alone until the time given. */
  private readonly failedTargets = new Map<string, number>();

  constructor(
    readonly node: OtterNode,
    readonly settings: Settings,
  ) {}

  private get now(): number {
    return this.node.runtime.clock.now();
  }

  /** One check: the schedulers, then the nodes with the moves left; the servers are looked at once, if at all. */
  async check(self: Process): Promise<void> {
    await this.adopt(self);
    let looked: Promise<Map<Tracked, number>> | undefined;
    const activities = () => {
      looked ??= this.lookAtServers();
      return looked;
    };
    const moves = await this.balance(self, "schedulers", this.settings.maxMoves, activities);
    moves.push(...(await this.balance(self, "nodes", this.settings.maxMoves - moves.length, activities)));
    this.lastCheck = moves;
  }

  /** A monitor fired: the server ended, or moved (then its new pid is followed if it runs on this node). */
  down(self: Process, ref: Term, pid: Term, reason: Term): void {
    if (!(pid instanceof Pid)) return;
    const known = this.tracked.get(keyOf(pid));
    if (known === undefined || !equals(known.ref, ref)) return;
    this.tracked.delete(keyOf(pid));
    const moved = movedTo(reason);
    if (moved !== undefined && moved.node === this.node.name)
      this.track(self, moved, this.now + this.settings.cooldownMs);
  }

  /** Starts watching the servers the node's Migration lists (on every scheduler) that it does not know yet. */
  private async adopt(self: Process): Promise<void> {
    for (const pid of await this.settings.migration.servers()) {
      if (!this.tracked.has(keyOf(pid))) this.track(self, pid, 0);
    }
  }

  private track(self: Process, pid: Pid, coolUntil: number): void {
    if (this.tracked.has(keyOf(pid))) return;
    this.tracked.set(keyOf(pid), { pid, ref: self.monitor(pid), reductions: 0, coolUntil, moved: false });
  }

  private async balance(
    self: Process,
    level: Level,
    budget: number,
    activities: () => Promise<Map<Tracked, number>>,
  ): Promise<RebalanceMove[]> {
    const places = level === "schedulers" ? this.schedulerPlaces() : this.nodePlaces();
    if (budget <= 0 || places.length < 2) return [];
    const now = this.now;
    const movable = [...this.tracked.values()].filter((t) => !t.moved && t.coolUntil <= now);
    const placeOf = (pid: Pid) => (level === "schedulers" ? this.schedulerOf(pid) : this.nodeOf(pid));
    const widest = widestGap<Atom | number>(places, (place) => movable.some((t) => placeOf(t.pid) === place));
    if (widest === undefined || widest.gap <= this.settings.threshold) {
      this.streak[level] = 0;
      return [];
    }
    // Looked at on every check that sees the gap, so "busiest" is the work of the last interval when moves come.
    const activity = await activities();
    const candidates: Candidate<Atom | number>[] = movable.flatMap((t) => {
      const place = placeOf(t.pid);
      const work = activity.get(t);
      return place === undefined || work === undefined ? [] : [{ id: keyOf(t.pid), place, activity: work }];
    });
    if (++this.streak[level] < this.settings.sustain) return [];
    this.streak[level] = 0;
    const planned = planMoves(places, candidates, this.settings);
    const made: RebalanceMove[] = [];
    for (const move of planned) {
      if (this.failedRecently(move.to)) continue; // an earlier move of this round to it failed
      const server = this.tracked.get(move.id)!;
      const why = `${describe(move.from)} scored ${move.fromScore.toFixed(2)}, ${describe(move.to)} ${move.toScore.toFixed(2)} (threshold ${this.settings.threshold})`;
      made.push(await this.move(self, server, move.from, move.to, why));
    }
    return made;
  }

  /** Migrates `server` to `to`; records the outcome either way. */
  private async move(self: Process, server: Tracked, from: Atom | number, to: Atom | number, why: string) {
    const here = this.node.name;
    const target: MigrationTarget = typeof to === "number" ? { scheduler: to } : to;
    const fromPlace = { node: here, scheduler: this.schedulerOf(server.pid) };
    const toPlace = typeof to === "number" ? { node: here, scheduler: to } : { node: to };
    const at = this.now;
    let result: RebalanceMove["result"];
    try {
      const { pid: moved, suspendedMs } = await migrateTimed(self, server.pid, target, this.settings.migrate);
      server.moved = true;
      if (moved.node === here) this.track(self, moved, this.now + this.settings.cooldownMs);
      result = { moved, suspendedMs };
    } catch (error) {
      server.coolUntil = this.now + this.settings.cooldownMs;
      this.failedTargets.set(describe(to), server.coolUntil);
      result = { failed: thrownMessage(error) };
      this.node.runtime.logger.warning(
        `rebalancer: moving ${format(server.pid)} from ${describe(from)} to ${describe(to)} failed: ${result.failed}`,
        { domain: ["otter", "cluster"] },
      );
    }
    const record: RebalanceMove = { server: server.pid, from: fromPlace, to: toPlace, why, at, result };
    this.log.push(record);
    if (this.log.length > KEPT_MOVES) this.log.shift();
    try {
      this.rebalancer.emit("move", record);
    } catch (error) {
      this.node.runtime.logger.error(`rebalancer: a move listener threw: ${thrownMessage(error)}`, { error });
    }
    return record;
  }

  /** This node's schedulers as places (none on a node of one scheduler). */
  private schedulerPlaces(): PlaceLoad<number>[] {
    if (this.node.schedulers.count < 2) return [];
    return this.settings.schedulerLoads
      .sample()
      .map((load, scheduler) => ({ place: scheduler, score: nodeScore([load], 0), capacity: 1, source: true }))
      .filter((p) => !this.failedRecently(p.place));
  }

  /** The members with fresh reports, and this node, as places (none without a cluster service). */
  private nodePlaces(): PlaceLoad<Atom>[] {
    const cluster = this.settings.cluster;
    if (cluster === undefined) return [];
    const here = this.node.name;
    return cluster
      .loads()
      .filter((l) => !l.stale && (l.node === here || !this.failedRecently(l.node)))
      .map((l) => ({
        place: l.node,
        score: l.score,
        capacity: Math.max(1, l.schedulers.length),
        source: l.node === here,
      }));
  }

  private failedRecently(place: Atom | number): boolean {
    const until = this.failedTargets.get(describe(place));
    return until !== undefined && until > this.now;
  }

  /**
   * Each server's reductions since last looked at, plus its queue, on whichever scheduler it runs (one batched
   * question to the other schedulers); servers that ended since are left out.
   */
  private async lookAtServers(): Promise<Map<Tracked, number>> {
    const servers = [...this.tracked.values()].filter((t) => !t.moved);
    const infos = await this.node.runtime.nodeProcessInfo(servers.map((t) => t.pid));
    const activity = new Map<Tracked, number>();
    for (const [i, server] of servers.entries()) {
      const info = infos[i];
      if (info === undefined) continue;
      activity.set(server, info.reductions - server.reductions + info.messageQueueLen);
      server.reductions = info.reductions;
    }
    return activity;
  }

  private schedulerOf(pid: Pid): number | undefined {
    return pid.node === this.node.name ? pid.id % this.node.schedulers.count : undefined;
  }

  private nodeOf(pid: Pid): Atom | undefined {
    return pid.node === this.node.name ? pid.node : undefined;
  }
}

const service: GenServerCallbacks<Balancing, Balancing> = {
  init(self, balancing) {
    self.runtime.sendAfter(balancing.settings.intervalMs, self.pid, TICK);
    return { state: balancing };
  },

  async handleCall(self, request, _from, balancing) {
    if (request !== CHECK) return { reply: atom("badarg"), state: balancing };
    await balancing.check(self);
    return { reply: OK, state: balancing };
  },

  async handleInfo(self, message, balancing) {
    if (message === TICK) {
      await balancing.check(self);
      self.runtime.sendAfter(balancing.settings.intervalMs, self.pid, TICK);
    } else if (message instanceof Tuple && message.at(0) === DOWN && message.size === 5) {
      balancing.down(self, message.at(1)!, message.at(3)!, message.at(4)!);
    }
    return { state: balancing };
  },
};

/** The pid in `{shutdown, {migrated, NewPid}}`, the exit of a server's old pid after it moved. */
function movedTo(reason: Term): Pid | undefined {
  if (!(reason instanceof Tuple) || reason.at(0) !== SHUTDOWN) return undefined;
  const inner = reason.at(1);
  if (!(inner instanceof Tuple) || inner.at(0) !== MIGRATED) return undefined;
  const pid = inner.at(1);
  return pid instanceof Pid ? pid : undefined;
}

function keyOf(pid: Pid): string {
  return `${pid.node.name}/${pid.creation}/${pid.id}.${pid.serial}`;
}

function describe(place: Atom | number): string {
  return typeof place === "number" ? `scheduler ${place}` : place.name;
}

function settingsOf(node: OtterNode, options: RebalancerOptions): Settings {
  const positive = (name: string, value: number | undefined, fallback: number, integer = false): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      const what = integer ? "a positive integer" : "a positive number";
      throw new DistError(ErrorCodes.CLUSTER_BAD_OPTION, `rebalancer: ${name} must be ${what}, not ${value}`);
    }
    return value;
  };
  if (typeof options.migration?.servers !== "function") {
    throw new DistError(ErrorCodes.CLUSTER_BAD_OPTION, "rebalancer: `migration` must be the node's Migration");
  }
  const intervalMs = positive("intervalMs", options.intervalMs, 1000);
  return {
    migration: options.migration,
    cluster: options.cluster,
    schedulerLoads: options.schedulerLoads ?? { sample: () => node.schedulers.loads() },
    intervalMs,
    threshold: positive("threshold", options.threshold, 3),
    sustain: positive("sustain", options.sustain, 2, true),
    maxMoves: positive("maxMoves", options.maxMoves, 2, true),
    cooldownMs: positive("cooldownMs", options.cooldownMs, 10 * intervalMs),
    migrate: options.migrate ?? {},
  };
}
