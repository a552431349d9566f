// The main thread's side of the preparing workers: a few threads, each started at its first request (a node that
// loads no code runs none) and preparing one module at a time; a request goes to the one with the fewest in hand.
import type { Worker } from "node:worker_threads";
import { CodeError, ErrorCodes } from "../errors.ts";
import { siblingScript, startScriptWorker } from "../runtime/worker-script.ts";
import { type PrepareAnswer, type PreparedAnswer, type PrepareRequest, unpackExports } from "./prepare-messages.ts";
import type { PreparedSegment } from "./prepared.ts";

const WORKER_SCRIPT = siblingScript(import.meta.url, "prepare-worker");

interface Pending {
  /** The segments received so far. */
  readonly segments: PreparedSegment[];
  resolve(answer: PreparedAnswer): void;
  reject(error: Error): void;
}

class PreparingWorker {
  readonly pending = new Map<number, Pending>();
  private thread: Worker | undefined;
  private stopping = false;

  post(request: PrepareRequest, pending: Pending): void {
    this.thread ??= this.start();
    this.pending.set(request.id, pending);
    if (this.pending.size === 1) this.thread.ref();
    this.thread.postMessage(request);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.failAll(new CodeError(ErrorCodes.CODE_STOPPED, "the code server stopped"));
    await this.thread?.terminate();
  }

  private start(): Worker {
    const thread = startScriptWorker(WORKER_SCRIPT, {});
    thread.unref();
    thread.on("message", (answer: PrepareAnswer) => this.answered(answer));
    thread.on("error", (error) => this.died(error));
    thread.on("exit", (code) => this.died(new Error(`the preparing worker exited with code ${code}`)));
    return thread;
  }

  private answered(answer: PrepareAnswer): void {
    const pending = this.pending.get(answer.id);
    if (pending === undefined) return;
    if (answer.kind === "segment") {
      pending.segments.push(answer.segment);
      return;
    }
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.thread?.unref();
    if (answer.kind === "failed") {
      pending.reject(new CodeError(answer.code as typeof ErrorCodes.CODE_BAD_MODULE, answer.message));
      return;
    }
    const { module, literals, whole } = answer;
    pending.resolve({
      module: { ...module, segments: pending.segments, exports: unpackExports(answer.exports) },
      literals,
      ...(whole === undefined ? {} : { whole }),
    });
  }

  /** A thread that died (out of memory on a huge module, say) fails what it held; the next request starts another. */
  private died(error: Error): void {
    if (this.stopping) return;
    this.failAll(new CodeError(ErrorCodes.CODE_BAD_MODULE, `the preparing worker died: ${error.message}`));
    this.thread?.removeAllListeners();
    this.thread = undefined;
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

export class Preparer {
  private readonly workers: PreparingWorker[] = [];
  private lastId = 0;
  private stopped = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.workers.push(new PreparingWorker());
  }

  prepare(request: Omit<PrepareRequest, "id">): Promise<PreparedAnswer> {
    if (this.stopped) return Promise.reject(new CodeError(ErrorCodes.CODE_STOPPED, "the code server stopped"));
    let worker = this.workers[0]!;
    for (const w of this.workers) if (w.pending.size < worker.pending.size) worker = w;
    return new Promise((resolve, reject) =>
      worker.post({ ...request, id: ++this.lastId }, { segments: [], resolve, reject }),
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
