// Dirty pools benchmark (issue 7): what handing a call to a worker thread costs — a no-op round trip one call at a
// time, no-op calls pipelined 1,000 in flight, and the overhead on a 10 µs busy-wait task — for Otter's dirty
// pools spinning and parked, piscina, tinypool, and BEAM's dirty CPU schedulers with and without busy-waiting
// (shared/bench-beam/dirtynif.erl's experiment 5), all in one invocation. Goals: round trip ≤ 2 µs spinning and
// ≤ 30 µs parked, pipelined ≥ 1,000,000 calls/s, overhead on a 10 µs task ≤ 10 %.
//
// Each system runs in its own OS process, alone: a child `node` (bench/dirty/child.ts) for Otter, the npm peers
// and the inline baseline, an `erl -noshell` (bench/beam/dirty_bench.erl, with the NIF bench/beam/c_src/
// dirty_nif.c built by gcc into a temporary directory) per BEAM configuration. Every pool has one worker; BEAM
// keeps its default dirty CPU schedulers (one per core). Figures are medians of timed runs after a warm-up.
//
// `--json` cases: roundtrip, pipelined, task10us (Otter spinning, BEAM busy-waiting, piscina, tinypool) and the
// same with `_parked` (Otter with busyWait "none": its workers park, its main thread spins for answers as its
// scheduler does; BEAM with `+sbwt none +sbwtdcpu none +sbwtdio none`) and `_all_parked` (Otter with
// mainBusyWait "none" too: the main thread waits for answers with the event loop).
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDirtyNif } from "./dirty/beam-nif.ts";
import { prepareChild } from "./lib/child.ts";
import { compileErl, describeBeam, runErlBench } from "./lib/erl.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";
import { fmtSpread, type Spread, spread } from "./lib/samples.ts";
import { fmt, formatTable } from "./lib/table.ts";

export const description =
  "dirty pools: no-op round trip, 1,000 pipelined calls, overhead on a 10 µs task — Otter vs piscina, tinypool, BEAM dirty NIFs";

const IN_FLIGHT = 1000;
const SPIN_NS = 10_000;
const FULL = { warmupMs: 500, runMs: 400, runs: 7 };
const QUICK = { warmupMs: 100, runMs: 60, runs: 3 };

/** The goals, for Otter. */
const GOALS = { roundtripUs: 2, parkedRoundtripUs: 30, pipelinedPerSec: 1_000_000, overheadPct: 10 };

type CaseName = "inline_noop" | "roundtrip" | "pipelined" | "inline_spin" | "dirty_spin";
type Cases = Partial<Record<CaseName, { ns: number; ops: number }[]>>;

type SystemId =
  | "otter-spinning"
  | "otter-parked"
  | "otter-all-parked"
  | "beam"
  | "beam-parked"
  | "piscina"
  | "tinypool"
  | "inline";

interface System {
  id: SystemId;
  /** `system` in the --json records. */
  name: string;
  /** Its line in the table. */
  label: string;
  parked: boolean;
}

const SYSTEMS: readonly System[] = [
  { id: "otter-spinning", name: "otter", label: 'otter, busyWait "medium" (spins)', parked: false },
  { id: "otter-parked", name: "otter", label: 'otter, busyWait "none" (workers park)', parked: true },
  {
    id: "otter-all-parked",
    name: "otter",
    label: 'otter, busyWait and mainBusyWait "none"',
    parked: true,
  },
  { id: "beam", name: "beam", label: "beam dirty CPU NIF, default busy-wait", parked: false },
  { id: "beam-parked", name: "beam", label: "beam dirty CPU NIF, +sbwt(dcpu,dio) none", parked: true },
  { id: "piscina", name: "piscina", label: "piscina (Atomics.wait + MessagePort)", parked: false },
  { id: "tinypool", name: "tinypool", label: "tinypool (Atomics.wait + MessagePort)", parked: false },
];

const BEAM_FLAGS: Record<"beam" | "beam-parked", readonly string[]> = {
  beam: [],
  "beam-parked": ["+sbwt", "none", "+sbwtdcpu", "none", "+sbwtdio", "none"],
};

interface Measured {
  /** Worker threads (BEAM: dirty CPU schedulers online). */
  threads: number;
  cases: Cases;
}

/** A system's figures; the inline ones are its own baseline (BEAM: plain NIFs in the same erl; Node: main thread). */
interface Figures {
  threads: number;
  roundtripUs?: Spread;
  pipelinedPerSec?: Spread;
  taskUs?: Spread;
  inlineNoopUs?: Spread;
  inlineTaskUs?: Spread;
  overheadPct?: number;
}

const beamSources = ["bench_lib.erl", "dirty_nif.erl", "dirty_bench.erl"].map((f) =>
  fileURLToPath(new URL(`./beam/${f}`, import.meta.url)),
);
const TASKS = fileURLToPath(new URL("./dirty/tasks.mjs", import.meta.url));

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const timing = ctx.quick ? QUICK : FULL;
  const anomalies: string[] = [];
  const notes: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`dirty: *** ${text}`);
  };
  const loads = [loadavg()[0]!];
  if (loads[0]! > 0.75) loud(`machine busy: 1-minute load average ${loads[0]!.toFixed(2)} at start`);

  const measured = new Map<SystemId, Measured>();
  let beamInfo = "BEAM unavailable";
  const buildDir = await mkdtemp(join(tmpdir(), "otter-bench-dirty-"));
  const child = await prepareChild(new URL("./dirty/child.ts", import.meta.url));
  try {
    ctx.progress("dirty: building the BEAM NIF");
    const library = await buildDirtyNif(buildDir, ctx.progress);
    await compileErl(beamSources, buildDir);
    const numbers = [timing.warmupMs, timing.runMs, timing.runs, IN_FLIGHT, SPIN_NS].map(String);
    const timeoutMs = 60_000 + 5 * (timing.warmupMs + timing.runs * timing.runMs) * 3;
    for (const id of ["beam", "beam-parked"] as const) {
      ctx.progress(`dirty: ${id}`);
      try {
        const out = await runErlBench({
          sources: beamSources,
          ebin: buildDir,
          module: "dirty_bench",
          flags: BEAM_FLAGS[id],
          args: [library, ...numbers],
          timeoutMs,
        });
        beamInfo = describeBeam(out.info);
        measured.set(id, fromErl(out.lines));
      } catch (err) {
        loud(`${id} failed: ${(err as Error).message}`);
      }
      loads.push(loadavg()[0]!);
    }
    const peers: Record<string, string> = {
      piscina: import.meta.resolve("piscina"),
      tinypool: import.meta.resolve("tinypool"),
    };
    for (const id of ["inline", "otter-spinning", "otter-parked", "otter-all-parked", "piscina", "tinypool"] as const) {
      ctx.progress(`dirty: ${id}`);
      try {
        const out = await child.run<Measured | { unavailable: string }>([id, TASKS, peers[id] ?? "-", ...numbers], {
          timeoutMs,
        });
        if ("unavailable" in out.result) notes.push(`${id}: not measured: ${out.result.unavailable}`);
        else measured.set(id, out.result);
      } catch (err) {
        loud(`${id} failed: ${(err as Error).message}`);
      }
      loads.push(loadavg()[0]!);
    }
  } finally {
    await child.dispose();
    await rm(buildDir, { recursive: true, force: true });
  }

  const figures = new Map<SystemId, Figures>();
  const nodeInline = measured.get("inline");
  for (const sys of SYSTEMS) {
    const m = measured.get(sys.id);
    const f = toFigures(m, sys.name === "beam" ? m : nodeInline);
    if (f !== undefined) figures.set(sys.id, f);
  }

  const cpu = cpus();
  ctx.print(
    [
      `dirty benchmark (${ctx.quick ? "--quick" : "full"}): per case a ${timing.warmupMs} ms warm-up, then ` +
        `${timing.runs} timed runs of ≥ ${timing.runMs} ms; median run (fastest–slowest)`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${beamInfo}, ` +
        `1-minute load average ${loads[0]!.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most`,
      "each system runs alone in its own OS process; Node pools have 1 worker thread, BEAM its default dirty CPU",
      "schedulers. round trip: await a no-op call, then the next. pipelined: 1,000 loops each awaiting one no-op",
      "call after another (BEAM: 1,000 processes). 10 µs task: the same one at a time, the call busy-waiting 10 µs;",
      "overhead = (its time − the same function's time inline) ÷ inline (BEAM: dirty_cpu_spin vs plain_spin NIF).",
      `BEAM parked: erl ${BEAM_FLAGS["beam-parked"].join(" ")} (shared/bench-beam/run_exp5.sh's no_busywait).`,
    ].join("\n"),
  );
  const rows = SYSTEMS.map((sys) => {
    const f = figures.get(sys.id);
    return [
      sys.label,
      f === undefined ? "–" : String(f.threads),
      fmtSpread(f?.roundtripUs),
      fmtSpread(f?.pipelinedPerSec),
      fmtSpread(f?.taskUs),
      f?.overheadPct === undefined ? "–" : `${fmt(f.overheadPct)} %`,
    ];
  });
  const inline = (label: string, f: Figures | undefined): string[] => [
    label,
    "",
    fmtSpread(f?.inlineNoopUs),
    "",
    fmtSpread(f?.inlineTaskUs),
    "",
  ];
  rows.push(inline("inline: node main thread", toFigures(nodeInline, nodeInline)));
  rows.push(inline("inline: beam plain NIF", figures.get("beam")));
  ctx.print("");
  ctx.print(
    formatTable(["system", "threads", "round trip µs", "pipelined calls/s", "10 µs task µs", "overhead"], rows, [
      "left",
      "right",
      "right",
      "right",
      "right",
      "right",
    ]),
  );
  for (const note of notes) ctx.print(note);

  const verdicts = goals(figures);
  const passed = verdicts.filter((v) => v.startsWith("PASS")).length;
  ctx.print(
    `\n## goals (issue 7): ${passed}/${verdicts.length} pass${ctx.quick ? " (quick sizes: informational)" : ""}`,
  );
  for (const v of verdicts) ctx.print(v);
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return toResults(figures);
}

/** The `beam dirty` and `beam run` lines of one erl. */
function fromErl(lines: readonly { kind: string; fields: Record<string, string> }[]): Measured {
  const cases: Cases = {};
  for (const line of lines) {
    if (line.kind !== "run") continue;
    const name = line.fields.case as CaseName;
    const runs = cases[name] ?? [];
    runs.push({ ns: Number(line.fields.ns), ops: Number(line.fields.ops) });
    cases[name] = runs;
  }
  const threads = Number(lines.find((l) => l.kind === "dirty")?.fields.dirty_cpu ?? Number.NaN);
  return { threads, cases };
}

function toFigures(m: Measured | undefined, inline: Measured | undefined): Figures | undefined {
  if (m === undefined) return undefined;
  const usPerCall = (name: CaseName, from: Measured | undefined): Spread | undefined =>
    spread((from?.cases[name] ?? []).filter(valid).map((r) => r.ns / 1e3 / r.ops));
  const taskUs = usPerCall("dirty_spin", m);
  const inlineTaskUs = usPerCall("inline_spin", inline);
  return {
    threads: m.threads,
    roundtripUs: usPerCall("roundtrip", m),
    pipelinedPerSec: spread((m.cases.pipelined ?? []).filter(valid).map((r) => r.ops / (r.ns / 1e9))),
    taskUs,
    inlineNoopUs: usPerCall("inline_noop", inline),
    inlineTaskUs,
    overheadPct:
      taskUs && inlineTaskUs ? ((taskUs.median - inlineTaskUs.median) / inlineTaskUs.median) * 100 : undefined,
  };
}

function valid(r: { ns: number; ops: number }): boolean {
  return Number.isFinite(r.ns) && r.ns > 0 && Number.isFinite(r.ops) && r.ops > 0;
}

/** The issue's goals for Otter, each as `PASS|FAIL|SKIP  what  figures (the others' figures)`. */
function goals(figures: Map<SystemId, Figures>): string[] {
  const spinning = figures.get("otter-spinning");
  const parked = figures.get("otter-parked");
  const others = (pick: (f: Figures) => string | undefined, ids: readonly SystemId[]): string =>
    ids
      .map((id) => {
        const f = figures.get(id);
        const shown = f === undefined ? undefined : pick(f);
        return `${id} ${shown ?? "–"}`;
      })
      .join(", ");
  const peers = ["beam", "piscina", "tinypool"] as const;
  const us = (s: Spread | undefined): string | undefined => (s === undefined ? undefined : `${fmt(s.median)} µs`);
  const perSec = (s: Spread | undefined): string | undefined => (s === undefined ? undefined : `${fmt(s.median)}/s`);
  const pct = (p: number | undefined): string | undefined => (p === undefined ? undefined : `${fmt(p)} %`);
  const verdict = (what: string, value: number | undefined, ok: (v: number) => boolean, detail: string): string => {
    const head = value === undefined ? "SKIP" : ok(value) ? "PASS" : "FAIL";
    return `${head}  ${what.padEnd(44)}  otter ${value === undefined ? "–" : detail}`;
  };
  const rt = spinning?.roundtripUs?.median;
  const parkedRt = parked?.roundtripUs?.median;
  const pipe = spinning?.pipelinedPerSec?.median;
  const overhead = spinning?.overheadPct;
  return [
    verdict(
      `round trip, spinning ≤ ${GOALS.roundtripUs} µs`,
      rt,
      (v) => v <= GOALS.roundtripUs,
      `${us(spinning?.roundtripUs)} (${others((f) => us(f.roundtripUs), peers)})`,
    ),
    verdict(
      `round trip, parked ≤ ${GOALS.parkedRoundtripUs} µs`,
      parkedRt,
      (v) => v <= GOALS.parkedRoundtripUs,
      `${us(parked?.roundtripUs)} (${others((f) => us(f.roundtripUs), ["beam-parked", "piscina", "tinypool"])})`,
    ),
    verdict(
      `pipelined ≥ ${fmt(GOALS.pipelinedPerSec)} calls/s`,
      pipe,
      (v) => v >= GOALS.pipelinedPerSec,
      `${perSec(spinning?.pipelinedPerSec)} (${others((f) => perSec(f.pipelinedPerSec), peers)})`,
    ),
    verdict(
      `overhead on a 10 µs task ≤ ${GOALS.overheadPct} %`,
      overhead,
      (v) => v <= GOALS.overheadPct,
      `${pct(overhead)} (${others((f) => pct(f.overheadPct), peers)})`,
    ),
  ];
}

/** `--json` records: per case, each system's median figures (see the header for the case names). */
function toResults(figures: Map<SystemId, Figures>): BenchResult[] {
  const results: BenchResult[] = [];
  const add = (caseName: string, system: string, metric: string, unit: string, value: number | undefined): void => {
    if (value !== undefined && Number.isFinite(value) && value > 0) {
      results.push({ case: caseName, system, metric, unit, value });
    }
  };
  for (const sys of SYSTEMS) {
    const f = figures.get(sys.id);
    if (f === undefined) continue;
    const suffix = sys.id === "otter-all-parked" ? "_all_parked" : sys.parked ? "_parked" : "";
    add(`roundtrip${suffix}`, sys.name, "call_time", "us", f.roundtripUs?.median);
    add(`pipelined${suffix}`, sys.name, "calls_per_s", "calls/s", f.pipelinedPerSec?.median);
    add(`task10us${suffix}`, sys.name, "call_time", "us", f.taskUs?.median);
    add(`task10us${suffix}`, sys.name, "overhead", "%", f.overheadPct);
    add(`task10us${suffix}`, sys.name, "inline_call_time", "us", f.inlineTaskUs?.median);
  }
  return results;
}
