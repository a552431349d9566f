// One scheduler's end of the mesh between a node's schedulers: the SignalTransport of its runtime (a signal to a
// process of another scheduler goes down the ring to that scheduler; one to another node goes to the
// distribution, which scheduler 0 holds), and what it does with the records that come up its rings.
//
// Order: each ordered pair of schedulers has one ring, taken in order, so signals between two processes keep
// their order. A signal to another node from a scheduler other than 0 travels through scheduler 0's ring and then
// its connection, in order too. A ring that is full keeps later records in order in an overflow queue; once that
// passes OVERFLOW_BUSY_BYTES, a process sending more is suspended until it drains (the busy-port rule).
import { RingConsumer, RingProducer } from "../../dirty/ring.ts";
import type { ExportedModules } from "../../dist/modules.ts";
import { type RequestedSpawn, spawnRequested } from "../../dist/spawn-request.ts";
import {
  type BusyConnection,
  type LostConnection,
  NOCONNECTION,
  type NodeKind,
  type ProcessInfo,
  type Runtime,
  type SchedulerInquiries,
  type Signal,
  type SignalSink,
  type SignalTransport,
  type SpawnReply,
  type SpawnRequest,
} from "../../runtime/index.ts";
import { schedulerOfRef } from "../../runtime/refs.ts";
import { type Atom, atom } from "../../term/atom.ts";
import { Pid, Ref, type Term } from "../../term/types.ts";
import { BLOB_BYTES, type Blobs, type PairPorts } from "./blobs.ts";
import { Asked, infoOf, infoTerm, type Question, questionOf, questionTerm } from "./inquiries.ts";
import { type MeshMemory, Word } from "./mesh-memory.ts";
import { Poller, ringBell } from "./poller.ts";
import { decodeRecord, encodeRecord, type MeshRecord } from "./records.ts";
import { SharedNames } from "./shared-names.ts";

/** Bytes waiting in a full ring's overflow queue beyond which senders are suspended. */
const OVERFLOW_BUSY_BYTES = 1 << 20;
/** Records a poll round takes from each ring at most, so processes run between rounds. */
const ROUND_BUDGET = 2048;
/** The destination of a signal for another node. */
const OUTSIDE = -1;
const EMPTY = new Uint8Array(0);
const BADOPT = atom("badopt");
/** Set in a record's code when its payload went as a blob (its second word is the blob's number). */
const BLOB = 0x100;

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
  readonly others?: { started(): boolean; start(): void };
}

/** A record ready for a ring: its code, its blob's number (or 0), its payload (empty for a blob), its size. */
interface Encoded {
  readonly code: number;
  readonly blob: number;
  readonly payload: Uint8Array;
  readonly size: number;
}

interface PassedOn {
  readonly from: Pid;
  readonly ref: Ref;
  readonly scheduler: number;
  readonly answer: (reply: SpawnReply) => void;
}

interface Overflow {
  readonly records: Encoded[];
  bytes: number;
  readonly clear: (() => void)[];
}

export class SchedulerPort implements SignalTransport {
  readonly index: number;
  private readonly count: number;
  private readonly producers: (RingProducer | undefined)[] = [];
  private readonly consumers: (RingConsumer | undefined)[] = [];
  private readonly overflows: (Overflow | undefined)[] = [];
  private readonly poller: Poller;
  /** Scheduler 0 holds the connections; the others keep what it tells them about nodes. */
  private readonly visible = new Set<Atom>();
  private readonly hidden = new Set<Atom>();
  private readonly connecting = new Map<number, (up: boolean) => void>();
  private lastConnectId = 0;
  /** The scheduler whose ring the record being handled came up (the one to answer a `connect`). */
  private takingFrom = 0;
  private readonly asked = new Asked();
  /** How many times each other scheduler's thread died: an answer for an earlier thread is not sent to the next. */
  private readonly incarnations: number[];
  /**
   * Scheduler 0: spawn requests of other nodes' processes it passed to another scheduler, by request id, with how
   * to answer them (over the requester's connection) and which scheduler has them.
   */
  private readonly passedOn = new Map<number | string, PassedOn>();

  constructor(private readonly options: PortOptions) {
    const { memory, runtime } = options;
    this.index = runtime.seat.index;
    this.count = runtime.seat.count;
    for (let j = 0; j < this.count; j++) {
      const other = j !== this.index;
      this.producers.push(other ? new RingProducer(memory.ring(this.index, j)) : undefined);
      this.consumers.push(other ? new RingConsumer(memory.ring(j, this.index)) : undefined);
      this.overflows.push(undefined);
    }
    this.incarnations = this.producers.map(() => 0);
    // A name of another scheduler's process freed here (erlang:unregister/1): that scheduler drops it too.
    if (runtime.names instanceof SharedNames) {
      runtime.names.whenFreed((name, pid) => {
        const holder = pid.id % this.count;
        if (holder !== this.index) this.write(holder, { kind: "name-freed", name, pid });
      });
    }
    const control = memory.control;
    this.poller = new Poller(
      control,
      memory.word(this.index, Word.Rings),
      memory.word(this.index, Word.Parked),
      options.busyWaitUs / 1000,
      () => this.takeRecords(),
      () => this.overflowing(),
      () => this.consumers.some((ring) => ring?.hasRecord === true),
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
    return this.write(to === OUTSIDE ? 0 : to, { kind: "signal", signal });
  }

  nodes(kind: NodeKind): Atom[] {
    const outside = this.options.outside;
    if (outside !== undefined) return outside.nodes?.(kind) ?? [];
    if (kind === "visible") return [...this.visible];
    if (kind === "hidden") return [...this.hidden];
    return [...this.visible, ...this.hidden];
  }

  connect(node: Atom): Promise<boolean> {
    const outside = this.options.outside;
    if (outside !== undefined) return outside.connect?.(node) ?? Promise.resolve(false);
    const id = ++this.lastConnectId;
    return new Promise((resolve) => {
      this.connecting.set(id, resolve);
      this.write(0, { kind: "connect", node, id });
    });
  }

  // What scheduler 0 hears from the distribution, for every scheduler (SignalSink).

  /** The sink scheduler 0's distribution delivers to: each signal goes on to the scheduler it is for. */
  readonly fromOutside: SignalSink = {
    deliver: (signal) => this.route(signal),
    spawnReplied: (reply) => this.routeSpawnReply(reply),
    nodeUp: (node, hidden) => {
      this.options.runtime.nodeUp(node, hidden);
      this.broadcast({ kind: "node-up", node, hidden });
    },
    nodeDown: (node, reason, lost) => {
      this.options.runtime.nodeDown(node, reason, lost);
      this.broadcast({ kind: "node-down", node, reason, ...(lost === undefined ? {} : { lost }) });
    },
  };

  /**
   * Scheduler 0 runs a spawn request of another node's process on scheduler `scheduler` (this one or another);
   * `answer` sends the reply over the requester's connection.
   */
  spawnFromOutside(request: RequestedSpawn, scheduler: number, answer: (reply: SpawnReply) => void): void {
    if (scheduler === this.index) {
      spawnRequested(this.options.runtime, this.options.modules, request, answer);
      return;
    }
    const { from, ref, groupLeader, module, function: fn, args, options } = request;
    this.passedOn.set(this.options.runtime.refs.key(ref), { from, ref, scheduler, answer });
    const node = this.options.runtime.node;
    const signal: SpawnRequest = {
      kind: "spawn-request",
      ...{ from, node, ref, groupLeader, module, function: fn, args, options, scheduler },
    };
    this.write(scheduler, { kind: "signal", signal });
  }

  /**
   * Scheduler `index`'s thread died (every scheduler that lives is told; scheduler 0 first). What it sent before it
   * died is taken, in order; then its processes are as on a lost node (links fire `noconnection`, monitors go DOWN,
   * spawn requests to it fail); what was on its way to it is dropped, as signals to dead pids are (senders held up
   * by its full ring go on); and the rings and ports with it are made new for its next thread.
   */
  lost(index: number, ports: PairPorts): void {
    const { memory, runtime, blobs } = this.options;
    blobs.takeWaiting(index);
    this.takeAllFrom(index);
    runtime.schedulerDown(index, NOCONNECTION);
    this.asked.lost(index);
    for (const [key, passed] of this.passedOn) {
      if (passed.scheduler !== index) continue;
      this.passedOn.delete(key);
      passed.answer({ to: passed.from, ref: passed.ref, result: NOCONNECTION, link: false, monitor: false });
    }
    const control = memory.control;
    for (const ring of [memory.ring(this.index, index), memory.ring(index, this.index)]) {
      Atomics.store(control, ring.tailAt, Atomics.load(control, ring.headAt));
    }
    this.consumers[index] = new RingConsumer(memory.ring(index, this.index));
    const overflow = this.overflows[index];
    this.overflows[index] = undefined;
    for (const resume of overflow?.clear ?? []) resume();
    blobs.replace(index, ports);
    this.incarnations[index]!++;
  }

  /** How this scheduler's runtime asks the others about their processes (those whose threads have started). */
  readonly inquiries: SchedulerInquiries = {
    processes: async () => {
      const lists = await Promise.all(this.otherIndexes().map((j) => this.ask(j, { kind: "processes" })));
      return lists.flatMap((list) => (list as Pid[] | undefined) ?? []);
    },
    processInfo: async (pids) => {
      const bySchedulers = new Map<number, Pid[]>();
      for (const pid of pids) {
        const j = pid.id % this.count;
        const group = bySchedulers.get(j);
        if (group === undefined) bySchedulers.set(j, [pid]);
        else group.push(pid);
      }
      const found = new Map<Pid, ProcessInfo | undefined>();
      await Promise.all(
        [...bySchedulers].map(async ([j, group]) => {
          const answer = (await this.ask(j, { kind: "process-info", pids: group })) as Term[] | undefined;
          for (const [i, pid] of group.entries()) found.set(pid, answer === undefined ? undefined : infoOf(answer[i]!));
        }),
      );
      return pids.map((pid) => found.get(pid));
    },
  };

  /** The other schedulers that can be asked now (none before their threads start). */
  private otherIndexes(): number[] {
    if (this.options.others?.started() === false) return [];
    return Array.from({ length: this.count }, (_, j) => j).filter((j) => j !== this.index);
  }

  private ask(scheduler: number, question: Question): Promise<Term | undefined> {
    if (this.options.others?.started() === false || scheduler === this.index) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const id = this.asked.ask(scheduler, resolve);
      this.write(scheduler, { kind: "ask", id, question: questionTerm(question) });
    });
  }

  private answerTo(question: Question): Term {
    const runtime = this.options.runtime;
    if (question.kind === "processes") return runtime.processes();
    return question.pids.map((pid) => infoTerm(runtime.processInfo(pid)));
  }

  /** A scheduler starting now learns the nodes connected now (it hears of later changes through its ring). */
  connectedNodes(): { node: Atom; hidden: boolean }[] {
    const outside = this.options.outside;
    return [
      ...(outside?.nodes?.("visible") ?? []).map((node) => ({ node, hidden: false })),
      ...(outside?.nodes?.("hidden") ?? []).map((node) => ({ node, hidden: true })),
    ];
  }

  /** Takes the nodes connected when this scheduler started. */
  knowNodes(nodes: readonly { node: Atom; hidden: boolean }[]): void {
    for (const { node, hidden } of nodes) (hidden ? this.hidden : this.visible).add(node);
  }

  /** Which scheduler a signal is for: this one, another, or OUTSIDE (another node). */
  private destinationOf(signal: Signal): number {
    const rt = this.options.runtime;
    const node = rt.node;
    if (signal.kind === "spawn-request") {
      return signal.node !== node ? OUTSIDE : (signal.scheduler ?? this.index);
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
    else this.write(to, { kind: "signal", signal });
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
    if (to !== this.index) this.write(to, { kind: "spawn-reply", reply });
    else if (here) runtime.spawnReplied(reply);
    else {
      const key = runtime.refs.key(reply.ref);
      const passed = this.passedOn.get(key);
      this.passedOn.delete(key);
      passed?.answer(reply);
    }
  }

  private broadcast(record: MeshRecord): void {
    if (this.options.others?.started() === false) return; // a thread starting later learns the nodes then
    for (let j = 0; j < this.count; j++) if (j !== this.index) this.write(j, record);
  }

  private received(record: MeshRecord): void {
    switch (record.kind) {
      case "signal":
        this.route(record.signal);
        return;
      case "spawn-reply":
        this.routeSpawnReply(record.reply);
        return;
      case "node-up":
        (record.hidden ? this.hidden : this.visible).add(record.node);
        this.options.runtime.nodeUp(record.node, record.hidden);
        return;
      case "node-down":
        this.visible.delete(record.node);
        this.hidden.delete(record.node);
        this.options.runtime.nodeDown(record.node, record.reason, record.lost as LostConnection | undefined);
        return;
      case "connect": {
        const { node, id } = record;
        const from = this.takingFrom;
        const incarnation = this.incarnations[from];
        const answer = (up: boolean) => {
          if (this.incarnations[from] === incarnation) this.write(from, { kind: "connected", id, up });
        };
        (this.options.outside?.connect?.(node) ?? Promise.resolve(false)).then(answer, () => answer(false));
        return;
      }
      case "connected":
        this.connecting.get(record.id)?.(record.up);
        this.connecting.delete(record.id);
        return;
      case "name-freed":
        this.options.runtime.nameFreed(record.name, record.pid);
        return;
      case "ask":
        this.write(this.takingFrom, {
          kind: "answer",
          id: record.id,
          answer: this.answerTo(questionOf(record.question)),
        });
        return;
      case "answer":
        this.asked.answered(record.id, record.answer);
        return;
    }
  }

  /** Takes up to a budget of records from each ring; returns how many. */
  private takeRecords(): number {
    let took = 0;
    for (let j = 0; j < this.count; j++) {
      if (this.consumers[j]?.hasRecord === true) took += this.takeFrom(j, ROUND_BUDGET);
    }
    this.flushOverflows();
    return took;
  }

  /** Takes every record scheduler `j` (whose thread died) had put in its ring, up to one whose blob never came. */
  private takeAllFrom(j: number): void {
    while (this.takeFrom(j, ROUND_BUDGET) === ROUND_BUDGET) {}
  }

  /** Takes up to `budget` records from scheduler `j`'s ring, in order; returns how many. */
  private takeFrom(j: number, budget: number): number {
    const ring = this.consumers[j]!;
    this.takingFrom = j;
    let took = 0;
    for (; took < budget; took++) {
      const r = ring.take();
      if (r === undefined) break;
      let record: MeshRecord;
      if ((r.a & BLOB) !== 0) {
        const blob = this.options.blobs.take(j, r.b);
        if (blob === undefined) break; // on its way: this ring waits for it
        ring.release();
        record = decodeRecord(r.a & ~BLOB, blob, true);
      } else {
        try {
          record = decodeRecord(r.a, this.view(r.payloadAt, r.payloadLength), false);
        } finally {
          ring.release();
        }
      }
      this.received(record);
    }
    return took;
  }

  private view(at: number, length: number): Uint8Array {
    return new Uint8Array(this.options.memory.layout.memory, at, length);
  }

  /** Puts a record in the ring to scheduler `to`, or behind it in the overflow queue. */
  private write(to: number, record: MeshRecord): BusyConnection | undefined {
    if (this.options.others?.started() === false) this.options.others.start();
    const { code, payload } = encodeRecord(record);
    const encoded: Encoded =
      payload.length < BLOB_BYTES
        ? { code, blob: 0, payload, size: payload.length }
        : { code: code | BLOB, blob: this.options.blobs.send(to, payload), payload: EMPTY, size: payload.length };
    const overflow = this.overflows[to];
    if (overflow === undefined && this.put(to, encoded)) return undefined;
    const queue = overflow ?? this.newOverflow(to);
    queue.records.push(encoded);
    queue.bytes += encoded.size;
    this.poller.wake();
    return queue.bytes < OVERFLOW_BUSY_BYTES ? undefined : { whenClear: (resume) => queue.clear.push(resume) };
  }

  private newOverflow(to: number): Overflow {
    const queue: Overflow = { records: [], bytes: 0, clear: [] };
    this.overflows[to] = queue;
    return queue;
  }

  /** Writes one record into the ring to `to` if it has room; rings its bell. */
  private put(to: number, { code, blob, payload }: Encoded): boolean {
    const ring = this.producers[to]!;
    if (ring.reserve(payload.length) < payload.length) return false;
    new Uint8Array(this.options.memory.layout.memory, ring.reservedAt, payload.length).set(payload);
    ring.commit(code, blob, 0, payload.length);
    const { memory } = this.options;
    ringBell(memory.control, memory.word(to, Word.Rings), memory.word(to, Word.Parked));
    return true;
  }

  private flushOverflows(): void {
    for (let to = 0; to < this.count; to++) {
      const queue = this.overflows[to];
      if (queue === undefined) continue;
      let i = 0;
      for (; i < queue.records.length; i++) {
        const encoded = queue.records[i]!;
        if (!this.put(to, encoded)) break;
        queue.bytes -= encoded.size;
      }
      queue.records.splice(0, i);
      if (queue.bytes < OVERFLOW_BUSY_BYTES) for (const resume of queue.clear.splice(0)) resume();
      if (queue.records.length === 0) this.overflows[to] = undefined;
    }
  }

  private overflowing(): boolean {
    return this.overflows.some((q) => q !== undefined);
  }
}
