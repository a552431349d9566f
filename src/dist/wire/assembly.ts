// The payload of a fragmented message, copied into one buffer as its fragments arrive, so the copy reads bytes
// just received (still in cache) and the read buffers are free at once; the payload then decodes from that one
// buffer, its large binaries as views of it.
import { unzeroed } from "../../term/etf/reader.ts";

/** The most a sequence's first fragment may make us reserve ahead of the bytes that really arrived. */
const MAX_RESERVE = 16 * 1024 * 1024;

export class PayloadAssembly {
  private buffer: Uint8Array;
  private filled = 0;

  /**
   * `expected`: the bytes the whole payload probably takes (fragment count × first fragment size), a guess from
   * an unverified header: at most MAX_RESERVE of it is reserved; the buffer doubles as bytes arrive beyond it.
   */
  constructor(expected: number) {
    this.buffer = unzeroed(Math.max(1, Math.min(expected, MAX_RESERVE)));
  }

  /** Bytes held so far. */
  get length(): number {
    return this.filled;
  }

  /** Appends `frame` from byte `from` on (a frame is one view, or the views of its pieces in order). */
  append(frame: Uint8Array | readonly Uint8Array[], from: number): void {
    if (frame instanceof Uint8Array) {
      if (frame.length > from) this.put(frame.subarray(from));
      return;
    }
    let skip = from;
    for (const piece of frame) {
      if (skip >= piece.length) {
        skip -= piece.length;
        continue;
      }
      this.put(skip === 0 ? piece : piece.subarray(skip));
      skip = 0;
    }
  }

  /** The payload's bytes. */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.filled);
  }

  private put(piece: Uint8Array): void {
    const need = this.filled + piece.length;
    if (need > this.buffer.length) {
      const grown = unzeroed(Math.max(need, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.filled));
      this.buffer = grown;
    }
    this.buffer.set(piece, this.filled);
    this.filled = need;
  }
}
