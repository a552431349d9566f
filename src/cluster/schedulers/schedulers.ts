// A node's schedulers, seen from the main thread (scheduler 0): the plan made before its runtime exists (how
// many, their shared names), the threads of the others (started at the first signal one of them is sent, so a
// node that never spawns elsewhere pays nothing but the memory), module loads on all of them, and stop.
import { once } from "node:events";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { ExportedModules } from "../../dist/modules.ts";
import type { NameDirectory, Runtime, SignalSink, SignalTransport } from "../../runtime/index.ts";
import { DEFAULT_BUSY_WAIT_US } from "../../runtime/scheduler.ts";
import { siblingScript, startScriptWorker } from "../../runtime/worker-script.ts";
import type { Atom } from "../../term/atom.ts";
import { type LoadSource, RuntimeLoadSource } from "../load-report.ts";
import { type BlobPorts, Blobs, blobPorts } from "./blobs.ts";
import { bindSchedulerContext } from "./context.ts";
import { LoadMeter, readLoads, type SchedulerSample } from "./load-meter.ts";
import { type MeshLayout, MeshMemory, meshLayout } from "./mesh-memory.ts";
import { SchedulerPort } from "./port.ts";
import { SharedNames, type SharedNamesLayout, sharedNamesLayout } from "./shared-names.ts";
import { type FromThread, loadFunctions, type ThreadData, type ToThread } from "./thread-messages.ts";

/** How long a stopping scheduler's thread may take to end its processes before it is terminated, in ms. */
const STOP_GRACE_MS = 2000;

export interface SchedulersOptions {
  /** How many schedulers the node runs, the main thread's included (default: the machine's cores). */
  count?: number;
  /** How long each busy-waits for signals after the last, in µs (as the runtime's busyWaitUs; default 100). */
  busyWaitUs?: number;
}

/** What the node's runtime needs before it is made: how many schedulers, and the names they share. */
export interface SchedulerPlan {
  readonly count: number;
  readonly busyWaitUs: number;
  readonly mesh?: MeshLayout;
  readonly names?: SharedNamesLayout;
}

export function planSchedulers(options: SchedulersOptions = {}): SchedulerPlan {
  const count = options.count ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`schedulers must be a count ≥ 1, not ${count}`);
  const busyWaitUs = options.busyWaitUs ?? DEFAULT_BUSY_WAIT_US;
  if (count === 1) return { count, busyWaitUs };
  return { count, busyWaitUs, mesh: meshLayout(count), names: sharedNamesLayout() };
}

/** The shared names of a plan's schedulers, for the main runtime (none for a node of one scheduler). */
export function planNames(plan: SchedulerPlan, node: Atom, creation: number): NameDirectory | undefined {
  return plan.names === undefined ? undefined : new SharedNames(plan.names, node, creation);
}

export class Schedulers {
  readonly count: number;
  /** Where the distribution delivers what comes from other nodes (each signal goes to its scheduler). */
  readonly sink: SignalSink;
  private readonly port: SchedulerPort | undefined;
  private readonly memory: MeshMemory | undefined;
  private readonly meter: LoadMeter | undefined;
  private readonly threads: Worker[] = [];
  /** Each scheduler's ports for large records (see blobs.ts); the threads' go to them when they start. */
  private readonly ports: BlobPorts[] = [];
  private readonly modules: { name: string; url: string }[] = [];
  private readonly loading = new Map<number, { left: number; resolve: () => void; errors: string[] }>();
  private lastLoadId = 0;
  private startedThreads = false;
  private readonly busyWaitUs: number;

  /** `outside`: the distribution (the runtime's transport until now); `modules`: what spawn requests may run here. */
  constructor(
    private readonly plan: SchedulerPlan,
    private readonly runtime: Runtime,
    outside: SignalTransport,
    private readonly exported: ExportedModules,
  ) {
    this.count = plan.count;
    this.busyWaitUs = plan.busyWaitUs;
    if (plan.mesh === undefined || plan.names === undefined) {
      this.sink = runtime;
      return;
    }
    const memory = new MeshMemory(plan.mesh);
    this.memory = memory;
    this.ports = blobPorts(plan.count);
    const { outbound, inbound } = this.ports[0]!;
    const others = { started: () => this.startedThreads, start: () => this.startThreads() };
    this.port = new SchedulerPort({
      memory,
      runtime,
      modules: exported,
      busyWaitUs: plan.busyWaitUs,
      blobs: new Blobs(outbound, inbound, false),
      outside,
      others,
    });
    runtime.setTransport(this.port);
    bindSchedulerContext(runtime, { memory });
    this.sink = this.port.fromOutside;
    this.meter = new LoadMeter(memory, runtime);
  }

  /**
   * Every scheduler's load as each last sampled it. Until the other schedulers' threads start, the main thread's
   * run queue and processes now, and the others idle.
   */
  loads(): SchedulerSample[] {
    if (this.memory !== undefined && this.startedThreads) return readLoads(this.memory);
    const { runQueueLength: runQueue, processCount: processes } = this.runtime;
    return Array.from({ length: this.count }, (_, scheduler) =>
      scheduler === 0
        ? { scheduler, runQueue, processes, utilisation: 0 }
        : { scheduler, runQueue: 0, processes: 0, utilisation: 0 },
    );
  }

  /** The node's load for cluster load reports: one entry per scheduler. */
  loadSource(): LoadSource {
    const main = new RuntimeLoadSource(this.runtime);
    return {
      sample: () => {
        const mainNow = main.sample()[0]!;
        return this.startedThreads ? this.loads() : this.loads().map((l) => (l.scheduler === 0 ? mainNow : l));
      },
    };
  }

  /**
   * Makes module `name` (an ES module at `url` whose exported functions take `self` first) runnable by name on
   * every scheduler: spawnOn/spawnLb and spawn requests from other nodes can then run its functions anywhere.
   */
  async load(name: string, url: string | URL): Promise<void> {
    const href = String(url);
    this.exported.export(name, await loadFunctions(href));
    this.modules.push({ name, url: href });
    if (!this.startedThreads) return;
    const id = ++this.lastLoadId;
    const errors: string[] = [];
    await new Promise<void>((resolve) => {
      this.loading.set(id, { left: this.threads.length, resolve, errors });
      for (const t of this.threads) t.postMessage({ kind: "load", id, name, url: href } satisfies ToThread);
    });
    if (errors.length > 0) throw new Error(`module ${name} failed to load on a scheduler: ${errors[0]}`);
  }

  /** Starts the other schedulers' threads now, rather than at the first signal for one of them. */
  start(): void {
    this.startThreads();
  }

  async stop(): Promise<void> {
    this.port?.stop();
    this.meter?.stop();
    await Promise.all(
      this.threads.map(async (t) => {
        const exited = once(t, "exit");
        t.postMessage({ kind: "stop" } satisfies ToThread);
        const timer = setTimeout(() => void t.terminate(), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private startThreads(): void {
    if (this.startedThreads || this.plan.mesh === undefined || this.plan.names === undefined) return;
    this.startedThreads = true;
    this.meter!.start();
    this.port!.start();
    const nodes = this.port!.connectedNodes().map(({ node, hidden }) => ({ node: node.name, hidden }));
    for (let index = 1; index < this.count; index++) {
      const data: ThreadData = {
        index,
        node: this.runtime.node.name,
        creation: this.runtime.creation,
        mesh: this.plan.mesh,
        names: this.plan.names,
        busyWaitUs: this.busyWaitUs,
        modules: [...this.modules],
        nodes,
        ports: this.ports[index]!,
      };
      const { outbound, inbound } = data.ports;
      const transferList = [...outbound, ...inbound].filter((p) => p !== undefined);
      const thread = startScriptWorker(siblingScript(import.meta.url, "thread"), { workerData: data, transferList });
      thread.on("message", (message: FromThread) => this.heard(message));
      thread.on("error", (error) =>
        this.runtime.logger.error(`scheduler ${index} failed: ${error.message}`, {
          domain: ["otter", "cluster"],
          error,
        }),
      );
      this.threads.push(thread);
    }
  }

  private heard(message: FromThread): void {
    if (message.kind !== "loaded") return;
    const load = this.loading.get(message.id);
    if (load === undefined) return;
    if (message.error !== undefined) load.errors.push(message.error);
    if (--load.left === 0) {
      this.loading.delete(message.id);
      load.resolve();
    }
  }
}
