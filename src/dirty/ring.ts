// A single-producer single-consumer ring of records in shared memory: one thread appends, one other thread takes,
// neither ever waits for the other's lock, and a record's payload is written and read in place.
//
// A record is a header of RECORD_WORDS 32-bit words (the first is the payload length, the others are the
// caller's) followed by its payload, at an 8-byte aligned offset. A record never wraps: one that does not fit
// before the end of the data region is put at its start, behind a WRAP marker. `head` (bytes appended) and `tail`
// (bytes taken) only grow, modulo 2³²; the producer alone moves `head` and the consumer alone `tail`, with
// Atomics, so a record's bytes are complete before the consumer can see it.

/** Words of a record header: the payload length, then three words of the caller's. */
export const RECORD_WORDS = 4;
const HEADER_BYTES = RECORD_WORDS * 4;
/** A length that marks the rest of the data region as skipped: the next record is at its start. */
const WRAP = -1;

/** Where a ring lives: `control[headAt]`, `control[tailAt]`, and `capacity` bytes of `bytes` from `dataAt`. */
export interface RingPlace {
  readonly control: Int32Array;
  readonly headAt: number;
  readonly tailAt: number;
  readonly bytes: Uint8Array;
  readonly dataAt: number;
  /** A power of two, a multiple of 8. */
  readonly capacity: number;
}

/** A record the consumer took: its three words and where its payload is (valid until `release`). */
export interface TakenRecord {
  a: number;
  b: number;
  c: number;
  payloadAt: number;
  payloadLength: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

export class RingProducer {
  private readonly words: Int32Array;
  /** `head` as this side last wrote it (only this side writes it). */
  private head: number;

  constructor(private readonly place: RingPlace) {
    this.words = new Int32Array(place.bytes.buffer, place.bytes.byteOffset + place.dataAt, place.capacity >> 2);
    this.head = Atomics.load(place.control, place.headAt);
  }

  /** Where the last `reserve` put the payload: an offset in `bytes`. */
  reservedAt = 0;

  /**
   * Makes room for a payload of up to `most` bytes, contiguous, at `reservedAt`; returns how many bytes fit there
   * (at most `most`), or -1 when the ring has no room for even a header now. Skips to the start of the data region
   * when the end has too little room and the start has more.
   */
  reserve(most: number): number {
    const { control, tailAt, capacity } = this.place;
    const free = capacity - ((this.head - Atomics.load(control, tailAt)) | 0);
    let offset = this.head & (capacity - 1);
    const toEnd = capacity - offset;
    let contiguous = Math.min(free, toEnd);
    if (contiguous < HEADER_BYTES + most && free - toEnd > contiguous) {
      // The bytes up to the end are skipped (they count as used until the consumer passes them).
      this.words[offset >> 2] = WRAP;
      this.head = (this.head + toEnd) | 0;
      Atomics.store(control, this.place.headAt, this.head);
      contiguous = free - toEnd;
      offset = 0;
    }
    const room = contiguous - HEADER_BYTES;
    if (room < 0) return -1;
    this.reservedAt = this.place.dataAt + offset + HEADER_BYTES;
    return Math.min(room, most);
  }

  /** Publishes the record whose payload (`length` bytes) was written at the last `reserve`'s offset. */
  commit(a: number, b: number, c: number, length: number): void {
    const offset = this.head & (this.place.capacity - 1);
    const w = this.words;
    const i = offset >> 2;
    w[i] = length;
    w[i + 1] = a;
    w[i + 2] = b;
    w[i + 3] = c;
    this.head = (this.head + HEADER_BYTES + align8(length)) | 0;
    Atomics.store(this.place.control, this.place.headAt, this.head);
  }

  /** Bytes appended and not taken yet. */
  get backlog(): number {
    return (this.head - Atomics.load(this.place.control, this.place.tailAt)) | 0;
  }
}

export class RingConsumer {
  private readonly words: Int32Array;
  /** `tail` as this side last wrote it (only this side writes it). */
  private tail: number;
  /** Where the record handed out by `take` ends (the tail it moves to on `release`). */
  private pendingTail: number;
  private readonly record: TakenRecord = { a: 0, b: 0, c: 0, payloadAt: 0, payloadLength: 0 };

  constructor(private readonly place: RingPlace) {
    this.words = new Int32Array(place.bytes.buffer, place.bytes.byteOffset + place.dataAt, place.capacity >> 2);
    this.tail = Atomics.load(place.control, place.tailAt);
    this.pendingTail = this.tail;
  }

  /** Whether a record waits (a cheap check for spinning). */
  get hasRecord(): boolean {
    return Atomics.load(this.place.control, this.place.headAt) !== this.tail;
  }

  /**
   * The next record, or undefined when none waits. The returned object is reused: read it, then `release` it
   * before the next `take` (until then the producer cannot reuse its bytes).
   */
  take(): TakenRecord | undefined {
    const { control, headAt, capacity } = this.place;
    for (;;) {
      const head = Atomics.load(control, headAt);
      if (head === this.tail) return undefined;
      const offset = this.tail & (capacity - 1);
      const i = offset >> 2;
      const length = this.words[i]!;
      if (length === WRAP) {
        this.tail = (this.tail + (capacity - offset)) | 0;
        Atomics.store(control, this.place.tailAt, this.tail);
        continue;
      }
      const r = this.record;
      r.payloadLength = length;
      r.a = this.words[i + 1]!;
      r.b = this.words[i + 2]!;
      r.c = this.words[i + 3]!;
      r.payloadAt = this.place.dataAt + offset + HEADER_BYTES;
      this.pendingTail = (this.tail + HEADER_BYTES + align8(length)) | 0;
      return r;
    }
  }

  /** Gives the taken record's bytes back to the producer. */
  release(): void {
    this.tail = this.pendingTail;
    Atomics.store(this.place.control, this.place.tailAt, this.tail);
  }
}
