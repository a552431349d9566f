// The BEAM column of the ETF benchmark: runs bench/beam/etf_bench.erl in erl and collects its bytes and timings.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BeamInfo, type ErlLine, runErlBench } from "../lib/erl.ts";
import { type Measurement, type MeasureOptions, type Run, summarize } from "../lib/measure.ts";
import type { WorkloadName } from "./workloads.ts";

/** `encode` is `term_to_binary(T, [{minor_version, 2}])`; `encode_default` is `term_to_binary(T)`. */
export type BeamOp = "encode" | "decode" | "encode_default";

export interface BeamCase {
  /** `term_to_binary(T, [{minor_version, 2}])`, as written by erl: every JavaScript codec decodes these. */
  bytes: Buffer;
  md5: string;
  /** Size of `term_to_binary(T)` (OTP 25's default minor version 1 writes Latin-1 ATOM_EXT atoms). */
  defaultSize: number;
  timings: Map<BeamOp, Measurement>;
}

export interface BeamResults {
  info: BeamInfo;
  cases: Map<WorkloadName, BeamCase>;
}

const sources = ["bench_lib.erl", "etf_bench.erl"].map((f) => fileURLToPath(new URL(`../beam/${f}`, import.meta.url)));

export function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** Runs the BEAM side with the same timing options as the JavaScript side. */
export async function runBeam(timing: MeasureOptions, progress: (text: string) => void): Promise<BeamResults> {
  const dir = await mkdtemp(join(tmpdir(), "otter-bench-etf-"));
  try {
    const perMeasurementMs = timing.warmupMs + timing.runs * timing.runMs;
    const output = await runErlBench({
      sources,
      module: "etf_bench",
      args: [dir, String(timing.warmupMs), String(timing.runMs), String(timing.runs)],
      // 9 measurements, generously padded (erl start, term building, slow first batches).
      timeoutMs: 60_000 + 9 * perMeasurementMs * 4,
      onLine: (line) => {
        if (line.kind === "bytes") progress(`etf: beam ${line.fields.case} (${line.fields.size} bytes)`);
      },
    });
    const cases = new Map<WorkloadName, BeamCase>();
    for (const line of output.lines.filter((l) => l.kind === "bytes")) {
      const name = field(line, "case") as WorkloadName;
      const bytes = await readFile(join(dir, `${name}.etf`));
      const reported = field(line, "md5");
      if (bytes.length !== Number(field(line, "size")) || md5(bytes) !== reported) {
        throw new Error(`${name}.etf read back from erl does not match the size and MD5 erl reported`);
      }
      cases.set(name, { bytes, md5: reported, defaultSize: Number(field(line, "default_size")), timings: new Map() });
    }
    const runs = new Map<string, Run[]>();
    for (const line of output.lines.filter((l) => l.kind === "run")) {
      const key = `${field(line, "case")}/${field(line, "op")}`;
      const list = runs.get(key) ?? [];
      list.push({ ns: Number(field(line, "ns")), ops: Number(field(line, "ops")) });
      runs.set(key, list);
    }
    for (const [key, list] of runs) {
      const [name, op] = key.split("/") as [WorkloadName, BeamOp];
      cases.get(name)?.timings.set(op, summarize(list));
    }
    return { info: output.info, cases };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function field(line: ErlLine, key: string): string {
  const value = line.fields[key];
  if (value === undefined) throw new Error(`erl line "${line.kind}" lacks ${key}`);
  return value;
}
