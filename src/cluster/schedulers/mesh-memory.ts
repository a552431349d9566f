// The shared memory between a node's schedulers: one single-producer ring for each ordered pair of schedulers
// (signals from one to the other, in order), and each scheduler's words: its doorbell, which a sender rings when
// the receiver has parked, and its load as it last sampled it (for spawnLb, read by any thread without asking).
import type { RingPlace } from "../../dirty/ring.ts";

/** Words of each scheduler: its doorbell (rung count, notified; whether it has parked) and its load. */
const SCHEDULER_WORDS = 8;
export enum Word {
  Rings = 0,
  Parked = 1,
  /** Processes in its run queue. */
  RunQueue = 2,
  /** Its live processes. */
  Processes = 3,
  /** Its event loop's utilisation over the last sample, in thousandths. */
  Utilisation = 4,
}

/** What every scheduler's thread is given to find its rings: the memory and its shape. */
export interface MeshLayout {
  readonly memory: SharedArrayBuffer;
  readonly count: number;
  /** Bytes of each ring's data: a power of two. */
  readonly ringBytes: number;
}

/** The memory for `count` schedulers, with rings of `ringBytes` each (1 MiB: a few thousand signals in flight). */
export function meshLayout(count: number, ringBytes = 1 << 20): MeshLayout {
  const pairs = count * count;
  const controlBytes = (count * SCHEDULER_WORDS + pairs * 2) * 4;
  const dataAt = align(controlBytes, 64);
  return { memory: new SharedArrayBuffer(dataAt + pairs * ringBytes), count, ringBytes };
}

/** Views of a mesh's memory. */
export class MeshMemory {
  readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly dataAt: number;

  constructor(readonly layout: MeshLayout) {
    const { memory, count } = layout;
    const words = count * SCHEDULER_WORDS + count * count * 2;
    this.control = new Int32Array(memory, 0, words);
    this.bytes = new Uint8Array(memory);
    this.dataAt = align(words * 4, 64);
  }

  /** The index in `control` of a word of scheduler `index`. */
  word(index: number, word: Word): number {
    return index * SCHEDULER_WORDS + word;
  }

  /** Where the ring carrying signals from scheduler `from` to scheduler `to` lives. */
  ring(from: number, to: number): RingPlace {
    const { count, ringBytes } = this.layout;
    const pair = from * count + to;
    const headAt = count * SCHEDULER_WORDS + pair * 2;
    return {
      control: this.control,
      headAt,
      tailAt: headAt + 1,
      bytes: this.bytes,
      dataAt: this.dataAt + pair * ringBytes,
      capacity: ringBytes,
    };
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
