// Runs the BEAM side of a benchmark: a real `erl -noshell` (default settings unless flags are given) that compiles
// our Erlang sources in memory (or loads them precompiled by erlc), times its loops itself, and reports
// `beam <kind> key=value …` lines on stdout.
import { execFile, spawn } from "node:child_process";
import { basename } from "node:path";

/** One report line from erl: `beam bytes case=small size=25` is `{ kind: "bytes", fields: { case, size } }`. */
export interface ErlLine {
  kind: string;
  fields: Record<string, string>;
}

/** The `beam info` line every BEAM benchmark prints first (see bench/beam/bench_lib.erl). */
export interface BeamInfo {
  otp: string;
  erts: string;
  flavor: string;
  schedulers: string;
}

export interface ErlBenchOptions {
  /** Erlang source files, compiled and loaded in this order (helpers first). */
  sources: readonly string[];
  /**
   * A directory holding the sources' .beam files (see `compileErl`): erl then loads them from there instead
   * of compiling in memory, so the compiler's memory is not part of the VM being measured.
   */
  ebin?: string;
  /** Emulator flags placed before `-noshell`, e.g. `["+P", "2000000", "+hms", "1"]`. */
  flags?: readonly string[];
  /** Environment variables for erl, added to this process's (e.g. `ERL_EPMD_PORT`). */
  env?: Readonly<Record<string, string>>;
  /** `Module:main/1` is called with `args` (as a list of strings). */
  module: string;
  args: readonly string[];
  /** erl is killed past this; the benchmark then fails with the output so far. */
  timeoutMs: number;
  /** Called with every report line as it arrives (progress display). */
  onLine?: (line: ErlLine) => void;
}

export interface ErlBenchOutput {
  info: BeamInfo;
  lines: ErlLine[];
}

const PREFIX = "beam ";

/** Parses `beam <kind> k=v k=v` (values carry no spaces); other lines are not report lines. */
export function parseErlLine(text: string): ErlLine | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const [kind, ...pairs] = text.slice(PREFIX.length).trim().split(/\s+/);
  if (kind === undefined || kind === "") return undefined;
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq > 0) fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { kind, fields };
}

function erlString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Starts `erl [flags] -noshell`, compiles and loads `sources` from memory (no .beam files are written; with
 * `ebin`, loads them from there instead), runs `module:main(Args)` and halts. Any exception becomes exit status 1
 * with the reason on stderr, because a failed `-eval` would otherwise leave a headless node running.
 */
export function runErlBench(options: ErlBenchOptions): Promise<ErlBenchOutput> {
  const load =
    options.ebin !== undefined
      ? options.sources.map((path) => `{module, _} = code:ensure_loaded(${basename(path, ".erl")})`).join(", ")
      : options.sources
          .map((path, i) => {
            const src = erlString(path);
            return `{ok, M${i}, B${i}} = compile:file(${src}, [binary, report]), {module, M${i}} = code:load_binary(M${i}, ${src}, B${i})`;
          })
          .join(", ");
  const evalText =
    `try ${load}, ${options.module}:main(init:get_plain_arguments()), halt(0) ` +
    `catch C:R:S -> io:format(standard_error, "~p:~p~n~p~n", [C, R, S]), halt(1) end.`;
  return new Promise((resolve, reject) => {
    const path = options.ebin === undefined ? [] : ["-pa", options.ebin];
    const argv = [...(options.flags ?? []), "-noshell", ...path, "-eval", evalText, "-extra", ...options.args];
    const child = spawn("erl", argv, {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
    });
    const lines: ErlLine[] = [];
    let pending = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const line = parseErlLine(pending.slice(0, nl).replace(/\r$/, ""));
        pending = pending.slice(nl + 1);
        if (line !== undefined) {
          lines.push(line);
          options.onLine?.(line);
        }
        nl = pending.indexOf("\n");
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start erl (is Erlang/OTP installed?): ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`erl did not finish within ${options.timeoutMs} ms\n${stderr}`));
      if (code !== 0) return reject(new Error(`erl exited with ${code ?? signal}\n${stderr}`));
      const info = lines.find((l) => l.kind === "info")?.fields;
      if (info === undefined) return reject(new Error(`erl printed no "beam info" line\n${stderr}`));
      resolve({
        info: {
          otp: info.otp ?? "?",
          erts: info.erts ?? "?",
          flavor: info.flavor ?? "?",
          schedulers: info.schedulers ?? "?",
        },
        lines,
      });
    });
  });
}

/** Compiles Erlang sources with `erlc` into `outDir` (for `ErlBenchOptions.ebin`). */
export function compileErl(sources: readonly string[], outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("erlc", ["-o", outDir, ...sources], (err, _stdout, stderr) => {
      if (err !== null) reject(new Error(`erlc failed (is Erlang/OTP installed?): ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

/** `OTP 25 (erts 13.1.5, jit, 2 schedulers)`. */
export function describeBeam(info: BeamInfo): string {
  return `OTP ${info.otp} (erts ${info.erts}, ${info.flavor}, ${info.schedulers} schedulers)`;
}
