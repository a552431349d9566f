// Tests of `npm run bench -- codeload`: its generated modules (the same code and data on the Erlang and JavaScript
// sides) and a smoke run of `--quick --json` (the JSON contract and every system's figures, never the timings).
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateCase } from "../../../bench/codeload/generate.ts";
import { type BenchResult, BENCH_DEADLINE_MS as DEADLINE_MS, runBench } from "../../support/bench.ts";

type GeneratedFunction = (x: unknown) => unknown;

async function importText(source: string): Promise<Record<string, GeneratedFunction>> {
  return import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
}

test("a funs module: N exported functions answering as gen_bigmod.py's Erlang clauses do", async () => {
  const generated = generateCase({ name: "funs7", kind: "funs", size: 7 });
  assert.equal(generated.otterEntry, "funs7.mjs");
  assert.equal(generated.nodeEntry, "funs7.mjs");
  const mod = await importText(generated.files["funs7.mjs"]!);
  assert.deepEqual(Object.keys(mod).sort(), ["f0", "f1", "f2", "f3", "f4", "f5", "f6"]);
  assert.deepEqual(mod.f3!(2), [5, 8, [2, 3, "f3"]]);
  assert.deepEqual(mod.f3!([1, 2]), [2, 1, 3]);
  assert.deepEqual(mod.f6!("x"), ["error", "x", 6, mod.f0]);
  assert.match(generated.erl, /^-module\(funs7\)\./);
  assert.ok(
    generated.erl.includes(
      'f3(X) when is_integer(X) -> [X + 3, X * 4, {X, 3, <<"f3">>}];\n' +
        "f3(X) when is_list(X) -> lists:reverse([3 | X]);\n" +
        "f3(X) -> {error, X, 3, f4}.",
    ),
    generated.erl,
  );
  assert.ok(generated.erl.includes("f6(X) -> {error, X, 6, f0}."));
});

test("a literal module: the Erlang literal and Node's JSON hold the same seeded elements, every run", () => {
  const spec = { name: "lit50", kind: "lit", size: 50 } as const;
  const generated = generateCase(spec);
  assert.deepEqual(generateCase(spec), generated);
  assert.equal(generated.etf, "lit50.etf");
  assert.match(generated.files["lit50.mjs"]!, /import data from "\.\/lit50\.etf";/);
  assert.match(generated.files["lit50.node.mjs"]!, /import data from "\.\/lit50\.json" with \{ type: "json" \};/);
  const json = JSON.parse(generated.files["lit50.json"]!) as [number, string, string, number][];
  const erlElements = [...generated.erl.matchAll(/\{(\d+), <<"([a-z0-9]{24})">>, "([a-z0-9]{12})", (\d\.\d{6})\}/g)];
  assert.equal(json.length, 50);
  assert.equal(erlElements.length, 50);
  erlElements.forEach(([, index, binary, string, float], i) => {
    assert.deepEqual(json[i], [Number(index), binary, string, Number(float)]);
    assert.equal(Number(index), i);
    assert.equal(string, binary!.slice(0, 12));
  });
  assert.ok(new Set(json.map((e) => e[1])).size === 50, "the random strings repeat");
});

test("bench codeload --quick --json: load times of node, beam and beam +S 1 and the floor's pause for every case; otter's once it exists", {
  timeout: DEADLINE_MS + 10_000,
}, async () => {
  const out = await runBench(["codeload", "--quick", "--json"]);
  assert.equal(out.signal, null, `killed at the ${DEADLINE_MS} ms deadline\n${out.stderr}`);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split("\n");
  const report = JSON.parse(lines[lines.length - 1]!) as { bench: unknown; results: BenchResult[] };
  assert.equal(report.bench, "codeload");
  for (const r of report.results) {
    assert.ok(["otter", "node", "node-floor", "beam"].includes(r.system), `unexpected system ${r.system}`);
    assert.ok(typeof r.value === "number" && Number.isFinite(r.value) && r.value > 0, `${JSON.stringify(r)}`);
  }
  const has = (c: string, system: string, metric: string): boolean =>
    report.results.some((r) => r.case === c && r.system === system && r.metric === metric);
  const otterMissing = /otter code\.load\s+not available/.test(out.stdout);
  assert.doesNotMatch(out.stdout, /failed|not confirmed/, out.stdout);
  for (const c of ["bigfun5k", "bigfun20k", "biglit200k"]) {
    assert.ok(has(c, "node", "load_time"), `no node load_time for ${c}`);
    assert.ok(has(c, "beam", "load_time"), `no beam load_time for ${c}`);
    assert.ok(has(c, "beam", "load_time_S1"), `no beam +S 1 load_time for ${c}`);
    assert.ok(has(c, "beam", "module_size") && has(c, "node", "module_size"), `no module sizes for ${c}`);
    assert.ok(has(c, "node-floor", "load_time") && has(c, "node-floor", "loop_turn_gap"), `no floor for ${c}`);
    if (!otterMissing) {
      assert.ok(has(c, "otter", "load_time"), `no otter load_time for ${c}`);
      assert.ok(has(c, "otter", "load_vs_beam"), `no otter load ratio for ${c}`);
    }
  }
  assert.match(out.stdout, /## goals \(issue 8\)/);
});
