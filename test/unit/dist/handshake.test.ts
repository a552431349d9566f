// The handshake over real loopback sockets: our initiate against our accept, and scripted raw peers that mirror
// erl_distribution_wb_SUITE (missing flags, the 25 digest, simultaneous connects, alive, bad cookies, malformed
// packets, the setup timeout).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, test } from "node:test";
import { advertisedFlags, DFlag, MANDATORY, MANDATORY_25, MANDATORY_26 } from "../../../src/dist/flags.ts";
import {
  type AcceptOptions,
  type Admission,
  accept,
  type HandshakeIdentity,
  initiate,
  simultaneousWinner,
} from "../../../src/dist/handshake/index.ts";
import { DistError, type ErrorCode, ErrorCodes } from "../../../src/errors.ts";

// ---------------------------------------------------------------------------------------------------------------
// Loopback plumbing

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

async function dial(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  sockets.push(socket);
  await once(socket, "connect");
  return socket;
}

/** A connected pair: [the side that dialled, the side that accepted]. */
async function socketPair(): Promise<[Socket, Socket]> {
  let accepted!: (socket: Socket) => void;
  const acceptedSocket = new Promise<Socket>((resolve) => (accepted = resolve));
  const port = await listen((socket) => accepted(socket));
  return [await dial(port), await acceptedSocket];
}

/** Resolves once the socket has closed. */
async function closed(socket: Socket): Promise<void> {
  if (!socket.closed) await once(socket, "close");
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<DistError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected ${code}, but the handshake succeeded`),
    (error: unknown) => {
      caught = error;
    },
  );
  assert.ok(caught instanceof DistError, `expected a DistError, got ${caught}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

// ---------------------------------------------------------------------------------------------------------------
// Identities and raw messages, built here byte by byte (not with the code under test)

let counter = 0;

function identity(flags = advertisedFlags(), prefix = "n"): HandshakeIdentity {
  counter += 1;
  return { name: `${prefix}${counter}_${process.pid}@127.0.0.1`, creation: 1000 + counter, flags };
}

const uniqueCookie = () => randomBytes(8).toString("hex");

function md5Digest(challenge: number, cookie: string): Buffer {
  return createHash("md5")
    .update(Buffer.from(cookie + String(challenge), "latin1"))
    .digest();
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}
const text = (s: string) => Buffer.from(s, "latin1");

const nameV6 = (flags: bigint, creation: number, name: string) =>
  Buffer.concat([text("N"), u64(flags), u32(creation), u16(name.length), text(name)]);
const nameV5 = (flags: bigint, name: string) => Buffer.concat([text("n"), u16(5), u32(Number(flags)), text(name)]);
const status = (s: string) => text(`s${s}`);
const challengeMsg = (flags: bigint, challenge: number, creation: number, name: string) =>
  Buffer.concat([text("N"), u64(flags), u32(challenge), u32(creation), u16(name.length), text(name)]);
const complement = (flags: bigint, creation: number) =>
  Buffer.concat([text("c"), u32(Number(flags >> 32n)), u32(creation)]);
const reply = (challenge: number, digest: Buffer) => Buffer.concat([text("r"), u32(challenge), digest]);
const ack = (digest: Buffer) => Buffer.concat([text("a"), digest]);

/** What our acceptor's challenge says. */
function readChallenge(packet: Buffer) {
  assert.equal(packet.toString("latin1", 0, 1), "N");
  const nameLength = packet.readUInt16BE(17);
  return {
    flags: packet.readBigUInt64BE(1),
    challenge: packet.readUInt32BE(9),
    creation: packet.readUInt32BE(13),
    name: packet.toString("latin1", 19, 19 + nameLength),
  };
}

/** The far end of a socket, scripted: sends and reads 2-byte-length packets. */
class RawPeer {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** Sends the packets in one write. */
  send(...payloads: Buffer[]): void {
    this.socket.write(Buffer.concat(payloads.flatMap((p) => [u16(p.length), p])));
  }

  /** The next packet, or undefined when the connection closes first. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.buffered.length >= 2 && this.buffered.length >= 2 + this.buffered.readUInt16BE(0)) {
        const length = this.buffered.readUInt16BE(0);
        const packet = this.buffered.subarray(2, 2 + length);
        this.buffered = this.buffered.subarray(2 + length);
        return packet;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async nextText(): Promise<string | undefined> {
    return (await this.next())?.toString("latin1");
  }

  /** Resolves when the connection closes, having received nothing more. */
  async closesSilently(): Promise<void> {
    assert.equal(await this.next(), undefined, "expected the connection to close without another packet");
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe("our initiate against our accept", () => {
  test("both finish with the other's name and creation, and use the intersection of their flags", async () => {
    const a = identity();
    const b = identity((advertisedFlags({ hidden: true }) & ~DFlag.FRAGMENTS) | DFlag.ALTACT_SIG);
    const cookie = uniqueCookie();
    const admitted: unknown[] = [];
    const [aSocket, bSocket] = await socketPair();
    const [atA, atB] = await Promise.all([
      initiate(aSocket, { self: a, peer: b.name, cookie, timeoutMs: 5000 }),
      accept(bSocket, {
        self: b,
        cookie,
        timeoutMs: 5000,
        admit: (...args) => {
          admitted.push(args);
          return "ok";
        },
      }),
    ]);
    assert.deepEqual(admitted, [[a.name, a.creation, a.flags]]);
    assert.equal(atA.peer, b.name);
    assert.equal(atA.peerCreation, b.creation);
    assert.equal(atB.peer, a.name);
    assert.equal(atB.peerCreation, a.creation);
    const expected = advertisedFlags({ hidden: true }) & ~DFlag.FRAGMENTS;
    assert.equal(atA.flags, expected);
    assert.equal(atB.flags, expected);
    assert.equal(atA.socket, aSocket);
    assert.ok(aSocket.isPaused() && bSocket.isPaused());
    assert.equal(atA.leftover.length + atB.leftover.length, 0);
  });

  test("different cookies: the acceptor finds a bad digest and closes, the initiator learns its cookie is refused", async () => {
    const a = identity();
    const b = identity();
    const [aSocket, bSocket] = await socketPair();
    const atA = initiate(aSocket, { self: a, peer: b.name, cookie: uniqueCookie(), timeoutMs: 5000 });
    const atB = accept(bSocket, { self: b, cookie: uniqueCookie(), timeoutMs: 5000, admit: () => "ok" });
    await rejectsWith(atB, ErrorCodes.DIST_BAD_COOKIE, /invalid challenge reply/);
    await rejectsWith(atA, ErrorCodes.DIST_BAD_COOKIE, /does not accept our cookie/);
    await Promise.all([closed(aSocket), closed(bSocket)]);
  });

  test("the acceptor's cookie function is asked for the connecting peer's cookie", async () => {
    const a = identity();
    const b = identity();
    const asked: string[] = [];
    const [aSocket, bSocket] = await socketPair();
    await Promise.all([
      initiate(aSocket, { self: a, peer: b.name, cookie: "per-peer", timeoutMs: 5000 }),
      accept(bSocket, {
        self: b,
        cookie: (peer) => {
          asked.push(peer);
          return "per-peer";
        },
        timeoutMs: 5000,
        admit: () => "ok",
      }),
    ]);
    assert.deepEqual(asked, [a.name]);
  });

  test("simultaneous connect: the node with the greater name keeps its own attempt, the other drops it", async () => {
    // Two nodes dial each other at once; each acceptor decides with simultaneousWinner, as net_kernel does.
    const small = identity(advertisedFlags(), "a");
    const great = identity(advertisedFlags(), "z");
    const cookie = uniqueCookie();
    const pending = { [small.name]: new Set<string>(), [great.name]: new Set<string>() };
    const accepted: Record<string, Promise<unknown>> = {};
    const admitFor =
      (self: HandshakeIdentity) =>
      (peer: string): Admission =>
        pending[self.name]!.has(peer)
          ? simultaneousWinner(self.name, peer) === "us"
            ? "nok"
            : "ok_simultaneous"
          : "ok";
    const ports: Record<string, number> = {};
    for (const self of [small, great]) {
      ports[self.name] = await listen((socket) => {
        const done = accept(socket, { self, cookie, timeoutMs: 5000, admit: admitFor(self) });
        done.catch(() => {}); // awaited below
        accepted[self.name] = done;
      });
    }
    pending[small.name]!.add(great.name);
    pending[great.name]!.add(small.name);
    const [fromSmall, fromGreat] = await Promise.all([dial(ports[great.name]!), dial(ports[small.name]!)]);
    const smallAttempt = initiate(fromSmall, { self: small, peer: great.name, cookie, timeoutMs: 5000 });
    const greatAttempt = initiate(fromGreat, { self: great, peer: small.name, cookie, timeoutMs: 5000 });
    smallAttempt.catch(() => {}); // awaited below

    await rejectsWith(smallAttempt, ErrorCodes.DIST_SIMULTANEOUS_LOST, /nok.*name is greater/);
    assert.equal((await greatAttempt).peer, small.name);
    await rejectsWith(accepted[great.name]!, ErrorCodes.DIST_NOT_ALLOWED, /nok/);
    assert.equal(((await accepted[small.name]!) as { peer: string }).peer, great.name);
  });
});

describe("simultaneousWinner", () => {
  test("the greater name wins, names compared as atoms (by code point)", () => {
    assert.equal(simultaneousWinner("b@host", "a@host"), "us");
    assert.equal(simultaneousWinner("A@host", "otter@host"), "peer"); // 'A' < 'o'
    assert.equal(simultaneousWinner("zzzzzzzzzzzzzz@host", "otter@host"), "us");
    assert.equal(simultaneousWinner("é@host", "z@host"), "us");
  });
});

describe("bytes past the handshake", () => {
  test("a frame sent right after the ack is handed over as leftover, the socket paused", async () => {
    const self = identity();
    const peer = identity();
    const cookie = uniqueCookie();
    const frame = Buffer.from([0, 0, 0, 5, 112, 1, 2, 3, 4]);
    const [mine, theirs] = await socketPair();
    const raw = new RawPeer(theirs);
    const done = initiate(mine, { self, peer: peer.name, cookie, timeoutMs: 5000 });
    await raw.next(); // our name
    raw.send(status("ok"), challengeMsg(peer.flags, 42, peer.creation, peer.name));
    const challengeReply = (await raw.next())!;
    // The ack and the first frame in one write, as erl sends them.
    raw.socket.write(Buffer.concat([u16(17), ack(md5Digest(challengeReply.readUInt32BE(1), cookie)), frame]));
    const result = await done;
    assert.ok(mine.isPaused());
    let received = result.leftover;
    if (received.length < frame.length) {
      mine.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      mine.resume();
      while (received.length < frame.length) await once(mine, "data");
    }
    assert.deepEqual(received, frame);
  });
});

describe("scripted initiators against accept (erl_distribution_wb_SUITE)", () => {
  async function acceptFrom(admit: AcceptOptions["admit"] = () => "ok", self = identity(), cookie = uniqueCookie()) {
    const [theirs, mine] = await socketPair();
    const done = accept(mine, { self, cookie, timeoutMs: 5000, admit });
    done.catch(() => {}); // awaited by each test; no unhandled rejection meanwhile
    return { raw: new RawPeer(theirs), mine, done, self, cookie };
  }

  /** The rest of a handshake as a well-behaved initiator, after the status. */
  async function finishAsInitiator(raw: RawPeer, cookie: string, extra?: Buffer) {
    const challenge = readChallenge((await raw.next())!);
    if (extra) raw.send(extra);
    raw.send(reply(7, md5Digest(challenge.challenge, cookie)));
    assert.deepEqual(await raw.next(), ack(md5Digest(7, cookie)));
    return challenge;
  }

  test("missing_compulsory_dflags, version 6: flags 0 → not_allowed", async () => {
    const { raw, mine, done } = await acceptFrom();
    raw.send(nameV6(0n, 5, "weak@127.0.0.1"));
    assert.equal(await raw.nextText(), "snot_allowed");
    await raw.closesSilently();
    await rejectsWith(
      done,
      ErrorCodes.DIST_NOT_ALLOWED,
      /from node weak@127\.0\.0\.1 rejected since it cannot handle \[V4_NC, /,
    );
    await closed(mine);
  });

  test("missing_compulsory_dflags, version 5: flags 0 → not_allowed", async () => {
    const { raw, done } = await acceptFrom();
    raw.send(nameV5(0n, "weak@127.0.0.1"));
    assert.equal(await raw.nextText(), "snot_allowed");
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /cannot handle \[UNLINK_ID, HANDSHAKE_23, /);
  });

  test("dflag_mandatory_25: only MANDATORY_25_DIGEST and the 26 flags → ok, and the 25 set is in use", async () => {
    const { raw, done, cookie } = await acceptFrom();
    raw.send(nameV6(DFlag.MANDATORY_25_DIGEST | MANDATORY_26, 5, "digest@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok");
    await finishAsInitiator(raw, cookie);
    const result = await done;
    assert.equal(result.flags, MANDATORY_25 | MANDATORY_26 | DFlag.MANDATORY_25_DIGEST);
  });

  test("the legacy name 'n' then the complement 'c' (OTP 23/24 without EPMD) → ok, with the high flags and creation", async () => {
    const admitted: unknown[] = [];
    const { raw, done, cookie } = await acceptFrom((...args) => {
      admitted.push(args);
      return "ok";
    });
    const theirFlags = MANDATORY | DFlag.DIST_MONITOR | DFlag.SPAWN;
    raw.send(nameV5(theirFlags & 0xffff_ffffn, "legacy@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok");
    await finishAsInitiator(raw, cookie, complement(theirFlags, 77));
    const result = await done;
    // The creation and the high flags are not known when the node is asked.
    assert.deepEqual(admitted, [["legacy@127.0.0.1", 0, theirFlags & 0xffff_ffffn]]);
    assert.equal(result.peerCreation, 77);
    assert.equal(result.flags, theirFlags);
  });

  test("a legacy peer whose complement lacks V4_NC → not_allowed after the challenge", async () => {
    const { raw, done } = await acceptFrom();
    const lowFlags = MANDATORY & 0xffff_ffffn;
    raw.send(nameV5(lowFlags, "legacy@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok");
    readChallenge((await raw.next())!);
    raw.send(complement(0n, 77));
    assert.equal(await raw.nextText(), "snot_allowed");
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /cannot handle \[V4_NC\]/);
  });

  test("a wrong digest: no ack, the socket closes (DIST_BAD_COOKIE)", async () => {
    const { raw, mine, done } = await acceptFrom();
    raw.send(nameV6(MANDATORY, 5, "intruder@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok");
    const challenge = readChallenge((await raw.next())!);
    raw.send(reply(7, md5Digest(challenge.challenge, "not-the-cookie")));
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_BAD_COOKIE);
    await closed(mine);
  });

  test("simultaneous_md5, our name greater: nok, and the socket closes", async () => {
    const { raw, done } = await acceptFrom(() => "nok");
    raw.send(nameV6(MANDATORY, 5, "a@127.0.0.1"));
    assert.equal(await raw.nextText(), "snok");
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /our simultaneous attempt to it wins/);
  });

  test("simultaneous_md5, our name smaller: ok_simultaneous, and the handshake goes on", async () => {
    const { raw, done, cookie } = await acceptFrom(() => "ok_simultaneous");
    raw.send(nameV6(MANDATORY, 5, "z@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok_simultaneous");
    await finishAsInitiator(raw, cookie);
    assert.equal((await done).peer, "z@127.0.0.1");
  });

  test("pending_up_md5: alive, the peer answers true → the handshake goes on", async () => {
    const { raw, done, cookie } = await acceptFrom(() => "alive");
    raw.send(nameV6(MANDATORY, 5, "again@127.0.0.1"));
    assert.equal(await raw.nextText(), "salive");
    raw.send(status("true"));
    await finishAsInitiator(raw, cookie);
    assert.equal((await done).peer, "again@127.0.0.1");
  });

  test("alive, the peer answers false → it gives up and the socket closes", async () => {
    const { raw, done } = await acceptFrom(() => "alive");
    raw.send(nameV6(MANDATORY, 5, "again@127.0.0.1"));
    assert.equal(await raw.nextText(), "salive");
    raw.send(status("false"));
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /keeps its connection/);
  });

  test("alive answered with neither true nor false → DIST_HANDSHAKE", async () => {
    const { raw, done } = await acceptFrom(() => "alive");
    raw.send(nameV6(MANDATORY, 5, "again@127.0.0.1"));
    assert.equal(await raw.nextText(), "salive");
    raw.send(status("maybe"));
    await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, /unknown status 'maybe'/);
    await raw.closesSilently();
  });

  test("the node does not allow the peer → not_allowed", async () => {
    const { raw, done } = await acceptFrom(() => "not_allowed");
    raw.send(nameV6(MANDATORY, 5, "stranger@127.0.0.1"));
    assert.equal(await raw.nextText(), "snot_allowed");
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /not allowed/);
  });

  test("a peer asking for a dynamic name (NAME_ME) → not_allowed", async () => {
    const { raw, done } = await acceptFrom();
    raw.send(nameV6(MANDATORY | DFlag.NAME_ME, 0, "127.0.0.1"));
    assert.equal(await raw.nextText(), "snot_allowed");
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /NAME_ME/);
  });

  test("a bad node name (a@b@c) → DIST_HANDSHAKE, closed without a status", async () => {
    const { raw, done } = await acceptFrom();
    raw.send(nameV6(MANDATORY, 5, "a@b@c"));
    await raw.closesSilently();
    await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, /bad node name/);
  });

  test("a peer's creation 0 is accepted, as OTP 25 accepts it", async () => {
    const { raw, done, cookie } = await acceptFrom();
    raw.send(nameV6(MANDATORY, 0, "zero@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok");
    await finishAsInitiator(raw, cookie);
    assert.equal((await done).peerCreation, 0);
  });
});

describe("scripted acceptors against initiate", () => {
  async function initiateTo(options: { replaceAlive?: () => boolean } = {}) {
    const self = identity();
    const peer = identity();
    const cookie = uniqueCookie();
    const [mine, theirs] = await socketPair();
    const done = initiate(mine, { self, peer: peer.name, cookie, timeoutMs: 5000, ...options });
    done.catch(() => {}); // awaited by each test; no unhandled rejection meanwhile
    const raw = new RawPeer(theirs);
    const name = (await raw.next())!;
    return { raw, mine, done, self, peer, cookie, name };
  }

  /** The rest of a handshake as a well-behaved acceptor, after the status. */
  async function finishAsAcceptor(
    raw: RawPeer,
    peer: HandshakeIdentity,
    cookie: string,
    options: { flags?: bigint; ackCookie?: string } = {},
  ) {
    raw.send(challengeMsg(options.flags ?? peer.flags, 4242, peer.creation, peer.name));
    const answer = (await raw.next())!;
    assert.equal(answer.length, 21);
    assert.deepEqual(answer.subarray(5), md5Digest(4242, cookie));
    raw.send(ack(md5Digest(answer.readUInt32BE(1), options.ackCookie ?? cookie)));
  }

  test("sends the version 6 name: 'N', our flags, creation and name", async () => {
    const { name, self } = await initiateTo();
    assert.deepEqual(name, nameV6(self.flags, self.creation, self.name));
  });

  test("ok → challenge → reply → ack: done, with the peer's creation", async () => {
    const { raw, done, peer, cookie } = await initiateTo();
    raw.send(status("ok"));
    await finishAsAcceptor(raw, peer, cookie);
    const result = await done;
    assert.equal(result.peer, peer.name);
    assert.equal(result.peerCreation, peer.creation);
  });

  test("dflag_mandatory_25: an acceptor offering only the 25 digest and the 26 flags is enough", async () => {
    const { raw, done, peer, cookie } = await initiateTo();
    raw.send(status("ok"));
    await finishAsAcceptor(raw, peer, cookie, { flags: DFlag.MANDATORY_25_DIGEST | MANDATORY_26 });
    assert.equal((await done).flags, MANDATORY | DFlag.MANDATORY_25_DIGEST);
  });

  test("an acceptor lacking mandatory flags → aborted (DIST_NOT_ALLOWED), the socket closes", async () => {
    const { raw, mine, done, peer } = await initiateTo();
    raw.send(status("ok"), challengeMsg(DFlag.MANDATORY_25_DIGEST, 1, peer.creation, peer.name));
    await rejectsWith(
      done,
      ErrorCodes.DIST_NOT_ALLOWED,
      /to node .* aborted since it cannot handle \[V4_NC, UNLINK_ID\]/,
    );
    await raw.closesSilently();
    await closed(mine);
  });

  test("nok: we lost a simultaneous connect (DIST_SIMULTANEOUS_LOST), the socket closes", async () => {
    const { raw, mine, done } = await initiateTo();
    raw.send(status("nok"));
    await rejectsWith(done, ErrorCodes.DIST_SIMULTANEOUS_LOST, /at the same time and its name is greater/);
    await closed(mine);
  });

  test("ok_simultaneous: the acceptor dropped its own attempt, we go on", async () => {
    const { raw, done, peer, cookie } = await initiateTo();
    raw.send(status("ok_simultaneous"));
    await finishAsAcceptor(raw, peer, cookie);
    assert.equal((await done).peer, peer.name);
  });

  test("not_allowed → DIST_NOT_ALLOWED", async () => {
    const { raw, done } = await initiateTo();
    raw.send(status("not_allowed"));
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /not_allowed/);
  });

  test("alive: by default we answer true (our old connection is stale) and go on", async () => {
    const { raw, done, peer, cookie } = await initiateTo();
    raw.send(status("alive"));
    assert.equal(await raw.nextText(), "strue");
    await finishAsAcceptor(raw, peer, cookie);
    assert.equal((await done).peer, peer.name);
  });

  test("alive: replaceAlive false → we answer false and give up", async () => {
    const { raw, mine, done } = await initiateTo({ replaceAlive: () => false });
    raw.send(status("alive"));
    assert.equal(await raw.nextText(), "sfalse");
    await rejectsWith(done, ErrorCodes.DIST_NOT_ALLOWED, /already has a connection/);
    await closed(mine);
  });

  test("a challenge from a node of another name → DIST_HANDSHAKE", async () => {
    const { raw, done, peer } = await initiateTo();
    raw.send(status("ok"), challengeMsg(peer.flags, 1, peer.creation, "impostor@127.0.0.1"));
    await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, /the node answering is impostor@127\.0\.0\.1/);
  });

  test("an ack with a wrong digest → DIST_BAD_COOKIE", async () => {
    const { raw, done, peer, cookie } = await initiateTo();
    raw.send(status("ok"));
    await finishAsAcceptor(raw, peer, cookie, { ackCookie: "other-cookie" });
    await rejectsWith(done, ErrorCodes.DIST_BAD_COOKIE, /wrong digest/);
  });

  test("the acceptor closes after our reply (its cookie differs) → DIST_BAD_COOKIE", async () => {
    const { raw, done, peer } = await initiateTo();
    raw.send(status("ok"), challengeMsg(peer.flags, 1, peer.creation, peer.name));
    await raw.next();
    raw.socket.end();
    await rejectsWith(done, ErrorCodes.DIST_BAD_COOKIE, /does not accept our cookie/);
  });
});

describe("the setup timeout (net_setuptime)", () => {
  test("initiate against a silent acceptor → DIST_TIMEOUT, the socket destroyed", async () => {
    const [mine] = await socketPair();
    const self = identity();
    await rejectsWith(
      initiate(mine, { self, peer: "silent@127.0.0.1", cookie: "c", timeoutMs: 50 }),
      ErrorCodes.DIST_TIMEOUT,
      /within 50 ms/,
    );
    assert.ok(mine.destroyed);
  });

  test("accept from a silent initiator → DIST_TIMEOUT, the socket destroyed", async () => {
    const [, mine] = await socketPair();
    await rejectsWith(
      accept(mine, { self: identity(), cookie: "c", timeoutMs: 50, admit: () => "ok" }),
      ErrorCodes.DIST_TIMEOUT,
    );
    assert.ok(mine.destroyed);
  });

  test("an initiator that stops halfway (after the status) → DIST_TIMEOUT", async () => {
    const [theirs, mine] = await socketPair();
    const done = accept(mine, { self: identity(), cookie: "c", timeoutMs: 500, admit: () => "ok" });
    const raw = new RawPeer(theirs);
    raw.send(nameV6(MANDATORY, 5, "slow@127.0.0.1"));
    assert.equal(await raw.nextText(), "sok");
    readChallenge((await raw.next())!);
    await rejectsWith(done, ErrorCodes.DIST_TIMEOUT);
    await raw.closesSilently();
  });
});

describe("malformed packets → DIST_HANDSHAKE, the socket closed", () => {
  /** Sends `bytes` (raw, framing included) to an acceptor with a long deadline; it must fail at once. */
  async function acceptorFails(bytes: Buffer, message: RegExp, before?: (raw: RawPeer) => Promise<void>) {
    const [theirs, mine] = await socketPair();
    const done = accept(mine, { self: identity(), cookie: "c", timeoutMs: 60_000, admit: () => "ok" });
    done.catch(() => {});
    const raw = new RawPeer(theirs);
    await before?.(raw);
    raw.socket.write(bytes);
    await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, message);
    await closed(mine);
  }
  const framed = (payload: Buffer) => Buffer.concat([u16(payload.length), payload]);

  test("a truncated name", () => acceptorFails(framed(nameV6(MANDATORY, 5, "x@y").subarray(0, 10)), /shorter than 15/));
  test("a bad tag", () => acceptorFails(framed(text("Xhello")), /tag 'X'/));
  test("a length field past the limit, refused before its bytes arrive", () =>
    acceptorFails(Buffer.from([0xff, 0xff, 0x4e]), /65535 bytes/));
  test("a zero-length packet", () => acceptorFails(Buffer.from([0, 0]), /0 bytes/));
  test("a name length running past the packet", () => {
    const packet = nameV6(MANDATORY, 5, "x@y");
    packet.writeUInt16BE(200, 13);
    return acceptorFails(framed(packet), /name length 200 runs past/);
  });
  test("a challenge reply of the wrong size", () =>
    acceptorFails(framed(Buffer.concat([text("r"), Buffer.alloc(29)])), /not 21 bytes/, async (raw) => {
      raw.send(nameV6(MANDATORY, 5, "x@127.0.0.1"));
      await raw.next();
      await raw.next();
    }));
  test("the peer closing mid-handshake", async () => {
    const [theirs, mine] = await socketPair();
    const done = accept(mine, { self: identity(), cookie: "c", timeoutMs: 60_000, admit: () => "ok" });
    theirs.write(Buffer.from([0, 20, 0x4e]));
    theirs.end();
    await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, /closed the connection/);
    await closed(mine);
  });

  test("an unknown status, a truncated challenge, a long ack, to the initiator", async () => {
    for (const [packets, message] of [
      [[status("weird")], /unknown status 'weird'/],
      [[status("ok"), challengeMsg(MANDATORY, 1, 1, "x").subarray(0, 12)], /shorter than 19/],
      [[status("ok"), text("sok")], /tag 's'/],
    ] as const) {
      const [mine, theirs] = await socketPair();
      const done = initiate(mine, { self: identity(), peer: "x", cookie: "c", timeoutMs: 60_000 });
      const raw = new RawPeer(theirs);
      await raw.next();
      raw.send(...packets);
      await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, message);
      await closed(mine);
    }
  });

  test("an ack of the wrong size, to the initiator", async () => {
    const self = identity();
    const [mine, theirs] = await socketPair();
    const done = initiate(mine, { self, peer: "p@127.0.0.1", cookie: "c", timeoutMs: 60_000 });
    const raw = new RawPeer(theirs);
    await raw.next();
    raw.send(status("ok"), challengeMsg(MANDATORY, 1, 1, "p@127.0.0.1"));
    await raw.next();
    raw.send(Buffer.concat([text("a"), Buffer.alloc(20)]));
    await rejectsWith(done, ErrorCodes.DIST_HANDSHAKE, /not 17 bytes/);
  });
});

test("a socket already closed fails at once, not at the deadline", async () => {
  const [mine] = await socketPair();
  mine.destroy();
  await closed(mine);
  await rejectsWith(
    initiate(mine, { self: identity(), peer: "p@h", cookie: "c", timeoutMs: 60_000 }),
    ErrorCodes.DIST_HANDSHAKE,
    /closed/,
  );
});

test("our own creation must be 1..2^32-1", async () => {
  const [mine] = await socketPair();
  await rejectsWith(
    initiate(mine, { self: { ...identity(), creation: 0 }, peer: "p@h", cookie: "c", timeoutMs: 5000 }),
    ErrorCodes.DIST_HANDSHAKE,
    /our creation 0/,
  );
});
