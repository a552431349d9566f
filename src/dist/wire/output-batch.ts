// What one turn of the event loop writes to a connection's socket: small chunks (headers, small messages)
// copied one after another into a slab and handed on as one view, large ones (binaries of the caller's memory)
// handed on by reference between them, all corked until the turn ends so they leave in one writev.
//
// A small message is a few dozen bytes in three chunks; handing each chunk to the socket on its own costs a
// write request and a buffered entry apiece, and the garbage of both. Bytes already handed on are never written
// again: the slab fills onwards, and a full slab is left to the socket and replaced.
import { Buffer } from "node:buffer";

/** Chunks up to this size are copied into the slab; larger ones go to the socket as they are. */
const COPY_LIMIT = 2048;
const SLAB_SIZE = 64 * 1024;

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
    if (!this.corked) {
      this.corked = true;
      this.sink.cork();
      process.nextTick(this.endTurn);
    }
    const n = chunk.length;
    if (n > COPY_LIMIT) {
      this.handOnRegion();
      this.sink.write(chunk);
      return;
    }
    if (this.filled + n > this.slab.length) {
      this.handOnRegion();
      this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      this.regionStart = 0;
      this.filled = 0;
    }
    this.slab.set(chunk, this.filled);
    this.filled += n;
  }

  /** Hands the copied bytes not handed on yet to the socket now, as one view of the slab (before it ends). */
  handOnRegion(): void {
    if (this.filled === this.regionStart) return;
    this.sink.write(this.slab.subarray(this.regionStart, this.filled));
    this.regionStart = this.filled;
  }
}
