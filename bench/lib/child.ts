// Runs a benchmark scenario in its own `node` process, so its peak RSS and heap are its own.
//
// The scenario is a TypeScript file that imports only `node:` modules and the compiled package (`dist/`). It is
// transpiled here (TypeScript's transpileModule, no type check) to a temporary .mjs whose relative imports are
// rewritten to absolute file URLs, and run with plain `node`: no tsx loader in the child, whose hooks thread
// alone adds ~47 MB of RSS (measured: a bare import of dist/ peaks at 50 MB RSS with plain node, 97 MB with
// `--import tsx`). The child prints its result as one JSON object on the last line of stdout.
//
// OTTER_BENCH_NODE_FLAGS (whitespace-separated) adds node flags to every child, e.g.
// `OTTER_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- messaging` to profile.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));

export interface ChildRun<T> {
  /** The JSON object the child printed last. */
  result: T;
  /** Wall time of the whole child process (startup included), in ms. */
  wallMs: number;
}

export interface ChildScript {
  /** Runs the scenario with `args`; rejects if it fails, prints no JSON, or outlives `timeoutMs` (then killed). */
  run<T>(args: readonly string[], options: { timeoutMs: number; nodeFlags?: readonly string[] }): Promise<ChildRun<T>>;
  /** Removes the transpiled file. */
  dispose(): Promise<void>;
}

/** Transpiles `script` (a URL of a .ts file under bench/) once, for any number of runs. */
export async function prepareChild(script: URL): Promise<ChildScript> {
  const code = await transpileChild(script);
  const dir = await mkdtemp(join(tmpdir(), "otter-bench-child-"));
  const path = join(dir, "scenario.mjs");
  await writeFile(path, code);
  const extraFlags = (process.env.OTTER_BENCH_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f !== "");
  return {
    run: (args, options) => runNode(path, [...(options.nodeFlags ?? []), ...extraFlags], args, options.timeoutMs),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The JavaScript of a child scenario, runnable from any directory: its relative imports (which must lead into
 * dist/) become absolute file URLs. Also handy to run a scenario by hand under a profiler.
 */
export async function transpileChild(script: URL): Promise<string> {
  const sourcePath = fileURLToPath(script);
  const source = await readFile(sourcePath, "utf8");
  const out = ts.transpileModule(source, {
    fileName: sourcePath,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      rewriteRelativeImportExtensions: true,
      sourceMap: false,
    },
  });
  return out.outputText.replace(/(\bfrom\s*|\bimport\s*)(["'])(\.{1,2}\/[^"']+)\2/g, (_m, head, q, spec) => {
    const target = resolve(dirname(sourcePath), spec);
    if (relative(DIST, target).startsWith("..")) {
      throw new Error(`${sourcePath}: a child scenario may import only node: modules and dist/, not ${spec}`);
    }
    return `${head}${q}${pathToFileURL(target).href}${q}`;
  });
}

function runNode<T>(
  path: string,
  flags: readonly string[],
  args: readonly string[],
  timeoutMs: number,
): Promise<ChildRun<T>> {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [...flags, path, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const what = `node ${args.join(" ")}`;
      if (timedOut) return reject(new Error(`${what}: did not finish within ${timeoutMs} ms\n${stderr}`));
      if (code !== 0) return reject(new Error(`${what}: exited with ${code ?? signal}\n${stderr}`));
      const last = stdout.trimEnd().split("\n").pop() ?? "";
      try {
        resolvePromise({ result: JSON.parse(last) as T, wallMs: performance.now() - start });
      } catch {
        reject(new Error(`${what}: the last line of stdout is not JSON: ${last}\n${stderr}`));
      }
    });
  });
}
