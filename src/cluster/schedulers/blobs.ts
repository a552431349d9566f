// Records too large for a ring between schedulers: the sender copies the payload once into a SharedArrayBuffer of
// its own and posts that over a MessagePort to the receiver, while the ring carries only its sequence number, in
// order with the other records. The receiver decodes straight from the shared bytes: binaries of 64 bytes and
// more in it become views of that memory, not copies. A record whose payload has not arrived yet holds up its
// ring (and nothing else) until it does.
import { MessageChannel, type MessagePort, receiveMessageOnPort } from "node:worker_threads";

/** Payloads of this many bytes or more go as blobs (a ring holds a few in flight at most). */
export const BLOB_BYTES = 64 * 1024;

interface Posted {
  readonly seq: number;
  readonly memory: SharedArrayBuffer;
}

export class Blobs {
  private readonly sent: number[];
  private readonly arrived: Map<number, Uint8Array>[];
  private readonly outbound: (MessagePort | undefined)[];
  private readonly inbound: (MessagePort | undefined)[];
  private arrival: (() => void) | undefined;

  /**
   * `outbound[j]` posts to scheduler j, `inbound[j]` hears from it (undefined for this scheduler). With `keepAlive` false,
   * the ports do not keep the thread's event loop alive (scheduler 0's: its node decides when it ends).
   */
  constructor(
    outbound: readonly (MessagePort | undefined)[],
    inbound: readonly (MessagePort | undefined)[],
    keepAlive: boolean,
  ) {
    this.outbound = [...outbound];
    this.inbound = [...inbound];
    this.sent = outbound.map(() => 0);
    this.arrived = inbound.map(() => new Map());
    if (!keepAlive) for (const port of outbound) port?.unref();
    this.keepAlive = keepAlive;
  }

  private readonly keepAlive: boolean;

  /** Starts hearing payloads; `arrival` is called as each arrives. */
  listen(arrival: () => void): void {
    this.arrival = arrival;
    for (let from = 0; from < this.inbound.length; from++) this.hear(this.inbound[from], from);
  }

  /**
   * Scheduler `other`'s thread died: what it sent and did not arrive is dropped, and these ports (a channel pair with
   * its next thread) replace the old ones.
   */
  replace(other: number, ports: PairPorts): void {
    this.outbound[other]?.close();
    this.inbound[other]?.close();
    this.outbound[other] = ports.outbound;
    this.inbound[other] = ports.inbound;
    this.sent[other] = 0;
    this.arrived[other] = new Map();
    if (!this.keepAlive) ports.outbound.unref();
    this.hear(ports.inbound, other);
  }

  /** Takes at once the payloads from `from` that arrived but whose message has not been handled yet. */
  takeWaiting(from: number): void {
    const port = this.inbound[from];
    if (port === undefined) return;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
      this.arrive(from, m.message);
  }

  private hear(port: MessagePort | undefined, from: number): void {
    const arrival = this.arrival;
    if (port === undefined || arrival === undefined) return;
    port.on("message", (posted: Posted) => {
      this.arrive(from, posted);
      arrival();
    });
    if (!this.keepAlive) port.unref();
  }

  private arrive(from: number, { seq, memory }: Posted): void {
    this.arrived[from]!.set(seq, new Uint8Array(memory));
  }

  /** Posts `payload` to scheduler `to`; returns the sequence number its ring record carries. */
  send(to: number, payload: Uint8Array): number {
    const seq = (this.sent[to]! + 1) | 0;
    this.sent[to] = seq;
    const memory = new SharedArrayBuffer(payload.length);
    new Uint8Array(memory).set(payload);
    this.outbound[to]!.postMessage({ seq, memory } satisfies Posted);
    return seq;
  }

  /** The payload `seq` from scheduler `from`, if it has arrived (it is handed out once). */
  take(from: number, seq: number): Uint8Array | undefined {
    const bytes = this.arrived[from]!.get(seq);
    if (bytes !== undefined) this.arrived[from]!.delete(seq);
    return bytes;
  }

  close(): void {
    for (const port of [...this.outbound, ...this.inbound]) port?.close();
  }
}

/** One scheduler's ports with one other: `outbound` posts to it, `inbound` hears from it. */
export interface PairPorts {
  readonly outbound: MessagePort;
  readonly inbound: MessagePort;
}

/** A new channel pair between two schedulers: each one's ports with the other. */
export function pairPorts(): { a: PairPorts; b: PairPorts } {
  const aToB = new MessageChannel();
  const bToA = new MessageChannel();
  return {
    a: { outbound: aToB.port1, inbound: bToA.port2 },
    b: { outbound: bToA.port1, inbound: aToB.port2 },
  };
}

/** Each scheduler's ports: `outbound[j]` posts to scheduler j, `inbound[j]` hears from it. */
export interface BlobPorts {
  readonly outbound: (MessagePort | undefined)[];
  readonly inbound: (MessagePort | undefined)[];
}

/** A channel for each ordered pair of `count` schedulers, as each scheduler's ports. */
export function blobPorts(count: number): BlobPorts[] {
  const ports: BlobPorts[] = [];
  for (let i = 0; i < count; i++) ports.push({ outbound: [], inbound: [] });
  for (let from = 0; from < count; from++) {
    for (let to = 0; to < count; to++) {
      if (from === to) continue;
      const { port1, port2 } = new MessageChannel();
      ports[from]!.outbound[to] = port1;
      ports[to]!.inbound[from] = port2;
    }
  }
  return ports;
}
