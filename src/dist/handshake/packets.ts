// Handshake packets over a socket: each a 2-byte big-endian length, then that many bytes. Bytes that arrive past
// the last handshake packet are kept for whoever reads the connection next.
import type { Socket } from "node:net";
import { DistError, ErrorCodes } from "../../errors.ts";

/**
 * The largest handshake packet accepted. The longest a peer needs is a name message: 15 bytes and a name of at most
 * 255 characters (1020 bytes of UTF-8). The margin leaves room for the "ignore extra data" OTP allows, while a
 * length field claiming more is refused as soon as it is read, not after waiting for the bytes it promises.
 */
export const MAX_HANDSHAKE_PACKET = 4096;

/** Reads handshake packets from a socket in flowing mode, until `release` hands the socket back. */
export class PacketReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve(packet: Buffer): void; reject(error: Error): void } | undefined;
  private failure: Error | undefined;
  private closedByPeer = false;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.deliver();
  };
  private readonly onEnd = () => {
    this.closedByPeer = true;
    this.fail(new DistError(ErrorCodes.DIST_HANDSHAKE, "the peer closed the connection"));
  };
  private readonly onError = (error: Error) => {
    this.closedByPeer = true;
    this.fail(new DistError(ErrorCodes.DIST_HANDSHAKE, `socket error: ${error.message}`, { cause: error }));
  };

  constructor(private readonly socket: Socket) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
    if (socket.destroyed) this.onEnd();
  }

  /** Whether the peer closed or reset the connection (as opposed to a deadline or a malformed packet). */
  get peerGone(): boolean {
    return this.closedByPeer;
  }

  /** The next packet's payload. Rejects with DIST_HANDSHAKE when the socket ends or a length is out of bounds. */
  next(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.deliver();
    });
  }

  /** Sends one packet. */
  send(payload: Buffer): void {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(payload.length);
    this.socket.write(Buffer.concat([length, payload]));
  }

  /**
   * Stops reading and returns the bytes received past the last packet read. The socket is left paused with no
   * listener of ours: the next reader attaches its own and calls `resume()`.
   */
  release(): Buffer {
    this.socket.pause();
    this.detach();
    return this.buffered;
  }

  /** Stops reading and fails the packet being waited for, if any. */
  fail(error: Error): void {
    this.failure ??= error;
    this.detach();
    this.deliver();
  }

  private detach(): void {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
  }

  private deliver(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    const packet = this.takePacket();
    if (packet !== undefined) {
      this.waiting = undefined;
      waiting.resolve(packet);
    } else if (this.failure !== undefined) {
      this.waiting = undefined;
      waiting.reject(this.failure);
    }
  }

  /** The first buffered packet when it is complete; records a failure when its length is out of bounds. */
  private takePacket(): Buffer | undefined {
    if (this.buffered.length < 2) return undefined;
    const length = this.buffered.readUInt16BE(0);
    if (length === 0 || length > MAX_HANDSHAKE_PACKET) {
      this.failure ??= new DistError(
        ErrorCodes.DIST_HANDSHAKE,
        `handshake packet of ${length} bytes (1 to ${MAX_HANDSHAKE_PACKET} allowed)`,
      );
      this.detach();
      return undefined;
    }
    if (this.buffered.length < 2 + length) return undefined;
    const packet = this.buffered.subarray(2, 2 + length);
    this.buffered = this.buffered.subarray(2 + length);
    return packet;
  }
}
