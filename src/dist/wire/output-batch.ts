// What one turn of the event loop writes to a connection's socket: small chunks (headers, small messages)
// copied one after another into a slab and handed on as one view, large ones (binaries of the caller's memory)
// handed on by reference between them, all corked until the turn ends so they leave in one writev.
//
// A small message is a few dozen bytes in three chunks; handing each chunk to the socket on its own costs a
// write request and a buffered entry apiece, and the garbage of both. Bytes already handed on are never written
// again: the slab fills onwards, and a full slab is left to the socket and replaced.
// On a connection with the batch framing (batch-format.ts), records are written straight into the slab, inside a
// batch frame that stays open until a standard chunk comes or the bytes are handed on; its length is filled then.
import { Buffer } from "node:buffer";
import { BATCH_FRAME } from "./batch-format.ts";

/** Chunks up to this size are copied into the slab; larger ones go to the socket as they are. */
const COPY_LIMIT = 2048;
const SLAB_SIZE = 64 * 1024;
/** A batch frame's length field and BATCH_FRAME byte. */
const BATCH_HEADER_BYTES = 5;

/** The socket side of a batch: `write` takes chunks in order; `cork`/`uncork` bracket one turn's writes. */
export interface ChunkSink {
  write(chunk: Buffer): void;
  cork(): void;
  uncork(): void;
}

export class OutputBatch {
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
  /** The slab's bytes from `regionStart` to `filled` are copied in and not handed on yet. */
  private regionStart = 0;
  private filled = 0;
  /** Where the open batch frame's length field is in the slab; -1 while none is open. */
  private batchAt = -1;
  private corked = false;
  private readonly endTurn = () => {
    this.corked = false;
    this.handOnRegion();
    this.sink.uncork();
  };

  constructor(private readonly sink: ChunkSink) {}

  /** Bytes added and not handed to the socket yet (they count toward the connection's output queue). */
  get pendingBytes(): number {
    return this.filled - this.regionStart;
  }

  /** Adds `chunk` after everything added before it; it reaches the socket by the end of this turn at the latest. */
  add(chunk: Buffer): void {
    this.corkForTurn();
    this.closeBatch();
    const n = chunk.length;
    if (n > COPY_LIMIT) {
      this.handOnRegion();
      this.sink.write(chunk);
      return;
    }
    if (this.filled + n > this.slab.length) this.freshSlab();
    this.slab.set(chunk, this.filled);
    this.filled += n;
  }

  /** The slab records are written into: `reserveRecord` says where, and may replace it. */
  get buffer(): Buffer {
    return this.slab;
  }

  /**
   * Reserves `n` bytes (at most a slab less a frame header) for a record, in the open batch frame or a new one
   * after everything added before; the caller writes them into `buffer` from the offset returned, before anything
   * else is added.
   */
  reserveRecord(n: number): number {
    this.corkForTurn();
    if (this.filled + (this.batchAt < 0 ? BATCH_HEADER_BYTES : 0) + n > this.slab.length) this.freshSlab();
    if (this.batchAt < 0) {
      this.batchAt = this.filled;
      this.slab[this.filled + 4] = BATCH_FRAME;
      this.filled += BATCH_HEADER_BYTES;
    }
    const at = this.filled;
    this.filled += n;
    return at;
  }

  /** Hands the copied bytes not handed on yet to the socket now, as one view of the slab (before it ends). */
  handOnRegion(): void {
    this.closeBatch();
    if (this.filled === this.regionStart) return;
    this.sink.write(this.slab.subarray(this.regionStart, this.filled));
    this.regionStart = this.filled;
  }

  private corkForTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.sink.cork();
    process.nextTick(this.endTurn);
  }

  /** Hands the region on and starts a new slab (the socket keeps the old one until it has written it). */
  private freshSlab(): void {
    this.handOnRegion();
    this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    this.regionStart = 0;
    this.filled = 0;
  }

  /** Ends the open batch frame: its length field gets the bytes written after it. */
  private closeBatch(): void {
    const at = this.batchAt;
    if (at < 0) return;
    this.batchAt = -1;
    this.slab.writeUInt32BE(this.filled - at - 4, at);
  }
}
