// Smoke test of `npm run bench -- etf --quick --json`: the runner's JSON contract, never the timings.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type BenchResult, BENCH_DEADLINE_MS as DEADLINE_MS, runBench } from "../../support/bench.ts";

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
  const results = report.results as BenchResult[];
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
