// One system's side of `npm run bench -- dirty`, run alone in a fresh `node` (bench/lib/child.ts): Otter's dirty
// pools (spinning or parked), piscina, tinypool, or the functions called inline on the main thread. Imports only
// node: modules and the compiled package; the npm peers and the task module come as paths and URLs in argv:
//
//   node scenario.mjs SYSTEM TASKS_PATH PEER_URL WARMUP_MS RUN_MS RUNS IN_FLIGHT SPIN_NS
//   SYSTEM: inline | otter-spinning | otter-parked | otter-all-parked | piscina | tinypool   (PEER_URL: the peer's module, or -)
//
// Every pool has one worker. Cases (bench/beam/dirty_bench.erl measures the same ones on the BEAM):
//   roundtrip    `await` a no-op call, then the next: a warm-up, then RUNS timed runs of ≥ RUN_MS (calibrated
//                batches, as bench/lib/measure.ts)
//   pipelined    IN_FLIGHT loops each awaiting one no-op call after another; after WARMUP_MS, RUNS windows of
//                RUN_MS count the calls that completed
//   dirty_spin   as roundtrip, the call busy-waiting SPIN_NS
//   inline_noop, inline_spin   (SYSTEM inline) the same functions called on the main thread
// Prints one JSON line: { threads, cases: { CASE: [{ ns, ops }] } }, or { unavailable: why } for an Otter
// without dirty pools.
import { pathToFileURL } from "node:url";
import * as otter from "../../dist/index.js";

interface Run {
  ns: number;
  ops: number;
}

interface Timing {
  warmupMs: number;
  runMs: number;
  runs: number;
}

/** bench/dirty/tasks.mjs. */
interface Tasks {
  noop(): undefined;
  spin(ns: number): number;
}

/** One system's way to run the task functions on another thread. */
interface DirtyCalls {
  /** Worker threads running the calls. */
  threads: number;
  noop(): Promise<unknown>;
  spin(ns: number): Promise<number>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------- systems

type DirtyFunction = (...args: never[]) => unknown;

/** The part of Otter's dirty pools API this benchmark uses (src/dirty/). */
interface OtterDirtyPools {
  load(where: URL): Promise<Record<string, DirtyFunction>>;
  cpu(fn: DirtyFunction, ...args: unknown[]): Promise<unknown>;
  stop(): Promise<void>;
}

type StartDirtyPools = (options: {
  cpu: { size: number };
  io: { size: number };
  busyWait: "medium" | "none";
  mainBusyWait: "medium" | "none";
}) => Promise<OtterDirtyPools>;

/**
 * Otter's CPU pool with one worker; `busyWait: "none"`: the worker parks at once; `mainBusyWait: "none"`: the
 * main thread does not spin for answers either.
 */
async function otterCalls(
  busyWait: "medium" | "none",
  mainBusyWait: "medium" | "none",
  tasksPath: string,
): Promise<DirtyCalls | string> {
  const start = (otter as unknown as { startDirtyPools?: StartDirtyPools }).startDirtyPools;
  if (typeof start !== "function") return "dist/index.js does not export startDirtyPools";
  const pools = await start({ cpu: { size: 1 }, io: { size: 1 }, busyWait, mainBusyWait });
  const mod = await pools.load(pathToFileURL(tasksPath));
  const noop = mod.noop!;
  const spin = mod.spin!;
  return {
    threads: 1,
    noop: () => pools.cpu(noop),
    spin: (ns) => pools.cpu(spin, ns) as Promise<number>,
    stop: () => pools.stop(),
  };
}

/** What piscina's and tinypool's pools have in common. */
interface PeerPool {
  run(task: unknown, options: { name: string }): Promise<unknown>;
  destroy(): Promise<void>;
}

type PeerPoolClass = new (options: { filename: string; minThreads: number; maxThreads: number }) => PeerPool;

/** piscina or tinypool with one worker thread, otherwise default options. */
async function peerCalls(system: "piscina" | "tinypool", peerUrl: string, tasksPath: string): Promise<DirtyCalls> {
  const exports = (await import(peerUrl)) as Record<string, PeerPoolClass>;
  const Pool = system === "piscina" ? exports.Piscina! : exports.Tinypool!;
  const pool = new Pool({ filename: tasksPath, minThreads: 1, maxThreads: 1 });
  return {
    threads: 1,
    noop: () => pool.run(undefined, { name: "noop" }),
    spin: (ns) => pool.run(ns, { name: "spin" }) as Promise<number>,
    stop: () => pool.destroy(),
  };
}

// ----------------------------------------------------------------------------------------------------- timing

/** Batches per timed run once calibrated, as bench/lib/measure.ts. */
const BATCHES_PER_RUN = 10;

let sink = 0;

function nowNs(): bigint {
  return process.hrtime.bigint();
}

/**
 * Runs `batch` (which performs `ops` calls in its own loop and returns a value derived from all of them)
 * untimed for the warm-up while calibrating its size to a tenth of a run, then times the runs.
 */
async function measure(batch: (ops: number) => Promise<number>, timing: Timing): Promise<Run[]> {
  const targetBatchNs = (timing.runMs * 1e6) / BATCHES_PER_RUN;
  const warmupStart = nowNs();
  let ops = 1;
  let perOpNs = 0;
  for (;;) {
    const t0 = nowNs();
    sink = (sink + (await batch(ops))) | 0;
    const t1 = nowNs();
    perOpNs = Math.max(Number(t1 - t0) / ops, 0.01);
    const filled = ops * perOpNs >= targetBatchNs / 2;
    if (filled && Number(t1 - warmupStart) >= timing.warmupMs * 1e6) break;
    if (!filled) ops *= 2;
  }
  ops = Math.max(1, Math.round(targetBatchNs / perOpNs));
  const runs: Run[] = [];
  for (let r = 0; r < timing.runs; r++) {
    let done = 0;
    let elapsed = 0;
    const start = nowNs();
    do {
      sink = (sink + (await batch(ops))) | 0;
      done += ops;
      elapsed = Number(nowNs() - start);
    } while (elapsed < timing.runMs * 1e6);
    runs.push({ ns: elapsed, ops: done });
  }
  return runs;
}

/** `inFlight` loops each keep one call pending; after the warm-up, each window counts the calls completed in it. */
async function pipelined(call: () => Promise<unknown>, inFlight: number, timing: Timing): Promise<Run[]> {
  let completed = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      await call();
      completed++;
    }
  };
  const loops = Array.from({ length: inFlight }, loop);
  await sleep(timing.warmupMs);
  const runs: Run[] = [];
  for (let r = 0; r < timing.runs; r++) {
    const c0 = completed;
    const t0 = nowNs();
    await sleep(timing.runMs);
    runs.push({ ns: Number(nowNs() - t0), ops: completed - c0 });
  }
  running = false;
  await Promise.all(loops);
  return runs;
}

/** `promise`, or a rejection with `message` after `ms` (a pending promise alone would end node with status 13). */
async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------------------- main

async function main(argv: readonly string[]): Promise<object> {
  const [system, tasksPath, peerUrl, ...numbers] = argv;
  const [warmupMs, runMs, runs, inFlight, spinNs] = numbers.map(Number) as [number, number, number, number, number];
  const timing: Timing = { warmupMs, runMs, runs };
  const tasks = (await import(pathToFileURL(tasksPath!).href)) as Tasks;

  if (system === "inline") {
    const { noop, spin } = tasks;
    return {
      threads: 0,
      cases: {
        inline_noop: await measure(async (ops) => {
          let calls = 0;
          for (let i = 0; i < ops; i++) if (noop() === undefined) calls++;
          return calls;
        }, timing),
        inline_spin: await measure(async (ops) => {
          let polls = 0;
          for (let i = 0; i < ops; i++) polls += spin(spinNs);
          return polls;
        }, timing),
      },
    };
  }

  let calls: DirtyCalls | string;
  if (system === "otter-spinning") calls = await otterCalls("medium", "medium", tasksPath!);
  else if (system === "otter-parked") calls = await otterCalls("none", "medium", tasksPath!);
  else if (system === "otter-all-parked") calls = await otterCalls("none", "none", tasksPath!);
  else if (system === "piscina" || system === "tinypool") calls = await peerCalls(system, peerUrl!, tasksPath!);
  else throw new Error(`unknown system ${system}`);
  if (typeof calls === "string") return { unavailable: calls };

  const pool = calls;
  const roundtrip = await measure(async (ops) => {
    for (let i = 0; i < ops; i++) await pool.noop();
    return ops;
  }, timing);
  const pipelinedRuns = await pipelined(() => pool.noop(), inFlight, timing);
  const dirtySpin = await measure(async (ops) => {
    let polls = 0;
    for (let i = 0; i < ops; i++) polls += await pool.spin(spinNs);
    return polls;
  }, timing);
  await withDeadline(pool.stop(), 10_000, `${system}: stop() did not settle within 10 s`);
  return { threads: pool.threads, cases: { roundtrip, pipelined: pipelinedRuns, dirty_spin: dirtySpin } };
}

const result = await main(process.argv.slice(2));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
