// Splitting a connected peer's byte stream into frames: a 4-byte big-endian length, then that many bytes; a
// zero-length frame is a tick.
//
// A frame is handed on as the list of views of the received chunks it spans, never copied into one buffer: a
// 10 MB binary that arrives in 64 KiB reads is decoded straight from those reads. Every frame of one read is
// handed on in the same call, and memory grows only with bytes received, never from a length field alone.
import { DistError, ErrorCodes } from "../errors.ts";

/** What a frame is handed on as: one view when it lies in one chunk, else the views of its pieces in order (none empty). */
export type Frame = Buffer | readonly Buffer[];

/** The largest frame accepted by default: 256 MiB (a peer with FRAGMENTS sends 64 KiB fragments). */
export const DEFAULT_MAX_FRAME = 256 * 1024 * 1024;

export interface FrameSink {
  frame(frame: Frame): void;
  tick(): void;
}

export class FrameReader {
  /** The length field being read (it may straddle chunks). */
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthFill = 0;
  /** The current frame's length once its length field is read; -1 while reading a length field. */
  private need = -1;
  /** The pieces of the current frame received so far. */
  private pieces: Buffer[] = [];
  private have = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrame = DEFAULT_MAX_FRAME,
  ) {}

  /** Bytes held for a frame not complete yet. */
  get buffered(): number {
    return this.have;
  }

  /** Takes the next bytes of the stream; hands on every frame they complete. Throws DIST_PROTOCOL on a frame over the maximum. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.need < 0) {
        if (this.lengthFill === 0 && chunk.length - at >= 4) {
          this.need = chunk.readUInt32BE(at);
          at += 4;
        } else {
          const take = Math.min(4 - this.lengthFill, chunk.length - at);
          chunk.copy(this.lengthBytes, this.lengthFill, at, at + take);
          this.lengthFill += take;
          at += take;
          if (this.lengthFill < 4) return;
          this.lengthFill = 0;
          this.need = this.lengthBytes.readUInt32BE(0);
        }
        if (this.need > this.maxFrame) {
          throw new DistError(
            ErrorCodes.DIST_PROTOCOL,
            `a frame of ${this.need} bytes is over the limit of ${this.maxFrame}`,
          );
        }
        if (this.need === 0) {
          this.need = -1;
          this.sink.tick();
          continue;
        }
        if (at === chunk.length) return; // the length ended this chunk: the frame starts in the next
      }
      const missing = this.need - this.have;
      const available = chunk.length - at;
      if (this.have === 0 && available >= missing) {
        // The whole frame is in this chunk: one view, no list.
        const frame = chunk.subarray(at, at + missing);
        at += missing;
        this.need = -1;
        this.sink.frame(frame);
        continue;
      }
      const take = Math.min(missing, available);
      this.pieces.push(chunk.subarray(at, at + take));
      this.have += take;
      at += take;
      if (this.have < this.need) return;
      const frame = this.pieces;
      this.pieces = [];
      this.have = 0;
      this.need = -1;
      this.sink.frame(frame);
    }
  }
}
