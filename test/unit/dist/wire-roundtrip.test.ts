// FrameEncoder → FrameDecoder: every control message under every framing, fragments (many, interleaved), the
// atom cache under contention, and zero-copy binaries from the sender's term to the receiver's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { DFlag } from "../../../src/dist/flags.ts";
import type { ControlMessage } from "../../../src/dist/wire/control.ts";
import { FrameDecoder } from "../../../src/dist/wire/receive.ts";
import { FrameEncoder, type OutgoingMessage } from "../../../src/dist/wire/send.ts";
import { EtfEncodeError } from "../../../src/errors.ts";
import { atom, Pid, Ref, type Term, Tuple, tuple } from "../../../src/index.ts";
import {
  arbControlMessage,
  asReceived,
  assertSameMessage,
  FRAMINGS,
  framesOf,
  joined,
  OTP_FLAGS,
  sameMessage,
  withoutLength,
} from "./wire-fixtures.ts";

const peer = atom("peer@host");
const here = atom("otter@host");
const from = new Pid(peer, 1, 0, 7);
const to = new Pid(here, 2, 0, 9);
const ref = new Ref(here, 9, [1, 2, 3]);

/** Sends `msg` through a fresh encoder/decoder pair and returns what arrives (and the frames it took). */
function trip(flags: bigint, msg: ControlMessage, fragmentSize?: number): { received: ControlMessage; frames: number } {
  const encoder = new FrameEncoder(flags, { fragmentSize });
  const decoder = new FrameDecoder(flags);
  const frames = framesOf(encoder.encode(msg));
  let received: ControlMessage | undefined;
  for (const [i, frame] of frames.entries()) {
    const result = decoder.decode(frame);
    if (i < frames.length - 1) assert.equal(result, undefined, "only the last fragment completes the message");
    else received = result?.control;
  }
  assert.ok(received !== undefined);
  assert.equal(decoder.bufferedBytes, 0);
  assert.equal(decoder.pendingSequences, 0);
  return { received, frames: frames.length };
}

describe("every control message survives every framing", () => {
  for (const [name, flags] of FRAMINGS) {
    test(name, () => {
      fc.assert(
        fc.property(arbControlMessage, (msg) => sameMessage(trip(flags, msg).received, asReceived(msg, flags))),
        { numRuns: 400 },
      );
    });
  }

  test("with a 7-byte fragment size, messages with a payload go out in many fragments", () => {
    let fragmented = 0;
    fc.assert(
      fc.property(arbControlMessage, (msg) => {
        const { received, frames } = trip(OTP_FLAGS, msg, 7);
        if (frames > 1) fragmented++;
        return sameMessage(received, asReceived(msg, OTP_FLAGS));
      }),
      { numRuns: 400 },
    );
    assert.ok(fragmented > 100, `only ${fragmented} of 400 messages were fragmented`);
  });

  test("one connection carries many messages in a row, its atom cache filling and being reused", () => {
    const encoder = new FrameEncoder(OTP_FLAGS, { fragmentSize: 300 });
    const decoder = new FrameDecoder(OTP_FLAGS);
    fc.assert(
      fc.property(arbControlMessage, (msg) => {
        let received: ControlMessage | undefined;
        for (const frame of framesOf(encoder.encode(msg))) received = decoder.decode(frame)?.control ?? received;
        return received !== undefined && sameMessage(received, asReceived(msg, OTP_FLAGS));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("fragments", () => {
  const big = (n: number): ControlMessage => ({
    op: "send",
    from,
    to,
    message: tuple(atom("chunk"), n, Buffer.alloc(n, n & 0xff)),
  });

  test("a message over the fragment size goes out as 131,69 then 131,70 frames, ids counting down to 1", () => {
    const encoder = new FrameEncoder(OTP_FLAGS);
    const frames = framesOf(encoder.encode(big(200_000)));
    assert.equal(frames.length, 4);
    const first = joined(frames[0]!);
    assert.deepEqual([first[0], first[1]], [131, 69]);
    const sequenceId = first.readBigUInt64BE(2);
    assert.equal(first.readBigUInt64BE(10), 4n);
    for (const [i, frame] of frames.slice(1).entries()) {
      const bytes = joined(frame);
      assert.deepEqual([bytes[0], bytes[1]], [131, 70]);
      assert.equal(bytes.readBigUInt64BE(2), sequenceId);
      assert.equal(bytes.readBigUInt64BE(10), BigInt(3 - i));
      assert.ok(bytes.length - 18 <= 64 * 1024, "a fragment carries at most 64 KiB");
    }
    assert.ok(first.length - 18 <= 64 * 1024);
  });

  test("a message that fits, or a peer without FRAGMENTS, gets one 131,68 frame", () => {
    assert.equal(framesOf(new FrameEncoder(OTP_FLAGS).encode(big(60_000))).length, 1);
    const withoutFragments = OTP_FLAGS & ~DFlag.FRAGMENTS;
    const [frame, ...rest] = framesOf(new FrameEncoder(withoutFragments).encode(big(200_000)));
    assert.equal(rest.length, 0);
    assert.deepEqual([frame![0]![0], frame![0]![1]], [131, 68]);
  });

  test("sequence ids are unique per connection", () => {
    const encoder = new FrameEncoder(OTP_FLAGS, { fragmentSize: 64 });
    const ids = new Set<bigint>();
    for (let i = 0; i < 50; i++) ids.add(joined(framesOf(encoder.encode(big(1000)))[0]!).readBigUInt64BE(2));
    assert.equal(ids.size, 50);
  });

  test("fragments of many senders interleave in any order and every message arrives whole", () => {
    fc.assert(
      fc.property(
        fc.array(arbControlMessage, { minLength: 2, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 5, max: 200 }),
        (messages, picks, fragmentSize) => {
          // Every atom in one slot: each header evicts the last one's atoms, the harshest cache contention.
          const encoder = new FrameEncoder(OTP_FLAGS, { fragmentSize, atomCacheSlot: () => 0 });
          const decoder = new FrameDecoder(OTP_FLAGS);
          const pending = messages.map((m, i) => ({ out: encoder.encode(m), i }));
          const arrived = new Map<number, ControlMessage>();
          // Each sender's frames go out in its order; which sender goes next is up to the connection.
          const owners: number[] = [];
          let p = 0;
          while (pending.length > 0) {
            const k = (picks[p++ % picks.length] ?? 0) % pending.length;
            const sender = pending[k]!;
            const frame = sender.out.next();
            if (frame === undefined) {
              pending.splice(k, 1);
              continue;
            }
            owners.push(sender.i);
            const result = decoder.decode(withoutLength(frame));
            if (result !== undefined) arrived.set(sender.i, result.control);
          }
          assert.equal(decoder.pendingSequences, 0);
          return messages.every((m, i) => {
            const got = arrived.get(i);
            return got !== undefined && sameMessage(got, asReceived(m, OTP_FLAGS));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  test("messages whose first frames go out in another order than they were encoded still decode", () => {
    const encoder = new FrameEncoder(OTP_FLAGS, { atomCacheSlot: () => 5 });
    const decoder = new FrameDecoder(OTP_FLAGS);
    const a: ControlMessage = { op: "reg_send", from, to: atom("alpha"), message: atom("one") };
    const b: ControlMessage = { op: "reg_send", from, to: atom("beta"), message: atom("two") };
    const outA = encoder.encode(a);
    const outB = encoder.encode(b);
    const c = encoder.encode(a);
    for (const [out, expected] of [
      [outB, b],
      [outA, a],
      [c, a],
    ] as const) {
      assertSameMessage(decoder.decode(withoutLength(out.next()!))!.control, expected);
    }
  });
});

describe("zero copy", () => {
  const payload = Buffer.alloc(100_000, 7);
  const msg: ControlMessage = { op: "send", from, to, message: tuple(atom("data"), payload) };

  test("a large binary goes out as the sender's own memory, in every framing", () => {
    for (const [, flags] of FRAMINGS) {
      const chunks = framesOf(new FrameEncoder(flags).encode(msg)).flat();
      assert.ok(
        chunks.some((c) => c.buffer === payload.buffer && c.length > 60_000),
        "a frame chunk is a view of the binary",
      );
    }
  });

  test("a large binary in a received frame decodes as a view of that frame's buffer", () => {
    // Under FRAGMENTS this binary spans 64 KiB fragments, so it has to be gathered (the next test).
    for (const [name, flags] of FRAMINGS.filter(([, f]) => (f & DFlag.FRAGMENTS) === 0n)) {
      const frames = framesOf(new FrameEncoder(flags).encode(msg)).map(joined);
      const decoder = new FrameDecoder(flags);
      let received: ControlMessage | undefined;
      for (const f of frames) received = decoder.decode(f)?.control ?? received;
      assert.ok(received?.op === "send" && received.message instanceof Tuple);
      const bin = received.message.elements[1] as Uint8Array;
      assert.equal(bin.length, payload.length);
      assert.ok(
        frames.some((f) => f.buffer === bin.buffer),
        `${name}: the binary is a view of a received buffer, not a copy`,
      );
    }
  });

  test("fragmented: the payload is gathered into one buffer as fragments arrive; its binaries are views of it", () => {
    const pieces = Array.from({ length: 60 }, (_, i) => Buffer.alloc(5000 + i, i));
    const m: ControlMessage = { op: "send", from, to, message: pieces };
    const frames = framesOf(new FrameEncoder(OTP_FLAGS, { fragmentSize: 16_384 }).encode(m)).map(joined);
    const decoder = new FrameDecoder(OTP_FLAGS);
    let received: ControlMessage | undefined;
    for (const f of frames) received = decoder.decode(f)?.control ?? received;
    assert.ok(received?.op === "send" && Array.isArray(received.message));
    const got = received.message as Uint8Array[];
    assert.equal(got.length, 60);
    const gathered = got[0]!.buffer;
    for (const [i, bin] of got.entries()) {
      assert.ok(Buffer.from(bin.buffer, bin.byteOffset, bin.length).equals(pieces[i]!));
      assert.equal(bin.buffer, gathered, `binary ${i} is a copy, not a view of the gathered payload`);
    }
    assert.ok(!frames.some((f) => f.buffer === gathered), "the payload was gathered, not left in a frame");
  });
});

test("ref, pid and atom fields keep their identity (node atoms go through the cache too)", () => {
  const msg: ControlMessage = { op: "monitor", from, to: atom("registered_name"), ref };
  const { received } = trip(OTP_FLAGS, msg);
  assertSameMessage(received, msg);
  assert.equal((received as { to: unknown }).to, atom("registered_name"));
});

test("an OutgoingMessage ends: next() is undefined after its last frame", () => {
  const out: OutgoingMessage = new FrameEncoder(OTP_FLAGS).encode({ op: "link", from, to });
  assert.ok(out.next() !== undefined);
  assert.equal(out.next(), undefined);
  assert.equal(out.next(), undefined);
});

test("an unencodable payload throws, and the atoms it had named do not leak into the next header", () => {
  const encoder = new FrameEncoder(OTP_FLAGS);
  const decoder = new FrameDecoder(OTP_FLAGS);
  const bad = [atom("named_before_failing"), Symbol("no term") as unknown as Term];
  assert.throws(() => encoder.encode({ op: "send", from, to, message: bad }), EtfEncodeError);
  const msg: ControlMessage = { op: "link", from, to };
  const [frame] = framesOf(encoder.encode(msg));
  assert.equal(frame![0]![2], 2, "the header lists the two node names only");
  assertSameMessage(decoder.decode(frame!)!.control, msg);
});
