// One connection to another node after the handshake: frames in and out, ticks, and the order of what goes out.
//
// Out: a message is encoded when it is sent, but its header (which atoms are new atom-cache entries) is decided
// when its first frame goes out, so cache entries reach the peer in the order they are used. One that fits a
// frame is written at once; a larger one goes out a fragment at a time, taking turns with every other in-flight
// message, so a small message is never stuck behind a 100 MB one (OTP's message_latency_large_* cases). Signals
// of one sender keep their order: while a sender has a message in flight, its later messages wait behind it.
// Writes made in one turn of the event loop leave in one writev, small ones copied together (wire/output-batch.ts).
// Back-pressure, as BEAM's busy dist port (`+zdbbl`): what was accepted and not handed to the kernel yet (the
// socket's buffer, fragments and messages waiting their turn) is the output queue; once it reaches the busy
// limit, `send` still accepts but answers that the connection is busy, and the runtime suspends the sending
// process until the queue drains below the limit. Nothing accepted is dropped, and no process sender adds more
// than its current step's messages to a busy queue.
// In: frames are decoded as they arrive, straight from the read buffers (frames.ts, wire/receive.ts).
// With the batch framing (a same-host stream between Otter nodes, wire/batch-format.ts), a message that fits a
// record and whose sender has nothing in flight is written as a record into the turn's batch frame instead.
import type { Socket } from "node:net";
import { DistError, ErrorCodes } from "../errors.ts";
import type { BusyConnection } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { type Frame, FrameReader } from "./frames.ts";
import type { Handshaken } from "./handshake/index.ts";
import { Ticker, type TickerOptions } from "./ticker.ts";
import { BATCH_FRAME } from "./wire/batch-format.ts";
import { BatchDecoder } from "./wire/batch-receive.ts";
import { BatchEncoder } from "./wire/batch-send.ts";
import type { ControlMessage } from "./wire/control.ts";
import { OutputBatch } from "./wire/output-batch.ts";
import { FrameDecoder } from "./wire/receive.ts";
import { FrameEncoder, type OutgoingMessage } from "./wire/send.ts";

export interface ConnectionOptions extends TickerOptions {
  /** Bytes per fragment of a large message (default 64 KiB, as OTP). */
  fragmentSize?: number;
  /**
   * Bytes the output queue may hold before the connection is busy and suspends the processes that send on it
   * (erl's `+zdbbl`, dist_buf_busy_limit; default 1 MiB, as OTP).
   */
  distBufferBusyLimit?: number;
  /** Both ends are Otter nodes that agreed on the batch framing (a same-host carrier's stream): use it. */
  batchFraming?: boolean;
}

export const DEFAULT_DIST_BUFFER_BUSY_LIMIT = 1024 * 1024;

/** The busy limit `options` ask for; a DIST_BAD_OPTION error if it is no positive whole number of bytes. */
export function distBufferBusyLimit(options: ConnectionOptions): number {
  const limit = options.distBufferBusyLimit ?? DEFAULT_DIST_BUFFER_BUSY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new DistError(
      ErrorCodes.DIST_BAD_OPTION,
      `distBufferBusyLimit must be a positive whole number of bytes, not ${String(limit)}`,
    );
  }
  return limit;
}

export interface ConnectionEvents {
  /** A control message (with its payload) arrived. */
  received(message: ControlMessage): void;
  /** The connection is gone: closed by either side, broken, or the peer stopped ticking. Called once. */
  closed(why: DistError | undefined): void;
  /** A message that waited behind its sender's large one could not be framed when its turn came. */
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
  /**
   * Times a process was suspended for sending while the output queue was over the busy limit (what
   * `erlang:system_monitor` reports as `busy_dist_port`).
   */
  suspendedSenders: number;
}

const TICK = Buffer.alloc(4);
/** Written with a callback to learn when the socket's buffer has gone out (see `awaitDrain`). */
const NOTHING = Buffer.alloc(0);
/** How long a closed connection waits for the peer to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 5000;
/**
 * Most large messages in flight at once; the others wait their turn whole. A receiver holds a reassembly for
 * each: an OTP 25 node receiving 100 interleaved 10 MB messages took 1.0 GB/s, 4 at a time 2.3 GB/s.
 */
const MAX_OPEN_SEQUENCES = 4;

/** A message waiting behind its sender's large one: encoded when it was sent, framed when its turn comes. */
interface Waiting {
  readonly control: ControlMessage;
  readonly message: OutgoingMessage;
}

export class Connection implements BusyConnection {
  readonly peer: Atom;
  readonly peerCreation: number;
  readonly flags: bigint;
  readonly stats: ConnectionStats = {
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    framesOut: 0,
    suspendedSenders: 0,
  };
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly encoder: FrameEncoder;
  private readonly reader: FrameReader;
  /** The batch framing's two directions, when the connection uses it. */
  private readonly batchEncoder: BatchEncoder | undefined;
  private readonly batchDecoder: BatchDecoder | undefined;
  private readonly deliverRecord = (message: ControlMessage): boolean => this.deliver(message);
  private readonly ticker: Ticker;
  private readonly busyLimit: number;
  /** Messages with frames left to send, taking turns: each with its next frame. */
  private inFlight: { sender: unknown; message: OutgoingMessage; frame: Buffer[] }[] = [];
  /** For each sender with a message in flight: what it sent since, in order. */
  private readonly waiting = new Map<unknown, Waiting[]>();
  /** Large messages waiting for fewer to be in flight (MAX_OPEN_SEQUENCES), oldest first, not started yet. */
  private backlog: { sender: unknown; waiting: Waiting }[] = [];
  /** Messages in flight: started, and with fragments still to send (the pump takes them out of `inFlight`). */
  private openSequences = 0;
  /** Body bytes of accepted messages not written to the socket yet (the rest of those in flight, those waiting). */
  private unsentBytes = 0;
  /** The output queue reached the busy limit and has not drained below it since. */
  private busy = false;
  /** What the senders suspended on this connection wait for: called once it clears, or closes. */
  private resumers: (() => void)[] = [];
  private readonly recheckNow = () => this.recheckBusy();
  private pumping = false;
  private readonly output: OutputBatch;
  private closedWith: DistError | undefined | null = null;
  /** The bytes past the handshake, until `startReading` reads them. */
  private leftover: Buffer | undefined;

  constructor(
    handshaken: Handshaken,
    options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.busyLimit = distBufferBusyLimit(options);
    this.peer = atom(handshaken.peer);
    this.peerCreation = handshaken.peerCreation;
    this.flags = handshaken.flags;
    this.socket = handshaken.socket;
    this.output = new OutputBatch(this.socket);
    this.decoder = new FrameDecoder(this.flags);
    this.encoder = new FrameEncoder(this.flags, { fragmentSize: options.fragmentSize });
    this.reader = new FrameReader({ frame: (f) => this.onFrame(f), tick: () => {} });
    if (options.batchFraming === true) {
      this.batchEncoder = new BatchEncoder(this.output, this.flags);
      this.batchDecoder = new BatchDecoder();
    }
    this.ticker = new Ticker(
      options,
      () => this.write([TICK]),
      () => this.fail(new DistError(ErrorCodes.DIST_TICK_TIMEOUT, `${this.peer.name} stopped ticking`)),
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
   * encoded (a value with no Erlang form, a frame over 4 GiB) throws here, and the connection stays up. Returns
   * the connection when its output queue is over the busy limit (the message is accepted all the same: the
   * caller suspends the sender, see BusyConnection), else undefined.
   */
  send(message: ControlMessage, sender: unknown): BusyConnection | undefined {
    if (this.closedWith !== null) return undefined;
    const queue = this.waiting.get(sender);
    if (queue !== undefined) {
      // Encoded now, so the queue knows its size (the atom cache header is decided when it goes).
      const encoded = this.encoder.encode(message);
      queue.push({ control: message, message: encoded });
      this.unsentBytes += encoded.bodyBytes;
    } else if (this.batchEncoder === undefined || !this.writeRecord(this.batchEncoder, message)) {
      const encoded = this.encoder.encode(message);
      this.unsentBytes += encoded.bodyBytes;
      try {
        this.begin(encoded, sender, message);
      } catch (e) {
        this.unsentBytes -= encoded.bodyBytes;
        throw e;
      }
      this.schedulePump();
    }
    if (!this.busy) {
      if (this.queuedBytes < this.busyLimit) return undefined;
      this.busy = true;
      this.awaitDrain();
    }
    return this;
  }

  /**
   * Bytes accepted and not handed to the kernel yet: the socket's buffer, the fragments of messages in flight,
   * and the messages waiting behind them (erts' dist entry queue size).
   */
  get queuedBytes(): number {
    return this.socket.writableLength + this.output.pendingBytes + this.unsentBytes;
  }

  /** BusyConnection: `resume` runs once the output queue has drained below the limit, or the connection closed. */
  whenClear(resume: () => void): void {
    if (!this.busy) {
      resume();
      return;
    }
    this.stats.suspendedSenders++;
    this.resumers.push(resume);
  }

  /** Closes the connection (the peer sees it go; `closed` is called with undefined). */
  close(): void {
    if (this.closedWith !== null) return;
    this.closedWith = undefined;
    this.ticker.stop();
    this.output.handOnRegion();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.clearBusy();
    this.events.closed(undefined);
  }

  /**
   * Writes the first frame of `message`; if more follow, it joins the messages in flight. A large message finding
   * MAX_OPEN_SEQUENCES in flight waits in the backlog instead, its frames not taken yet (so its atom-cache header
   * is still undecided). Either way the sender's later messages wait behind it.
   */
  private begin(message: OutgoingMessage, sender: unknown, control: ControlMessage): void {
    if (this.openSequences >= MAX_OPEN_SEQUENCES && message.bodyBytes >= this.encoder.fragmentSize) {
      this.backlog.push({ sender, waiting: { control, message } });
      if (!this.waiting.has(sender)) this.waiting.set(sender, []);
      return;
    }
    const first = message.next()!;
    this.stats.messagesOut++;
    this.writeFrame(first);
    const frame = message.next();
    if (frame !== undefined) {
      this.openSequences++;
      this.inFlight.push({ sender, message, frame });
      if (!this.waiting.has(sender)) this.waiting.set(sender, []);
    } else if (this.waiting.has(sender)) {
      this.finished(sender); // a backlogged message that fit one frame after all
    }
  }

  /** Large messages of the backlog start, oldest first, while fewer than MAX_OPEN_SEQUENCES are in flight. */
  private admitBacklog(): void {
    while (this.backlog.length > 0 && this.openSequences < MAX_OPEN_SEQUENCES) {
      const { sender, waiting } = this.backlog.shift()!;
      if (!this.tryBegin(waiting, sender) && this.waiting.has(sender)) this.finished(sender);
    }
  }

  /** `begin` for a message that waited its turn: false (and reported) if it cannot be framed after all. */
  private tryBegin({ control, message }: Waiting, sender: unknown): boolean {
    try {
      this.begin(message, sender, control);
      return true;
    } catch (e) {
      this.unsentBytes -= message.bodyBytes;
      this.events.unsendable(control, e);
      return false;
    }
  }

  private schedulePump(): void {
    if (this.pumping || this.inFlight.length === 0) return;
    this.pumping = true;
    setImmediate(() => this.pump());
  }

  /**
   * One round of fragments: a frame of each message in flight, while the socket takes more. Runs on every drain
   * of the socket too, so it is where a busy connection finds that it has cleared.
   */
  private pump(): void {
    this.pumping = false;
    if (this.closedWith !== null) return;
    while (this.inFlight.length > 0 && !this.socket.writableNeedDrain) {
      const round = this.inFlight;
      this.inFlight = [];
      for (const entry of round) {
        this.writeFrame(entry.frame);
        const frame = entry.message.next();
        if (frame === undefined) {
          this.openSequences--;
          this.finished(entry.sender);
          this.admitBacklog();
        } else {
          entry.frame = frame;
          this.inFlight.push(entry);
        }
      }
    }
    if (this.busy) this.recheckBusy();
  }

  /** `sender`'s message in flight went out whole: what it sent meanwhile goes now, in order. */
  private finished(sender: unknown): void {
    const queue = this.waiting.get(sender)!;
    this.waiting.delete(sender);
    for (let i = 0; i < queue.length; i++) {
      if (!this.tryBegin(queue[i]!, sender)) continue;
      const rest = this.waiting.get(sender);
      if (rest !== undefined) {
        // Another large one: the rest waits behind it.
        for (let j = i + 1; j < queue.length; j++) rest.push(queue[j]!);
        return;
      }
    }
  }

  /** A busy connection looks at its queue again: below the limit it clears, else it waits for the next look. */
  private recheckBusy(): void {
    if (!this.busy || this.closedWith !== null) return;
    if (this.queuedBytes < this.busyLimit) this.clearBusy();
    else this.awaitDrain();
  }

  /**
   * Makes sure a busy connection looks at its queue again: the socket announces a drain (which pumps) when its
   * buffer went over its high-water mark, and a pump round is on its way while fragments wait; otherwise (a
   * limit below the socket's high-water mark) the buffer empties silently, so an empty write asks to be told.
   */
  private awaitDrain(): void {
    if (!this.socket.writableNeedDrain && this.inFlight.length === 0) this.socket.write(NOTHING, this.recheckNow);
  }

  /** The queue is below the limit, or the connection is gone: the suspended senders run again. */
  private clearBusy(): void {
    this.busy = false;
    const resumers = this.resumers;
    if (resumers.length === 0) return;
    this.resumers = [];
    for (const resume of resumers) resume();
  }

  /** Writes `message` as a batch record, if it suits one (see BatchEncoder.write). */
  private writeRecord(batch: BatchEncoder, message: ControlMessage): boolean {
    const written = batch.write(message);
    this.stats.bytesOut += batch.lastBytes;
    if (!written) return false;
    this.stats.messagesOut++;
    this.stats.framesOut++;
    this.ticker.sent();
    return true;
  }

  /** Writes a frame of an accepted message: its body (what follows the header chunk) leaves the unsent bytes. */
  private writeFrame(frame: readonly Buffer[]): void {
    this.stats.framesOut++;
    this.unsentBytes -= this.write(frame) - frame[0]!.length;
  }

  /** Writes `chunks` (batched until the next tick, so one turn's writes leave in one writev); returns their bytes. */
  private write(chunks: readonly Buffer[]): number {
    let bytes = 0;
    for (const chunk of chunks) {
      bytes += chunk.length;
      this.output.add(chunk);
    }
    this.stats.bytesOut += bytes;
    this.ticker.sent();
    return bytes;
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
    if (this.batchDecoder !== undefined && firstByte(frame) === BATCH_FRAME) {
      this.batchDecoder.decode(frame, this.deliverRecord);
      return;
    }
    const message = this.decoder.decode(frame);
    if (message !== undefined) this.deliver(message.control);
  }

  /** Hands a received message on; false once the connection is closed (by it, or before). */
  private deliver(message: ControlMessage): boolean {
    if (this.closedWith !== null) return false;
    this.stats.messagesIn++;
    this.events.received(message);
    return this.closedWith === null;
  }

  /** The connection broke: it is destroyed, and `closed` tells why. */
  private fail(why: DistError): void {
    if (this.closedWith !== null) return;
    this.closedWith = why;
    this.ticker.stop();
    this.socket.destroy();
    this.inFlight = [];
    this.backlog = [];
    this.openSequences = 0;
    this.waiting.clear();
    this.unsentBytes = 0;
    this.clearBusy();
    this.events.closed(why);
  }
}

/** The first byte of a frame (frames are never empty: an empty one is a tick). */
function firstByte(frame: Frame): number {
  const first: Buffer = Buffer.isBuffer(frame) ? frame : (frame as readonly Buffer[])[0]!;
  return first[0]!;
}
