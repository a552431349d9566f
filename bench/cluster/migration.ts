// The pause a migrating GenServer's callers see: callers call a migratable counter by its cluster name in a loop
// while it moves between two Otter nodes (in this process) over and over; the longest call that overlapped a move
// against the usual call latency. The BEAM has no gen_server migration to compare with.
import { migrate, startMigration } from "../../src/cluster/migration.ts";
import { startClusterNames } from "../../src/cluster/names.ts";
import { atom, GenServer, type GenServerCallbacks, type Process, type Term } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import type { BenchContext, BenchResult } from "../lib/report.ts";
import { fmt, formatTable } from "../lib/table.ts";

const counter: GenServerCallbacks<number, number, Term, Term, Term> = {
  init: (_self, n) => ({ state: n }),
  handleCall: (_self, _request, _from, n) => ({ reply: n + 1, state: n + 1 }),
};

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

export async function measureMigration(ctx: BenchContext): Promise<BenchResult[]> {
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
    for (const node of nodes) node.exportModule("bench_counter", { server: () => counter as unknown as Term });
    await a.connect(b.name);
    const name = atom("bench_counter");
    const started = await migration.start({ module: "bench_counter", fn: "server" }, 0, {
      name: { via: namesA, name },
    });
    if (!("pid" in started)) throw new Error("the counter did not start");

    const moves = ctx.quick ? 6 : 40;
    const callers = 4;
    // Call spans go into preallocated numbers, not objects: the bench's own garbage would otherwise show up as
    // scavenges of several ms in the very pauses it measures.
    const calls = new CallLog(ctx.quick ? 1 << 18 : 1 << 22);
    const migrations: Span[] = [];
    let moving = true;
    const load = Array.from({ length: callers }, () =>
      a.runtime.run(async (self) => {
        while (moving) {
          const start = performance.now();
          await GenServer.call(self, { via: namesA, name }, atom("bump"));
          calls.add(start, performance.now());
        }
      }),
    );
    ctx.progress(`migration: ${moves} moves between two nodes, ${callers} callers by name`);
    await a.runtime.run(async (self) => {
      // Warm up, and wait for the nodes' worker threads (code server, …) to finish starting: on two cores their
      // start-up CPU would stall this thread for tens of ms at a time while we measure.
      for (let i = 0; i < WARM_UP_MOVES || !(await quiet(self)); i++) {
        if (i >= MAX_WARM_UP_MOVES) break;
        await migrate(self, { via: namesA, name }, i % 2 === 0 ? b.name : a.name, { graceMs: 200 });
      }
      calls.clear();
      for (let i = 0; i < moves; i++) {
        const start = performance.now();
        await migrate(self, { via: namesA, name }, i % 2 === 0 ? b.name : a.name, { graceMs: 200 });
        migrations.push({ start, end: performance.now() });
        await self.receive(() => false, { timeout: 20 }); // calls between moves: the usual latency
      }
    });
    moving = false;
    await Promise.all(load);

    const overlaps = (start: number, end: number) => migrations.some((m) => start < m.end && end > m.start);
    const during: number[] = [];
    const normal: number[] = [];
    calls.forEach((start, end) => {
      (overlaps(start, end) ? during : normal).push(end - start);
    });
    normal.sort((x, y) => x - y);
    const worstPerMove = migrations.map((m) => {
      let worst = 0;
      calls.forEach((start, end) => {
        if (start < m.end && end > m.start) worst = Math.max(worst, end - start);
      });
      return worst;
    });
    const sortedWorst = [...worstPerMove].sort((x, y) => x - y);
    const moveTimes = migrations.map((m) => m.end - m.start).sort((x, y) => x - y);
    const row = (what: string, ms: number) => [what, fmt(ms * 1000), "–"];
    ctx.print(
      formatTable(
        ["migration pause (µs)", "otter", "beam"],
        [
          row("call latency, median (no move under way)", percentile(normal, 0.5)),
          row("call latency, p99 (no move under way)", percentile(normal, 0.99)),
          row("longest call overlapping a move, median of moves", percentile(sortedWorst, 0.5)),
          row("longest call overlapping a move, worst", sortedWorst.at(-1) ?? 0),
          row("one migration, median (migrate() start to end)", percentile(moveTimes, 0.5)),
        ],
        ["left", "right", "right"],
      ),
    );
    ctx.print(
      `(beam: no counterpart — OTP has no gen_server migration; ${during.length} calls overlapped ${moves} moves; goal: pause ≤ 1 ms)`,
    );
    const result = (metric: string, ms: number): BenchResult => ({
      case: "migration pause",
      system: "otter",
      metric,
      unit: "ms",
      value: Math.max(ms, 1e-6),
    });
    return [
      result("normal call latency p50", percentile(normal, 0.5)),
      result("max call latency during a migration p50", percentile(sortedWorst, 0.5)),
      result("max call latency during a migration worst", sortedWorst.at(-1) ?? 0),
      result("migration time p50", percentile(moveTimes, 0.5)),
    ];
  } finally {
    for (const node of nodes.reverse()) await node.stop();
  }
}
