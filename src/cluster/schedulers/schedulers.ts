// A node's schedulers, seen from the main thread (scheduler 0): the plan made before its runtime exists (how
// many, their shared names), the threads of the others (started at the first signal one of them is sent, so a
// node that never spawns elsewhere pays nothing but the memory; kept by threads.ts), module loads on all of them
// (those given by URL here, and the code server's through scheduler-code.ts), and stop.
import { availableParallelism } from "node:os";
import type { ExportedModules } from "../../dist/modules.ts";
import { requestedScheduler } from "../../dist/signal-map.ts";
import { type RequestedSpawn, spawnRequested } from "../../dist/spawn-request.ts";
import { setGlobalNames } from "../../otp/names.ts";
import type { NameDirectory, Runtime, SignalSink, SignalTransport, SpawnReply } from "../../runtime/index.ts";
import { DEFAULT_BUSY_WAIT_US } from "../../runtime/scheduler.ts";
import { Atom, atom } from "../../term/atom.ts";
import { type LoadSource, RuntimeLoadSource } from "../load-report.ts";
import { type BlobPorts, Blobs, blobPorts } from "./blobs.ts";
import { bindSchedulerContext } from "./context.ts";
import { globalNamesLayout, NodeGlobalNames } from "./global-names.ts";
import { LoadMeter, readLoads, type SchedulerSample } from "./load-meter.ts";
import { type MeshLayout, MeshMemory, meshLayout } from "./mesh-memory.ts";
import { leastLoadedScheduler } from "./placement.ts";
import { SchedulerPort } from "./port.ts";
import { SchedulerCode } from "./scheduler-code.ts";
import { SharedNames, type SharedNamesLayout, sharedNamesLayout } from "./shared-names.ts";
import { loadFunctions } from "./thread-messages.ts";
import { SchedulerThreads } from "./threads.ts";

const BADOPT = atom("badopt");
const ERPC = atom("erpc");
const EXECUTE_CALL = atom("execute_call");
const EXECUTE_CAST = atom("execute_cast");

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
  /** The node's `{ global: Name }` names (global-names.ts). */
  readonly globalNames?: SharedNamesLayout;
}

export function planSchedulers(options: SchedulersOptions = {}): SchedulerPlan {
  const count = options.count ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`schedulers must be a count ≥ 1, not ${count}`);
  const busyWaitUs = options.busyWaitUs ?? DEFAULT_BUSY_WAIT_US;
  if (count === 1) return { count, busyWaitUs };
  return { count, busyWaitUs, mesh: meshLayout(count), names: sharedNamesLayout(), globalNames: globalNamesLayout() };
}

/** The shared names of a plan's schedulers, for the main runtime (none for a node of one scheduler). */
export function planNames(plan: SchedulerPlan, node: Atom, creation: number): NameDirectory | undefined {
  return plan.names === undefined ? undefined : new SharedNames(plan.names, node, creation);
}

export class Schedulers {
  readonly count: number;
  /** Where the distribution delivers what comes from other nodes (each signal goes to its scheduler). */
  readonly sink: SignalSink;
  /** The other schedulers' copies of the code server's modules (the node gives it to its code server). */
  readonly code: SchedulerCode | undefined;
  private readonly port: SchedulerPort | undefined;
  private readonly memory: MeshMemory | undefined;
  private readonly meter: LoadMeter | undefined;
  private readonly globalNames: NodeGlobalNames | undefined;
  private threads: SchedulerThreads | undefined;
  /** Each scheduler's ports for large records (see blobs.ts); the threads' go to them when they start. */
  private readonly ports: BlobPorts[] = [];
  private readonly modules: { name: string; url: string }[] = [];
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
    if (plan.mesh === undefined || plan.names === undefined || plan.globalNames === undefined) {
      this.sink = runtime;
      this.code = undefined;
      return;
    }
    this.code = new SchedulerCode((op) => this.threads?.code(op) ?? Promise.resolve([]));
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
    runtime.setInquiries(this.port.inquiries);
    bindSchedulerContext(runtime, { memory });
    this.globalNames = new NodeGlobalNames(runtime, plan.globalNames);
    setGlobalNames(runtime, this.globalNames);
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
    await this.threads?.load(name, href);
  }

  /**
   * Runs a spawn request of another node's process on the scheduler its `{scheduler, N}` option names (BEAM's
   * numbering, from 1); without one, on scheduler 0, unless the function it runs (for erpc's, the one it calls) is
   * of a module loaded on every scheduler with `load` (made to run anywhere): then on the least loaded scheduler,
   * so erpc from elsewhere uses every core. The code server's modules run on every scheduler too, but only where
   * asked: they are an application's code, which may use what lives on scheduler 0 (its registries, its
   * supervision tree). A scheduler the node does not have is `badopt`. `answer` sends the reply back.
   */
  spawnRequested(request: RequestedSpawn, answer: (reply: SpawnReply) => void): void {
    const { scheduler, rest } = requestedScheduler(request.options, this.count);
    if (scheduler === "badopt") {
      answer({ to: request.from, ref: request.ref, result: BADOPT, link: false, monitor: false });
      return;
    }
    const placed = { ...request, options: rest };
    if (this.port === undefined) spawnRequested(this.runtime, this.exported, placed, answer);
    else this.port.spawnFromOutside(placed, scheduler === "any" ? this.anyScheduler(request) : scheduler, answer);
  }

  /** Where a spawn request that names no scheduler runs (see spawnRequested). */
  private anyScheduler(request: RequestedSpawn): number {
    const { module, function: fn, args } = request;
    const erpc = module === ERPC && (fn === EXECUTE_CALL || fn === EXECUTE_CAST);
    const runs = erpc ? args[fn === EXECUTE_CALL ? 1 : 0] : module;
    const everywhere = runs instanceof Atom && this.modules.some((m) => m.name === runs.name);
    return everywhere ? (leastLoadedScheduler(this.runtime) ?? 0) : 0;
  }

  /** Starts the other schedulers' threads now, rather than at the first signal for one of them. */
  start(): void {
    this.startThreads();
  }

  async stop(): Promise<void> {
    this.port?.stop();
    this.meter?.stop();
    await this.threads?.stop();
  }

  /** A word of shared memory the node's logger keeps its threshold in, for the threads' log relays (log-relay.ts). */
  private logThreshold(): Int32Array {
    const word = new Int32Array(new SharedArrayBuffer(4));
    this.runtime.logger.shareThreshold(word);
    return word;
  }

  private startThreads(): void {
    const { mesh, names } = this.plan;
    const sharedNames = this.runtime.names;
    if (this.startedThreads || mesh === undefined || names === undefined) return;
    if (!(sharedNames instanceof SharedNames)) throw new Error("the main runtime does not have its plan's names");
    this.startedThreads = true;
    this.meter!.start();
    this.port!.start();
    this.threads = new SchedulerThreads({
      count: this.count,
      busyWaitUs: this.busyWaitUs,
      mesh,
      names,
      memory: this.memory!,
      runtime: this.runtime,
      port: this.port!,
      sharedNames,
      ports: this.ports,
      modules: this.modules,
      code: () => this.code!.snapshot(),
      logThreshold: this.logThreshold(),
      globalNames: this.globalNames!,
    });
    this.threads.start();
  }
}
