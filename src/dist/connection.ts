// One connection to another node after the handshake: frames in and out, ticks, and the order of what goes out.
//
// Out: a message is encoded only when its first frame goes out (so atom-cache entries reach the peer in the
// order they are used) and written at once when it fits one frame. A larger one goes out a fragment at a time,
// taking turns with every other in-flight message, so a small message is never stuck behind a 100 MB one
// (OTP's message_latency_large_* cases). Signals of one sender keep their order: while a sender has a message in
// flight, its later messages wait behind it. Writes made in one turn of the event loop leave in one writev.
// In: frames are decoded as they arrive, straight from the read buffers (frames.ts, wire/receive.ts).
import type { Socket } from "node:net";
import { DistError, ErrorCodes } from "../errors.ts";
import { type Atom, atom } from "../term/atom.ts";
import { type Frame, FrameReader } from "./frames.ts";
import type { Handshaken } from "./handshake/index.ts";
import { Ticker, type TickerOptions } from "./ticker.ts";
import type { ControlMessage } from "./wire/control.ts";
import { FrameDecoder } from "./wire/receive.ts";
import { FrameEncoder, type OutgoingMessage } from "./wire/send.ts";

export interface ConnectionOptions extends TickerOptions {
  /** Bytes per fragment of a large message (default 64 KiB, as OTP). */
  fragmentSize?: number;
}

export interface ConnectionEvents {
  /** A control message (with its payload) arrived. */
  received(message: ControlMessage): void;
  /** The connection is gone: closed by either side, broken, or the peer stopped ticking. Called once. */
  closed(why: DistError | undefined): void;
  /** A message that waited behind its sender's large one could not be encoded when its turn came. */
  unsendable(message: ControlMessage, error: unknown): void;
}

/** Traffic counters, for the observer and `net_kernel`-like introspection. */
export interface ConnectionStats {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  /** Frames written, ticks aside: a fragmented message counts one per fragment. */
  framesOut: number;
}

const TICK = Buffer.alloc(4);
/** How long a closed connection waits for the peer to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 5000;

export class Connection {
  readonly peer: Atom;
  readonly peerCreation: number;
  readonly flags: bigint;
  readonly stats: ConnectionStats = {
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    framesOut: 0,
  };
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly encoder: FrameEncoder;
  private readonly reader: FrameReader;
  private readonly ticker: Ticker;
  /** Messages with frames left to send, taking turns: each with its next frame. */
  private inFlight: { sender: unknown; message: OutgoingMessage; frame: Buffer[] }[] = [];
  /** For each sender with a message in flight: what it sent since, in order. */
  private readonly waiting = new Map<unknown, ControlMessage[]>();
  private pumping = false;
  private corked = false;
  private closedWith: DistError | undefined | null = null;
  /** The bytes past the handshake, until `startReading` reads them. */
  private leftover: Buffer | undefined;

  constructor(
    handshaken: Handshaken,
    options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.peer = atom(handshaken.peer);
    this.peerCreation = handshaken.peerCreation;
    this.flags = handshaken.flags;
    this.socket = handshaken.socket;
    this.decoder = new FrameDecoder(this.flags);
    this.encoder = new FrameEncoder(this.flags, { fragmentSize: options.fragmentSize });
    this.reader = new FrameReader({ frame: (f) => this.onFrame(f), tick: () => {} });
    this.ticker = new Ticker(
      options,
      () => this.write([TICK]),
      () => this.fail(new DistError(ErrorCodes.DIST_CONNECTION_LOST, `${this.peer.name} stopped ticking`)),
    );
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on("error", (e) => this.fail(new DistError(ErrorCodes.DIST_CONNECTION_LOST, e.message, { cause: e })));
    socket.on("close", () => this.fail(new DistError(ErrorCodes.DIST_CONNECTION_LOST, "connection closed")));
    socket.on("drain", () => this.pump());
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.leftover = handshaken.leftover;
  }

  /**
   * Starts reading: the bytes that came with the end of the handshake, then the socket. Separate from the
   * constructor because what arrives (a message, a malformed frame closing the connection) reaches `events`, whose
   * handlers need the Connection object to exist.
   */
  startReading(): void {
    const leftover = this.leftover;
    this.leftover = undefined;
    if (leftover !== undefined && leftover.length > 0) this.onData(leftover);
    if (this.closedWith === null) this.socket.resume();
  }

  /** Whether the connection is still up. */
  get open(): boolean {
    return this.closedWith === null;
  }

  /**
   * Sends `message` for `sender` (any key that names the sending process): after everything that sender sent
   * before. Dropped if the connection is closed (the caller learns that from `closed`). A message that cannot be
   * encoded (a value with no Erlang form, a frame over 4 GiB) throws here, and the connection stays up.
   */
  send(message: ControlMessage, sender: unknown): void {
    if (this.closedWith !== null) return;
    const queue = this.waiting.get(sender);
    if (queue !== undefined) {
      queue.push(message);
      return;
    }
    this.start(message, sender);
    this.schedulePump();
  }

  /** Closes the connection (the peer sees it go; `closed` is called with undefined). */
  close(): void {
    if (this.closedWith !== null) return;
    this.closedWith = undefined;
    this.ticker.stop();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.events.closed(undefined);
  }

  /** Writes the first frame of `message`; if more follow, it joins the messages in flight. */
  private start(message: ControlMessage, sender: unknown): void {
    const encoded = this.encoder.encode(message);
    this.stats.messagesOut++;
    this.stats.framesOut++;
    this.write(encoded.next()!);
    const frame = encoded.next();
    if (frame !== undefined) {
      this.inFlight.push({ sender, message: encoded, frame });
      this.waiting.set(sender, []);
    }
  }

  private schedulePump(): void {
    if (this.pumping || this.inFlight.length === 0) return;
    this.pumping = true;
    setImmediate(() => this.pump());
  }

  /** One round of fragments: a frame of each message in flight, while the socket takes more. */
  private pump(): void {
    this.pumping = false;
    if (this.closedWith !== null) return;
    while (this.inFlight.length > 0 && !this.socket.writableNeedDrain) {
      const round = this.inFlight;
      this.inFlight = [];
      for (const entry of round) {
        this.stats.framesOut++;
        this.write(entry.frame);
        const frame = entry.message.next();
        if (frame === undefined) this.finished(entry.sender);
        else {
          entry.frame = frame;
          this.inFlight.push(entry);
        }
      }
    }
    if (this.inFlight.length > 0 && !this.socket.writableNeedDrain) this.schedulePump();
  }

  /** `sender`'s message in flight went out whole: what it sent meanwhile goes now, in order. */
  private finished(sender: unknown): void {
    const queue = this.waiting.get(sender)!;
    this.waiting.delete(sender);
    for (let i = 0; i < queue.length; i++) {
      try {
        this.start(queue[i]!, sender);
      } catch (e) {
        this.events.unsendable(queue[i]!, e);
        continue;
      }
      const rest = this.waiting.get(sender);
      if (rest !== undefined) {
        // Another large one: the rest waits behind it.
        for (let j = i + 1; j < queue.length; j++) rest.push(queue[j]!);
        return;
      }
    }
  }

  private write(chunks: readonly Buffer[]): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const chunk of chunks) {
      this.stats.bytesOut += chunk.length;
      this.socket.write(chunk);
    }
    this.ticker.sent();
  }

  private onData(chunk: Buffer): void {
    if (this.closedWith !== null) return;
    this.stats.bytesIn += chunk.length;
    this.ticker.received();
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.fail(e instanceof DistError ? e : new DistError(ErrorCodes.DIST_PROTOCOL, String(e), { cause: e }));
    }
  }

  private onFrame(frame: Frame): void {
    if (this.closedWith !== null) return;
    const message = this.decoder.decode(frame);
    if (message === undefined) return;
    this.stats.messagesIn++;
    this.events.received(message.control);
  }

  /** The connection broke: it is destroyed, and `closed` tells why. */
  private fail(why: DistError): void {
    if (this.closedWith !== null) return;
    this.closedWith = why;
    this.ticker.stop();
    this.socket.destroy();
    this.inFlight = [];
    this.waiting.clear();
    this.events.closed(why);
  }
}
