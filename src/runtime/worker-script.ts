// Starting a worker thread on one of Otter's own modules, built (`.js`) or run from its TypeScript sources.
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread running `script`, a module of Otter's given as a URL to its `.js` or its `.ts` file.
 * Built, it is a `.js` file the thread loads as it is. Run from the TypeScript sources (Otter's own tests, through
 * tsx), a worker thread of Node 20 cannot load `.ts` by itself: a one-line bootstrap registers tsx's loader in the
 * thread first.
 */
export function startScriptWorker(script: URL, options: WorkerOptions): Worker {
  if (!script.pathname.endsWith(".ts")) return new Worker(script, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** The URL of module `name` (without extension) beside `here` (a module's `import.meta.url`), in the same form. */
export function siblingScript(here: string, name: string): URL {
  return new URL(`./${name}${here.endsWith(".ts") ? ".ts" : ".js"}`, here);
}
