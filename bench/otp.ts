// OTP benchmark: local GenServer.call round trips from 1 and from 16 callers (calls/s, latency median and p99)
// beside BEAM's gen_server:call, and a one_for_one supervisor's restart rate. Goal (issue): Otter's local call
// throughput at least equal to BEAM's.
//
// Every scenario runs in its own OS process: Otter's in a child `node` importing dist/ (bench/otp/child.ts),
// BEAM's in its own `erl -noshell` (bench/beam/otp_bench.erl). Each does a warm-up run at a tenth of the size,
// then several timed runs; tables show the median run and the fastest–slowest.
//
// Latency is taken the same way on both sides: each caller reads its clock (performance.now(),
// erlang:monotonic_time(nanosecond)) once before its first call and once after every call, and a call's
// latency is the time between consecutive reads: one clock read per call (its cost is printed), every call
// timed, none sampled. Median and p99 are nearest-rank over all the calls of a run; the table shows the median
// run's. With 16 callers a call's latency includes its wait behind the other callers' calls at the server.
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareChild } from "./lib/child.ts";
import { compileErl, describeBeam, runErlBench } from "./lib/erl.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";
import { type Spread, spread } from "./lib/samples.ts";
import { fmt, fmtInt, fmtRatio, formatTable } from "./lib/table.ts";

export const description =
  "GenServer.call round trips (1 and 16 callers: calls/s, latency median/p99), supervisor restarts — Otter vs BEAM";

type System = "otter" | "beam";

interface Scenario {
  /** The case name in tables and `--json`. */
  name: string;
  /** The test both sides run (child.ts's and otp_bench.erl's first argument). */
  test: "call" | "restart";
  /** Arguments of both sides, before the run count. */
  full: readonly number[];
  quick: readonly number[];
  what: (args: readonly number[]) => string;
  /** What one unit of `count` is: the rate's metric and unit, and the count's metric. */
  metric: string;
  unit: string;
  countMetric: string;
  /** Goal: Otter's rate ≥ this × BEAM's. */
  goal?: number;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: "call1",
    test: "call",
    full: [1, 200_000],
    quick: [1, 20_000],
    what: ([, m]) => `1 caller × ${fmtInt(m!)} calls → 1 server`,
    metric: "calls_per_s",
    unit: "calls/s",
    countMetric: "calls",
    goal: 1,
  },
  {
    name: "call16",
    test: "call",
    full: [16, 12_500],
    quick: [16, 1_250],
    what: ([c, m]) => `${c} callers × ${fmtInt(m!)} calls → 1 server`,
    metric: "calls_per_s",
    unit: "calls/s",
    countMetric: "calls",
    goal: 1,
  },
  {
    name: "restart",
    test: "restart",
    full: [20_000],
    quick: [2_000],
    what: ([n]) => `${fmtInt(n!)} restarts, one_for_one, intensity 1,000,000 per 1 s`,
    metric: "restarts_per_s",
    unit: "restarts/s",
    countMetric: "restarts",
  },
];

const SYSTEMS: readonly System[] = ["beam", "otter"];
const FULL_RUNS = 5;
const QUICK_RUNS = 1;

interface Run {
  ms: number;
  count: number;
  p50Us?: number;
  p99Us?: number;
}

interface Figures {
  ms: Spread;
  count: number;
  /** count per second at the median time. */
  rate: number;
  /** Median over the runs of each run's latency median and p99, in µs (call scenarios). */
  p50Us?: Spread;
  p99Us?: Spread;
}

const beamSources = ["bench_lib.erl", "otp_bench.erl"].map((f) =>
  fileURLToPath(new URL(`./beam/${f}`, import.meta.url)),
);

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = ctx.quick ? QUICK_RUNS : FULL_RUNS;
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`otp: *** ${text}`);
  };
  const loads = [loadavg()[0]!];
  if (loads[0]! > 0.75) {
    loud(`machine busy: 1-minute load average ${loads[0]!.toFixed(2)} at start; figures are unreliable`);
  }

  const child = await prepareChild(new URL("./otp/child.ts", import.meta.url));
  const ebin = await mkdtemp(join(tmpdir(), "otter-bench-otp-"));
  const figures = new Map<string, Figures>(); // `${scenario}/${system}` → figures
  const clockNs: Partial<Record<System, number>> = {};
  let beamInfo = "BEAM unavailable";
  try {
    let beamOk = true;
    try {
      await compileErl(beamSources, ebin);
    } catch (err) {
      beamOk = false;
      loud(`BEAM side failed, no BEAM figures: ${(err as Error).message}`);
    }
    for (const sc of SCENARIOS) {
      const args = (ctx.quick ? sc.quick : sc.full).map(String);
      if (beamOk) {
        ctx.progress(`otp: ${sc.name} beam (${runs} runs)`);
        try {
          const out = await runErlBench({
            sources: beamSources,
            ebin,
            module: "otp_bench",
            args: [sc.test, ...args, String(runs)],
            timeoutMs: 60_000 + runs * 30_000,
          });
          beamInfo = describeBeam(out.info);
          const clock = out.lines.find((l) => l.kind === "clock");
          if (clock !== undefined) clockNs.beam = Number(clock.fields.ns);
          const list = out.lines
            .filter((l) => l.kind === "run")
            .map((l) => ({
              ms: Number(l.fields.ms),
              count: Number(l.fields.count),
              p50Us: l.fields.p50_us === undefined ? undefined : Number(l.fields.p50_us),
              p99Us: l.fields.p99_us === undefined ? undefined : Number(l.fields.p99_us),
            }));
          record(figures, `${sc.name}/beam`, list);
        } catch (err) {
          loud(`beam ${sc.name} failed: ${(err as Error).message}`);
        }
        loads.push(loadavg()[0]!);
      }
      ctx.progress(`otp: ${sc.name} otter (${runs} runs)`);
      try {
        const out = await child.run<{ clockNs: number; runs: Run[] }>([sc.test, ...args, String(runs)], {
          timeoutMs: 60_000 + runs * 30_000,
        });
        clockNs.otter = out.result.clockNs;
        record(figures, `${sc.name}/otter`, out.result.runs);
      } catch (err) {
        loud(`otter ${sc.name} failed: ${(err as Error).message}`);
      }
      loads.push(loadavg()[0]!);
    }
  } finally {
    await child.dispose();
    await rm(ebin, { recursive: true, force: true });
  }

  const cpu = cpus();
  const clock = (s: System): string => (clockNs[s] === undefined ? "?" : `${fmt(clockNs[s])} ns`);
  ctx.print(
    [
      `otp benchmark (${ctx.quick ? "--quick" : "full"}): warm-up run at a tenth of the size, then ` +
        `${runs} timed run(s); median run (fastest–slowest)`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${beamInfo} ` +
        `default flags, 1-minute load average ${loads[0]!.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most`,
      "each scenario runs in its own OS process: otter in a child `node` importing dist/, beam in its own `erl -noshell`;",
      "both time inside the process (startup excluded). vs BEAM = this system's rate ÷ BEAM's (>1: faster).",
      `latency: every call timed, one clock read per call (otter performance.now() ${clock("otter")}, ` +
        `beam monotonic_time ${clock("beam")}); median and p99 of the median run, µs.`,
      "restart: supervisor reports off (logger:set_module_level(supervisor, none)); OTP's supervisor walks its list of",
      "the restarts within the period on every restart, so the rate falls as restarts accumulate within 1 s.",
    ].join("\n"),
  );
  const rows: string[][] = [];
  for (const sc of SCENARIOS) {
    const sizes = ctx.quick ? sc.quick : sc.full;
    const beam = figures.get(`${sc.name}/beam`);
    for (const system of SYSTEMS) {
      const f = figures.get(`${sc.name}/${system}`);
      const goal = system === "beam" ? undefined : sc.goal;
      const ratio = f && beam && f.rate / beam.rate;
      rows.push([
        sc.name,
        system,
        sc.what(sizes),
        f ? `${fmt(f.ms.median)} (${fmt(f.ms.min)}–${fmt(f.ms.max)})` : "–",
        f ? fmt(f.rate) : "–",
        sc.unit,
        f?.p50Us ? fmt(f.p50Us.median) : "",
        f?.p99Us ? fmt(f.p99Us.median) : "",
        fmtRatio(ratio),
        goal === undefined ? "" : `≥ ${goal}×: ${ratio === undefined ? "SKIP" : ratio >= goal ? "PASS" : "FAIL"}`,
      ]);
    }
  }
  ctx.print("");
  ctx.print(
    formatTable(
      ["scenario", "system", "size", "ms per run", "rate", "unit", "p50 µs", "p99 µs", "vs BEAM", "goal"],
      rows,
      ["left", "left", "left", "right", "right", "left", "right", "right", "right", "left"],
    ),
  );

  const lines: string[] = [];
  let passed = 0;
  for (const sc of SCENARIOS) {
    if (sc.goal === undefined) continue;
    const f = figures.get(`${sc.name}/otter`);
    const beam = figures.get(`${sc.name}/beam`);
    let verdict = "SKIP";
    let detail = "no figure";
    if (f !== undefined && beam !== undefined) {
      const ratio = f.rate / beam.rate;
      verdict = ratio >= sc.goal ? "PASS" : "FAIL";
      detail = `${fmt(f.rate)} vs BEAM ${fmt(beam.rate)} ${sc.unit} = ${fmtRatio(ratio)} (goal ≥ ${sc.goal}×)`;
    }
    if (verdict === "PASS") passed++;
    lines.push(`${verdict}  ${`${sc.name} throughput`.padEnd(18)}  ${detail}`);
  }
  ctx.print(`\n## goals: ${passed}/${lines.length} pass${ctx.quick ? " (quick sizes: informational)" : ""}`);
  for (const line of lines) ctx.print(line);
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return toResults(figures);
}

function record(figures: Map<string, Figures>, key: string, list: readonly Run[]): void {
  const ok = list.filter((r) => Number.isFinite(r.ms) && r.ms > 0 && r.count > 0);
  const ms = spread(ok.map((r) => r.ms));
  if (ms === undefined) throw new Error(`${key}: no valid runs`);
  const count = ok[0]!.count;
  const latencies = (pick: (r: Run) => number | undefined): Spread | undefined =>
    spread(ok.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v)));
  figures.set(key, {
    ms,
    count,
    rate: count / (ms.median / 1000),
    p50Us: latencies((r) => r.p50Us),
    p99Us: latencies((r) => r.p99Us),
  });
}

/** `--json` records: per scenario, each system's rate, elapsed time, count and latencies, and Otter's ratio. */
function toResults(figures: Map<string, Figures>): BenchResult[] {
  const results: BenchResult[] = [];
  for (const sc of SCENARIOS) {
    const c = sc.name;
    for (const system of SYSTEMS) {
      const f = figures.get(`${c}/${system}`);
      if (f === undefined) continue;
      results.push(
        { case: c, system, metric: sc.metric, unit: sc.unit, value: f.rate },
        { case: c, system, metric: "elapsed", unit: "ms", value: f.ms.median },
        { case: c, system, metric: sc.countMetric, unit: "count", value: f.count },
      );
      if (f.p50Us !== undefined) {
        results.push({ case: c, system, metric: "latency_median", unit: "us", value: f.p50Us.median });
      }
      if (f.p99Us !== undefined) {
        results.push({ case: c, system, metric: "latency_p99", unit: "us", value: f.p99Us.median });
      }
    }
    const otter = figures.get(`${c}/otter`);
    const beam = figures.get(`${c}/beam`);
    if (otter !== undefined && beam !== undefined) {
      results.push({ case: c, system: "otter", metric: "vs_beam", unit: "×", value: otter.rate / beam.rate });
    }
  }
  return results;
}
