// The pause a migrating GenServer's callers see: callers call a migratable counter by name in a loop while it moves
// back and forth — between two Otter nodes in this process (by its cluster name), and between two schedulers of
// one node (by its registered name) — and the longest call that overlapped a move is set against the usual call
// latency. The BEAM has no gen_server migration to compare with.
// Between nodes in one process, the target node's share of a move (the spawn of the waiting process, the start of
// the server) runs on the same thread as the callers, so it counts in their pause; between schedulers it runs on
// the target's own thread, as it does on another node of a real cluster.

import type { MigrationTarget } from "../../src/cluster/migration.ts";
import { migrate, startMigration } from "../../src/cluster/migration.ts";
import { startClusterNames } from "../../src/cluster/names.ts";
import { atom, GenServer, type Process, type ServerRef } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
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

/** What one kind of move measured: call latencies without a move, the worst call per move, move durations. */
interface MoveFigures {
  readonly normal: number[];
  readonly worstPerMove: number[];
  readonly moveTimes: number[];
  readonly overlapping: number;
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
  let moving = true;
  const load = Array.from({ length: CALLERS }, () =>
    node.runtime.run(async (self) => {
      while (moving) {
        const start = performance.now();
        await GenServer.call(self, server, BUMP);
        calls.add(start, performance.now());
      }
    }),
  );
  await node.runtime.run(async (self) => {
    // Warm up, and wait for the node's worker threads to finish starting: on two cores their start-up CPU would
    // stall this thread for tens of ms at a time while we measure.
    for (let i = 0; i < WARM_UP_MOVES || !(await quiet(self)); i++) {
      if (i >= MAX_WARM_UP_MOVES) break;
      await migrate(self, server, targets[i % 2]!, { graceMs: 200 });
    }
    calls.clear();
    for (let i = 0; i < moves; i++) {
      const start = performance.now();
      await migrate(self, server, targets[i % 2]!, { graceMs: 200 });
      migrations.push({ start, end: performance.now() });
      await self.receive(() => false, { timeout: 20 }); // calls between moves: the usual latency
    }
  });
  moving = false;
  await Promise.all(load);

  const overlaps = (start: number, end: number) => migrations.some((m) => start < m.end && end > m.start);
  const normal: number[] = [];
  let overlapping = 0;
  calls.forEach((start, end) => {
    if (overlaps(start, end)) overlapping++;
    else normal.push(end - start);
  });
  const worstPerMove = migrations.map((m) => {
    let worst = 0;
    calls.forEach((start, end) => {
      if (start < m.end && end > m.start) worst = Math.max(worst, end - start);
    });
    return worst;
  });
  const sorted = (values: number[]) => values.sort((x, y) => x - y);
  return {
    normal: sorted(normal),
    worstPerMove: sorted(worstPerMove),
    moveTimes: sorted(migrations.map((m) => m.end - m.start)),
    overlapping,
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
  ctx.progress(`migration: ${moves} moves between two schedulers, ${CALLERS} callers by name`);
  const schedulers = await betweenSchedulers(moves, ctx.quick);
  const kinds = [
    ["nodes", nodes],
    ["schedulers", schedulers],
  ] as const;
  const row = (what: string, figure: (f: MoveFigures) => number) => [
    what,
    ...kinds.map(([, f]) => fmt(figure(f) * 1000)),
    "–",
  ];
  ctx.print(
    formatTable(
      ["migration pause (µs)", "otter, between nodes", "otter, between schedulers", "beam"],
      [
        row("call latency, median (no move under way)", (f) => percentile(f.normal, 0.5)),
        row("call latency, p99 (no move under way)", (f) => percentile(f.normal, 0.99)),
        row("longest call overlapping a move, median of moves", (f) => percentile(f.worstPerMove, 0.5)),
        row("longest call overlapping a move, worst", (f) => f.worstPerMove.at(-1) ?? 0),
        row("one migration, median (migrate() start to end)", (f) => percentile(f.moveTimes, 0.5)),
      ],
      ["left", "right", "right", "right"],
    ),
  );
  ctx.print(
    `(beam: no counterpart — OTP has no gen_server migration; ${moves} moves of each kind, ${CALLERS} callers; ` +
      "between nodes both run in this process; goal: pause ≤ 1 ms)",
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
      result("max call latency during a migration p50", percentile(f.worstPerMove, 0.5)),
      result("max call latency during a migration worst", f.worstPerMove.at(-1) ?? 0),
      result("migration time p50", percentile(f.moveTimes, 0.5)),
    );
  }
  return results;
}
