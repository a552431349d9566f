// One scheduler's end of the mesh between a node's schedulers: the SignalTransport of its runtime, routing each
// signal to the scheduler it is for (a signal to a process of another scheduler goes down the ring to that
// scheduler; one to another node goes to the distribution, which scheduler 0 holds), and what it does with each
// record that comes up its rings. Writing (ring-writer.ts) and taking (ring-reader.ts) records, the other nodes
// (known-nodes.ts), questions between schedulers (inquiry-exchange.ts) and scheduler 0's pass-on of other nodes'
// spawn requests (passed-on-spawns.ts) each have a file of their own.
//
// Order: each ordered pair of schedulers has one ring, taken in order, so signals between two processes keep
// their order. A signal to another node from a scheduler other than 0 travels through scheduler 0's ring and then
// its connection, in order too.
import type { ExportedModules } from "../../dist/modules.ts";
import { type RequestedSpawn, spawnRequested } from "../../dist/spawn-request.ts";
import {
  type BusyConnection,
  NOCONNECTION,
  type NodeKind,
  type Runtime,
  type SchedulerInquiries,
  type Signal,
  type SignalSink,
  type SignalTransport,
  type SpawnReply,
} from "../../runtime/index.ts";
import { schedulerOfRef } from "../../runtime/refs.ts";
import { type Atom, atom } from "../../term/atom.ts";
import { Pid, Ref } from "../../term/types.ts";
import type { Blobs, PairPorts } from "./blobs.ts";
import { InquiryExchange } from "./inquiry-exchange.ts";
import { type ConnectedNode, KnownNodes } from "./known-nodes.ts";
import { type MeshMemory, Word } from "./mesh-memory.ts";
import { PassedOnSpawns } from "./passed-on-spawns.ts";
import { Poller } from "./poller.ts";
import type { MeshRecord } from "./records.ts";
import { RingReader } from "./ring-reader.ts";
import { type OtherThreads, RingWriter } from "./ring-writer.ts";
import { SharedNames } from "./shared-names.ts";

/** The destination of a signal for another node. */
const OUTSIDE = -1;
const BADOPT = atom("badopt");

export interface PortOptions {
  readonly memory: MeshMemory;
  /** Its runtime, one of several schedulers: it has their shared names. */
  readonly runtime: Runtime;
  /** What spawn requests to this scheduler may run (module name + function). */
  readonly modules: ExportedModules;
  readonly busyWaitUs: number;
  /** The lanes for records too large for a ring. */
  readonly blobs: Blobs;
  /** Scheduler 0 only: the connections to other nodes. */
  readonly outside?: SignalTransport;
  /** Scheduler 0 only: the other schedulers' threads, started when the first record goes to one. */
  readonly others?: OtherThreads;
}

export class SchedulerPort implements SignalTransport {
  readonly index: number;
  private readonly count: number;
  private readonly writer: RingWriter;
  private readonly reader: RingReader;
  private readonly poller: Poller;
  private readonly known: KnownNodes;
  private readonly exchange: InquiryExchange;
  private readonly spawns: PassedOnSpawns;
  /** How this scheduler's runtime asks the others about their processes (those whose threads have started). */
  readonly inquiries: SchedulerInquiries;

  constructor(private readonly options: PortOptions) {
    const { memory, runtime, blobs, others } = options;
    this.index = runtime.seat.index;
    this.count = runtime.seat.count;
    this.writer = new RingWriter(runtime, memory, blobs, others, () => this.poller.wake());
    this.reader = new RingReader(runtime, memory, blobs, (record, from) => this.received(record, from));
    this.known = new KnownNodes(runtime, this.writer, options.outside);
    this.exchange = new InquiryExchange(runtime, this.writer);
    this.inquiries = this.exchange.inquiries;
    this.spawns = new PassedOnSpawns(runtime, options.modules, this.writer);
    // A name of another scheduler's process freed here (erlang:unregister/1): that scheduler drops it too.
    if (runtime.names instanceof SharedNames) {
      runtime.names.whenFreed((name, pid) => {
        const holder = pid.id % this.count;
        if (holder !== this.index) this.writer.write(holder, { kind: "name-freed", name, pid });
      });
    }
    // Timers aimed at another scheduler's process hear of its end from that scheduler (TimerTargets).
    runtime.setTimerTargets({
      watch: (target) => this.writer.write(target.id % this.count, { kind: "timer-watch", target, holder: this.index }),
      ended: (target, holder) => this.writer.write(holder, { kind: "timer-target-ended", target }),
    });
    this.poller = new Poller(
      memory.control,
      memory.word(this.index, Word.Rings),
      memory.word(this.index, Word.Parked),
      options.busyWaitUs / 1000,
      () => this.takeRecords(),
      () => this.writer.overflowing(),
      () => this.reader.waiting(),
    );
  }

  /** Starts taking what the other schedulers send. */
  start(): void {
    this.options.blobs.listen(() => this.poller.wake());
    this.options.runtime.setSignalPoll(() => this.poller.poll());
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
    this.options.blobs.close();
  }

  // SignalTransport: the runtime's signals to processes it does not have.

  send(signal: Signal): BusyConnection | undefined {
    const to = this.destinationOf(signal);
    if (to === this.index) {
      this.deliverHere(signal);
      return undefined;
    }
    if (to === OUTSIDE && this.options.outside !== undefined) return this.options.outside.send(signal);
    return this.writer.write(to === OUTSIDE ? 0 : to, { kind: "signal", signal });
  }

  nodes(kind: NodeKind): Atom[] {
    return this.known.nodes(kind);
  }

  connect(node: Atom): Promise<boolean> {
    return this.known.connect(node);
  }

  // What scheduler 0 hears from the distribution, for every scheduler (SignalSink).

  /** The sink scheduler 0's distribution delivers to: each signal goes on to the scheduler it is for. */
  readonly fromOutside: SignalSink = {
    deliver: (signal) => this.route(signal),
    spawnReplied: (reply) => this.routeSpawnReply(reply),
    nodeUp: (node, hidden) => this.known.upOutside(node, hidden),
    nodeDown: (node, reason, lost) => this.known.downOutside(node, reason, lost),
  };

  /**
   * Scheduler 0 runs a spawn request of another node's process on scheduler `scheduler` (this one or another);
   * `answer` sends the reply over the requester's connection.
   */
  spawnFromOutside(request: RequestedSpawn, scheduler: number, answer: (reply: SpawnReply) => void): void {
    this.spawns.spawn(request, scheduler, answer);
  }

  /**
   * Scheduler `index`'s thread died (every scheduler that lives is told; scheduler 0 first). What it sent before it
   * died is taken, in order; then its processes are as on a lost node (links fire `noconnection`, monitors go DOWN,
   * spawn requests to it fail); what was on its way to it is dropped, as signals to dead pids are (senders held up
   * by its full ring go on); and the rings and ports with it are made new for its next thread.
   */
  lost(index: number, ports: PairPorts): void {
    const { runtime, blobs } = this.options;
    blobs.takeWaiting(index);
    this.reader.takeAllFrom(index);
    runtime.schedulerDown(index, NOCONNECTION);
    this.exchange.lost(index);
    this.spawns.lost(index);
    this.reader.renew(index);
    this.writer.lost(index);
    blobs.replace(index, ports);
    this.known.lost(index);
  }

  /** A scheduler starting now learns the nodes connected now (it hears of later changes through its ring). */
  connectedNodes(): ConnectedNode[] {
    return this.known.connectedNodes();
  }

  /** Takes the nodes connected when this scheduler started. */
  knowNodes(nodes: readonly ConnectedNode[]): void {
    this.known.knowNodes(nodes);
  }

  /** Which scheduler a signal is for: this one, another, or OUTSIDE (another node). */
  private destinationOf(signal: Signal): number {
    const rt = this.options.runtime;
    const node = rt.node;
    if (signal.kind === "spawn-request") {
      if (signal.node !== node) return OUTSIDE;
      // A scheduler the node does not have: answered here, with badopt (deliverHere), not written to a missing ring.
      const asked = signal.scheduler ?? this.index;
      return asked < this.count ? asked : this.index;
    }
    const to = signal.to;
    if (to.node !== node) return OUTSIDE;
    if (to instanceof Pid) return to.id % this.count;
    if (to instanceof Ref) return schedulerOfRef(to) % this.count;
    const holder = this.options.runtime.names!.lookup(to.name);
    return holder === undefined ? this.index : holder.id % this.count;
  }

  /** A signal that came to this scheduler: delivered here, or passed on (names move; scheduler 0 connects). */
  private route(signal: Signal): void {
    const to = this.destinationOf(signal);
    if (to === this.index) this.deliverHere(signal);
    else if (to === OUTSIDE) this.options.outside?.send(signal);
    else this.writer.write(to, { kind: "signal", signal });
  }

  private deliverHere(signal: Signal): void {
    const { runtime, modules } = this.options;
    if (signal.kind !== "spawn-request") {
      runtime.deliver(signal);
      return;
    }
    if (signal.scheduler !== undefined && signal.scheduler >= this.count) {
      this.routeSpawnReply({ to: signal.from, ref: signal.ref, result: BADOPT, link: false, monitor: false });
      return;
    }
    spawnRequested(runtime, modules, signal, (reply) => this.routeSpawnReply(reply));
  }

  /** A spawn reply goes to the requester's scheduler; one for another node's process, to scheduler 0's connection. */
  private routeSpawnReply(reply: SpawnReply): void {
    const runtime = this.options.runtime;
    const here = reply.to.node === runtime.node;
    const to = here ? reply.to.id % this.count : 0;
    if (to !== this.index) this.writer.write(to, { kind: "spawn-reply", reply });
    else if (here) runtime.spawnReplied(reply);
    else this.spawns.replied(reply);
  }

  /** A record came up the ring from scheduler `from`. */
  private received(record: MeshRecord, from: number): void {
    switch (record.kind) {
      case "signal":
        this.route(record.signal);
        return;
      case "spawn-reply":
        this.routeSpawnReply(record.reply);
        return;
      case "node-up":
      case "node-down":
      case "connect":
      case "connected":
        this.known.received(record, from);
        return;
      case "name-freed":
        this.options.runtime.nameFreed(record.name, record.pid);
        return;
      case "ask":
        this.exchange.asks(record.id, record.question, from);
        return;
      case "answer":
        this.exchange.answered(record.id, record.answer);
        return;
      case "timer-watch":
        this.options.runtime.timersAimedAt(record.target, record.holder);
        return;
      case "timer-target-ended":
        this.options.runtime.timerTargetEnded(record.target);
        return;
    }
  }

  /** Takes up to a budget of records from each ring, then what waits in overflow queues; returns how many it took. */
  private takeRecords(): number {
    const took = this.reader.takeRound();
    this.writer.flush();
    return took;
  }
}
