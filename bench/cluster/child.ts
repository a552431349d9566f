// The Otter side of `npm run bench -- cluster`'s scheduler cases, in a child `node` of its own. The same file is
// the module its processes run on every scheduler (`cluster_bench`): its exported functions are process bodies,
// and only the main thread runs the benchmark itself.
//
//   pairs S P N W R   S schedulers; P ping-pong pairs spread over them, N round trips each, W units of work per
//                     message on both sides; R timed runs after a warm-up. Prints {runs: [{ms, count}]}.
//   cross N R         N round trips between a process on scheduler 0 and one on scheduler 1.
//   parked N G R      As cross, with G ms between round trips (both threads park in between): the summed time
//                     of the N round trips alone.
import { isMainThread } from "node:worker_threads";
import {
  atom,
  type Pid,
  type Process,
  spawnRemote,
  startNode,
  type Term,
  type Tuple,
  tuple,
} from "../../dist/index.js";

const GO = atom("go");
/** Back-to-back round trips before the parked ones. */
const PARKED_WARM_UP = 20_000;
const DONE = atom("done");
const STOP = atom("stop");

/** CPU work the size of `units`: the same loop as bench/beam/cluster_bench.erl's work/2. */
function work(units: number): number {
  let acc = 0;
  for (let i = units; i > 0; i--) acc = (acc * 31 + i) & 0xffffff;
  return acc;
}

/** Answers `{From, X}` with `{self(), X}`, doing `units` of work for each, until `stop`. */
export async function pong(self: Process, units: Term): Promise<void> {
  for (;;) {
    const m = await self.receive();
    if (m === STOP) return;
    work(units as number);
    self.send((m as Tuple).at(0) as Pid, tuple(self.pid, (m as Tuple).at(1)!));
  }
}

/** One pair: waits for `go`, plays `rounds` round trips with a partner on its own scheduler, tells `runner`. */
export async function pair(self: Process, rounds: Term, units: Term, runner: Term): Promise<void> {
  const partner = self.spawn((p) => pong(p, units));
  await self.receive((m) => m === GO);
  const n = rounds as number;
  for (let i = 0; i < n; i++) {
    self.send(partner, tuple(self.pid, i));
    await self.receive();
    work(units as number);
  }
  self.send(partner, STOP);
  self.send(runner as Pid, DONE);
}

async function main([test, ...rest]: string[]): Promise<void> {
  const args = rest.map(Number);
  const schedulers = test === "pairs" ? args[0]! : 2;
  const node = await startNode({ name: `cluster_bench_${process.pid}@127.0.0.1`, schedulers, sameHost: false });
  try {
    await node.schedulers.load("cluster_bench", import.meta.url);
    node.schedulers.start();
    const runs: { ms: number; count: number }[] = [];
    const runCount = args[args.length - 1]!;
    for (let r = -1; r < runCount; r++) {
      const warmup = r < 0;
      const result =
        test === "pairs"
          ? await pairs(node.runtime, schedulers, args[1]!, warmup ? Math.ceil(args[2]! / 10) : args[2]!, args[3]!)
          : await cross(node.runtime, warmup ? Math.ceil(args[0]! / 10) : args[0]!, test === "parked" ? args[1]! : 0);
      if (!warmup) runs.push(result);
    }
    process.stdout.write(`${JSON.stringify({ runs })}\n`);
  } finally {
    await node.stop();
  }
}

type Runtime = Awaited<ReturnType<typeof startNode>>["runtime"];

async function pairs(rt: Runtime, schedulers: number, count: number, rounds: number, units: number) {
  return rt.run(async (self) => {
    const drivers: Pid[] = [];
    for (let i = 0; i < count; i++) {
      const scheduler = i % schedulers;
      const args: Term[] = [rounds, units, self.pid];
      drivers.push(
        scheduler === 0
          ? self.spawn((p) => pair(p, rounds, units, self.pid))
          : await spawnRemote(self, rt.node, "cluster_bench", "pair", args, { scheduler }),
      );
    }
    const t0 = performance.now();
    for (const d of drivers) self.send(d, GO);
    for (let i = 0; i < count; i++) await self.receive((m) => m === DONE);
    return { ms: performance.now() - t0, count: count * rounds };
  });
}

/** `rounds` round trips to a process on scheduler 1, back to back, or `gapMs` apart (only the round trips timed). */
async function cross(rt: Runtime, rounds: number, gapMs: number) {
  return rt.run(async (self) => {
    const partner = await spawnRemote(self, rt.node, "cluster_bench", "pong", [0], { scheduler: 1 });
    // Parked rounds are few: the code they run is made hot first (BEAM's is native code from the start).
    for (let i = 0; gapMs > 0 && i < PARKED_WARM_UP; i++) {
      self.send(partner, tuple(self.pid, i));
      await self.receive();
    }
    let ms = 0;
    let t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      if (gapMs > 0) {
        await self.receive(() => false, { timeout: gapMs });
        t0 = performance.now();
      }
      self.send(partner, tuple(self.pid, i));
      await self.receive();
      if (gapMs > 0) ms += performance.now() - t0;
    }
    if (gapMs === 0) ms = performance.now() - t0;
    self.send(partner, STOP);
    return { ms, count: rounds };
  });
}

// Not awaited: the main thread imports this module again (to load it as `cluster_bench`), which must not wait on
// its own benchmark.
if (isMainThread) void main(process.argv.slice(2));
