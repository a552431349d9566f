// Smoke tests of `npm run bench -- processes|messaging|otp --quick --json`: the runner's JSON contract and that
// both Otter and BEAM figures are there for every case, never the timings. (dist/ must be built: `npm test` does.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { type BenchResult, BENCH_DEADLINE_MS as DEADLINE_MS, runBench } from "../../support/bench.ts";

/** Runs `name --quick --json` and returns the results of its last stdout line, checked against the contract. */
async function quickReport(name: string): Promise<{ results: BenchResult[]; stdout: string }> {
  const out = await runBench([name, "--quick", "--json"]);
  assert.equal(out.signal, null, `killed at the ${DEADLINE_MS} ms deadline\n${out.stderr}`);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split("\n");
  const report = JSON.parse(lines[lines.length - 1]!) as { bench: unknown; results: unknown };
  assert.equal(report.bench, name);
  assert.ok(Array.isArray(report.results) && report.results.length > 0);
  const results = report.results as BenchResult[];
  for (const r of results) {
    assert.equal(typeof r.case, "string");
    assert.ok(r.system === "otter" || r.system === "beam", `unexpected system ${r.system}`);
    assert.equal(typeof r.metric, "string");
    assert.equal(typeof r.unit, "string");
    assert.ok(typeof r.value === "number" && Number.isFinite(r.value) && r.value > 0, `${JSON.stringify(r)}`);
  }
  // A run that printed figures but noted failures (a crashed child, a lost message) is no pass.
  assert.doesNotMatch(out.stdout, /failed|received \d+ of|still alive|processes alive after/, out.stdout);
  return { results, stdout: out.stdout };
}

function has(results: readonly BenchResult[], c: string, system: string, metric: string): boolean {
  return results.some((r) => r.case === c && r.system === system && r.metric === metric);
}

test("bench processes --quick --json: otter and beam (default and tuned) figures for both process kinds", {
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const { results, stdout } = await quickReport("processes");
  for (const c of ["idle/behaviour", "idle/async"]) {
    for (const metric of ["peak_rss", "spawn_time", "wake_finish_time", "bytes_per_process"]) {
      assert.ok(has(results, c, "otter", metric), `no otter ${metric} for ${c}`);
      assert.ok(has(results, c, "beam", metric), `no beam ${metric} for ${c}`);
      assert.ok(has(results, c, "beam", `${metric}_hms1_L_ec`), `no tuned beam ${metric} for ${c}`);
    }
  }
  assert.match(stdout, /## goals/);
});

test("bench messaging --quick --json: otter and beam rates for every scenario and process kind", {
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const { results, stdout } = await quickReport("messaging");
  for (const [scenario, metric] of [
    ["pingpong", "round_trips_per_s"],
    ["ring", "msgs_per_s"],
    ["fanin", "msgs_per_s"],
  ] as const) {
    for (const kind of ["behaviour", "async"]) {
      const c = `${scenario}/${kind}`;
      assert.ok(has(results, c, "otter", metric), `no otter ${metric} for ${c}`);
      assert.ok(has(results, c, "beam", metric), `no beam ${metric} for ${c}`);
      assert.ok(has(results, c, "otter", "vs_beam"), `no ratio for ${c}`);
    }
  }
  assert.match(stdout, /## goals/);
});

test("bench otp --quick --json: otter and beam call rates and latencies, supervisor restart rates", {
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const { results, stdout } = await quickReport("otp");
  for (const c of ["call1", "call16"]) {
    for (const metric of ["calls_per_s", "latency_median", "latency_p99", "calls"]) {
      assert.ok(has(results, c, "otter", metric), `no otter ${metric} for ${c}`);
      assert.ok(has(results, c, "beam", metric), `no beam ${metric} for ${c}`);
    }
    assert.ok(has(results, c, "otter", "vs_beam"), `no ratio for ${c}`);
  }
  assert.ok(has(results, "restart", "beam", "restarts_per_s"), "no beam restarts_per_s");
  assert.ok(has(results, "restart", "otter", "restarts_per_s"), "no otter restarts_per_s");
  assert.match(stdout, /## goals/);
});
