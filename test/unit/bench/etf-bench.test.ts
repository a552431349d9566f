// Smoke test of `npm run bench -- etf --quick --json`: the runner's JSON contract, never the timings.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DEADLINE_MS = 150_000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the benchmark runner as `npm run bench` would, killing it at the deadline. */
function runBench(args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

interface Result {
  case: string;
  system: string;
  metric: string;
  unit: string;
  value: number;
}

test("bench etf --quick --json ends stdout with one JSON report covering every system and case", {
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const out = await runBench(["etf", "--quick", "--json"]);
  assert.equal(out.signal, null, `killed at the ${DEADLINE_MS} ms deadline\n${out.stderr}`);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split("\n");
  const report = JSON.parse(lines[lines.length - 1]!) as { bench: unknown; results: unknown };
  assert.equal(report.bench, "etf");
  assert.ok(Array.isArray(report.results) && report.results.length > 0);
  const results = report.results as Result[];
  for (const r of results) {
    assert.equal(typeof r.case, "string");
    assert.equal(typeof r.system, "string");
    assert.equal(typeof r.metric, "string");
    assert.equal(typeof r.unit, "string");
    assert.ok(typeof r.value === "number" && Number.isFinite(r.value) && r.value > 0, `${JSON.stringify(r)}`);
  }
  const peers = ["erlang_js", "@typescord/ftee"];
  for (const workload of ["small", "bin1m", "maps10k"]) {
    for (const op of ["encode", "decode"]) {
      const here = results.filter((r) => r.case === `${workload}/${op}` && r.metric === "time_per_op");
      const systems = new Set(here.map((r) => r.system));
      assert.ok(systems.has("otter"), `no otter figure for ${workload}/${op}`);
      assert.ok(systems.has("beam"), `no beam figure for ${workload}/${op}`);
      assert.ok(
        peers.some((p) => systems.has(p)),
        `no npm peer figure for ${workload}/${op}`,
      );
    }
  }
});

test("bench with an unknown name prints the usage and exits 2", { timeout: 30_000 }, async () => {
  const out = await runBench(["no-such-bench"]);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /usage: npm run bench -- NAME/);
  assert.equal(out.stdout, "");
});
