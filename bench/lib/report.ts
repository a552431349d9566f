// The shapes every benchmark shares: its module interface, its context, and the `--json` result record.

/** One figure, as DESIGN.md's bench contract puts it in the `--json` line. */
export interface BenchResult {
  case: string;
  /** "otter", "beam", or an npm peer's package name. */
  system: string;
  metric: string;
  unit: string;
  value: number;
}

/** The object printed as the last line of stdout with `--json`. */
export interface BenchReport {
  bench: string;
  results: BenchResult[];
}

export interface BenchContext {
  /** `--quick`: short measurements, for smoke tests. */
  quick: boolean;
  /** Human output (tables, goal checks) on stdout. */
  print(text: string): void;
  /** Progress and warnings on stderr, so stdout stays tables plus the JSON line. */
  progress(text: string): void;
}

/** What `bench/run.ts` loads for a benchmark name. */
export interface BenchModule {
  /** One line saying what the benchmark measures (shown by `npm run bench` with no name). */
  readonly description: string;
  run(context: BenchContext): Promise<BenchResult[]>;
}

/** Checks a result is one the contract allows: a positive finite value with named case, system and metric. */
export function validResult(r: BenchResult): boolean {
  return r.case !== "" && r.system !== "" && r.metric !== "" && Number.isFinite(r.value) && r.value > 0;
}
