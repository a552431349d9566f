// ETF benchmark: Otter's encode/decode beside BEAM's term_to_binary/binary_to_term and the npm codecs.
//
// Workloads are PEERS.md's (bench/etf/workloads.ts). BEAM runs first, in its own erl process, and writes
// the bytes every JavaScript codec then decodes; Otter and the peers run afterwards in this process, one
// after another, each measurement preceded by a full GC. Encoding is checked against BEAM's bytes before
// anything is timed, and a mismatch is reported loudly (the run still completes).
import { cpus, loadavg } from "node:os";
import { decode, encode } from "../dist/index.js";
import { type BeamResults, md5, runBeam } from "./etf/beam.ts";
import { type Codec, codecs, peerNames } from "./etf/codecs.ts";
import { goalLines, type Op, type Row, toResults, workloadTable } from "./etf/report.ts";
import { type Workload, workloads } from "./etf/workloads.ts";
import { describeBeam } from "./lib/erl.ts";
import { collectGarbage, type MeasureOptions, measure } from "./lib/measure.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";
import { fmt } from "./lib/table.ts";

export const description = "ETF encode/decode: small term, 1 MiB binary, 10,000 maps — Otter vs BEAM vs npm codecs";

const FULL: MeasureOptions = { warmupMs: 500, runMs: 600, runs: 5 };
const QUICK: MeasureOptions = { warmupMs: 30, runMs: 40, runs: 3 };

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const timing = ctx.quick ? QUICK : FULL;
  const anomalies: string[] = [];
  const loud = (text: string): void => {
    anomalies.push(text);
    ctx.progress(`etf: *** ${text}`);
  };
  // Read before erl runs, which loads a core itself. A benchmark sharing its cores with other work
  // measures the sharing: say so rather than hide it.
  const load = loadavg()[0]!;
  if (load > 0.75) loud(`machine busy: 1-minute load average ${load.toFixed(2)} at start; figures are unreliable`);

  ctx.progress("etf: running BEAM (erl -noshell)");
  let beam: BeamResults | undefined;
  try {
    beam = await runBeam(timing, ctx.progress);
  } catch (err) {
    loud(`BEAM side failed, no BEAM figures: ${(err as Error).message}`);
  }

  const cpu = cpus();
  ctx.print(
    [
      `etf benchmark (${ctx.quick ? "--quick" : "full"}): warm-up ${timing.warmupMs} ms, median of ${timing.runs} runs ` +
        `of ≥ ${timing.runMs} ms each`,
      `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ` +
        `${beam ? describeBeam(beam.info) : "BEAM unavailable"}, load average at start ${load.toFixed(2)}`,
      "beam is timed inside erl (startup excluded); otter and the npm peers in this process, one after another.",
      "MB/s = ETF bytes (10^6) per second; ratios = that system's speed over BEAM's / the fastest npm peer's (>1 is faster).",
    ].join("\n"),
  );

  const rows: Row[] = [];
  for (const spec of workloads) {
    ctx.progress(`etf: building ${spec.name}`);
    const w = spec.build();
    const beamCase = beam?.cases.get(w.name);
    const otterBytes = encode(w.otter);
    w.release();
    let etf = otterBytes;
    const sizes = [`otter ${otterBytes.length} B md5 ${md5(otterBytes)}`];
    if (beamCase !== undefined) {
      etf = beamCase.bytes;
      sizes.unshift(`BEAM ${beamCase.bytes.length} B md5 ${beamCase.md5}`);
      sizes.push(otterBytes.equals(beamCase.bytes) ? "identical" : "*** DIFFERENT ***");
      if (!otterBytes.equals(beamCase.bytes)) {
        loud(
          `${w.name}: Otter's encoding differs from BEAM's (${sizes.join(" vs ")}) at byte ${firstDiff(otterBytes, beamCase.bytes)}`,
        );
      }
      for (const op of ["encode", "decode"] as const) {
        const timingOf = beamCase.timings.get(op);
        if (timingOf === undefined) continue;
        const defaultTiming = op === "encode" ? beamCase.timings.get("encode_default") : undefined;
        rows.push({
          workload: w.name,
          op,
          system: "beam",
          bytes: beamCase.bytes.length,
          wire: "reference",
          timing: timingOf,
          beamDefault: defaultTiming && { bytes: beamCase.defaultSize, timing: defaultTiming },
        });
      }
    }
    try {
      if (!encode(decode(etf)).equals(etf)) loud(`${w.name}: Otter's encode(decode(bytes)) differs from the bytes`);
    } catch (err) {
      loud(`${w.name}: Otter's encode(decode(bytes)) failed: ${(err as Error).message}`);
    }

    const notes: string[] = [];
    for (const op of ["encode", "decode"] as const) {
      for (const codec of codecs) {
        const row = measureCodec(ctx, timing, codec, op, w, etf, beamCase?.bytes, notes);
        if (row !== undefined) rows.push(row);
      }
    }

    ctx.print(`\n## ${w.name}: ${w.erlang}\nbytes: ${sizes.join(", ")}`);
    ctx.print(workloadTable(rows, w.name, peerNames));
    const beamEncode = rows.find((r) => r.workload === w.name && r.op === "encode" && r.system === "beam");
    if (beamEncode?.beamDefault !== undefined) {
      const d = beamEncode.beamDefault;
      notes.unshift(
        `beam encode is term_to_binary(T, [{minor_version, 2}]) (Otter's bytes); term_to_binary(T) ` +
          `(OTP 25 default, ATOM_EXT atoms, ${d.bytes} B): ${fmt(d.timing.usPerOp)} µs/op`,
      );
    }
    notes.push(`@typescord/ftee encode: ${w.fteeFidelity}`);
    for (const note of notes) ctx.print(`- ${note}`);
  }

  ctx.print("\n## fidelity of decoding (all decode BEAM's bytes)");
  for (const codec of codecs) ctx.print(`- ${codec.name}: ${codec.decodeFidelity}`);

  const goals = goalLines(rows, peerNames);
  ctx.print(`\n## goals (issue 3), informational: ${goals.passed}/${goals.total} pass`);
  for (const line of goals.lines) ctx.print(line);
  if (anomalies.length > 0) {
    ctx.print("\n## ANOMALIES");
    for (const a of anomalies) ctx.print(`*** ${a}`);
  }
  return toResults(rows);
}

/** Checks one codec on one workload and op, then times it; a codec that cannot do it gets a note instead. */
function measureCodec(
  ctx: BenchContext,
  timing: MeasureOptions,
  codec: Codec,
  op: Op,
  w: Workload,
  etf: Buffer,
  beamBytes: Buffer | undefined,
  notes: string[],
): Row | undefined {
  let bytes: number;
  let wire: Row["wire"] = "same input";
  // Without BEAM's bytes, encodings cannot be checked, and decoders read Otter's encoding instead.
  try {
    if (op === "encode") {
      const out = codec.encodeOnce(w);
      bytes = out.length;
      wire = beamBytes === undefined ? "unchecked" : out.equals(beamBytes) ? "identical" : "differs";
    } else {
      codec.decodeOnce(etf);
      bytes = etf.length;
    }
  } catch (err) {
    notes.push(`${codec.name} cannot ${op} ${w.name}: ${(err as Error).message}`);
    return undefined;
  }
  ctx.progress(`etf: ${w.name} ${op} ${codec.name}`);
  collectGarbage();
  const batch = op === "encode" ? codec.encodeBatch(w) : codec.decodeBatch(etf);
  const row: Row = { workload: w.name, op, system: codec.name, bytes, wire, timing: measure(batch, timing) };
  codec.release();
  w.release(); // the next codec is timed with only its own term alive
  return row;
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
