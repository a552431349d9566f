// What the main thread and a pool worker say to each other outside the rings: module loads and their answers,
// and what a worker starts with.
import type { MessagePort } from "node:worker_threads";
import type { CarriedError } from "./carried-error.ts";

/** Where a module's code comes from: an ES module's URL, or a compiled WebAssembly module. */
export type ModuleSource = { readonly url: string } | { readonly wasm: WebAssembly.Module };

/** Loads a module into a worker: its exported functions `names` get the function ids `base`, `base + 1`, … */
export interface LoadModule {
  readonly kind: "load";
  readonly id: number;
  readonly source: ModuleSource;
  readonly names: readonly string[];
  readonly base: number;
}

export type WorkerAnswer =
  | { readonly kind: "loaded"; readonly id: number }
  | { readonly kind: "loadFailed"; readonly id: number; readonly error: CarriedError };

export interface WorkerStart {
  readonly channel: SharedArrayBuffer;
  /** The pool's completion signal's memory. */
  readonly signal: SharedArrayBuffer;
  /** Arguments and results that the rings cannot carry, in the order of their records. */
  readonly dataPort: MessagePort;
  /** LoadModule messages in, WorkerAnswer messages out. */
  readonly controlPort: MessagePort;
  /** Microseconds to spin for a call before parking. */
  readonly spinMicros: number;
  /** The modules loaded so far, loaded before the worker takes calls (a restarted worker gets them all). */
  readonly modules: readonly LoadModule[];
}
