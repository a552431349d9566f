// Benchmark runner: `npm run bench -- NAME [--quick] [--json]` runs one benchmark from the table below.
//
// Tables go to stdout, progress to stderr. With `--json` the last line of stdout is exactly one JSON
// object, `{"bench": NAME, "results": [...]}` (DESIGN.md, "Contracts that tools and checks rely on").
import type { BenchModule, BenchReport } from "./lib/report.ts";
import { validResult } from "./lib/report.ts";

/** Benchmark name → module; a new benchmark is one more line here. */
const benchmarks: Record<string, () => Promise<BenchModule>> = {
  etf: () => import("./etf.ts"),
  processes: () => import("./processes.ts"),
  messaging: () => import("./messaging.ts"),
  otp: () => import("./otp.ts"),
  dist: () => import("./dist.ts"),
  dirty: () => import("./dirty.ts"),
  codeload: () => import("./codeload.ts"),
  cluster: () => import("./cluster.ts"),
};

function usage(): string {
  return `usage: npm run bench -- NAME [--quick] [--json]\nbenchmarks: ${Object.keys(benchmarks).join(", ")}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const names = argv.filter((a) => !a.startsWith("--"));
  const unknownFlags = [...flags].filter((f) => f !== "--quick" && f !== "--json");
  const name = names[0];
  const load = name === undefined ? undefined : benchmarks[name];
  if (load === undefined || names.length !== 1 || unknownFlags.length > 0) {
    process.stderr.write(`${usage()}\n`);
    for (const [n, l] of Object.entries(benchmarks)) process.stderr.write(`  ${n}: ${(await l()).description}\n`);
    return 2;
  }
  const bench = await load();
  const results = await bench.run({
    quick: flags.has("--quick"),
    print: (text) => process.stdout.write(`${text}\n`),
    progress: (text) => process.stderr.write(`${text}\n`),
  });
  const invalid = results.filter((r) => !validResult(r));
  if (invalid.length > 0) process.stderr.write(`warning: ${invalid.length} results are not positive finite numbers\n`);
  if (flags.has("--json")) {
    const report: BenchReport = { bench: name!, results };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
