// The batch framing of same-host connections (wire/batch-*.ts): every control message arrives as the standard
// framing delivers it, the connection-long atom table holds under contention, messages that suit no record take
// standard frames in their turn, and malformed batch frames are DIST_PROTOCOL errors.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { Connection } from "../../../src/dist/connection.ts";
import { advertisedFlags, DFlag } from "../../../src/dist/flags.ts";
import { type Frame, FrameReader } from "../../../src/dist/frames.ts";
import { BATCH_FRAME, RecordTag } from "../../../src/dist/wire/batch-format.ts";
import { BatchDecoder } from "../../../src/dist/wire/batch-receive.ts";
import { BatchEncoder, MAX_RECORD_BYTES } from "../../../src/dist/wire/batch-send.ts";
import type { ControlMessage, SendMessage } from "../../../src/dist/wire/control.ts";
import { OutputBatch } from "../../../src/dist/wire/output-batch.ts";
import { DistError, ErrorCodes } from "../../../src/errors.ts";
import { atom, Pid, type Term, type Tuple, tuple } from "../../../src/index.ts";
import { arbControlMessage, asReceived, assertSameMessage, OTP_FLAGS, sameMessage } from "./wire-fixtures.ts";

const FLAGS = advertisedFlags();
const here = atom("otter@host");
const peer = atom("peer@host");
const from = new Pid(peer, 1, 0, 7);
const to = new Pid(here, 2, 0, 9);

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An encoder writing into an output batch, and the bytes it handed to the socket. */
function encoderWithOutput(flags = OTP_FLAGS): { encoder: BatchEncoder; output: OutputBatch; written: Buffer[] } {
  const written: Buffer[] = [];
  const output = new OutputBatch({ write: (c) => written.push(c), cork() {}, uncork() {} });
  return { encoder: new BatchEncoder(output, flags), output, written };
}

/** The frames of `bytes` (length fields checked and dropped), as the connection hands them on. */
function framesIn(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  const reader = new FrameReader({ frame: (f) => frames.push(f), tick: () => {} });
  reader.push(bytes);
  assert.equal(reader.buffered, 0, "the bytes end with a whole frame");
  return frames;
}

/** Every message the batch frames of `bytes` hold, in order. */
function decodeAll(bytes: Buffer, decoder = new BatchDecoder()): ControlMessage[] {
  const out: ControlMessage[] = [];
  for (const frame of framesIn(bytes)) {
    assert.equal(Buffer.isBuffer(frame) ? frame[0] : frame[0]![0], BATCH_FRAME);
    decoder.decode(frame, (m) => out.push(m) > 0);
  }
  return out;
}

/** A batch frame holding `records` (the encoder's bytes, or hand-made ones). */
function batchFrame(...records: number[][]): Buffer {
  const body = Buffer.from([BATCH_FRAME, ...records.flat()]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

describe("batch records", () => {
  const flagSets: [string, bigint][] = [
    ["OTP 25's flags", OTP_FLAGS],
    ["no SEND_SENDER, ALTACT_SIG", (OTP_FLAGS & ~DFlag.SEND_SENDER) | DFlag.ALTACT_SIG],
  ];
  for (const [name, flags] of flagSets) {
    test(`every control message arrives as the standard framing delivers it (${name})`, () => {
      fc.assert(
        fc.property(fc.array(arbControlMessage, { minLength: 1, maxLength: 8 }), (messages) => {
          const { encoder, output, written } = encoderWithOutput(flags);
          const sent = messages.filter((m) => encoder.write(m));
          output.handOnRegion();
          const received = decodeAll(Buffer.concat(written));
          assert.equal(received.length, sent.length);
          for (const [i, m] of sent.entries()) assertSameMessage(received[i]!, asReceived(m, flags));
        }),
        { numRuns: 300 },
      );
    });
  }

  test("a turn's records share one frame, closed by the end of the turn", async () => {
    const written: Buffer[] = [];
    const output = new OutputBatch({ write: (c) => written.push(c), cork() {}, uncork() {} });
    const encoder = new BatchEncoder(output, OTP_FLAGS);
    for (let i = 0; i < 100; i++) assert.ok(encoder.write({ op: "reg_send", from, to: atom("sink"), message: i }));
    await endOfTurn();
    const frames = framesIn(Buffer.concat(written));
    assert.equal(frames.length, 1);
    const received = decodeAll(Buffer.concat(written));
    assert.deepEqual(
      received.map((m) => (m as { message: Term }).message),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  test("a batch frame that arrives in pieces (a few bytes per read) decodes the same", () => {
    const { encoder, output, written } = encoderWithOutput();
    const sent: ControlMessage[] = [];
    for (let i = 0; i < 50; i++) {
      const message: ControlMessage = {
        op: "send",
        from,
        to,
        message: tuple(atom(`k${i % 7}`), i, Buffer.alloc(i * 3, i)),
      };
      assert.ok(encoder.write(message));
      sent.push(message);
    }
    output.handOnRegion();
    const bytes = Buffer.concat(written);
    const decoder = new BatchDecoder();
    const received: ControlMessage[] = [];
    const reader = new FrameReader({
      frame: (f) => {
        assert.ok(Array.isArray(f), "the frame spans reads");
        decoder.decode(f, (m) => received.push(m) > 0);
      },
      tick: () => {},
    });
    for (let at = 0; at < bytes.length; at += 1 + (at % 7)) reader.push(bytes.subarray(at, at + 1 + (at % 7)));
    assert.equal(received.length, sent.length);
    for (const [i, m] of sent.entries()) assertSameMessage(received[i]!, m);
  });

  test("a known atom costs one byte: a repeated send is 22 bytes plus its payload", () => {
    const { encoder, output, written } = encoderWithOutput();
    const send: ControlMessage = { op: "send", from, to, message: 1 };
    encoder.write(send);
    output.handOnRegion();
    const first = Buffer.concat(written).length;
    encoder.write(send);
    output.handOnRegion();
    const second = Buffer.concat(written).length - first;
    // 4-byte length, BATCH_FRAME; SEND_SENDER, two pids of 13 bytes, SMALL_INTEGER_EXT 1.
    assert.equal(second, 4 + 1 + 1 + 13 + 13 + 2);
  });

  test("the atom table under contention: 3,000 distinct atoms, many per message, some too long for a slot", () => {
    const { encoder, output, written } = encoderWithOutput();
    const decoder = new BatchDecoder();
    const names = Array.from({ length: 3000 }, (_, i) => atom(`a${i % 1000}_${"ж".repeat(i % 7)}${i}`));
    const long = atom("ж".repeat(200)); // 400 bytes of UTF-8: never in a slot
    const sent: ControlMessage[] = [];
    for (let i = 0; i < names.length; i += 37) {
      const message: ControlMessage = {
        op: "reg_send",
        from: new Pid(names[(i * 7) % names.length]!, i, 0, 1),
        to: i % 3 === 0 ? long : names[i]!,
        message: tuple(...names.slice(i, i + 300), long),
      };
      assert.ok(encoder.write(message));
      sent.push(message);
      if (i % 5 === 0) output.handOnRegion();
    }
    output.handOnRegion();
    const received = decodeAll(Buffer.concat(written), decoder);
    assert.equal(received.length, sent.length);
    for (const [i, m] of sent.entries()) assertSameMessage(received[i]!, m);
  });

  test("a message with a binary that goes by reference, or over the record limit, is left to standard frames", () => {
    const { encoder, written } = encoderWithOutput();
    assert.equal(encoder.write({ op: "send", from, to, message: Buffer.alloc(5000) }), false);
    assert.equal(encoder.write({ op: "send", from, to, message: new Array(MAX_RECORD_BYTES).fill(300) }), false);
    assert.equal(encoder.lastBytes, 0, "nothing written: its atoms were announced by the first attempt");
    assert.equal(written.length, 0, "nothing handed on yet");
  });

  test("a term with no Erlang form throws, and the slots its attempt defined are still announced", () => {
    const { encoder, output, written } = encoderWithOutput();
    const fresh = atom("fresh_atom_of_the_failed_attempt");
    assert.throws(() => encoder.write({ op: "send", from, to, message: tuple(fresh, Symbol("x") as never) }));
    assert.ok(encoder.write({ op: "send", from, to, message: fresh }));
    output.handOnRegion();
    const received = decodeAll(Buffer.concat(written));
    assert.equal(received.length, 1);
    assert.equal((received[0] as SendMessage).message, fresh);
  });
});

describe("malformed batch frames are DIST_PROTOCOL errors", () => {
  const pidOf = (slot: number) => [slot, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
  const define = (slot: number, name: string) => [RecordTag.DEFINE_ATOM, slot, name.length, ...Buffer.from(name)];
  const cases: [string, number[][]][] = [
    ["an unknown record", [[99]]],
    ["a slot never defined", [[RecordTag.SEND, ...pidOf(3), 97, 1]]],
    ["a DEFINE_ATOM of slot 255", [define(255, "x")]],
    ["a DEFINE_ATOM that is not UTF-8", [[RecordTag.DEFINE_ATOM, 1, 2, 0xc3, 0x28]]],
    ["a record cut short", [define(1, "n@h"), [RecordTag.SEND, ...pidOf(1).slice(0, 6)]]],
    ["a payload that is not a term", [define(1, "n@h"), [RecordTag.SEND, ...pidOf(1), 200]]],
    [
      "a compressed payload (OTP's decoder has none)",
      [define(1, "n@h"), [RecordTag.SEND, ...pidOf(1), 80, 0, 0, 0, 1]],
    ],
    ["a control tuple that is no control message", [[RecordTag.CONTROL, 104, 1, 97, 99]]],
    [
      "a CONTROL whose message needs a payload",
      [
        define(1, "n@h"),
        [
          RecordTag.CONTROL,
          104,
          3,
          97,
          22,
          88,
          82,
          1,
          0,
          0,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          1,
          88,
          82,
          1,
          0,
          0,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          1,
        ],
      ],
    ],
  ];
  for (const [name, records] of cases) {
    test(name, () => {
      const delivered: ControlMessage[] = [];
      assert.throws(
        () => decodeAllInto(batchFrame(...records), delivered),
        (e) => e instanceof DistError && e.code === ErrorCodes.DIST_PROTOCOL,
      );
      assert.deepEqual(delivered, []);
    });
  }

  test("the messages before the bad record are delivered, in order", () => {
    const delivered: ControlMessage[] = [];
    const good = [RecordTag.SEND, ...pidOf(1), 97, 7];
    assert.throws(() => decodeAllInto(batchFrame(define(1, "n@h"), good, good, [42]), delivered), DistError);
    assert.equal(delivered.length, 2);
  });
});

function decodeAllInto(bytes: Buffer, out: ControlMessage[]): void {
  const decoder = new BatchDecoder();
  for (const frame of framesIn(bytes)) decoder.decode(frame, (m) => out.push(m) > 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Two connections with the batch framing over a Unix socket pair

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "otter-batch-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Connections at both ends of a Unix socket, each telling what it received. */
async function connectedPair(batchFraming = true): Promise<{
  a: Connection;
  b: Connection;
  received: ControlMessage[];
  close: () => void;
}> {
  const path = join(dir, `pair-${Math.random().toString(16).slice(2)}.sock`);
  const server = createServer();
  server.listen(path);
  await once(server, "listening");
  const accepted = once(server, "connection") as Promise<[Socket]>;
  const dialled = connect({ path });
  await once(dialled, "connect");
  const [theirs] = await accepted;
  server.close();
  const received: ControlMessage[] = [];
  const events = (sink: ControlMessage[]) => ({
    received: (m: ControlMessage) => sink.push(m),
    closed: () => {},
    unsendable: (_m: ControlMessage, e: unknown) => assert.fail(`unsendable: ${String(e)}`),
  });
  const options = { batchFraming };
  const a = new Connection(
    { peer: "b@h", peerCreation: 1, flags: FLAGS, socket: dialled, leftover: Buffer.alloc(0) },
    options,
    events([]),
  );
  const b = new Connection(
    { peer: "a@h", peerCreation: 1, flags: FLAGS, socket: theirs, leftover: Buffer.alloc(0) },
    options,
    events(received),
  );
  a.startReading();
  b.startReading();
  return {
    a,
    b,
    received,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** Message `seq` of sender `sender`: small, or with a binary of `size` bytes (large ones take standard frames). */
function numbered(sender: number, seq: number, size: number): SendMessage {
  return { op: "send", from, to, message: tuple(sender, seq, Buffer.alloc(size, seq)) };
}

describe("a connection with the batch framing", () => {
  test("small and large messages of many senders: each sender's arrive complete and in order", async () => {
    const { a, received, close } = await connectedPair();
    try {
      const senders = 5;
      const count = 200;
      for (let seq = 0; seq < count; seq++) {
        for (let s = 0; s < senders; s++) {
          // Every 17th message of a sender is large: fragments, while its next ones wait behind it.
          a.send(numbered(s, seq, seq % 17 === s ? 150_000 : seq % 5), s);
        }
        if (seq % 10 === 0) await endOfTurn();
      }
      const deadline = Date.now() + 10_000;
      while (received.length < senders * count && Date.now() < deadline) await endOfTurn();
      const next = new Array<number>(senders).fill(0);
      for (const m of received) {
        const t = (m as SendMessage).message as Tuple;
        const [s, seq] = [t.at(0) as number, t.at(1) as number];
        assert.equal(seq, next[s], `sender ${s}: ${seq} arrived where ${next[s]} was due`);
        next[s]!++;
      }
      assert.deepEqual(next, new Array<number>(senders).fill(count));
      assert.ok(a.stats.messagesOut === senders * count);
    } finally {
      close();
    }
  });

  test("the same messages take fewer bytes than with standard frames", async () => {
    const bytesFor = async (batchFraming: boolean): Promise<number> => {
      const { a, received, close } = await connectedPair(batchFraming);
      try {
        for (let i = 0; i < 1000; i++)
          a.send({ op: "reg_send", from, to: atom("sink"), message: tuple(from, i) }, from);
        const deadline = Date.now() + 5000;
        while (received.length < 1000 && Date.now() < deadline) await endOfTurn();
        assert.equal(received.length, 1000);
        assert.ok(
          received.every((m, i) => sameMessage(m, { op: "reg_send", from, to: atom("sink"), message: tuple(from, i) })),
        );
        return a.stats.bytesOut;
      } finally {
        close();
      }
    };
    const standard = await bytesFor(false);
    const batched = await bytesFor(true);
    assert.ok(batched < standard * 0.7, `batched ${batched} bytes, standard ${standard}`);
  });
});
