// Same-host transport benchmark: Otter↔Otter over the Unix socket against Otter↔Otter over loopback TCP, in the
// same run — small-message throughput from 1 and 8 senders, and one caller's gen_server:call round trips (calls/s,
// median and p99 latency). Goal (issue 10): the Unix socket ≥ 2× loopback TCP on small messages.
// "Unix socket" is the whole same-host transport: the socket and the batch framing its connections use
// (src/dist/wire/batch-format.ts: several messages per frame, a connection-long atom table, compact sends); over
// TCP the same two Otter nodes use the standard framing a BEAM node reads.
//
// It runs bench/dist's Otter server and client (each its own OS process, registered with a private epmd on
// 127.0.0.1) with OTTER_BENCH_SAME_HOST=1 for the socket and unset for TCP; the TCP path keeps every optimisation
// it has. The client reports the carrier its connection used, and a run on the wrong one is an anomaly, not a
// figure. Each pairing runs `rounds` times in ABBA order (so drift hits both alike); the table shows the mean.
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { startSystemEpmd } from "../../src/testing/erl-node.ts";
import { SCENARIOS as DIST_SCENARIOS, type Scenario } from "../dist.ts";
import { type ChildScript, prepareChild } from "../lib/child.ts";
import type { BenchContext, BenchResult } from "../lib/report.ts";
import { fmt, fmtRatio, formatTable } from "../lib/table.ts";

type Carrier = "tcp" | "unix";
type Figures = Record<string, number | string | undefined>;

/** bench/dist.ts's small-message and one-caller scenarios, the same sizes. */
const SCENARIOS = DIST_SCENARIOS.filter((sc): sc is Scenario & { test: "small" | "call" } =>
  ["small1", "small8", "call1"].includes(sc.name),
);

/** The figures compared, per test: [figure, unit, higher is better]. */
const METRICS: Record<"small" | "call", readonly [string, string, boolean][]> = {
  small: [["msgs_per_s", "msgs/s", true]],
  call: [
    ["calls_per_s", "calls/s", true],
    ["p50_us", "µs", false],
    ["p99_us", "µs", false],
  ],
};

const GOAL = 2;

export async function measureTransport(ctx: BenchContext): Promise<BenchResult[]> {
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`transport: *** ${text}`);
  };
  const loads = [loadavg()[0]!];
  const rounds = ctx.quick ? 1 : 2;
  const server = await prepareChild(new URL("../dist/server.ts", import.meta.url));
  const client = await prepareChild(new URL("../dist/client.ts", import.meta.url));
  const epmd = await startSystemEpmd();
  /** `${scenario}/${carrier}` → each round's figures. */
  const runs = new Map<string, Figures[]>();
  try {
    for (const sc of SCENARIOS) {
      const args = (ctx.quick ? sc.quick : sc.full).map(String);
      for (let round = 0; round < rounds; round++) {
        const order: Carrier[] = round % 2 === 0 ? ["tcp", "unix"] : ["unix", "tcp"];
        for (const carrier of order) {
          ctx.progress(`transport: ${sc.name} over ${carrier} (round ${round + 1}/${rounds})`);
          try {
            const figures = await measure(server, client, epmd.port, carrier, sc.test, args);
            if (figures.carrier !== carrier) {
              loud(`${sc.name}: asked for ${carrier}, the connection used ${String(figures.carrier)}`);
              continue;
            }
            runs.set(`${sc.name}/${carrier}`, [...(runs.get(`${sc.name}/${carrier}`) ?? []), figures]);
            const shown = METRICS[sc.test].map(([metric, unit]) => `${show(figures[metric] as number)} ${unit}`);
            ctx.progress(`transport:   ${shown.join(", ")}`);
          } catch (err) {
            loud(`${sc.name} over ${carrier} failed: ${(err as Error).message}`);
          }
          loads.push(loadavg()[0]!);
        }
      }
    }
  } finally {
    await epmd.stop();
    await server.dispose();
    await client.dispose();
  }

  const mean = (scenario: string, carrier: Carrier, metric: string): number | undefined => {
    const values = (runs.get(`${scenario}/${carrier}`) ?? []).map((f) => f[metric]).filter(isNumber);
    return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
  };

  const cpu = cpus();
  ctx.print(
    [
      `same-host transport (${ctx.quick ? "--quick" : "full"}): Otter↔Otter over a Unix socket vs loopback TCP, ` +
        `${rounds} round${rounds === 1 ? "" : "s"} each (ABBA), mean shown`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ` +
        `1-minute load average ${loads[0]!.toFixed(2)} at start, ${Math.max(...loads).toFixed(2)} at most`,
      "each node its own OS process (bench/dist/server.ts and client.ts); gain = how many times better the Unix",
      "socket is (rate: unix ÷ tcp; latency: tcp ÷ unix).",
    ].join("\n"),
  );
  const rows: string[][] = [];
  const results: BenchResult[] = [];
  const gains = new Map<string, number>();
  for (const sc of SCENARIOS) {
    for (const [metric, unit, higherIsBetter] of METRICS[sc.test]) {
      const tcp = mean(sc.name, "tcp", metric);
      const unix = mean(sc.name, "unix", metric);
      const gain = tcp === undefined || unix === undefined ? undefined : higherIsBetter ? unix / tcp : tcp / unix;
      if (gain !== undefined) gains.set(`${sc.name}/${metric}`, gain);
      rows.push([sc.name, metric, unit, show(tcp), show(unix), fmtRatio(gain)]);
      for (const [carrier, value] of [
        ["tcp", tcp],
        ["unix", unix],
      ] as const) {
        if (value !== undefined)
          results.push({ case: `transport_${sc.name}`, system: `otter-${carrier}`, metric, unit, value });
      }
      if (gain !== undefined)
        results.push({
          case: `transport_${sc.name}`,
          system: "otter",
          metric: `${metric}_unix_gain`,
          unit: "×",
          value: gain,
        });
    }
  }
  ctx.print("");
  ctx.print(
    formatTable(["scenario", "figure", "unit", "loopback TCP", "Unix socket", "gain"], rows, [
      "left",
      "left",
      "left",
      "right",
      "right",
      "right",
    ]),
  );
  ctx.print("\nscenarios:");
  for (const sc of SCENARIOS) ctx.print(`  ${sc.name.padEnd(8)} ${sc.what}`);

  ctx.print(`\n## goals${ctx.quick ? " (quick sizes: informational)" : ""}`);
  // The goal is on small messages; a call's latency (call1 above) is shown, not judged: the bare socket round trip
  // itself is only ~1.5× faster over a Unix socket than over loopback TCP on this machine.
  for (const key of ["small1/msgs_per_s", "small8/msgs_per_s"]) {
    const gain = gains.get(key);
    const verdict = gain === undefined ? "SKIP" : gain >= GOAL ? "PASS" : "FAIL";
    ctx.print(`${verdict}  ${`${key} unix ≥ ${GOAL}× tcp`.padEnd(32)}  ${fmtRatio(gain)}`);
  }
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return results;
}

/** One measurement: a fresh server and client on `carrier`, the client's figures. */
async function measure(
  serverScript: ChildScript,
  clientScript: ChildScript,
  epmdPort: number,
  carrier: Carrier,
  test: string,
  args: readonly string[],
): Promise<Figures> {
  const id = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const serverNode = `transport_b_${id}@127.0.0.1`;
  const clientNode = `transport_a_${id}@127.0.0.1`;
  const cookie = randomBytes(12).toString("hex");
  // The children inherit the environment they start with: this is how each side hears which carrier to offer.
  const previous = process.env.OTTER_BENCH_SAME_HOST;
  process.env.OTTER_BENCH_SAME_HOST = carrier === "unix" ? "1" : "0";
  try {
    const server = await serverScript.start([serverNode, cookie, String(epmdPort)], { readyTimeoutMs: 30_000 });
    try {
      const out = await clientScript.run<Figures>([clientNode, cookie, String(epmdPort), serverNode, test, ...args], {
        timeoutMs: 120_000,
      });
      return out.result;
    } finally {
      // The client stops the server; one that outlives it by 5 s is killed.
      const ended = await Promise.race([server.exited.then(() => true), delay(5000).then(() => false)]);
      if (!ended) await server.stop();
    }
  } finally {
    if (previous === undefined) delete process.env.OTTER_BENCH_SAME_HOST;
    else process.env.OTTER_BENCH_SAME_HOST = previous;
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function show(value: number | undefined): string {
  return value === undefined ? "–" : fmt(value);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
