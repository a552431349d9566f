// Hot code loading benchmark (issue 8): how long loading a large module takes and how long everything else stalls
// meanwhile, for Otter's code server, Node's own import() and BEAM's code:load_binary/3 (shared/bench-beam/
// codeload.erl's experiment 4), all in one invocation. Goals: the largest pause ≤ 2 ms for each module, the total
// load time no longer than BEAM's.
//
// Modules (bench/codeload/generate.ts, cached by bench/codeload/modules.ts): bigfun5k and bigfun20k, 5,000 and
// 20,000 exported functions with small bodies; biglit200k, one function returning a literal list of 200,000 tuples
// {Int, Binary, String, Float}. Otter loads it as a JavaScript module importing the list as an .etf file written by
// erl's term_to_binary(L, [compressed]); Node's import() cannot read ETF, so its copy imports the list as JSON.
// `--quick` uses 500 and 2,000 functions and 20,000 elements, with the same case names.
//
// Every load is into a fresh OS process: a child `node` (bench/codeload/child.ts) or an `erl -noshell`
// (bench/beam/codeload_bench.erl). Each watches itself through the load: a ticker process waking every 1 ms, and a
// spinning observer (a busy BEAM process; a setImmediate chain on the Node main thread) recording every gap over
// 0.1 ms between its steps. The largest pause is the larger of the observer's largest gap and the ticker's largest
// gap beyond its median gap in the baseline before the load. The total load is from the call (code:load_binary/3
// of the file read beforehand; Otter's `code.load(name, { path })`, which reads it; `import()`) to its return.
// BEAM runs with its default schedulers (one per core), where the pause depends on which scheduler the loading
// process shares, and with `+S 1`, a single scheduler like Node's one main thread.
//
// A third Node row, node-floor, loads nothing: a worker thread at nice 19 spins FLOOR_SPIN_MS while the same observers
// watch, to show the gaps the machine itself gives a spinning main thread while another thread is busy.
//
// `--json` cases: bigfun5k, bigfun20k, biglit200k; systems otter, node (import()), node-floor, beam; metrics pause,
// load_time, ticker_excess, module_size, then loop_turn_gap, event_loop_delay, warmup_load_time (of a one-function
// module loaded first, untimed, so the loader is started as BEAM's code server is), pause_vs_beam, load_vs_beam
// (Otter, Node) or busy_gap (BEAM); BEAM's `+S 1` figures carry the suffix `_S1`. All in ms but the ratios (×) and
// sizes (bytes).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Watched } from "./codeload/child.ts";
import { type CaseSpec, WARMUP_MODULE } from "./codeload/generate.ts";
import { type CaseFiles, prepareCase } from "./codeload/modules.ts";
import { prepareChild } from "./lib/child.ts";
import { compileErl, describeBeam, type ErlLine, runErlBench } from "./lib/erl.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";
import { fmtSpread, type Spread, spread } from "./lib/samples.ts";
import { fmt, fmtRatio, formatTable } from "./lib/table.ts";

export const description =
  "hot code loading: largest pause and total load time for 5k/20k-function and 200k-literal modules — Otter's code server vs node import() vs BEAM";

const FULL_CASES: readonly CaseSpec[] = [
  { name: "bigfun5k", kind: "funs", size: 5000 },
  { name: "bigfun20k", kind: "funs", size: 20_000 },
  { name: "biglit200k", kind: "lit", size: 200_000 },
];
const QUICK_CASES: readonly CaseSpec[] = [
  { name: "bigfun5k", kind: "funs", size: 500 },
  { name: "bigfun20k", kind: "funs", size: 2000 },
  { name: "biglit200k", kind: "lit", size: 20_000 },
];
const FULL = { runs: 3, settleMs: 100, baselineMs: 500, tailMs: 200 };
const QUICK = { runs: 1, settleMs: 50, baselineMs: 200, tailMs: 100 };
/**
 * The `floor` system's "load": a worker thread at nice 19 (as Otter's preparing workers run) spinning this long while
 * nothing is loaded, to show the pauses the machine itself gives a spinning main thread while another thread is busy
 * (on a 2-vCPU virtual machine: the host's scheduling of the second vCPU).
 */
const FLOOR_SPIN_MS = 300;
/** The issue's goal for Otter's largest pause, per module. */
const GOAL_PAUSE_MS = 2;

type SystemId = "otter" | "node" | "floor" | "beam" | "beam-s1";

interface System {
  id: SystemId;
  /** `system` in the --json records. */
  name: string;
  /** Suffix of its --json metrics. */
  suffix: string;
  label(spec: CaseSpec): string;
}

const SYSTEMS: readonly System[] = [
  { id: "otter", name: "otter", suffix: "", label: () => "otter code.load" },
  {
    id: "node",
    name: "node",
    suffix: "",
    label: (spec) => (spec.kind === "lit" ? "node import() (data as JSON)" : "node import()"),
  },
  {
    id: "floor",
    name: "node-floor",
    suffix: "",
    label: () => `node, nothing loaded, a worker spinning ${FLOOR_SPIN_MS} ms`,
  },
  { id: "beam", name: "beam", suffix: "", label: () => "beam code:load_binary" },
  { id: "beam-s1", name: "beam", suffix: "_S1", label: () => "beam code:load_binary, +S 1" },
];

/** One load, in ms. */
interface Load {
  loadMs: number;
  /** The larger of `gapMs` and `tickerExcessMs`. */
  pauseMs: number;
  /** The ticker's largest gap during the load minus its median gap in the baseline. */
  tickerExcessMs: number;
  /** The spinning observer's largest gap during the load (Node: between event-loop turns; BEAM: the busy process). */
  gapMs: number;
  /** monitorEventLoopDelay's largest delay during the load and the tail (Otter and Node). */
  delayMs?: number;
  /** The untimed load of a one-function module before it (Otter and Node). */
  warmupMs?: number;
  /** What the baseline before the load showed. */
  base: { tickerMedianMs: number; tickerMaxMs: number; gapMs: number; delayMs?: number };
  /** Whether the loaded module was confirmed (Otter and Node; BEAM's side fails the run otherwise). */
  confirmed: boolean;
}

/** One system's loads of one case, or why there are none. */
interface Outcome {
  loads: Load[];
  missing?: string;
}

const beamSources = ["bench_lib.erl", "codeload_bench.erl"].map((f) =>
  fileURLToPath(new URL(`./beam/${f}`, import.meta.url)),
);
const CODE_SERVER = fileURLToPath(new URL("../dist/code/index.js", import.meta.url));

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const timing = ctx.quick ? QUICK : FULL;
  const cases = ctx.quick ? QUICK_CASES : FULL_CASES;
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`codeload: *** ${text}`);
  };
  const loads = [loadavg()[0]!];
  if (loads[0]! > 0.75) loud(`machine busy: 1-minute load average ${loads[0]!.toFixed(2)} at start`);

  const codeUrl = existsSync(CODE_SERVER) ? pathToFileURL(CODE_SERVER).href : "-";
  const otterMissing = codeUrl === "-" ? "not available (src/code/index.ts does not exist yet)" : undefined;
  const outcomes = new Map<string, Map<SystemId, Outcome>>();
  const files = new Map<string, CaseFiles>();
  let beamInfo = "BEAM unavailable";
  const buildDir = await mkdtemp(join(tmpdir(), "otter-bench-codeload-"));
  const child = await prepareChild(new URL("./codeload/child.ts", import.meta.url));
  try {
    await compileErl(beamSources, buildDir);
    const erl = (args: readonly string[], flags: readonly string[] = []) =>
      runErlBench({ sources: beamSources, ebin: buildDir, module: "codeload_bench", flags, args, timeoutMs: 120_000 });
    const writeEtf = async (beam: string, etf: string): Promise<void> => {
      ctx.progress("codeload: writing the literal table's .etf with erl");
      await erl(["etf", beam, etf]);
    };
    const timingArgs = [timing.settleMs, timing.baselineMs, timing.tailMs].map(String);
    for (const spec of cases) {
      const prepared = await prepareCase(spec, { writeEtf, progress: ctx.progress });
      files.set(spec.name, prepared);
      const bySystem = new Map<SystemId, Outcome>(SYSTEMS.map((s) => [s.id, { loads: [] }]));
      outcomes.set(spec.name, bySystem);
      if (otterMissing !== undefined) bySystem.get("otter")!.missing = otterMissing;
      for (let r = 1; r <= timing.runs; r++) {
        for (const sys of SYSTEMS) {
          const outcome = bySystem.get(sys.id)!;
          if (outcome.missing !== undefined) continue;
          ctx.progress(`codeload: ${spec.name} ${sys.id} run ${r}/${timing.runs}`);
          try {
            if (sys.id === "beam" || sys.id === "beam-s1") {
              const out = await erl(["load", prepared.beam, ...timingArgs], sys.id === "beam-s1" ? ["+S", "1"] : []);
              if (sys.id === "beam") beamInfo = describeBeam(out.info);
              outcome.loads.push(fromErl(out.lines));
            } else {
              const entry = sys.id === "otter" ? prepared.otterEntry : prepared.nodeEntry;
              const check = sys.id === "floor" ? `spin:${FLOOR_SPIN_MS}` : `${spec.kind}:${spec.size}`;
              const code = sys.id === "otter" ? codeUrl : "-";
              const warmup = [WARMUP_MODULE.name, prepared.warmup];
              const args = [sys.id, spec.name, entry, check, code, ...warmup, ...timingArgs];
              const out = await child.run<Watched | { unavailable: string }>(args, { timeoutMs: 120_000 });
              if ("unavailable" in out.result) outcome.missing = `not available (${out.result.unavailable})`;
              else outcome.loads.push(fromChild(out.result));
            }
          } catch (err) {
            outcome.missing = "failed";
            loud(`${spec.name} ${sys.id} failed: ${firstLines(err)}`);
          }
        }
        loads.push(loadavg()[0]!);
      }
      for (const sys of SYSTEMS) {
        const unconfirmed = bySystem.get(sys.id)!.loads.filter((l) => !l.confirmed).length;
        if (unconfirmed > 0) loud(`${spec.name} ${sys.id}: ${unconfirmed} loads were not confirmed afterwards`);
      }
    }
  } finally {
    await child.dispose();
    await rm(buildDir, { recursive: true, force: true });
  }

  const cpu = cpus();
  ctx.print(
    [
      `codeload benchmark (${ctx.quick ? "--quick" : "full"}): ${timing.runs} load(s) per case and system, each in a ` +
        `fresh OS process; median (fastest–slowest)`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${beamInfo}, ` +
        `1-minute load average ${loads[0]!.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most`,
      "largest pause: the larger of the spinning observer's largest gap (Node: between event-loop turns; BEAM: a busy",
      "process's checkpoints) and the ticker's largest gap beyond its baseline median (a process waking every 1 ms).",
      "total load: the call to its return (BEAM: code:load_binary of the file already read; Otter and Node read it).",
      `event-loop delay: monitorEventLoopDelay's largest delay (1 ms resolution) over the load and ${timing.tailMs} ms after.`,
      "ratios are against beam with default schedulers; `+S 1` gives BEAM one scheduler, like Node's main thread.",
    ].join("\n"),
  );
  ctx.print("\nmodules:");
  for (const spec of cases) {
    const f = files.get(spec.name);
    const what = spec.kind === "funs" ? "exported functions" : "tuples {Int, Binary, String, Float} in a literal list";
    const sizes =
      f === undefined
        ? ""
        : `: .beam ${kb(f.beamBytes)}, Otter's .mjs${spec.kind === "lit" ? " + .etf" : ""} ${kb(f.otterBytes)}, ` +
          `Node's ${spec.kind === "lit" ? ".mjs + .json" : ".mjs"} ${kb(f.nodeBytes)}${f.cached ? " (cached)" : ""}`;
    ctx.print(`  ${spec.name}: ${spec.size.toLocaleString("en-US")} ${what}${sizes}`);
  }

  const rows: string[][] = [];
  for (const spec of cases) {
    const bySystem = outcomes.get(spec.name);
    const beam = summary(bySystem?.get("beam"));
    SYSTEMS.forEach((sys, i) => {
      const outcome = bySystem?.get(sys.id);
      const s = summary(outcome);
      const head = [i === 0 ? spec.name : "", sys.label(spec)];
      if (s === undefined) {
        rows.push([...head, outcome?.missing ?? "–", "", "", "", "", "", ""]);
        return;
      }
      const versus = sys.id === "otter" || sys.id === "node";
      rows.push([
        ...head,
        fmtSpread(s.pauseMs),
        fmtSpread(s.loadMs),
        versus ? fmtRatio(ratio(s.pauseMs, beam?.pauseMs)) : "",
        versus ? fmtRatio(ratio(s.loadMs, beam?.loadMs)) : "",
        fmtSpread(s.tickerExcessMs),
        fmtSpread(s.gapMs),
        fmtSpread(s.delayMs),
      ]);
    });
  }
  ctx.print("");
  ctx.print(
    formatTable(
      [
        "case",
        "system",
        "largest pause ms",
        "total load ms",
        "pause ÷ beam",
        "load ÷ beam",
        "ticker excess ms",
        "turn/busy gap ms",
        "event-loop delay ms",
      ],
      rows,
      ["left", "left", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  ctx.print(`\nbaseline before the loads (all cases, ms):${baselines(outcomes)}`);
  ctx.print(`warm-up before each load, a one-function module (all cases): ${warmups(outcomes)}`);

  const verdicts = goals(cases, outcomes);
  const passed = verdicts.filter((v) => v.startsWith("PASS")).length;
  ctx.print(
    `\n## goals (issue 8): ${passed}/${verdicts.length} pass${ctx.quick ? " (quick sizes: informational)" : ""}`,
  );
  for (const v of verdicts) ctx.print(v);
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return toResults(cases, outcomes, files);
}

/** A failure's first line, and the first line of the output it carries that names an error. */
function firstLines(err: unknown): string {
  const [first = "", ...rest] = (err instanceof Error ? err.message : String(err)).split("\n");
  const cause = rest.find((line) => /\w*Error\b|error:/.test(line));
  return cause === undefined ? first : `${first}: ${cause.trim()}`;
}

function kb(bytes: number): string {
  return bytes >= 1e6 ? `${fmt(bytes / 1e6)} MB` : `${fmt(bytes / 1e3)} KB`;
}

/** The `beam load` line of one erl. */
function fromErl(lines: readonly ErlLine[]): Load {
  const fields = lines.find((l) => l.kind === "load")?.fields;
  if (fields === undefined) throw new Error('erl printed no "beam load" line');
  const num = (key: string): number => Number(fields[key]);
  const tickerExcessMs = num("ticker_ms") - num("ticker_base_median_ms");
  return {
    loadMs: num("load_ms"),
    pauseMs: Math.max(num("busy_ms"), tickerExcessMs, 0),
    tickerExcessMs,
    gapMs: num("busy_ms"),
    base: {
      tickerMedianMs: num("ticker_base_median_ms"),
      tickerMaxMs: num("ticker_base_max_ms"),
      gapMs: num("busy_base_ms"),
    },
    confirmed: true,
  };
}

function fromChild(w: Watched): Load {
  const tickerExcessMs = w.tickerMs - w.tickerBaseMedianMs;
  return {
    loadMs: w.loadMs,
    pauseMs: Math.max(w.turnMs, tickerExcessMs, 0),
    tickerExcessMs,
    gapMs: w.turnMs,
    delayMs: w.delayMs,
    warmupMs: w.warmupMs,
    base: {
      tickerMedianMs: w.tickerBaseMedianMs,
      tickerMaxMs: w.tickerBaseMaxMs,
      gapMs: w.turnBaseMs,
      delayMs: w.delayBaseMs,
    },
    confirmed: w.checked,
  };
}

interface Summary {
  pauseMs: Spread;
  loadMs: Spread;
  tickerExcessMs: Spread;
  gapMs: Spread;
  delayMs: Spread | undefined;
  warmupMs: Spread | undefined;
}

function summary(outcome: Outcome | undefined): Summary | undefined {
  const loads = outcome?.loads ?? [];
  if (loads.length === 0) return undefined;
  const of = (pick: (l: Load) => number): Spread => spread(loads.map(pick))!;
  const delays = loads.flatMap((l) => (l.delayMs === undefined ? [] : [l.delayMs]));
  return {
    pauseMs: of((l) => l.pauseMs),
    loadMs: of((l) => l.loadMs),
    tickerExcessMs: of((l) => l.tickerExcessMs),
    gapMs: of((l) => l.gapMs),
    delayMs: spread(delays),
    warmupMs: spread(loads.flatMap((l) => l.warmupMs ?? [])),
  };
}

function ratio(value: Spread | undefined, beam: Spread | undefined): number | undefined {
  return value === undefined || beam === undefined || beam.median <= 0 ? undefined : value.median / beam.median;
}

/** Per system, over every run: the ticker's median gap, its largest, the observer's largest gap, the loop delay. */
function baselines(outcomes: Map<string, Map<SystemId, Outcome>>): string {
  const parts: string[] = [];
  for (const sys of SYSTEMS) {
    const bases = [...outcomes.values()].flatMap((bySystem) => bySystem.get(sys.id)?.loads ?? []).map((l) => l.base);
    if (bases.length === 0) continue;
    const largest = (pick: (b: Load["base"]) => number | undefined): string => {
      const values = bases.flatMap((b) => pick(b) ?? []);
      return values.length === 0 ? "–" : fmt(Math.max(...values));
    };
    const tickerMedian = spread(bases.map((b) => b.tickerMedianMs))!.median;
    const delay = !sys.id.startsWith("beam") ? `, loop delay ≤ ${largest((b) => b.delayMs)}` : "";
    parts.push(
      `${sys.id}: ticker gap ${fmt(tickerMedian)} median, ≤ ${largest((b) => b.tickerMaxMs)}; ` +
        `${sys.id.startsWith("beam") ? "busy" : "turn"} gap ≤ ${largest((b) => b.gapMs)}${delay}`,
    );
  }
  return parts.length === 0 ? " –" : `\n  ${parts.join("\n  ")}`;
}

/** Per Node-side system, the median time its warm-up load took. */
function warmups(outcomes: Map<string, Map<SystemId, Outcome>>): string {
  const parts: string[] = [];
  for (const id of ["otter", "node"] as const) {
    const all = [...outcomes.values()].flatMap((bySystem) => bySystem.get(id)?.loads ?? []);
    const median = spread(all.flatMap((l) => l.warmupMs ?? []))?.median;
    if (median !== undefined) parts.push(`${id} ${fmt(median)} ms`);
  }
  return parts.length === 0 ? "–" : parts.join(", ");
}

/** The issue's goals for Otter, per case: `PASS|FAIL|SKIP  what  otter figure (the others' figures)`. */
function goals(cases: readonly CaseSpec[], outcomes: Map<string, Map<SystemId, Outcome>>): string[] {
  const verdicts: string[] = [];
  for (const spec of cases) {
    const bySystem = outcomes.get(spec.name);
    const s = (id: SystemId): Summary | undefined => summary(bySystem?.get(id));
    const [otter, node, beam, beamS1] = (["otter", "node", "beam", "beam-s1"] as const).map(s);
    const shown = (v: Spread | undefined): string => (v === undefined ? "–" : `${fmt(v.median)} ms`);
    const verdict = (what: string, value: Spread | undefined, ok: boolean | undefined, others: string): string => {
      const head = value === undefined || ok === undefined ? "SKIP" : ok ? "PASS" : "FAIL";
      return `${head}  ${`${spec.name}: ${what}`.padEnd(38)}  otter ${shown(value)} (${others})`;
    };
    const pause = otter?.pauseMs;
    verdicts.push(
      verdict(
        `largest pause ≤ ${GOAL_PAUSE_MS} ms`,
        pause,
        pause === undefined ? undefined : pause.median <= GOAL_PAUSE_MS,
        `node ${shown(node?.pauseMs)}, beam ${shown(beam?.pauseMs)}, beam +S 1 ${shown(beamS1?.pauseMs)}`,
      ),
    );
    const load = otter?.loadMs;
    verdicts.push(
      verdict(
        "total load ≤ beam's",
        load,
        load === undefined || beam === undefined ? undefined : load.median <= beam.loadMs.median,
        `node ${shown(node?.loadMs)}, beam ${shown(beam?.loadMs)}, beam +S 1 ${shown(beamS1?.loadMs)}`,
      ),
    );
  }
  return verdicts;
}

/** `--json` records (see the header for the names). */
function toResults(
  cases: readonly CaseSpec[],
  outcomes: Map<string, Map<SystemId, Outcome>>,
  files: Map<string, CaseFiles>,
): BenchResult[] {
  const results: BenchResult[] = [];
  for (const spec of cases) {
    const bySystem = outcomes.get(spec.name);
    const f = files.get(spec.name);
    const beam = summary(bySystem?.get("beam"));
    for (const sys of SYSTEMS) {
      const s = summary(bySystem?.get(sys.id));
      if (s === undefined) continue;
      const add = (metric: string, unit: string, value: number | undefined): void => {
        if (value !== undefined && Number.isFinite(value) && value > 0) {
          results.push({ case: spec.name, system: sys.name, metric: `${metric}${sys.suffix}`, unit, value });
        }
      };
      add("pause", "ms", s.pauseMs.median);
      add("load_time", "ms", s.loadMs.median);
      add("ticker_excess", "ms", s.tickerExcessMs.median);
      add(sys.name === "beam" ? "busy_gap" : "loop_turn_gap", "ms", s.gapMs.median);
      add("event_loop_delay", "ms", s.delayMs?.median);
      add("warmup_load_time", "ms", s.warmupMs?.median);
      if (sys.id === "otter" || sys.id === "node") {
        add("pause_vs_beam", "×", ratio(s.pauseMs, beam?.pauseMs));
        add("load_vs_beam", "×", ratio(s.loadMs, beam?.loadMs));
      }
      if (f !== undefined && sys.suffix === "") {
        add("module_size", "bytes", { otter: f.otterBytes, node: f.nodeBytes, beam: f.beamBytes }[sys.name]);
      }
    }
  }
  return results;
}
