// Messaging benchmark: ping-pong, a 1000-process ring and 4→1 fan-in (shared/bench-beam/msgbench.erl's
// scenarios), with Otter behaviour processes and async processes, beside BEAM with default flags.
//
// Every scenario runs in its own OS process: Otter's in a child `node` importing dist/ (bench/messaging/child.ts),
// BEAM's in its own `erl -noshell` (bench/beam/msg_bench.erl). Each does a warm-up run at a tenth of the size,
// then several timed runs; tables show the median run and the fastest–slowest.
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
  "ping-pong, 1000-process ring, 4→1 fan-in with behaviour and async processes — Otter vs BEAM (msgs/s)";

type Test = "pingpong" | "ring" | "fanin";
type Kind = "behaviour" | "async";

interface Scenario {
  test: Test;
  /** Arguments of both sides, before the run count. */
  full: readonly number[];
  quick: readonly number[];
  what: (args: readonly number[]) => string;
  /** What one unit of `count` is, for the rate. */
  metric: string;
  unit: string;
}

const SCENARIOS: readonly Scenario[] = [
  {
    test: "pingpong",
    full: [1_000_000],
    quick: [50_000],
    what: ([n]) => `${fmtInt(n!)} round trips between two processes`,
    metric: "round_trips_per_s",
    unit: "round trips/s",
  },
  {
    test: "ring",
    full: [1000, 1000],
    quick: [1000, 50],
    what: ([size, laps]) => `${fmtInt(size!)}-process ring × ${fmtInt(laps!)} laps`,
    metric: "msgs_per_s",
    unit: "msgs/s",
  },
  {
    test: "fanin",
    full: [4, 250_000],
    quick: [4, 12_500],
    what: ([s, m]) => `${s} senders × ${fmtInt(m!)} messages → 1 receiver`,
    metric: "msgs_per_s",
    unit: "msgs/s",
  },
];

const KINDS: readonly Kind[] = ["behaviour", "async"];
/** Goal (issue 4): behaviour processes ≥ 2× BEAM's rate, async processes ≥ 1×. */
const GOALS: Record<Kind, number> = { behaviour: 2, async: 1 };
const FULL_RUNS = 5;
const QUICK_RUNS = 1;

interface Run {
  ms: number;
  count: number;
}

interface Figures {
  ms: Spread;
  count: number;
  /** count per second at the median time. */
  rate: number;
}

const beamSources = ["bench_lib.erl", "msg_bench.erl"].map((f) =>
  fileURLToPath(new URL(`./beam/${f}`, import.meta.url)),
);

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = ctx.quick ? QUICK_RUNS : FULL_RUNS;
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`messaging: *** ${text}`);
  };
  const loads = [loadavg()[0]!];
  if (loads[0]! > 0.75) {
    loud(`machine busy: 1-minute load average ${loads[0]!.toFixed(2)} at start; figures are unreliable`);
  }

  const child = await prepareChild(new URL("./messaging/child.ts", import.meta.url));
  const ebin = await mkdtemp(join(tmpdir(), "otter-bench-msg-"));
  const figures = new Map<string, Figures>(); // `${test}/${system}` → figures; system: beam | behaviour | async
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
        ctx.progress(`messaging: ${sc.test} beam (${runs} runs)`);
        try {
          const out = await runErlBench({
            sources: beamSources,
            ebin,
            module: "msg_bench",
            args: [sc.test, ...args, String(runs)],
            timeoutMs: 60_000 + runs * 30_000,
          });
          beamInfo = describeBeam(out.info);
          const list = out.lines
            .filter((l) => l.kind === "run")
            .map((l) => ({ ms: Number(l.fields.ms), count: Number(l.fields.count) }));
          record(figures, `${sc.test}/beam`, list);
        } catch (err) {
          loud(`beam ${sc.test} failed: ${(err as Error).message}`);
        }
        loads.push(loadavg()[0]!);
      }
      for (const kind of KINDS) {
        ctx.progress(`messaging: ${sc.test} otter ${kind} (${runs} runs)`);
        try {
          const out = await child.run<{ runs: Run[] }>([sc.test, kind, ...args, String(runs)], {
            timeoutMs: 60_000 + runs * 30_000,
          });
          record(figures, `${sc.test}/${kind}`, out.result.runs);
        } catch (err) {
          loud(`otter ${kind} ${sc.test} failed: ${(err as Error).message}`);
        }
        loads.push(loadavg()[0]!);
      }
    }
  } finally {
    await child.dispose();
    await rm(ebin, { recursive: true, force: true });
  }

  const cpu = cpus();
  ctx.print(
    [
      `messaging benchmark (${ctx.quick ? "--quick" : "full"}): warm-up run at a tenth of the size, then ` +
        `${runs} timed run(s); median run (fastest–slowest)`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${beamInfo} ` +
        `default flags, 1-minute load average ${loads[0]!.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most`,
      "each scenario runs in its own OS process: otter in a child `node` importing dist/, beam in its own `erl -noshell`;",
      "both time inside the process (startup excluded). vs BEAM = this system's rate ÷ BEAM's (>1: faster).",
    ].join("\n"),
  );
  const rows: string[][] = [];
  for (const sc of SCENARIOS) {
    const sizes = ctx.quick ? sc.quick : sc.full;
    const beam = figures.get(`${sc.test}/beam`);
    for (const system of ["beam", ...KINDS] as const) {
      const f = figures.get(`${sc.test}/${system}`);
      const goal = system === "beam" ? undefined : GOALS[system];
      const ratio = f && beam && f.rate / beam.rate;
      rows.push([
        sc.test,
        system === "beam" ? "beam" : `otter ${system}`,
        sc.what(sizes),
        f ? `${fmt(f.ms.median)} (${fmt(f.ms.min)}–${fmt(f.ms.max)})` : "–",
        f ? fmt(f.rate) : "–",
        sc.unit,
        fmtRatio(ratio),
        goal === undefined ? "" : `≥ ${goal}×: ${ratio === undefined ? "SKIP" : ratio >= goal ? "PASS" : "FAIL"}`,
      ]);
    }
  }
  ctx.print("");
  ctx.print(
    formatTable(["scenario", "system", "size", "ms per run", "rate", "unit", "vs BEAM", "goal"], rows, [
      "left",
      "left",
      "left",
      "right",
      "right",
      "left",
      "right",
      "left",
    ]),
  );

  const lines: string[] = [];
  let passed = 0;
  for (const kind of KINDS) {
    for (const sc of SCENARIOS) {
      const f = figures.get(`${sc.test}/${kind}`);
      const beam = figures.get(`${sc.test}/beam`);
      let verdict = "SKIP";
      let detail = "no figure";
      if (f !== undefined && beam !== undefined) {
        const ratio = f.rate / beam.rate;
        verdict = ratio >= GOALS[kind] ? "PASS" : "FAIL";
        detail = `${fmt(f.rate)} vs BEAM ${fmt(beam.rate)} ${sc.unit} = ${fmtRatio(ratio)} (goal ≥ ${GOALS[kind]}×)`;
      }
      if (verdict === "PASS") passed++;
      lines.push(`${verdict}  ${`${kind} ${sc.test}`.padEnd(18)}  ${detail}`);
    }
  }
  ctx.print(`\n## goals (issue 4): ${passed}/${lines.length} pass${ctx.quick ? " (quick sizes: informational)" : ""}`);
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
  figures.set(key, { ms, count, rate: count / (ms.median / 1000) });
}

/** `--json` records: per scenario and Otter kind, Otter's figures and BEAM's (the same BEAM run for both kinds). */
function toResults(figures: Map<string, Figures>): BenchResult[] {
  const results: BenchResult[] = [];
  for (const sc of SCENARIOS) {
    const beam = figures.get(`${sc.test}/beam`);
    for (const kind of KINDS) {
      const caseName = `${sc.test}/${kind}`;
      const add = (system: string, f: Figures | undefined): void => {
        if (f === undefined) return;
        results.push(
          { case: caseName, system, metric: sc.metric, unit: sc.unit, value: f.rate },
          { case: caseName, system, metric: "elapsed", unit: "ms", value: f.ms.median },
          {
            case: caseName,
            system,
            metric: sc.test === "pingpong" ? "round_trips" : "msgs",
            unit: "count",
            value: f.count,
          },
        );
      };
      const otter = figures.get(caseName);
      add("otter", otter);
      add("beam", beam);
      if (otter !== undefined && beam !== undefined) {
        results.push({ case: caseName, system: "otter", metric: "vs_beam", unit: "×", value: otter.rate / beam.rate });
      }
    }
  }
  return results;
}
