// Distribution benchmark: shared/bench-beam/distbench.erl's scenarios — 10 MB binaries echoed by 100 senders
// and by 1, small messages from 1 and 8 senders, remote gen_server:call from 1 and 16 callers — between two nodes
// on loopback, for every pairing of Otter and BEAM nodes, all in one invocation. Goals (issue 6): Otter↔Otter
// ≥ 1.5× BEAM↔BEAM on 10 MB binaries, ≥ 3× on small messages, a remote call's median latency ≤ 0.7× BEAM's;
// Otter↔BEAM no slower than BEAM↔BEAM.
//
// Each measurement is a fresh server node and a fresh client node, each its own OS process: an erl running
// bench/beam/dist_bench.erl, or a `node` running bench/dist/server.ts / client.ts (importing dist/). Both
// register with a private epmd on 127.0.0.1, and use long names `…@127.0.0.1`. The client connects, warms up,
// measures one window, prints its figures and stops the server.
//
// OTTER_BENCH_ONLY, a regular expression, keeps the measurements whose `scenario/client→server` it matches
// (`OTTER_BENCH_ONLY='big1/beam→otter'`), for profiling one with OTTER_BENCH_NODE_FLAGS (bench/lib/child.ts).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSystemEpmd } from "../src/testing/erl-node.ts";
import { type ChildScript, prepareChild } from "./lib/child.ts";
import { compileErl, describeBeam, runErlBench } from "./lib/erl.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";
import { fmt, fmtRatio, formatTable } from "./lib/table.ts";

export const description =
  "distribution over loopback: 10 MB binaries, small messages, remote calls — Otter↔Otter, Otter↔BEAM, BEAM↔BEAM";

type Side = "otter" | "beam";
/** Client side, server side. */
type Pairing = readonly [Side, Side];

export interface Scenario {
  name: string;
  test: "big" | "small" | "call";
  full: readonly number[];
  quick: readonly number[];
  what: string;
  /** The figure compared between pairings (higher is better). */
  metric: string;
  unit: string;
  /** Goal: Otter↔Otter's figure ≥ this × BEAM↔BEAM's. */
  goal?: number;
  /** Goal: Otter↔Otter's median latency ≤ this × BEAM↔BEAM's. */
  latencyGoal?: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "big",
    test: "big",
    full: [100, 10_000_000, 2000, 10_000],
    quick: [10, 10_000_000, 500, 1500],
    what: "100 senders × 10 MB binary, each awaits its echo",
    metric: "payload_MBps",
    unit: "MB/s",
    goal: 1.5,
  },
  {
    name: "big1",
    test: "big",
    full: [1, 10_000_000, 2000, 10_000],
    quick: [1, 10_000_000, 500, 1500],
    what: "1 sender × 10 MB binary, awaits its echo",
    metric: "payload_MBps",
    unit: "MB/s",
  },
  {
    name: "small1",
    test: "small",
    full: [1, 1000, 1000, 5000],
    quick: [1, 1000, 300, 1000],
    what: "1 sender, {self(), I} in batches of 1,000 to a registered sink",
    metric: "msgs_per_s",
    unit: "msgs/s",
    goal: 3,
  },
  {
    name: "small8",
    test: "small",
    full: [8, 1000, 1000, 5000],
    quick: [8, 1000, 300, 1000],
    what: "8 senders, as small1",
    metric: "msgs_per_s",
    unit: "msgs/s",
    goal: 3,
  },
  {
    name: "call1",
    test: "call",
    full: [1, 1000, 5000],
    quick: [1, 300, 1000],
    what: "1 caller, gen_server:call({echo_srv, Node}, ping)",
    metric: "calls_per_s",
    unit: "calls/s",
    latencyGoal: 0.7,
  },
  {
    name: "call16",
    test: "call",
    full: [16, 1000, 5000],
    quick: [16, 300, 1000],
    what: "16 callers, as call1",
    metric: "calls_per_s",
    unit: "calls/s",
  },
];

const PAIRINGS: readonly Pairing[] = [
  ["beam", "beam"],
  ["otter", "otter"],
  ["otter", "beam"],
  ["beam", "otter"],
];

const label = ([client, server]: Pairing): string => `${client}→${server}`;
const SIDE_NAME: Record<Side, string> = { otter: "Otter", beam: "BEAM" };

type Figures = Record<string, number>;

const beamSources = ["bench_lib.erl", "dist_bench.erl"].map((f) =>
  fileURLToPath(new URL(`./beam/${f}`, import.meta.url)),
);

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`dist: *** ${text}`);
  };
  const loads = [loadavg()[0]!];
  if (loads[0]! > 0.75) loud(`machine busy: 1-minute load average ${loads[0]!.toFixed(2)} at start`);

  const serverScript = await prepareChild(new URL("./dist/server.ts", import.meta.url));
  const clientScript = await prepareChild(new URL("./dist/client.ts", import.meta.url));
  const ebin = await mkdtemp(join(tmpdir(), "otter-bench-dist-"));
  const epmd = await startSystemEpmd();
  const figures = new Map<string, Figures>(); // `${scenario}/${pairing}` → the client's figures
  let beamInfo = "BEAM unavailable";
  try {
    await compileErl(beamSources, ebin);
    const nodes = new Nodes(ebin, epmd.port, serverScript, clientScript);
    const only = new RegExp(process.env.OTTER_BENCH_ONLY ?? "");
    for (const sc of SCENARIOS) {
      const args = (ctx.quick ? sc.quick : sc.full).map(String);
      for (const pairing of PAIRINGS) {
        if (!only.test(`${sc.name}/${label(pairing)}`)) continue;
        ctx.progress(`dist: ${sc.name} ${label(pairing)}`);
        try {
          const out = await nodes.measure(pairing, sc.test, args);
          if (out.beamInfo !== undefined) beamInfo = out.beamInfo;
          figures.set(`${sc.name}/${label(pairing)}`, out.figures);
          const shown = out.figures[sc.metric];
          ctx.progress(`dist:   ${shown === undefined ? "?" : fmt(shown)} ${sc.unit}`);
        } catch (err) {
          loud(`${sc.name} ${label(pairing)} failed: ${(err as Error).message}`);
        }
        loads.push(loadavg()[0]!);
      }
    }
  } finally {
    await epmd.stop();
    await serverScript.dispose();
    await clientScript.dispose();
    await rm(ebin, { recursive: true, force: true });
  }

  const cpu = cpus();
  ctx.print(
    [
      `dist benchmark (${ctx.quick ? "--quick" : "full"}): one warm-up then one measured window per scenario and pairing`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${beamInfo}, ` +
        `1-minute load average ${loads[0]!.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most`,
      "every node is its own OS process on 127.0.0.1 (erl with default flags, or node importing dist/); a pairing",
      "is client→server. vs BEAM = the figure ÷ BEAM→BEAM's (>1: faster; for latency <1 is faster).",
    ].join("\n"),
  );
  const rows: string[][] = [];
  for (const sc of SCENARIOS) {
    const beam = figures.get(`${sc.name}/beam→beam`);
    for (const pairing of PAIRINGS) {
      const f = figures.get(`${sc.name}/${label(pairing)}`);
      const ratio = f && beam ? f[sc.metric]! / beam[sc.metric]! : undefined;
      const latencyRatio = f?.p50_us !== undefined && beam?.p50_us !== undefined ? f.p50_us / beam.p50_us : undefined;
      rows.push([
        sc.name,
        label(pairing),
        f ? fmt(f[sc.metric]!) : "–",
        sc.unit,
        f?.p50_us === undefined ? "" : fmt(f.p50_us),
        f?.p99_us === undefined ? "" : fmt(f.p99_us),
        fmtRatio(ratio),
        latencyRatio === undefined ? "" : fmtRatio(latencyRatio),
      ]);
    }
  }
  ctx.print("");
  ctx.print(
    formatTable(["scenario", "client→server", "rate", "unit", "p50 µs", "p99 µs", "vs BEAM", "p50 vs BEAM"], rows, [
      "left",
      "left",
      "right",
      "left",
      "right",
      "right",
      "right",
      "right",
    ]),
  );
  ctx.print("\nscenarios:");
  for (const sc of SCENARIOS) ctx.print(`  ${sc.name.padEnd(7)} ${sc.what}`);

  const verdicts = goals(figures);
  const passed = verdicts.filter((v) => v.startsWith("PASS")).length;
  ctx.print(`\n## goals: ${passed}/${verdicts.length} pass${ctx.quick ? " (quick sizes: informational)" : ""}`);
  for (const v of verdicts) ctx.print(v);
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return toResults(figures);
}

/** The goals, each as `PASS|FAIL|SKIP  what  figures`. */
function goals(figures: Map<string, Figures>): string[] {
  const lines: string[] = [];
  const verdict = (what: string, ok: boolean | undefined, detail: string): void => {
    lines.push(`${ok === undefined ? "SKIP" : ok ? "PASS" : "FAIL"}  ${what.padEnd(34)}  ${detail}`);
  };
  for (const sc of SCENARIOS) {
    const beam = figures.get(`${sc.name}/beam→beam`);
    const otter = figures.get(`${sc.name}/otter→otter`);
    if (sc.goal !== undefined) {
      const ratio = otter && beam ? otter[sc.metric]! / beam[sc.metric]! : undefined;
      verdict(
        `${sc.name} otter→otter ≥ ${sc.goal}× beam`,
        ratio === undefined ? undefined : ratio >= sc.goal,
        ratio === undefined
          ? "no figure"
          : `${fmt(otter![sc.metric]!)} vs ${fmt(beam![sc.metric]!)} ${sc.unit} = ${fmtRatio(ratio)}`,
      );
    }
    if (sc.latencyGoal !== undefined) {
      const ratio = otter?.p50_us !== undefined && beam?.p50_us !== undefined ? otter.p50_us / beam.p50_us : undefined;
      verdict(
        `${sc.name} otter→otter p50 ≤ ${sc.latencyGoal}× beam`,
        ratio === undefined ? undefined : ratio <= sc.latencyGoal,
        ratio === undefined ? "no figure" : `${fmt(otter!.p50_us!)} vs ${fmt(beam!.p50_us!)} µs = ${fmtRatio(ratio)}`,
      );
    }
    for (const mixed of ["otter→beam", "beam→otter"]) {
      const f = figures.get(`${sc.name}/${mixed}`);
      const ratio = f && beam ? f[sc.metric]! / beam[sc.metric]! : undefined;
      verdict(
        `${sc.name} ${mixed} ≥ beam→beam`,
        ratio === undefined ? undefined : ratio >= 1,
        ratio === undefined
          ? "no figure"
          : `${fmt(f![sc.metric]!)} vs ${fmt(beam![sc.metric]!)} ${sc.unit} = ${fmtRatio(ratio)}`,
      );
    }
  }
  return lines;
}

/** `--json` records: each pairing's figures per scenario (system: the client's side, then the server's). */
function toResults(figures: Map<string, Figures>): BenchResult[] {
  const results: BenchResult[] = [];
  for (const sc of SCENARIOS) {
    const beam = figures.get(`${sc.name}/beam→beam`);
    for (const pairing of PAIRINGS) {
      const f = figures.get(`${sc.name}/${label(pairing)}`);
      if (f === undefined) continue;
      const system = pairing[0] === pairing[1] ? pairing[0] : `${pairing[0]}-${pairing[1]}`;
      results.push({ case: sc.name, system, metric: sc.metric, unit: sc.unit, value: f[sc.metric]! });
      if (f.p50_us !== undefined)
        results.push({ case: sc.name, system, metric: "latency_median", unit: "us", value: f.p50_us });
      if (f.p99_us !== undefined)
        results.push({ case: sc.name, system, metric: "latency_p99", unit: "us", value: f.p99_us });
      if (beam !== undefined && system !== "beam") {
        results.push({ case: sc.name, system, metric: "vs_beam", unit: "×", value: f[sc.metric]! / beam[sc.metric]! });
      }
    }
  }
  return results;
}

/** Starts server and client nodes of either kind, on the private epmd, with fresh names and a cookie per run. */
class Nodes {
  private runs = 0;

  constructor(
    private readonly ebin: string,
    private readonly epmdPort: number,
    private readonly serverScript: ChildScript,
    private readonly clientScript: ChildScript,
  ) {}

  async measure(
    [client, server]: Pairing,
    test: string,
    args: readonly string[],
  ): Promise<{ figures: Figures; beamInfo?: string }> {
    const id = `${process.pid}_${++this.runs}`;
    const serverNode = `bench_b_${id}@127.0.0.1`;
    const clientNode = `bench_a_${id}@127.0.0.1`;
    const cookie = randomBytes(12).toString("hex");
    const timeoutMs = 120_000;
    const stopServer = await this.startServer(server, serverNode, cookie, timeoutMs);
    try {
      if (client === "otter") {
        const out = await this.clientScript.run<Figures>(
          [clientNode, cookie, String(this.epmdPort), serverNode, test, ...args],
          { timeoutMs },
        );
        return { figures: out.result };
      }
      const out = await runErlBench({
        ...this.erl(clientNode, cookie),
        args: ["client", serverNode, test, ...args],
        timeoutMs,
      });
      const result = out.lines.find((l) => l.kind === "result");
      if (result === undefined) throw new Error(`the ${SIDE_NAME.beam} client printed no result`);
      const figures: Figures = {};
      for (const [k, v] of Object.entries(result.fields)) if (k !== "test") figures[k] = Number(v);
      return { figures, beamInfo: describeBeam(out.info) };
    } finally {
      await stopServer();
    }
  }

  /** Starts a server node; resolves, once it is ready, with how to stop it (waiting for it to end). */
  private async startServer(side: Side, name: string, cookie: string, timeoutMs: number): Promise<() => Promise<void>> {
    if (side === "otter") {
      const server = await this.serverScript.start([name, cookie, String(this.epmdPort)], { readyTimeoutMs: 30_000 });
      return async () => {
        // The client stops it; a server that outlives its client by 5 s is killed.
        const ended = await Promise.race([server.exited.then(() => true), delay(5000).then(() => false)]);
        if (!ended) await server.stop();
      };
    }
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const done = runErlBench({
      ...this.erl(name, cookie),
      args: ["server"],
      timeoutMs,
      onLine: (line) => {
        if (line.kind === "ready") ready();
      },
    });
    await Promise.race([isReady, done.then(() => Promise.reject(new Error("the erl server exited early")))]);
    return async () => {
      await done;
    };
  }

  private erl(name: string, cookie: string) {
    return {
      sources: beamSources,
      ebin: this.ebin,
      module: "dist_bench",
      flags: ["-name", name, "-setcookie", cookie, "-kernel", "inet_dist_use_interface", "{127,0,0,1}"],
      env: { ERL_EPMD_PORT: String(this.epmdPort) },
    };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
