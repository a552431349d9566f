// The worker threads of a node's schedulers other than 0, kept by the main thread: started together, told to load
// modules, to apply the code server's operations and to stop, and started again when one dies (process.exit, an
// uncaught error, out of memory, terminate). A dead scheduler is to the rest of the node what a lost node is to
// the BEAM: its names are freed, every scheduler that lives takes what it had sent, fires the links and monitors of
// its pids with `noconnection` and fails the spawn requests to it (port.ts `lost`), and only once all have done so
// does its next thread start, on rings emptied for it and with pids its earlier threads never had
// (SchedulerSeat.incarnation).
import { once } from "node:events";
import type { TransferListItem, Worker } from "node:worker_threads";
import type { ReplicaAnswer, ReplicaOp, ReplicaSnapshot } from "../../code/replica.ts";
import type { Runtime } from "../../runtime/index.ts";
import { siblingScript, startScriptWorker } from "../../runtime/worker-script.ts";
import { type BlobPorts, pairPorts } from "./blobs.ts";
import type { NodeGlobalNames } from "./global-names.ts";
import { relayedEvent } from "./log-relay.ts";
import { type MeshLayout, type MeshMemory, Word } from "./mesh-memory.ts";
import type { SchedulerPort } from "./port.ts";
import type { SharedNames, SharedNamesLayout } from "./shared-names.ts";
import type { FromThread, ThreadData, ToThread } from "./thread-messages.ts";

/** How long a stopping scheduler's thread may take to end its processes before it is terminated, in ms. */
const STOP_GRACE_MS = 2000;
/** A thread that dies sooner than this after it started is started again only after a pause (it may die at once). */
const QUICK_DEATH_MS = 1000;
/** The pause before starting again a thread that keeps dying quickly doubles from this, in ms … */
const FIRST_PAUSE_MS = 50;
/** … up to this. */
const LONGEST_PAUSE_MS = 5000;

export interface ThreadsSetup {
  readonly count: number;
  readonly busyWaitUs: number;
  readonly mesh: MeshLayout;
  readonly names: SharedNamesLayout;
  readonly memory: MeshMemory;
  /** The main thread's runtime (scheduler 0), its port and its view of the shared names. */
  readonly runtime: Runtime;
  readonly port: SchedulerPort;
  readonly sharedNames: SharedNames;
  /** Each scheduler's ports for large records, as made with the mesh (index 0's are the main thread's). */
  readonly ports: readonly BlobPorts[];
  /** The modules every scheduler has loaded (a thread started again loads them all first). */
  readonly modules: readonly { name: string; url: string }[];
  /** The code server's modules as a thread starting now installs them (scheduler-code.ts). */
  readonly code: () => ReplicaSnapshot;
  /** The node's logger's threshold, shared with the threads' log relays (Logger.shareThreshold). */
  readonly logThreshold: Int32Array;
  /** The main thread's view of the node's `{ global: Name }` names. */
  readonly globalNames: NodeGlobalNames;
}

/** One scheduler's thread and how it is doing. */
interface Seat {
  thread: Worker | undefined;
  incarnation: number;
  startedAt: number;
  /** Consecutive deaths soon after starting. */
  quickDeaths: number;
  /** Its ports with each other scheduler, kept for its next thread while it has none (the other ends are out). */
  readonly ports: BlobPorts;
  /** While it is dead: the schedulers that have not yet finished with its loss. */
  waitingFor: Set<number> | undefined;
  /** What it died of, if it said (an 'error' event comes before 'exit'). */
  error: Error | undefined;
  /** The pause before a thread that died quickly is started again. */
  restart?: NodeJS.Timeout;
}

/** A request to every running thread, waiting for their answers. */
interface Asking {
  /** The schedulers that have not answered yet. */
  readonly left: Set<number>;
  readonly answers: { scheduler: number; answer: unknown }[];
  readonly resolve: (answers: { scheduler: number; answer: unknown }[]) => void;
}

export class SchedulerThreads {
  private readonly seats: Seat[] = [];
  private readonly asking = new Map<number, Asking>();
  private lastAskId = 0;
  private stopping = false;

  constructor(private readonly setup: ThreadsSetup) {}

  /** Starts the thread of every scheduler but 0. */
  start(): void {
    for (let index = 1; index < this.setup.count; index++) {
      const ports = this.setup.ports[index]!;
      this.seats[index] = {
        thread: undefined,
        incarnation: 0,
        startedAt: 0,
        quickDeaths: 0,
        ports: { outbound: [...ports.outbound], inbound: [...ports.inbound] },
        waitingFor: undefined,
        error: undefined,
      };
      this.startThread(index);
    }
  }

  /** Has every running thread load module `name`; rejects with the first thread's error. */
  async load(name: string, url: string): Promise<void> {
    const answers = await this.askAll((id) => ({ kind: "load", id, name, url }));
    const error = answers.find(({ answer }) => answer !== undefined)?.answer;
    if (error !== undefined) throw new Error(`module ${name} failed to load on a scheduler: ${error}`);
  }

  /** Has every running thread apply the code server's operation `op`; their answers (none from one that died). */
  code(op: ReplicaOp): Promise<{ scheduler: number; answer: ReplicaAnswer }[]> {
    return this.askAll((id) => ({ kind: "code", id, op })) as Promise<{ scheduler: number; answer: ReplicaAnswer }[]>;
  }

  /** Posts the message `make` gives for a new id to every running thread; resolves when all have answered it. */
  private askAll(make: (id: number) => ToThread): Promise<{ scheduler: number; answer: unknown }[]> {
    const running = this.running();
    if (running.length === 0) return Promise.resolve([]);
    const id = ++this.lastAskId;
    return new Promise((resolve) => {
      this.asking.set(id, { left: new Set(running), answers: [], resolve });
      for (const index of running) this.post(index, make(id));
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.seats.map(async (seat) => {
        const thread = seat?.thread;
        if (thread === undefined) return;
        const exited = once(thread, "exit");
        thread.postMessage({ kind: "stop" } satisfies ToThread);
        const timer = setTimeout(() => void thread.terminate(), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    for (const seat of this.seats) clearTimeout(seat?.restart);
  }

  /** The schedulers (but 0) whose thread runs now. */
  private running(): number[] {
    const indexes: number[] = [];
    this.seats.forEach((seat, index) => {
      if (seat?.thread !== undefined) indexes.push(index);
    });
    return indexes;
  }

  private post(index: number, message: ToThread, transfer: TransferListItem[] = []): void {
    this.seats[index]!.thread?.postMessage(message, transfer);
  }

  private startThread(index: number): void {
    const { setup } = this;
    const seat = this.seats[index]!;
    const ports: BlobPorts = { outbound: seat.ports.outbound.splice(0), inbound: seat.ports.inbound.splice(0) };
    const data: ThreadData = {
      index,
      incarnation: seat.incarnation,
      node: setup.runtime.node.name,
      creation: setup.runtime.creation,
      mesh: setup.mesh,
      names: setup.names,
      busyWaitUs: setup.busyWaitUs,
      modules: [...setup.modules],
      code: setup.code(),
      nodes: setup.port.connectedNodes().map(({ node, hidden }) => ({ node: node.name, hidden })),
      ports,
      logThreshold: setup.logThreshold,
      globalNames: setup.globalNames.layout,
    };
    const transferList = [...ports.outbound, ...ports.inbound].filter((p) => p !== undefined);
    const thread = startScriptWorker(siblingScript(import.meta.url, "thread"), { workerData: data, transferList });
    seat.thread = thread;
    seat.startedAt = performance.now();
    seat.error = undefined;
    thread.on("message", (message: FromThread) => this.heard(index, message));
    thread.on("error", (error) => {
      seat.error = error;
    });
    thread.on("exit", (code) => {
      if (seat.thread === thread) this.died(index, code);
    });
  }

  private heard(from: number, message: FromThread): void {
    if (message.kind === "loaded") {
      this.answered(message.id, from, message.error);
    } else if (message.kind === "code-answer") {
      this.answered(message.id, from, message.answer);
    } else if (message.kind === "reset") {
      this.finished(message.index, from);
    } else if (message.kind === "log") {
      this.setup.runtime.logger.relayed(relayedEvent(message.event));
    } else if (message.kind === "ready") {
      for (const { name, error } of message.failed) {
        this.setup.runtime.logger.error(
          `scheduler ${from} could not install module ${name} as its thread started (${error}): it runs without it`,
          { domain: ["otter", "cluster"] },
        );
      }
    }
  }

  /** Scheduler `from` answered request `id` (`answer` undefined: it died first, or a load that worked). */
  private answered(id: number, from: number, answer: unknown, died = false): void {
    const asking = this.asking.get(id);
    if (asking === undefined || !asking.left.delete(from)) return;
    if (!died) asking.answers.push({ scheduler: from, answer });
    if (asking.left.size > 0) return;
    this.asking.delete(id);
    asking.resolve(asking.answers);
  }

  /**
   * Scheduler `index`'s thread ended without being told to stop. Its names are freed first (a process elsewhere
   * may register one at once), then every scheduler that lives, this one first, handles its loss; the rings it
   * shared with a scheduler that is dead too are emptied here, as neither end is left to.
   */
  private died(index: number, code: number): void {
    const { setup } = this;
    const seat = this.seats[index]!;
    seat.thread = undefined;
    // Its next thread loads every module and installs the code server's as they are then.
    for (const id of [...this.asking.keys()]) this.answered(id, index, undefined, true);
    for (let other = 1; other < setup.count; other++) this.finished(other, index);
    if (this.stopping) return;
    const why = seat.error === undefined ? `exit code ${code}` : `${seat.error.name}: ${seat.error.message}`;
    setup.runtime.logger.error(
      `scheduler ${index}'s thread died (${why}): its processes are gone as on a lost node (their links and ` +
        "monitors fire with noconnection, spawn requests to it fail); it is started again",
      { domain: ["otter", "cluster"], ...(seat.error === undefined ? {} : { error: seat.error }) },
    );
    seat.quickDeaths = performance.now() - seat.startedAt < QUICK_DEATH_MS ? seat.quickDeaths + 1 : 0;
    setup.sharedNames.releaseScheduler(index, setup.count);
    setup.globalNames.releaseScheduler(index, setup.count);
    seat.waitingFor = new Set(this.running());
    for (let other = 0; other < setup.count; other++) {
      if (other === index) continue;
      const { a: its, b: theirs } = pairPorts();
      seat.ports.outbound[other] = its.outbound;
      seat.ports.inbound[other] = its.inbound;
      if (other === 0) setup.port.lost(index, theirs);
      else if (seat.waitingFor.has(other)) {
        this.post(other, { kind: "lost", index, ports: theirs }, [theirs.outbound, theirs.inbound]);
      } else {
        const dead = this.seats[other]!.ports;
        dead.outbound[index]?.close();
        dead.inbound[index]?.close();
        dead.outbound[index] = theirs.outbound;
        dead.inbound[index] = theirs.inbound;
        discardRings(setup.memory, index, other);
      }
    }
    this.restartWhenDone(index);
  }

  /** Scheduler `from` has handled the loss of scheduler `index` (or died meanwhile itself). */
  private finished(index: number, from: number): void {
    const seat = this.seats[index];
    if (seat?.waitingFor?.delete(from) === true) this.restartWhenDone(index);
  }

  /** Starts scheduler `index`'s next thread once every scheduler has handled its loss (later if it dies quickly). */
  private restartWhenDone(index: number): void {
    const seat = this.seats[index]!;
    if (seat.waitingFor === undefined || seat.waitingFor.size > 0 || this.stopping) return;
    seat.waitingFor = undefined;
    const { memory } = this.setup;
    for (const word of [Word.Parked, Word.RunQueue, Word.Processes, Word.Utilisation]) {
      Atomics.store(memory.control, memory.word(index, word), 0);
    }
    seat.incarnation++;
    const pause = seat.quickDeaths === 0 ? 0 : Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (seat.quickDeaths - 1));
    if (pause === 0) this.startThread(index);
    else seat.restart = setTimeout(() => this.stopping || this.startThread(index), pause).unref();
  }
}

/** Empties the rings between two schedulers whose threads are both dead (what was in them was for those threads). */
function discardRings(memory: MeshMemory, a: number, b: number): void {
  for (const ring of [memory.ring(a, b), memory.ring(b, a)]) {
    Atomics.store(ring.control, ring.tailAt, Atomics.load(ring.control, ring.headAt));
  }
}
