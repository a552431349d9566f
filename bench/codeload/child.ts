// One module load of `npm run bench -- codeload`, alone in a fresh `node` (bench/lib/child.ts): a generated module
// loaded by Otter's code server or by Node's own import() while a ticker process and the event loop are watched.
// Imports only node: modules and the compiled package; the code server's module comes as a URL in argv:
//
//   node scenario.mjs LOADER NAME PATH CHECK CODE_URL WARMUP_NAME WARMUP_PATH SETTLE_MS BASELINE_MS TAIL_MS
//   LOADER: otter | node | floor    CHECK: funs:N | lit:N (what the loaded module must answer) | spin:MS
//   (floor loads nothing: its "load" is a worker thread at nice 19 spinning MS ms, its warm-up one spinning 1 ms)
//   CODE_URL: dist/code/index.js (for otter), or -
//
// The loader first loads the one-function module WARMUP_PATH, untimed, so that the measured load finds it started
// (Otter's preparing worker, Node's ESM loader), as BEAM's code server is. A Runtime runs a ticker process (receive with a 1 ms timeout in a loop, recording the gap between wake-ups);
// a setImmediate chain records every gap over 0.1 ms between event-loop turns (it spins the main thread as BEAM's
// busy process spins a scheduler); monitorEventLoopDelay samples at 1 ms. After SETTLE_MS come BASELINE_MS of
// baseline, then the load, timed from the loader's call to its promise settling, then TAIL_MS more, so a stall that
// ends after the load is seen. A gap counts for the load if it overlaps it (bench/beam/codeload_bench.erl does
// the same on the BEAM).
// Prints one JSON line: Watched (below), or { unavailable: why } when dist/ has no code server.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { atom, type Process, Runtime } from "../../dist/index.js";

/** What one load showed; times in ms. */
export interface Watched {
  loadMs: number;
  /** The warm-up module's load. */
  warmupMs: number;
  /** Largest gaps overlapping the load: the ticker's, and between event-loop turns. */
  tickerMs: number;
  turnMs: number;
  /** monitorEventLoopDelay's largest delay from the load's start to the end of the tail. */
  delayMs: number;
  /** The same during the baseline, and the ticker's median baseline gap. */
  tickerBaseMedianMs: number;
  tickerBaseMaxMs: number;
  turnBaseMs: number;
  delayBaseMs: number;
  /** Whether the loaded module was checked to answer as generated. */
  checked: boolean;
}

/** Loads module `name` from `path`; resolves with whatever the loader gives back. */
type Loader = (name: string, path: string) => Promise<unknown>;

/** The part of Otter's code server (src/code/) this benchmark uses. */
interface CodeServer {
  load(name: string, options: { path: string }): Promise<unknown>;
  isLoaded(name: string): unknown;
}

/** A gap between two events that are expected back to back: when it ended and how long it was, in ms. */
interface Gap {
  end: number;
  ms: number;
}

const TURN_GAP_MS = 0.1;
const STOP = atom("stop");

/** Records the gap between consecutive event-loop turns, spinning the loop with setImmediate until stopped. */
function watchTurns(): { stop(): Gap[] } {
  const gaps: Gap[] = [];
  let running = true;
  let last = performance.now();
  const turn = (): void => {
    const now = performance.now();
    if (now - last > TURN_GAP_MS) gaps.push({ end: now, ms: now - last });
    last = now;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop: () => {
      running = false;
      return gaps;
    },
  };
}

/** A process that waits 1 ms for a message in a loop, recording every gap between wake-ups, until sent `stop`. */
function startTicker(rt: Runtime): { stop(): Promise<Gap[]> } {
  let finished!: (gaps: Gap[]) => void;
  const done = new Promise<Gap[]>((resolve) => {
    finished = resolve;
  });
  const pid = rt.spawn(async (self: Process) => {
    const gaps: Gap[] = [];
    let last = performance.now();
    for (;;) {
      const message = await self.receive(undefined, { timeout: 1 });
      const now = performance.now();
      gaps.push({ end: now, ms: now - last });
      last = now;
      if (message === STOP) return finished(gaps);
    }
  });
  return {
    stop: () => {
      rt.send(pid, STOP);
      return done;
    },
  };
}

/** A way to load modules, and to confirm afterwards that one loaded as generated. */
interface Loading {
  load: Loader;
  confirm(loaded: unknown): Promise<boolean>;
}

/** Otter's code server from `codeUrl`, or why it cannot be used; a load is confirmed by `code.isLoaded`. */
async function otterLoading(rt: Runtime, codeUrl: string, name: string): Promise<Loading | string> {
  if (codeUrl === "-") return "dist/code/index.js does not exist";
  const exports = (await import(codeUrl)) as { startCodeServer?: (rt: Runtime) => CodeServer };
  if (typeof exports.startCodeServer !== "function") return "dist/code/index.js does not export startCodeServer";
  const code = exports.startCodeServer(rt);
  return {
    load: (moduleName, path) => code.load(moduleName, { path }),
    confirm: async () => Boolean(await code.isLoaded(name)),
  };
}

/** Node's import(); a load is confirmed by calling the module's functions. */
function nodeLoading(kind: string, size: number): Loading {
  return {
    load: (_name, path) => import(pathToFileURL(path).href),
    confirm: async (loaded) => answers(loaded as Record<string, (x?: unknown) => unknown>, kind, size),
  };
}

/** No module: a worker thread at nice 19 (as Otter's preparing workers) spins `ms` ms, 1 ms for the warm-up. */
function floorLoading(warmupName: string, ms: number): Loading {
  const spin = `
    const { readlinkSync } = require("node:fs");
    const { setPriority } = require("node:os");
    const { workerData } = require("node:worker_threads");
    try { setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 19); } catch {}
    const end = performance.now() + workerData;
    while (performance.now() < end);`;
  return {
    load: (name) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(spin, { eval: true, workerData: name === warmupName ? 1 : ms });
        worker.on("error", reject);
        worker.on("exit", resolve);
      }),
    confirm: async () => true,
  };
}

/** Whether `module` (an import() namespace) answers as bench/codeload/generate.ts made it. */
function answers(module: Record<string, (x?: unknown) => unknown>, kind: string, size: number): boolean {
  if (kind === "lit") return module.size?.() === size;
  const first = module.f0?.(1) as [number, number, [number, number, string]] | undefined;
  return first?.[2][2] === "f0" && typeof module[`f${size - 1}`] === "function";
}

function largest(gaps: readonly Gap[], from: number, to: number): number {
  let max = 0;
  for (const g of gaps) if (g.end >= from && g.end - g.ms <= to && g.ms > max) max = g.ms;
  return max;
}

/** Gaps that lie wholly within [from, to], sorted by length. */
function within(gaps: readonly Gap[], from: number, to: number): number[] {
  return gaps
    .filter((g) => g.end - g.ms >= from && g.end <= to)
    .map((g) => g.ms)
    .sort((a, b) => a - b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(argv: readonly string[]): Promise<Watched | { unavailable: string }> {
  const [loaderName, name, path, check, codeUrl, warmupName, warmupPath, ...numbers] = argv as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const [settleMs, baselineMs, tailMs] = numbers.map(Number) as [number, number, number];
  const [kind, size] = check.split(":") as [string, string];
  const rt = new Runtime({ logger: () => {} });
  let loading: Loading | string;
  if (loaderName === "otter") loading = await otterLoading(rt, codeUrl, name);
  else if (loaderName === "node") loading = nodeLoading(kind, Number(size));
  else if (loaderName === "floor") loading = floorLoading(warmupName, Number(size));
  else throw new Error(`unknown loader ${loaderName}`);
  if (typeof loading === "string") {
    rt.shutdown();
    return { unavailable: loading };
  }

  const w0 = performance.now();
  await loading.load(warmupName, warmupPath);
  const warmupMs = performance.now() - w0;
  const ticker = startTicker(rt);
  const turns = watchTurns();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await sleep(settleMs);
  delay.reset();
  const b0 = performance.now();
  await sleep(baselineMs);
  const b1 = performance.now();
  const delayBaseMs = delay.max / 1e6;
  delay.reset();
  const t0 = performance.now();
  const loaded = await loading.load(name, path);
  const t1 = performance.now();
  await sleep(tailMs);
  delay.disable();
  const turnGaps = turns.stop();
  const tickerGaps = await ticker.stop();
  const checked = await loading.confirm(loaded).catch(() => false);
  rt.shutdown();

  const tickerBase = within(tickerGaps, b0, b1);
  return {
    loadMs: t1 - t0,
    warmupMs,
    tickerMs: largest(tickerGaps, t0, t1),
    turnMs: largest(turnGaps, t0, t1),
    delayMs: delay.max / 1e6,
    tickerBaseMedianMs: tickerBase[tickerBase.length >> 1] ?? 0,
    tickerBaseMaxMs: tickerBase.at(-1) ?? 0,
    turnBaseMs: within(turnGaps, b0, b1).at(-1) ?? 0,
    delayBaseMs,
    checked,
  };
}

const result = await main(process.argv.slice(2));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
