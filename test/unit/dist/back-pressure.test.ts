// Back-pressure on a distribution connection (BEAM's busy dist port, `+zdbbl`): the output queue's accounting over
// a real loopback socket whose reader stops reading, and a runtime whose process sends to a peer that does not
// read: the sender is suspended, other processes run on, and everything arrives, in order, once the peer reads.
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { Connection, DEFAULT_DIST_BUFFER_BUSY_LIMIT, distBufferBusyLimit } from "../../../src/dist/connection.ts";
import { portPlease } from "../../../src/dist/epmd/client.ts";
import { advertisedFlags } from "../../../src/dist/flags.ts";
import { FrameReader } from "../../../src/dist/frames.ts";
import { initiate } from "../../../src/dist/handshake/index.ts";
import type { ControlMessage, SendMessage } from "../../../src/dist/wire/control.ts";
import { FrameDecoder } from "../../../src/dist/wire/receive.ts";
import { DistError, ErrorCodes } from "../../../src/errors.ts";
import { atom, Pid, type Process, type Term, Tuple, tuple } from "../../../src/index.ts";
import { type OtterNode, startNode } from "../../../src/node/node.ts";
import { freePort } from "../../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../../support/dist.ts";
import { assertStuckWhileOthersRun, stalled, waitFor, within } from "../../support/runtime.ts";

const PEER = "peer@127.0.0.1";
const FLAGS = advertisedFlags();
const LIMIT = 64 * 1024;
const SMALL = 1000;
const LARGE = 200_000;
/** What a message's frame adds to its payload: the length, headers, the control tuple, the sequence tuple. */
const FRAME_OVERHEAD = 200;

// ---------------------------------------------------------------------------------------------------------------
// Loopback plumbing

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** A connected pair: [the side that dialled, the side that accepted]. */
async function socketPair(): Promise<[Socket, Socket]> {
  let accepted!: (socket: Socket) => void;
  const acceptedSocket = new Promise<Socket>((resolve) => (accepted = resolve));
  const server = createServer((socket) => {
    sockets.push(socket);
    accepted(socket);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const dialled = connect({ port: (server.address() as AddressInfo).port, host: "127.0.0.1" });
  sockets.push(dialled);
  await once(dialled, "connect");
  return [dialled, await acceptedSocket];
}

/** Decodes what arrives on `socket` once `start` is called; until then the socket is not read. */
class PeerReader {
  readonly received: ControlMessage[] = [];
  /** The most fragmented messages the decoder held open at once. */
  maxOpenSequences = 0;
  private readonly decoder = new FrameDecoder(FLAGS);
  private readonly frames = new FrameReader({
    frame: (frame) => {
      const message = this.decoder.decode(frame);
      this.maxOpenSequences = Math.max(this.maxOpenSequences, this.decoder.pendingSequences);
      if (message !== undefined) this.received.push(message.control);
    },
    tick: () => {},
  });

  constructor(private readonly socket: Socket) {
    socket.pause();
  }

  start(): void {
    this.socket.on("data", (chunk: Buffer) => this.frames.push(chunk));
    this.socket.resume();
  }
}

/** A Connection over one side of a socket pair, and a reader of the other side that has not started. */
async function connectionPair(
  distBufferBusyLimit = LIMIT,
): Promise<{ connection: Connection; peer: PeerReader; closed: Promise<DistError | undefined> }> {
  const [ours, theirs] = await socketPair();
  ours.pause();
  let closed!: (why: DistError | undefined) => void;
  const connection = new Connection(
    { peer: PEER, peerCreation: 1, flags: FLAGS, socket: ours, leftover: Buffer.alloc(0) },
    { distBufferBusyLimit },
    {
      received: () => {},
      closed: (why) => closed(why),
      unsendable: (_message, error) => assert.fail(`unsendable: ${String(error)}`),
    },
  );
  connection.startReading();
  return { connection, peer: new PeerReader(theirs), closed: new Promise((resolve) => (closed = resolve)) };
}

const target = new Pid(atom(PEER), 1, 0, 1);

/** Message `seq` of sender `sender`, carrying `size` bytes. */
function numbered(sender: number, seq: number, size: number): SendMessage {
  return { op: "send", to: target, message: tuple(sender, seq, Buffer.alloc(size, seq)) };
}

/** The (sender, seq) of a message `numbered` made. */
function numberOf(message: ControlMessage): [number, number] {
  assert.equal(message.op, "send");
  const t = (message as SendMessage).message;
  assert.ok(t instanceof Tuple, "a tuple");
  return [t.at(0) as number, t.at(1) as number];
}

/** Asserts that each sender's messages arrived complete and in order. */
function assertInOrder(received: readonly ControlMessage[], senders: number, count: number): void {
  const next = new Array<number>(senders).fill(0);
  for (const message of received) {
    const [sender, seq] = numberOf(message);
    assert.equal(seq, next[sender], `sender ${sender}: message ${seq} arrived where ${next[sender]} was due`);
    next[sender]!++;
  }
  assert.deepEqual(next, new Array<number>(senders).fill(count));
}

/**
 * Senders that behave as suspended processes would: each sends its messages in order, a few per turn, and stops
 * when the connection says it is busy until the connection calls it back.
 */
class Senders {
  readonly sent: number[];
  readonly suspended: boolean[];
  /** The largest output queue seen right after a send. */
  maxQueued = 0;
  readonly done: Promise<void>;
  private finish!: () => void;
  private running: number;

  constructor(
    private readonly connection: Connection,
    count: number,
    private readonly total: number,
    private readonly sizeOf: (sender: number, seq: number) => number,
  ) {
    this.sent = new Array<number>(count).fill(0);
    this.suspended = new Array<boolean>(count).fill(false);
    this.running = count;
    this.done = new Promise((resolve) => (this.finish = resolve));
    for (let s = 0; s < count; s++) setImmediate(() => this.step(s));
  }

  get allSuspended(): boolean {
    return this.suspended.every((s) => s);
  }

  get progress(): number {
    return this.sent.reduce((a, b) => a + b, 0);
  }

  private step(s: number): void {
    for (let burst = 0; burst < 20; burst++) {
      if (this.sent[s] === this.total) {
        if (--this.running === 0) this.finish();
        return;
      }
      const seq = this.sent[s]!++;
      const busy = this.connection.send(numbered(s, seq, this.sizeOf(s, seq)), s);
      this.maxQueued = Math.max(this.maxQueued, this.connection.queuedBytes);
      if (busy !== undefined) {
        this.suspended[s] = true;
        busy.whenClear(() => {
          this.suspended[s] = false;
          setImmediate(() => this.step(s));
        });
        return;
      }
    }
    setImmediate(() => this.step(s));
  }
}

describe("the output queue of a connection", () => {
  test("a reader that stops: the queue stays within the limit plus one message per sender, nothing is lost", async () => {
    const { connection, peer } = await connectionPair();
    const senders = 4;
    const total = 6000;
    const run = new Senders(connection, senders, total, () => SMALL);
    await stalled(() => run.progress, "the senders to stall behind the reader");
    assert.ok(run.allSuspended, `suspended: ${run.suspended}`);
    assert.ok(run.progress < senders * total, "the senders finished although nobody read");
    assert.ok(connection.queuedBytes >= LIMIT, `a queue of ${connection.queuedBytes} bytes`);
    assert.ok(connection.stats.suspendedSenders >= senders, "every sender was suspended");
    peer.start();
    await within(run.done, 20_000, "the senders to finish once the reader reads");
    await waitFor(() => peer.received.length === senders * total, "every message", 20_000);
    assertInOrder(peer.received, senders, total);
    assert.ok(run.maxQueued <= LIMIT + senders * (SMALL + FRAME_OVERHEAD), `queue reached ${run.maxQueued}`);
  });

  test("large messages among small ones count their unsent fragments, and leave in order", async () => {
    const { connection, peer } = await connectionPair();
    const senders = 3;
    const total = 6000;
    // Sender 0 sends a large (fragmented) message every fiftieth; the others small ones.
    const sizeOf = (sender: number, seq: number) => (sender === 0 && seq % 50 === 0 ? LARGE : SMALL);
    const run = new Senders(connection, senders, total, sizeOf);
    await stalled(() => run.progress, "the senders to stall behind the reader");
    assert.ok(run.allSuspended, `suspended: ${run.suspended}`);
    peer.start();
    await within(run.done, 20_000, "the senders to finish once the reader reads");
    await waitFor(() => peer.received.length === senders * total, "every message", 20_000);
    assertInOrder(peer.received, senders, total);
    const bound = LIMIT + LARGE + (senders - 1) * SMALL + senders * FRAME_OVERHEAD;
    assert.ok(run.maxQueued <= bound, `queue reached ${run.maxQueued}`);
  });

  test("at most 4 large messages are in flight at once; the rest wait whole, small ones pass, order holds", async () => {
    const { connection, peer } = await connectionPair(1024 * 1024 * 1024);
    const senders = 12;
    const total = 6;
    // Every sender alternates large and small messages; all are sent at once.
    for (let seq = 0; seq < total; seq++) {
      for (let s = 0; s < senders; s++) connection.send(numbered(s, seq, seq % 2 === 0 ? LARGE : SMALL), s);
    }
    connection.send(numbered(senders, 0, SMALL), senders); // a small message from another sender
    peer.start();
    await waitFor(() => peer.received.length === senders * total + 1, "every message", 20_000);
    assertInOrder(
      peer.received.filter((m) => numberOf(m)[0] < senders),
      senders,
      total,
    );
    assert.equal(peer.maxOpenSequences, 4);
    const firstLastLarge = peer.received.findIndex((m) => numberOf(m)[1] === total - 2);
    const lonelySmall = peer.received.findIndex((m) => numberOf(m)[0] === senders);
    assert.ok(lonelySmall < firstLastLarge, `the small message came ${lonelySmall}th, after large ones`);
  });

  test("a large message alone makes the connection busy until its fragments are out", async () => {
    const { connection, peer } = await connectionPair();
    const busy = connection.send(numbered(0, 0, 4 * LIMIT), "sender");
    assert.equal(busy, connection);
    assert.ok(connection.queuedBytes >= 4 * LIMIT, `a queue of ${connection.queuedBytes} bytes`);
    let cleared = false;
    busy.whenClear(() => (cleared = true));
    assert.equal(connection.stats.suspendedSenders, 1);
    peer.start();
    await waitFor(() => cleared, "the connection to clear");
    assert.ok(connection.queuedBytes < LIMIT, `a queue of ${connection.queuedBytes} bytes`);
    await waitFor(() => peer.received.length === 1, "the message");
  });

  test("a sender that cannot wait (outside any process) is never refused: its messages are all accepted", async () => {
    const { connection, peer } = await connectionPair();
    const total = 3000;
    let busyAnswers = 0;
    for (let seq = 0; seq < total; seq++) {
      if (connection.send(numbered(0, seq, SMALL), undefined) !== undefined) busyAnswers++;
    }
    assert.ok(busyAnswers > 0, "the connection said it was busy");
    assert.ok(connection.queuedBytes >= total * SMALL, "every message is queued and counted");
    assert.equal(connection.stats.suspendedSenders, 0, "nobody waited");
    peer.start();
    await waitFor(() => peer.received.length === total, "every message", 20_000);
    assertInOrder(peer.received, 1, total);
  });

  test("a below-high-water-mark limit still clears (the socket announces no drain there)", async () => {
    const { connection, peer } = await connectionPair(100);
    peer.start();
    for (let seq = 0; seq < 50; seq++) {
      const busy = connection.send(numbered(0, seq, SMALL), 0);
      assert.ok(busy !== undefined, "over a 100-byte limit at once");
      await new Promise<void>((resolve) => busy.whenClear(resolve));
    }
    await waitFor(() => peer.received.length === 50, "every message");
    assertInOrder(peer.received, 1, 50);
  });

  test("closing a busy connection resumes its suspended senders; later sends are not busy", async () => {
    const { connection, closed } = await connectionPair();
    const busy = connection.send(numbered(0, 0, 2 * LIMIT), "sender");
    assert.ok(busy !== undefined, "busy");
    let cleared = false;
    busy.whenClear(() => (cleared = true));
    connection.close();
    assert.ok(cleared, "the sender was resumed");
    assert.equal(await closed, undefined);
    assert.equal(connection.send(numbered(0, 1, 2 * LIMIT), "sender"), undefined);
  });

  test("distBufferBusyLimit: 1 MiB by default; anything but a positive whole number is DIST_BAD_OPTION", () => {
    assert.equal(distBufferBusyLimit({}), DEFAULT_DIST_BUFFER_BUSY_LIMIT);
    assert.equal(DEFAULT_DIST_BUFFER_BUSY_LIMIT, 1024 * 1024);
    assert.equal(distBufferBusyLimit({ distBufferBusyLimit: 4096 }), 4096);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "1024" as unknown as number]) {
      assert.throws(
        () => distBufferBusyLimit({ distBufferBusyLimit: bad }),
        (e: unknown) => e instanceof DistError && e.code === ErrorCodes.DIST_BAD_OPTION,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A runtime sending to a peer that stops reading

describe("a process sending to a busy connection", () => {
  const cookie = uniqueCookie();
  let node: OtterNode;
  let epmdPort: number;

  before(async () => {
    epmdPort = await freePort();
    node = await startNode({
      name: uniqueNodeName("otter_busy"),
      cookie,
      epmdPort,
      listen: { host: "127.0.0.1" },
      distBufferBusyLimit: LIMIT,
    });
  });

  after(async () => {
    await node?.stop();
  });

  /** A node that completes the handshake with ours and then reads nothing until `peer.start()`. */
  async function silentPeer(): Promise<{ name: string; peer: PeerReader }> {
    const name = uniqueNodeName("silent");
    const info = await portPlease(node.name.name.split("@")[0]!, { host: "127.0.0.1", port: epmdPort });
    const raw = connect({ host: "127.0.0.1", port: info!.port });
    sockets.push(raw);
    await once(raw, "connect");
    const { socket } = await initiate(raw, {
      self: { name, creation: 5, flags: FLAGS },
      peer: node.name.name,
      cookie,
      timeoutMs: 5000,
    });
    socket.on("error", () => {});
    await waitFor(() => node.nodes().includes(atom(name)), "the connection on our side");
    return { name, peer: new PeerReader(socket) };
  }

  /** Message `seq` as the peer sees it: `{Seq, Padding}`. */
  function seqOf(message: ControlMessage): number {
    assert.equal(message.op, "send");
    const t = (message as SendMessage).message;
    assert.ok(t instanceof Tuple, "a tuple");
    return t.at(0) as number;
  }

  /** A process that calls `sendOne` in a loop while `more()`; `perStep`: how many sends one step of it makes. */
  interface SendingLoop {
    readonly kind: string;
    readonly perStep: number;
    spawn(sendOne: (self: Process) => void, more: () => boolean): void;
  }

  const loops: SendingLoop[] = [
    {
      kind: "an async body yielding every 16 sends",
      perStep: 16,
      spawn: (sendOne, more) =>
        node.runtime.spawn(async (self: Process) => {
          for (let i = 1; more(); i++) {
            sendOne(self);
            if (i % 16 === 0) await self.yield();
          }
        }),
    },
    {
      kind: "an async body sending one for each message it receives",
      perStep: 1,
      spawn: (sendOne, more) =>
        node.runtime.spawn(async (self: Process) => {
          const token = atom("token");
          self.spawn(async (feeder: Process) => {
            while (more()) {
              feeder.send(self.pid, token);
              await feeder.yield();
            }
          });
          while (more()) {
            await self.receive();
            sendOne(self);
          }
        }),
    },
    {
      kind: "a behaviour sending one for each message it handles",
      perStep: 1,
      spawn: (sendOne, more) => {
        const next = atom("next");
        const pid = node.runtime.spawn({
          handleMessage(self: Process, _message: Term) {
            sendOne(self);
            if (more()) self.send(self.pid, next);
            return null;
          },
        });
        node.runtime.send(pid, next);
      },
    },
  ];

  for (const { kind, perStep, spawn } of loops) {
    test(`${kind}: suspended while the peer does not read (others run on), resumed when it reads, nothing lost`, async () => {
      const { name, peer } = await silentPeer();
      const remote = new Pid(atom(name), 1, 0, 5);
      const total = 20_000;
      const padding = Buffer.alloc(SMALL, 7);
      let sent = 0;
      spawn(
        (self) => self.send(remote, tuple(sent++, padding)),
        () => sent < total,
      );
      await assertStuckWhileOthersRun(node.runtime, () => sent, "the sender, behind the silent peer");
      assert.ok(sent < total, "the sender finished although the peer read nothing");
      const connection = node.distribution.connectionTo(atom(name))!;
      assert.ok(connection.stats.suspendedSenders > 0, "a suspended sender was counted");
      assert.ok(connection.queuedBytes >= LIMIT, `a queue of ${connection.queuedBytes} bytes`);
      const bound = LIMIT + perStep * (SMALL + FRAME_OVERHEAD);
      assert.ok(connection.queuedBytes <= bound, `queue of ${connection.queuedBytes} bytes`);
      peer.start();
      await waitFor(() => peer.received.length === total, "every message at the peer", 20_000);
      assert.deepEqual(
        peer.received.map(seqOf),
        Array.from({ length: total }, (_, i) => i),
      );
    });
  }
});
