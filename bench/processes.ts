// Processes benchmark: N idle processes waiting for a message, then woken (one message each) and finished.
//
// Four systems, each run in its own OS process so the peak RSS is its own: Otter with behaviour processes and
// with async processes (bench/processes/child.ts in a child `node --expose-gc`, importing dist/), and BEAM
// (bench/beam/procs_bench.erl in its own `erl -noshell`) with default flags and with `+hms 1 +L +ec`, both with
// `+P 2000000` as shared/bench-beam/run_exp1.sh runs them. The runs are interleaved, repeated, and summarized
// by their median.
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareChild } from "./lib/child.ts";
import { compileErl, describeBeam, type ErlLine, runErlBench } from "./lib/erl.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";
import { fmtSpread, type Spread, spread } from "./lib/samples.ts";
import { fmt, fmtInt, fmtRatio, formatTable } from "./lib/table.ts";

export const description =
  "1M idle processes (behaviour, async) waiting, woken and finished: spawn time, peak RSS — Otter vs BEAM";

const FULL_N = 1_000_000;
const QUICK_N = 50_000;
const FULL_REPS = 3;
const QUICK_REPS = 1;

const GOAL_BEHAVIOUR_RSS_MIB = 300;
const GOAL_BEHAVIOUR_SPAWN_MS = 1000;
const GOAL_ASYNC_RSS_MIB = 1024;

type SystemId = "otter-behaviour" | "otter-async" | "beam-default" | "beam-tuned";

interface SystemSpec {
  id: SystemId;
  label: string;
  /** The erl flags, for BEAM. */
  flags?: readonly string[];
}

const SYSTEMS: readonly SystemSpec[] = [
  { id: "otter-behaviour", label: "otter behaviour" },
  { id: "otter-async", label: "otter async" },
  { id: "beam-default", label: "beam +P 2000000", flags: ["+P", "2000000"] },
  { id: "beam-tuned", label: "beam +P 2000000 +hms 1 +L +ec", flags: ["+P", "2000000", "+hms", "1", "+L", "+ec"] },
];

/** One run of one system, in the units of the tables. */
interface Sample {
  spawnCallsMs: number;
  spawnMs: number;
  wakeFinishMs: number;
  peakRssMiB: number;
  /** Peak RSS up to the moment every process waits (before the wake-up and before Otter's forced GC). */
  peakIdleMiB: number;
  rssIdleMiB: number;
  /** Otter: JS heap growth per process after a full GC; BEAM: erlang:memory(processes) growth per process. */
  bytesPerProcess: number;
}

/** What bench/processes/child.ts prints. */
interface ProcessesChildResult {
  kind: string;
  n: number;
  spawnCallsMs: number;
  spawnMs: number;
  wakeFinishMs: number;
  alive: number;
  left: number;
  rssIdle: number;
  peakIdleKiB: number;
  heapIdle: number;
  rssIdleAfterGc: number;
  heapBefore: number;
  rssBefore: number;
  bytesPerProcess: number;
  peakRssKiB: number;
}

const beamSources = ["bench_lib.erl", "procs_bench.erl"].map((f) =>
  fileURLToPath(new URL(`./beam/${f}`, import.meta.url)),
);

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const n = ctx.quick ? QUICK_N : FULL_N;
  const reps = ctx.quick ? QUICK_REPS : FULL_REPS;
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`processes: *** ${text}`);
  };
  const load = loadavg()[0]!;
  if (load > 0.75) loud(`machine busy: 1-minute load average ${load.toFixed(2)} at start; figures are unreliable`);

  const child = await prepareChild(new URL("./processes/child.ts", import.meta.url));
  const ebin = await mkdtemp(join(tmpdir(), "otter-bench-procs-"));
  const samples = new Map<SystemId, Sample[]>(SYSTEMS.map((s) => [s.id, []]));
  let beamInfo = "BEAM unavailable";
  const loads: number[] = [load];
  try {
    let beamOk = true; // erlc worked
    try {
      await compileErl(beamSources, ebin);
    } catch (err) {
      beamOk = false;
      loud(`BEAM side failed, no BEAM figures: ${(err as Error).message}`);
    }
    for (let rep = 1; rep <= reps; rep++) {
      for (const system of SYSTEMS) {
        if (system.flags !== undefined && !beamOk) continue;
        ctx.progress(`processes: ${system.label}, N = ${fmtInt(n)}, run ${rep}/${reps}`);
        try {
          if (system.flags === undefined) {
            const kind = system.id === "otter-behaviour" ? "behaviour" : "async";
            const out = await child.run<ProcessesChildResult>([kind, String(n)], {
              timeoutMs: 60_000 + n * 0.2,
              nodeFlags: ["--expose-gc"],
            });
            const r = out.result;
            if (r.alive !== n) loud(`${system.label}: ${r.alive} processes alive after spawning ${n}`);
            if (r.left !== 0) loud(`${system.label}: ${r.left} processes still alive after the wake-up`);
            samples.get(system.id)!.push({
              spawnCallsMs: r.spawnCallsMs,
              spawnMs: r.spawnMs,
              wakeFinishMs: r.wakeFinishMs,
              peakRssMiB: r.peakRssKiB / 1024,
              peakIdleMiB: r.peakIdleKiB / 1024,
              rssIdleMiB: r.rssIdle / 1048576,
              bytesPerProcess: r.bytesPerProcess,
            });
          } else {
            const out = await runErlBench({
              sources: beamSources,
              ebin,
              flags: system.flags,
              module: "procs_bench",
              args: [String(n)],
              timeoutMs: 120_000 + n * 0.5,
            });
            beamInfo = describeBeam(out.info);
            const line = out.lines.find((l) => l.kind === "result");
            if (line === undefined) throw new Error("erl printed no result line");
            const f = (k: string): number => num(line, k);
            if (f("received") !== n) loud(`${system.label}: received ${f("received")} of ${n} done messages`);
            samples.get(system.id)!.push({
              spawnCallsMs: f("spawn_calls_ms"),
              spawnMs: f("spawn_ms"),
              wakeFinishMs: f("wake_finish_ms"),
              peakRssMiB: f("hwm_kib") / 1024,
              peakIdleMiB: f("hwm_idle_kib") / 1024,
              rssIdleMiB: f("rss_idle_kib") / 1024,
              bytesPerProcess: f("bytes_per_process"),
            });
          }
        } catch (err) {
          loud(`${system.label} run ${rep} failed: ${(err as Error).message}`);
        }
        loads.push(loadavg()[0]!);
      }
    }
  } finally {
    await child.dispose();
    await rm(ebin, { recursive: true, force: true });
  }

  const stats = new Map<SystemId, Stats>(SYSTEMS.map((s) => [s.id, summarize(samples.get(s.id)!)]));
  const cpu = cpus();
  ctx.print(
    [
      `processes benchmark (${ctx.quick ? "--quick" : "full"}): N = ${fmtInt(n)} idle processes waiting for a message, ` +
        `then each sent one message, answering the driver and exiting; ${reps} run(s) per system, interleaved, median (min–max)`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${beamInfo}, ` +
        `1-minute load average ${load.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most (read after each run)`,
      "each system runs in its own OS process: otter in a child `node --expose-gc` importing dist/, beam in its own `erl -noshell`.",
      "peak RSS: otter process.resourceUsage().maxRSS, beam VmHWM of /proc/self/status read by the VM at the end; both whole-run peaks.",
    ].join("\n"),
  );

  const beamDefault = stats.get("beam-default")!;
  const beamTuned = stats.get("beam-tuned")!;
  const ratio = (beam: Spread | undefined, ours: Spread | undefined): string =>
    fmtRatio(beam && ours && beam.median / ours.median);

  ctx.print("\n## memory (MiB; ratios are BEAM's figure ÷ this system's, >1: this system uses less)");
  ctx.print(
    formatTable(
      [
        "system",
        "peak RSS",
        "peak RSS until all wait",
        "RSS all waiting",
        "bytes/process",
        "vs BEAM default",
        "vs BEAM tuned",
      ],
      SYSTEMS.map((s) => {
        const st = stats.get(s.id)!;
        return [
          s.label,
          fmtSpread(st.peakRssMiB),
          fmtSpread(st.peakIdleMiB),
          fmtSpread(st.rssIdleMiB),
          fmtSpread(st.bytesPerProcess),
          ratio(beamDefault.peakRssMiB, st.peakRssMiB),
          ratio(beamTuned.peakRssMiB, st.peakRssMiB),
        ];
      }),
      ["left", "right", "right", "right", "right", "right", "right"],
    ),
  );
  ctx.print(
    "- bytes/process: otter = JS heap used after a full GC with all N waiting, minus before, ÷ N (the driver's " +
      "array of N pids included); beam = erlang:memory(processes) growth ÷ N (its list of N pids included).",
  );

  ctx.print("\n## time (ms; ratios are BEAM's time ÷ this system's, >1: this system is faster)");
  ctx.print(
    formatTable(
      [
        "system",
        "spawn calls",
        "spawn until all wait",
        "wake + finish all",
        "spawn vs BEAM default",
        "spawn vs BEAM tuned",
        "wake vs BEAM default",
      ],
      SYSTEMS.map((s) => {
        const st = stats.get(s.id)!;
        return [
          s.label,
          fmtSpread(st.spawnCallsMs),
          fmtSpread(st.spawnMs),
          fmtSpread(st.wakeFinishMs),
          ratio(beamDefault.spawnMs, st.spawnMs),
          ratio(beamTuned.spawnMs, st.spawnMs),
          ratio(beamDefault.wakeFinishMs, st.wakeFinishMs),
        ];
      }),
      ["left", "right", "right", "right", "right", "right", "right"],
    ),
  );
  ctx.print(
    "- spawn until all wait: from the first spawn until every new process has run and waits in its receive " +
      "(otter: rt.idle(); beam: statistics(total_active_tasks) ≤ 1, polled every 1 ms). The goal uses this figure.",
  );

  const goals = goalLines(stats, n);
  ctx.print(
    `\n## goals (issue 4): ${goals.passed}/${goals.total} pass${ctx.quick ? " (SKIP: goals are for N = 1,000,000)" : ""}`,
  );
  for (const line of goals.lines) ctx.print(line);
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return toResults(stats, n);
}

interface Stats {
  spawnCallsMs: Spread | undefined;
  spawnMs: Spread | undefined;
  wakeFinishMs: Spread | undefined;
  peakRssMiB: Spread | undefined;
  peakIdleMiB: Spread | undefined;
  rssIdleMiB: Spread | undefined;
  bytesPerProcess: Spread | undefined;
}

function summarize(list: readonly Sample[]): Stats {
  const of = (key: keyof Sample): Spread | undefined => spread(list.map((s) => s[key]));
  return {
    spawnCallsMs: of("spawnCallsMs"),
    spawnMs: of("spawnMs"),
    wakeFinishMs: of("wakeFinishMs"),
    peakRssMiB: of("peakRssMiB"),
    peakIdleMiB: of("peakIdleMiB"),
    rssIdleMiB: of("rssIdleMiB"),
    bytesPerProcess: of("bytesPerProcess"),
  };
}

function goalLines(stats: Map<SystemId, Stats>, n: number): { lines: string[]; passed: number; total: number } {
  const lines: string[] = [];
  let passed = 0;
  const check = (what: string, value: Spread | undefined, limit: number, unit: string): void => {
    let verdict = "SKIP";
    let detail = "no figure";
    if (value !== undefined) {
      detail = `median ${fmt(value.median)} ${unit}, worst ${fmt(value.max)} ${unit} (goal ≤ ${fmtInt(limit)} ${unit})`;
      if (n === FULL_N) verdict = value.max <= limit ? "PASS" : value.median <= limit ? "PASS (median)" : "FAIL";
    }
    if (verdict.startsWith("PASS")) passed++;
    lines.push(`${verdict.padEnd(13)}  ${what.padEnd(31)}  ${detail}`);
  };
  check("behaviour: peak RSS", stats.get("otter-behaviour")!.peakRssMiB, GOAL_BEHAVIOUR_RSS_MIB, "MiB");
  check("behaviour: spawn until all wait", stats.get("otter-behaviour")!.spawnMs, GOAL_BEHAVIOUR_SPAWN_MS, "ms");
  check("async: peak RSS", stats.get("otter-async")!.peakRssMiB, GOAL_ASYNC_RSS_MIB, "MiB");
  return { lines, passed, total: 3 };
}

/** `--json` records: per Otter kind, its figures and BEAM's (default flags; `_hms1_L_ec` for the tuned run). */
function toResults(stats: Map<SystemId, Stats>, n: number): BenchResult[] {
  const results: BenchResult[] = [];
  const push = (caseName: string, system: string, suffix: string, st: Stats): void => {
    const add = (metric: string, unit: string, s: Spread | undefined): void => {
      if (s !== undefined)
        results.push({ case: caseName, system, metric: `${metric}${suffix}`, unit, value: s.median });
    };
    if (st.peakRssMiB === undefined) return;
    results.push({ case: caseName, system, metric: `processes${suffix}`, unit: "count", value: n });
    add("peak_rss", "MiB", st.peakRssMiB);
    add("peak_rss_until_all_wait", "MiB", st.peakIdleMiB);
    add("rss_all_waiting", "MiB", st.rssIdleMiB);
    add("bytes_per_process", "bytes", st.bytesPerProcess);
    add("spawn_calls_time", "ms", st.spawnCallsMs);
    add("spawn_time", "ms", st.spawnMs);
    add("wake_finish_time", "ms", st.wakeFinishMs);
  };
  for (const [caseName, id] of [
    ["idle/behaviour", "otter-behaviour"],
    ["idle/async", "otter-async"],
  ] as const) {
    push(caseName, "otter", "", stats.get(id)!);
    push(caseName, "beam", "", stats.get("beam-default")!);
    push(caseName, "beam", "_hms1_L_ec", stats.get("beam-tuned")!);
  }
  return results;
}

function num(line: ErlLine, key: string): number {
  const value = Number(line.fields[key]);
  if (!Number.isFinite(value)) throw new Error(`erl line "${line.kind}" lacks a number ${key}`);
  return value;
}
