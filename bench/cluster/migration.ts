// The pause a migrating GenServer's callers see: callers call a migratable counter by name in a loop while it moves
// back and forth — between two Otter nodes in this process and between this process's node and one in a child
// process (by its cluster name), and between two schedulers of one node (by its registered name). A move prepares
// the target while the server serves on, then suspends it for the switch (migrateTimed says when and how long):
// the pause is the longest call that overlapped the switch, set against the usual call latency and its tail
// (p99.9, what a call sees without any move). The longest call that overlapped the whole move is shown too. The BEAM has no gen_server migration to compare with.
// Between nodes in one process, the target node's share of a move (the spawn of the waiting process, the start of
// the server) runs on the same thread as the callers, so it counts in their pause; in two processes, and between
// schedulers, it runs on the target's own thread, as it does on another node of a real cluster.

import type { MigrationTarget } from "../../src/cluster/migration.ts";
import { migrateTimed, startMigration } from "../../src/cluster/migration.ts";
// The clock migrateTimed reports the switch in (ms since the epoch, to the µs, the same on every thread).
import { wallClockMs } from "../../src/cluster/migration-server.ts";
import { startClusterNames } from "../../src/cluster/names.ts";
import { atom, GenServer, type Process, type ServerRef } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { type ChildServer, prepareChild } from "../lib/child.ts";
import type { BenchContext, BenchResult } from "../lib/report.ts";
import { fmt, formatTable } from "../lib/table.ts";

import { server } from "./counter-server.ts";

const COUNTER = { module: "bench_counter", fn: "server" };
const COUNTER_URL = new URL("./counter-server.ts", import.meta.url);
const BUMP = atom("bump");
const CALLERS = 4;

interface Span {
  readonly start: number;
  readonly end: number;
}

/** Call spans (start, end in ms) in one growing-free array of numbers. */
class CallLog {
  private readonly spans: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.spans = new Float64Array(2 * capacity);
  }

  add(start: number, end: number): void {
    if (2 * this.count >= this.spans.length) return; // full: later calls are not logged
    this.spans[2 * this.count] = start;
    this.spans[2 * this.count + 1] = end;
    this.count++;
  }

  clear(): void {
    this.count = 0;
  }

  forEach(each: (start: number, end: number) => void): void {
    for (let i = 0; i < this.count; i++) each(this.spans[2 * i]!, this.spans[2 * i + 1]!);
  }
}

/** Moves made before measuring, at least and at most (the most only if the process never turns quiet). */
const WARM_UP_MOVES = 10;
const MAX_WARM_UP_MOVES = 400;

/** Whether this process used at most ~one core over the last 100 ms: its background threads are idle. */
async function quiet(self: Process): Promise<boolean> {
  const before = process.cpuUsage();
  const start = performance.now();
  await self.receive(() => false, { timeout: 100 });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 < 1.2 * (performance.now() - start);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** What one kind of move measured (ms, each sorted): call latencies without a move, and per move. */
interface MoveFigures {
  readonly normal: number[];
  /** The longest call that overlapped each move's switch (the server suspended): the pause. */
  readonly worstPerSwitch: number[];
  /** The longest call that overlapped each whole move (prepare and switch). */
  readonly worstPerMove: number[];
  /** How long each switch suspended the server, as it timed it. */
  readonly suspended: number[];
  readonly moveTimes: number[];
}

/** The longest of `calls` that overlapped [start, end). */
function longestOverlapping(calls: CallLog, start: number, end: number): number {
  let worst = 0;
  calls.forEach((s, e) => {
    if (s < end && e > start) worst = Math.max(worst, e - s);
  });
  return worst;
}

/**
 * CALLERS processes of `node` call `server` in a loop while `moves` migrations alternate it between `targets`
 * (after a warm-up); every call's span and every move's span are kept, in ms.
 */
async function measureMoves(
  node: OtterNode,
  server: ServerRef,
  targets: readonly [MigrationTarget, MigrationTarget],
  moves: number,
  quick: boolean,
): Promise<MoveFigures> {
  // Call spans go into preallocated numbers, not objects: the bench's own garbage would otherwise show up as
  // scavenges of several ms in the very pauses it measures.
  const calls = new CallLog(quick ? 1 << 18 : 1 << 22);
  const migrations: Span[] = [];
  const switches: Span[] = [];
  let moving = true;
  const load = Array.from({ length: CALLERS }, () =>
    node.runtime.run(async (self) => {
      while (moving) {
        const start = wallClockMs();
        await GenServer.call(self, server, BUMP);
        calls.add(start, wallClockMs());
      }
    }),
  );
  await node.runtime.run(async (self) => {
    // Warm up, and wait for the node's worker threads to finish starting: on two cores their start-up CPU would
    // stall this thread for tens of ms at a time while we measure.
    for (let i = 0; i < WARM_UP_MOVES || !(await quiet(self)); i++) {
      if (i >= MAX_WARM_UP_MOVES) break;
      await migrateTimed(self, server, targets[i % 2]!, { graceMs: 200 });
    }
    calls.clear();
    for (let i = 0; i < moves; i++) {
      const start = wallClockMs();
      const { suspendedAt, suspendedMs } = await migrateTimed(self, server, targets[i % 2]!, { graceMs: 200 });
      migrations.push({ start, end: wallClockMs() });
      switches.push({ start: suspendedAt, end: suspendedAt + suspendedMs });
      await self.receive(() => false, { timeout: 20 }); // calls between moves: the usual latency
    }
  });
  moving = false;
  await Promise.all(load);

  const overlaps = (start: number, end: number) => migrations.some((m) => start < m.end && end > m.start);
  const normal: number[] = [];
  calls.forEach((start, end) => {
    if (!overlaps(start, end)) normal.push(end - start);
  });
  const sorted = (values: number[]) => values.sort((x, y) => x - y);
  return {
    normal: sorted(normal),
    worstPerSwitch: sorted(switches.map((w) => longestOverlapping(calls, w.start, w.end))),
    worstPerMove: sorted(migrations.map((m) => longestOverlapping(calls, m.start, m.end))),
    suspended: sorted(switches.map((w) => w.end - w.start)),
    moveTimes: sorted(migrations.map((m) => m.end - m.start)),
  };
}

/** Between two nodes of this process, the counter named in their cluster names. */
async function betweenNodes(moves: number, quick: boolean): Promise<MoveFigures> {
  const epmdPort = await freePort();
  const cookie = `bench${process.pid}`;
  const nodes: OtterNode[] = [];
  try {
    for (const name of ["migr_bench_a", "migr_bench_b"]) {
      nodes.push(
        await startNode({ name: `${name}_${process.pid}@127.0.0.1`, cookie, epmdPort, listen: { host: "127.0.0.1" } }),
      );
    }
    const [a, b] = nodes as [OtterNode, OtterNode];
    const namesA = startClusterNames(a);
    startMigration(b, { names: startClusterNames(b) });
    const migration = startMigration(a, { names: namesA });
    for (const node of nodes) node.exportModule(COUNTER.module, { server });
    await a.connect(b.name);
    const name = { via: namesA, name: atom("bench_counter") };
    const started = await migration.start(COUNTER, 0, { name });
    if (!("pid" in started)) throw new Error("the counter did not start");
    return await measureMoves(a, name, [b.name, a.name], moves, quick);
  } finally {
    for (const node of nodes.reverse()) await node.stop();
  }
}

/**
 * Between this process's node and one in a child process (bench/cluster/migration-node.ts), by cluster name: the
 * target's share of each move runs on its own process, as in a real cluster.
 */
async function betweenProcesses(moves: number, quick: boolean): Promise<MoveFigures> {
  const epmdPort = await freePort();
  const cookie = `bench${process.pid}`;
  const a = await startNode({
    name: `migr_bench_p_${process.pid}@127.0.0.1`,
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
  });
  const script = await prepareChild(new URL("./migration-node.ts", import.meta.url));
  let other: ChildServer | undefined;
  try {
    const otherName = `migr_bench_q_${process.pid}@127.0.0.1`;
    other = await script.start([otherName, cookie, String(epmdPort)], { readyTimeoutMs: 30_000 });
    const names = startClusterNames(a);
    const migration = startMigration(a, { names });
    a.exportModule(COUNTER.module, { server });
    if (!(await a.connect(atom(otherName)))) throw new Error(`${otherName} cannot be reached`);
    const name = { via: names, name: atom("bench_counter") };
    const started = await migration.start(COUNTER, 0, { name });
    if (!("pid" in started)) throw new Error("the counter did not start");
    return await measureMoves(a, name, [atom(otherName), a.name], moves, quick);
  } finally {
    await a.stop();
    await other?.stop();
    await script.dispose();
  }
}

/** Between schedulers 0 and 1 of one node, the counter registered under a name; the callers on scheduler 0. */
async function betweenSchedulers(moves: number, quick: boolean): Promise<MoveFigures> {
  const node = await startNode({ name: `migr_bench_s_${process.pid}@127.0.0.1`, schedulers: 2, sameHost: false });
  try {
    await node.schedulers.load(COUNTER.module, COUNTER_URL);
    const migration = startMigration(node);
    const name = atom("bench_counter");
    const started = await migration.start(COUNTER, 0, { name });
    if (!("pid" in started)) throw new Error("the counter did not start");
    return await measureMoves(node, name, [{ scheduler: 1 }, { scheduler: 0 }], moves, quick);
  } finally {
    await node.stop();
  }
}

export async function measureMigration(ctx: BenchContext): Promise<BenchResult[]> {
  const moves = ctx.quick ? 6 : 40;
  ctx.progress(`migration: ${moves} moves between two nodes, ${CALLERS} callers by name`);
  const nodes = await betweenNodes(moves, ctx.quick);
  ctx.progress(`migration: ${moves} moves between two nodes in two processes, ${CALLERS} callers by name`);
  const processes = await betweenProcesses(moves, ctx.quick);
  ctx.progress(`migration: ${moves} moves between two schedulers, ${CALLERS} callers by name`);
  const schedulers = await betweenSchedulers(moves, ctx.quick);
  const kinds = [
    ["nodes", nodes],
    ["nodes in two processes", processes],
    ["schedulers", schedulers],
  ] as const;
  const row = (what: string, figure: (f: MoveFigures) => number) => [
    what,
    ...kinds.map(([, f]) => fmt(figure(f) * 1000)),
    "–",
  ];
  ctx.print(
    formatTable(
      [
        "migration pause (µs)",
        "otter, nodes in one process",
        "otter, nodes in two processes",
        "otter, between schedulers",
        "beam",
      ],
      [
        row("call latency, median (no move under way)", (f) => percentile(f.normal, 0.5)),
        row("call latency, p99 (no move under way)", (f) => percentile(f.normal, 0.99)),
        row("call latency, p99.9 (no move under way)", (f) => percentile(f.normal, 0.999)),
        row("pause: longest call overlapping the switch, median of moves", (f) => percentile(f.worstPerSwitch, 0.5)),
        row("pause: longest call overlapping the switch, p90 of moves", (f) => percentile(f.worstPerSwitch, 0.9)),
        row("pause: longest call overlapping the switch, worst", (f) => f.worstPerSwitch.at(-1) ?? 0),
        row("server suspended (switch), median", (f) => percentile(f.suspended, 0.5)),
        row("longest call overlapping the whole move, median of moves", (f) => percentile(f.worstPerMove, 0.5)),
        row("longest call overlapping the whole move, worst", (f) => f.worstPerMove.at(-1) ?? 0),
        row("one migration, median (migrate() start to end)", (f) => percentile(f.moveTimes, 0.5)),
      ],
      ["left", "right", "right", "right", "right"],
    ),
  );
  ctx.print(
    `(beam: no counterpart — OTP has no gen_server migration; ${moves} moves of each kind, ${CALLERS} callers; ` +
      "nodes in one process share its thread; goal: pause ≤ 1 ms)",
  );
  const results: BenchResult[] = [];
  for (const [kind, f] of kinds) {
    const result = (metric: string, ms: number): BenchResult => ({
      case: `migration pause, between ${kind}`,
      system: "otter",
      metric,
      unit: "ms",
      value: Math.max(ms, 1e-6),
    });
    results.push(
      result("normal call latency p50", percentile(f.normal, 0.5)),
      result("normal call latency p99.9", percentile(f.normal, 0.999)),
      result("max call latency during the switch p50", percentile(f.worstPerSwitch, 0.5)),
      result("max call latency during the switch p90", percentile(f.worstPerSwitch, 0.9)),
      result("max call latency during the switch worst", f.worstPerSwitch.at(-1) ?? 0),
      result("suspended p50", percentile(f.suspended, 0.5)),
      result("max call latency during a migration p50", percentile(f.worstPerMove, 0.5)),
      result("migration time p50", percentile(f.moveTimes, 0.5)),
    );
  }
  return results;
}
