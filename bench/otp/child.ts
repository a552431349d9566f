// One scenario of `npm run bench -- otp`, run alone in a fresh `node` (bench/lib/child.ts). Imports only node:
// modules and the compiled package. The scenarios are bench/beam/otp_bench.erl's, written the way an Otter user
// would:
//
//   node scenario.mjs call CALLERS CALLS_PER_CALLER RUNS
//       CALLERS processes each make CALLS_PER_CALLER sequential GenServer.call(self, server, bump) to one
//       counter server (handleCall replies N + 1), with the default 5 s timeout, as gen_server:call/2
//
//   node scenario.mjs restart RESTARTS RUNS
//       a one_for_one Supervisor (intensity 1,000,000 per 1 s) restarts its one permanent worker, an async process
//       that exits with `crash` as soon as it starts, RESTARTS times; the start after the last restart says
//       ignore and reports the time. The runtime's logger is a no-op (the BEAM side turns supervisor reports off).
//
// A warm-up run at a tenth of the calls per caller comes first (the BEAM side does the same), then RUNS timed
// runs, each in a new Runtime with a new server. Latency: every caller reads performance.now() once before its
// first call and once after each call; a call's latency is the difference between consecutive reads (one clock
// read per call, the loop and the store included), stored in a Float64Array, sorted after the timed part;
// median and p99 are nearest-rank (sorted[ceil(P * N) - 1]), as otp_bench.erl computes them.
// Prints one JSON line: { clockNs, runs: [{ ms, count, p50Us, p99Us }] }.
import {
  atom,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Process,
  ProcessExit,
  Runtime,
  Supervisor,
  type Term,
} from "../../dist/index.js";

const BUMP = atom("bump");
const GO = atom("go");

/** The counter server: `bump` replies the count after it (1, 2, …). */
const counter: GenServerCallbacks<number, undefined, Term, Term, number> = {
  init: () => ({ state: 0 }),
  handleCall: (_self, _request, _from, n) => ({ reply: n + 1, state: n + 1 }),
};

interface Run {
  ms: number;
  count: number;
  p50Us?: number;
  p99Us?: number;
}

/** Nearest rank: the smallest value with at least `p` of all values at or below it. */
function rank(sorted: Float64Array, p: number): number {
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

/** `callers` processes each make `m` calls to one counter server, all at once. */
async function calls(rt: Runtime, callers: number, m: number): Promise<Run> {
  const total = callers * m;
  const lat = new Float64Array(total); // ms
  const { ms, last } = await rt.run(async (self) => {
    const started = await GenServer.start(self, counter, undefined);
    if (!("pid" in started)) throw new Error(`counter server did not start: ${String(started)}`);
    const server = started.pid;
    const main = self.pid;
    const caller = (offset: number) => async (me: Process) => {
      if ((await me.receive()) !== GO) throw new Error("expected go");
      let reply = 0;
      let t = performance.now();
      for (let i = offset, end = offset + m; i < end; i++) {
        reply = await GenServer.call(me, server, BUMP);
        const t1 = performance.now();
        lat[i] = t1 - t;
        t = t1;
      }
      me.send(main, reply);
    };
    const pids: Pid[] = [];
    for (let c = 0; c < callers; c++) pids.push(self.spawn(caller(c * m)));
    const t0 = performance.now();
    for (const p of pids) self.send(p, GO);
    let last = 0;
    for (let c = 0; c < callers; c++) last = Math.max(last, (await self.receive()) as number);
    const t1 = performance.now();
    await GenServer.stop(self, server);
    return { ms: t1 - t0, last };
  });
  // The server's counter went 1, 2, … total: the largest last reply of the callers is total.
  if (last !== total) throw new Error(`the last reply is ${last}, not ${total}`);
  lat.sort();
  return { ms, count: total, p50Us: rank(lat, 0.5) * 1000, p99Us: rank(lat, 0.99) * 1000 };
}

/** The cost of one performance.now() read, in ns (a loop of 1,000,000 reads, the loop included). */
function clockNs(): number {
  const n = 1_000_000;
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink = performance.now();
  return ((sink - t0) * 1e6) / n;
}

async function once(test: string, sizes: readonly number[]): Promise<Run> {
  const rt = new Runtime({ logger: () => {} });
  try {
    switch (test) {
      case "call":
        return await calls(rt, sizes[0]!, sizes[1]!);
      case "restart":
        return await restarts(rt, sizes[0]!);
      default:
        throw new Error(`unknown test ${test}`);
    }
  } finally {
    rt.shutdown();
  }
}

const CRASH = atom("crash");

/** The worker: exits with `crash` as soon as it runs. */
async function crashing(): Promise<never> {
  throw new ProcessExit(CRASH);
}

/** `n` restarts of a crashing worker under a one_for_one supervisor; ms from the supervisor's start to the last. */
async function restarts(rt: Runtime, n: number): Promise<Run> {
  return rt.run(async (self) => {
    let starts = 0;
    let done = 0;
    const t0 = performance.now();
    const started = await Supervisor.start(
      self,
      {
        init: () => ({
          flags: { strategy: "one_for_one", intensity: 1_000_000, period: 1 },
          children: [
            {
              id: "worker",
              start: (sup: Process) => {
                if (++starts > n) {
                  done = performance.now();
                  self.send(self.pid, atom("restarts_done"));
                  return { ignore: true as const };
                }
                return { pid: sup.spawnLink(crashing) };
              },
            },
          ],
        }),
      },
      undefined,
    );
    if (!("pid" in started)) throw new Error("the supervisor did not start");
    await self.receive((m) => m === atom("restarts_done"));
    await GenServer.stop(self, started.pid);
    return { ms: done - t0, count: n };
  });
}

/** The warm-up's sizes: a tenth of the calls per caller. */
function warmup(test: string, sizes: readonly number[]): number[] {
  return test === "call" ? [sizes[0]!, Math.ceil(sizes[1]! / 10)] : sizes.map((n) => Math.ceil(n / 10));
}

async function main(argv: readonly string[]): Promise<void> {
  const [test = "", ...rest] = argv;
  const nums = rest.map(Number);
  const runs = nums.pop()!;
  const clock = clockNs();
  await once(test, warmup(test, nums));
  const results: Run[] = [];
  for (let r = 0; r < runs; r++) results.push(await once(test, nums));
  process.stdout.write(
    `${JSON.stringify({ test, clockNs: clock, runs: results, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
  );
}

await main(process.argv.slice(2));
