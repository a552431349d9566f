// The scheduler cases of `npm run bench -- cluster`: how a CPU-bound message workload scales from 1 to 2
// schedulers (Otter's worker-thread schedulers; BEAM's `+S 1` and `+S 2`), and ping-pong between two processes on
// different schedulers. Otter runs in a child `node` (bench/cluster/child.ts, importing dist/), BEAM in `erl`
// (bench/beam/cluster_bench.erl), one after the other, in this invocation.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareChild } from "../lib/child.ts";
import { compileErl, describeBeam, runErlBench } from "../lib/erl.ts";
import type { BenchContext, BenchResult } from "../lib/report.ts";
import { type Spread, spread } from "../lib/samples.ts";
import { fmt, fmtInt, fmtRatio, formatTable } from "../lib/table.ts";

interface Run {
  ms: number;
  count: number;
}

const beamSources = ["bench_lib.erl", "cluster_bench.erl"].map((f) =>
  fileURLToPath(new URL(`../beam/${f}`, import.meta.url)),
);

/** Pairs, round trips per pair, work units per message: enough work that a message is mostly CPU. */
const PAIRS = { full: [8, 20_000, 2_000], quick: [8, 2_000, 2_000] };
const CROSS = { full: [100_000], quick: [10_000] };
/** Round trips to a parked scheduler, and the idle gap before each (ms). */
const PARKED = { full: [100, 20], quick: [20, 20] };
/** Goal (issue 10): Otter's 1→2 scheduler scaling at least BEAM's. */
const SCALING_GOAL = 1;

export async function measureSchedulers(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = ctx.quick ? 1 : 3;
  const [pairs, rounds, units] = ctx.quick ? PAIRS.quick : PAIRS.full;
  const [crossRounds] = ctx.quick ? CROSS.quick : CROSS.full;
  const [parkedRounds, gapMs] = ctx.quick ? PARKED.quick : PARKED.full;
  const child = await prepareChild(new URL("./child.ts", import.meta.url));
  const ebin = await mkdtemp(join(tmpdir(), "otter-bench-cluster-"));
  const figures = new Map<string, Spread & { rate: number; count: number }>();
  const record = (key: string, list: readonly Run[]) => {
    const ms = spread(list.map((r) => r.ms))!;
    figures.set(key, { ...ms, count: list[0]!.count, rate: list[0]!.count / (ms.median / 1000) });
  };
  let beamInfo = "BEAM unavailable";
  try {
    await compileErl(beamSources, ebin);
    for (const s of [1, 2]) {
      ctx.progress(`cluster: pairs beam +S ${s}`);
      const out = await runErlBench({
        sources: beamSources,
        ebin,
        flags: ["+S", String(s)],
        module: "cluster_bench",
        args: ["pairs", String(pairs), String(rounds), String(units), String(runs)],
        timeoutMs: 300_000,
      });
      beamInfo = describeBeam(out.info);
      record(`pairs/beam/${s}`, runLines(out.lines));
      ctx.progress(`cluster: pairs otter ${s} scheduler(s)`);
      const otter = await child.run<{ runs: Run[] }>(
        ["pairs", String(s), String(pairs), String(rounds), String(units), String(runs)],
        { timeoutMs: 300_000 },
      );
      record(`pairs/otter/${s}`, otter.result.runs);
    }
    ctx.progress("cluster: cross-scheduler ping-pong beam +S 2");
    const beamCross = await runErlBench({
      sources: beamSources,
      ebin,
      flags: ["+S", "2"],
      module: "cluster_bench",
      args: ["cross", String(crossRounds), String(runs)],
      timeoutMs: 300_000,
    });
    record("cross/beam", runLines(beamCross.lines));
    ctx.progress("cluster: cross-scheduler ping-pong otter");
    const otterCross = await child.run<{ runs: Run[] }>(["cross", String(crossRounds), String(runs)], {
      timeoutMs: 300_000,
    });
    record("cross/otter", otterCross.result.runs);
    ctx.progress(`cluster: parked ping-pong (${gapMs} ms apart) beam +S 2`);
    const beamParked = await runErlBench({
      sources: beamSources,
      ebin,
      flags: ["+S", "2"],
      module: "cluster_bench",
      args: ["parked", String(parkedRounds), String(gapMs), String(runs)],
      timeoutMs: 300_000,
    });
    record("parked/beam", runLines(beamParked.lines));
    ctx.progress("cluster: parked ping-pong otter");
    const otterParked = await child.run<{ runs: Run[] }>(
      ["parked", String(parkedRounds), String(gapMs), String(runs)],
      {
        timeoutMs: 300_000,
      },
    );
    record("parked/otter", otterParked.result.runs);
  } finally {
    await child.dispose();
    await rm(ebin, { recursive: true, force: true });
  }

  const scaling = (system: string) => figures.get(`pairs/${system}/2`)!.rate / figures.get(`pairs/${system}/1`)!.rate;
  const [otterScaling, beamScaling] = [scaling("otter"), scaling("beam")];
  ctx.print(
    `\n## schedulers: ${pairs} ping-pong pairs × ${fmtInt(rounds)} round trips, ${fmtInt(units)} work units per ` +
      `message (median of ${runs} run(s) after a warm-up; ${beamInfo})`,
  );
  ctx.print(
    formatTable(
      ["system", "1 scheduler", "2 schedulers", "unit", "scaling 1→2", "vs BEAM's scaling", "goal"],
      ["otter", "beam"].map((system) => [
        system,
        fmt(figures.get(`pairs/${system}/1`)!.rate),
        fmt(figures.get(`pairs/${system}/2`)!.rate),
        "round trips/s",
        fmtRatio(system === "otter" ? otterScaling : beamScaling),
        system === "otter" ? fmtRatio(otterScaling / beamScaling) : "",
        system === "otter" ? `≥ ${SCALING_GOAL}×: ${otterScaling / beamScaling >= SCALING_GOAL ? "PASS" : "FAIL"}` : "",
      ]),
      ["left", "right", "right", "left", "right", "right", "left"],
    ),
  );
  const us = (key: string) => (figures.get(key)!.median * 1000) / figures.get(key)!.count;
  ctx.print(
    `\n## cross-scheduler ping-pong, processes on schedulers 0 and 1: ${fmtInt(crossRounds)} round trips back to ` +
      `back (schedulers awake), and ${parkedRounds} round trips ${gapMs} ms apart (both asleep before each)`,
  );
  ctx.print(
    formatTable(
      ["system", "µs per round trip", "vs BEAM", "parked: µs per round trip", "vs BEAM"],
      [
        [
          "otter",
          fmt(us("cross/otter")),
          fmtRatio(us("cross/beam") / us("cross/otter")),
          fmt(us("parked/otter")),
          fmtRatio(us("parked/beam") / us("parked/otter")),
        ],
        ["beam (+S 2, spawn_opt {scheduler, I})", fmt(us("cross/beam")), "", fmt(us("parked/beam")), ""],
      ],
      ["left", "right", "right", "right", "right"],
    ),
  );
  const results: BenchResult[] = [];
  for (const system of ["otter", "beam"]) {
    for (const s of [1, 2]) {
      results.push({
        case: `pairs_${s}_scheduler${s > 1 ? "s" : ""}`,
        system,
        metric: "round_trips_per_s",
        unit: "round trips/s",
        value: figures.get(`pairs/${system}/${s}`)!.rate,
      });
    }
    results.push({
      case: "scaling_1_to_2",
      system,
      metric: "ratio",
      unit: "×",
      value: system === "otter" ? otterScaling : beamScaling,
    });
    results.push({
      case: "cross_scheduler_ping_pong",
      system,
      metric: "us_per_round_trip",
      unit: "µs",
      value: us(`cross/${system}`),
    });
    results.push({
      case: "cross_scheduler_ping_pong_parked",
      system,
      metric: "us_per_round_trip",
      unit: "µs",
      value: us(`parked/${system}`),
    });
  }
  return results;
}

function runLines(lines: readonly { kind: string; fields: Record<string, string> }[]): Run[] {
  return lines.filter((l) => l.kind === "run").map((l) => ({ ms: Number(l.fields.ms), count: Number(l.fields.count) }));
}
