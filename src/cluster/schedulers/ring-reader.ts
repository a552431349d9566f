// How one scheduler takes the records the others wrote into its rings: each ring in order, up to a budget a round
// so processes run between rounds; a record whose payload went as a blob holds up its ring until the blob arrives.
import { RingConsumer } from "../../dirty/ring.ts";
import type { Runtime } from "../../runtime/index.ts";
import type { Blobs } from "./blobs.ts";
import type { MeshMemory } from "./mesh-memory.ts";
import { decodeRecord, type MeshRecord } from "./records.ts";
import { BLOB } from "./ring-writer.ts";

/** Records a poll round takes from each ring at most, so processes run between rounds. */
const ROUND_BUDGET = 2048;

/** Handles a record that came up the ring from scheduler `from`. */
export type ReceivedRecord = (record: MeshRecord, from: number) => void;

export class RingReader {
  private readonly index: number;
  private readonly count: number;
  private readonly consumers: (RingConsumer | undefined)[] = [];

  constructor(
    runtime: Runtime,
    private readonly memory: MeshMemory,
    private readonly blobs: Blobs,
    private readonly received: ReceivedRecord,
  ) {
    this.index = runtime.seat.index;
    this.count = runtime.seat.count;
    for (let j = 0; j < this.count; j++) {
      this.consumers.push(j !== this.index ? new RingConsumer(memory.ring(j, this.index)) : undefined);
    }
  }

  /** Whether a record waits in any ring. */
  waiting(): boolean {
    return this.consumers.some((ring) => ring?.hasRecord === true);
  }

  /** Takes up to a budget of records from each ring; returns how many. */
  takeRound(): number {
    let took = 0;
    for (let j = 0; j < this.count; j++) {
      if (this.consumers[j]?.hasRecord === true) took += this.takeFrom(j, ROUND_BUDGET);
    }
    return took;
  }

  /** Takes every record scheduler `j` (whose thread died) had put in its ring, up to one whose blob never came. */
  takeAllFrom(j: number): void {
    while (this.takeFrom(j, ROUND_BUDGET) === ROUND_BUDGET) {}
  }

  /** Scheduler `j`'s thread died and its ring was taken: what is left in it is dropped, for its next thread. */
  renew(j: number): void {
    const { control } = this.memory;
    const ring = this.memory.ring(j, this.index);
    Atomics.store(control, ring.tailAt, Atomics.load(control, ring.headAt));
    this.consumers[j] = new RingConsumer(ring);
  }

  /** Takes up to `budget` records from scheduler `j`'s ring, in order; returns how many. */
  private takeFrom(j: number, budget: number): number {
    const ring = this.consumers[j]!;
    let took = 0;
    for (; took < budget; took++) {
      const r = ring.take();
      if (r === undefined) break;
      let record: MeshRecord;
      if ((r.a & BLOB) !== 0) {
        const blob = this.blobs.take(j, r.b);
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
      this.received(record, j);
    }
    return took;
  }

  private view(at: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.layout.memory, at, length);
  }
}
