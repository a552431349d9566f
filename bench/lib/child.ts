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
  /** Starts a long-running scenario (a server); resolves once it prints a line starting with `ready`. */
  start(args: readonly string[], options: { readyTimeoutMs: number }): Promise<ChildServer>;
  /** Removes the transpiled file. */
  dispose(): Promise<void>;
}

/** A long-running child: it ends by itself (`exited`) or when stopped. */
export interface ChildServer {
  /** Settles when the child exits (rejects if it exits with an error). */
  readonly exited: Promise<void>;
  /** Kills the child if it is still running and waits for it to exit. */
  stop(): Promise<void>;
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
    start: (args, options) => startServerNode(path, extraFlags, args, options.readyTimeoutMs),
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

function startServerNode(
  path: string,
  flags: readonly string[],
  args: readonly string[],
  readyTimeoutMs: number,
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...flags, path, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const what = `node ${args.join(" ")}`;
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolveExit, rejectExit) => {
    child.on("error", rejectExit);
    child.on("close", (code, signal) => {
      if (code === 0 || signal === "SIGKILL") resolveExit();
      else rejectExit(new Error(`${what}: exited with ${code ?? signal}\n${stderr}`));
    });
  });
  exited.catch(() => {}); // observed through `ready` or by the caller
  const server: ChildServer = {
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited.catch(() => {});
    },
  };
  return new Promise((resolveReady, rejectReady) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rejectReady(new Error(`${what}: not ready within ${readyTimeoutMs} ms\n${stderr}`));
    }, readyTimeoutMs);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (/^ready\b/m.test(stdout)) {
        clearTimeout(timer);
        resolveReady(server);
      }
    });
    exited.then(
      () => rejectReady(new Error(`${what}: exited before it was ready\n${stderr}`)),
      (err: unknown) => rejectReady(err),
    );
  });
}
