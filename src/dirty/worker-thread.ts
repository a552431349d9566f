// Starting a pool worker's thread: the memory and ports it shares with the main thread, and the thread itself.
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import { siblingScript, startScriptWorker } from "../runtime/worker-script.ts";
import { type ChannelViews, channelViews, createChannelMemory } from "./channel.ts";
import type { LoadModule, WorkerStart } from "./messages.ts";

/** The worker's script: worker.js built, worker.ts from the TypeScript sources. */
const WORKER_SCRIPT = siblingScript(import.meta.url, "worker");

/** A started worker thread and the main thread's ends of what it shares. */
export interface WorkerThread {
  readonly worker: Worker;
  readonly views: ChannelViews;
  /** Arguments and results the rings cannot carry, in the order of their records. */
  readonly dataPort: MessagePort;
  /** LoadModule messages out, WorkerAnswer messages in. */
  readonly controlPort: MessagePort;
}

/**
 * Starts a worker on a fresh channel: it signals answers on `signal`, spins `spinMicros` for work before it parks,
 * and loads `modules` before it takes calls.
 */
export function startWorkerThread(
  signal: Int32Array,
  spinMicros: number,
  modules: readonly LoadModule[],
): WorkerThread {
  const views = channelViews(createChannelMemory());
  const data = new MessageChannel();
  const control = new MessageChannel();
  const workerData: WorkerStart = {
    channel: views.control.buffer as SharedArrayBuffer,
    signal: signal.buffer as SharedArrayBuffer,
    dataPort: data.port2,
    controlPort: control.port2,
    spinMicros,
    modules,
  };
  const worker = startScriptWorker(WORKER_SCRIPT, { workerData, transferList: [data.port2, control.port2] });
  return { worker, views, dataPort: data.port1, controlPort: control.port1 };
}
