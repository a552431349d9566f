// How one scheduler writes records into its rings to the other schedulers: in order, a full ring's later records
// queued behind it in an overflow queue, and once that queue passes OVERFLOW_BUSY_BYTES a sender is suspended until
// it drains (the busy-port rule, as for a busy distribution connection).
import { RingProducer } from "../../dirty/ring.ts";
import type { BusyConnection, Runtime } from "../../runtime/index.ts";
import { BLOB_BYTES, type Blobs } from "./blobs.ts";
import { type MeshMemory, Word } from "./mesh-memory.ts";
import { ringBell } from "./poller.ts";
import { encodeRecord, type MeshRecord } from "./records.ts";

/** Bytes waiting in a full ring's overflow queue beyond which senders are suspended. */
const OVERFLOW_BUSY_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);
/** Set in a record's code when its payload went as a blob (its second word is the blob's number). */
export const BLOB = 0x100;

/** The other schedulers' threads, which scheduler 0 starts when the first record goes to one. */
export interface OtherThreads {
  started(): boolean;
  start(): void;
}

/** A record ready for a ring: its code, its blob's number (or 0), its payload (empty for a blob), its size. */
interface Encoded {
  readonly code: number;
  readonly blob: number;
  readonly payload: Uint8Array;
  readonly size: number;
}

interface Overflow {
  readonly records: Encoded[];
  bytes: number;
  /** The suspended senders, resumed once the queue is under OVERFLOW_BUSY_BYTES again. */
  readonly clear: (() => void)[];
}

export class RingWriter {
  private readonly index: number;
  private readonly count: number;
  private readonly producers: (RingProducer | undefined)[] = [];
  private readonly overflows: (Overflow | undefined)[] = [];

  /** `wake`: a record waits in an overflow queue, so rounds must come to flush it. */
  constructor(
    runtime: Runtime,
    private readonly memory: MeshMemory,
    private readonly blobs: Blobs,
    private readonly others: OtherThreads | undefined,
    private readonly wake: () => void,
  ) {
    this.index = runtime.seat.index;
    this.count = runtime.seat.count;
    for (let j = 0; j < this.count; j++) {
      this.producers.push(j !== this.index ? new RingProducer(memory.ring(this.index, j)) : undefined);
      this.overflows.push(undefined);
    }
  }

  /** Whether the other schedulers' threads run (always, but on scheduler 0 before the first record to one). */
  othersStarted(): boolean {
    return this.others?.started() !== false;
  }

  /** Puts a record in the ring to scheduler `to`, or behind it in the overflow queue. */
  write(to: number, record: MeshRecord): BusyConnection | undefined {
    if (this.others?.started() === false) this.others.start();
    const { code, payload } = encodeRecord(record);
    const encoded: Encoded =
      payload.length < BLOB_BYTES
        ? { code, blob: 0, payload, size: payload.length }
        : { code: code | BLOB, blob: this.blobs.send(to, payload), payload: EMPTY, size: payload.length };
    const overflow = this.overflows[to];
    if (overflow === undefined && this.put(to, encoded)) return undefined;
    const queue = overflow ?? this.newOverflow(to);
    queue.records.push(encoded);
    queue.bytes += encoded.size;
    this.wake();
    return queue.bytes < OVERFLOW_BUSY_BYTES ? undefined : { whenClear: (resume) => queue.clear.push(resume) };
  }

  /** Writes a record to every other scheduler (none before their threads start: they learn the nodes then). */
  broadcast(record: MeshRecord): void {
    if (!this.othersStarted()) return;
    for (let j = 0; j < this.count; j++) if (j !== this.index) this.write(j, record);
  }

  /** Moves what the overflow queues hold into their rings as far as they have room; resumes senders it can. */
  flush(): void {
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

  /** Whether any record waits in an overflow queue. */
  overflowing(): boolean {
    return this.overflows.some((q) => q !== undefined);
  }

  /**
   * Scheduler `index`'s thread died: what was on its way to it is dropped, as signals to dead pids are (its ring is
   * emptied, its overflow queue dropped), and the senders held up by it go on.
   */
  lost(index: number): void {
    const { control } = this.memory;
    const ring = this.memory.ring(this.index, index);
    Atomics.store(control, ring.tailAt, Atomics.load(control, ring.headAt));
    const overflow = this.overflows[index];
    this.overflows[index] = undefined;
    for (const resume of overflow?.clear ?? []) resume();
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
    new Uint8Array(this.memory.layout.memory, ring.reservedAt, payload.length).set(payload);
    ring.commit(code, blob, 0, payload.length);
    const { memory } = this;
    ringBell(memory.control, memory.word(to, Word.Rings), memory.word(to, Word.Parked));
    return true;
  }
}
