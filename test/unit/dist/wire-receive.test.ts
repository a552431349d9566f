// FrameDecoder on bad input: distribution_SUITE's bad_dist_fragments, broken headers, memory limits on incomplete
// sequences, and fuzzing. Whatever the bytes, the result is a message, undefined, or DIST_PROTOCOL, and the
// bytes held for incomplete sequences stay under the limit.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ControlMessage } from "../../../src/dist/wire/control.ts";
import { FrameDecoder } from "../../../src/dist/wire/receive.ts";
import { FrameEncoder } from "../../../src/dist/wire/send.ts";
import { DistError, ErrorCodes, EtfDecodeError } from "../../../src/errors.ts";
import { atom, encode, Pid, Ref, type Term, tuple } from "../../../src/index.ts";
import {
  ATOM_CACHE_FLAGS,
  arbControlMessage,
  assertSameMessage,
  FRAMINGS,
  framesOf,
  joined,
  OTP_FLAGS,
  PASS_THROUGH_FLAGS,
  sameMessage,
} from "./wire-fixtures.ts";

const offender = new Pid(atom("offender@host"), 5, 0, 1);
const victim = new Pid(atom("victim@host"), 6, 0, 2);
const downRef = new Ref(atom("victim@host"), 2, [7, 8, 9]);

function isProtocolError(e: unknown): boolean {
  return e instanceof DistError && e.code === ErrorCodes.DIST_PROTOCOL;
}

function assertRefused(decoder: FrameDecoder, frame: Uint8Array | Uint8Array[], what: string): DistError {
  let error: unknown;
  assert.throws(
    () => decoder.decode(frame),
    (e: unknown) => {
      error = e;
      return isProtocolError(e);
    },
    what,
  );
  assert.equal(decoder.bufferedBytes, 0, `${what}: nothing held after the error`);
  assert.equal(decoder.pendingSequences, 0);
  return error as DistError;
}

/** A control term as distribution_SUITE's dmsg_ext writes it: external format without the version byte. */
const ext = (t: Term): Buffer => encode(t, { versioned: false });
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
/** dmsg_frag_hdr: 131, $E, Seq, Frag, and an atom cache section with no atoms. */
const fragStart = (seq: bigint, frag: bigint, ...rest: Uint8Array[]): Buffer =>
  Buffer.concat([Buffer.from([131, 69]), u64(seq), u64(frag), Buffer.from([0]), ...rest]);
/** dmsg_frag: 131, $F, Seq, Frag. */
const fragCont = (seq: bigint, frag: bigint, ...rest: Uint8Array[]): Buffer =>
  Buffer.concat([Buffer.from([131, 70]), u64(seq), u64(frag), ...rest]);

describe("distribution_SUITE:bad_dist_fragments", () => {
  // Msg = dmsg_ext(lists:duplicate(255, 255)): a STRING_EXT of 255 bytes 255.
  const msg = ext(new Array(255).fill(255));
  const head = msg.subarray(0, 10);
  const tail = msg.subarray(10);
  const send = ext(tuple(2, atom(""), victim));
  const seq = 0x1234n;

  test("a continuation without a start", () => {
    assertRefused(new FrameDecoder(OTP_FLAGS), fragCont(seq, 1n, tail), "continuation without start");
  });

  test("fragment 1 after a start that announced 3", () => {
    const decoder = new FrameDecoder(OTP_FLAGS);
    assert.equal(decoder.decode(fragStart(seq, 3n, send, head)), undefined);
    assertRefused(decoder, fragCont(seq, 1n, tail), "fragment out of order");
  });

  test("a second start of the same sequence", () => {
    const decoder = new FrameDecoder(OTP_FLAGS);
    assert.equal(decoder.decode(fragStart(seq, 3n, send, head)), undefined);
    assertRefused(decoder, fragStart(seq, 3n, send, head), "duplicate start");
  });

  test("a bad control message in the start, whether it is the only fragment or the first of three", () => {
    const broken = ext(tuple(2, atom(""), victim, atom("broken")));
    assertRefused(new FrameDecoder(OTP_FLAGS), fragStart(seq, 1n, broken, tail), "bad control, 1 fragment");
    assertRefused(new FrameDecoder(OTP_FLAGS), fragStart(seq, 3n, broken, tail), "bad control, first of 3");
  });

  test("the connection closing mid-sequence leaves only the decoder (dropped with the connection) holding bytes", () => {
    const decoder = new FrameDecoder(OTP_FLAGS);
    assert.equal(decoder.decode(fragStart(seq, 3n, send, tail)), undefined);
    assert.equal(decoder.pendingSequences, 1);
    assert.ok(decoder.bufferedBytes > 0);
  });

  test("PAYLOAD_EXIT, PAYLOAD_EXIT2, PAYLOAD_MONITOR_P_EXIT whose payload is a broken term", () => {
    const cases: [Term, number][] = [
      [tuple(24, offender, victim), 131],
      [tuple(26, offender, victim), 132],
      [tuple(28, offender, victim, downRef), 133],
    ];
    for (const [control, byte] of cases) {
      const error = assertRefused(
        new FrameDecoder(OTP_FLAGS),
        fragStart(seq, 1n, ext(control), Buffer.from([byte])),
        `payload byte ${byte}`,
      );
      assert.ok(error.cause instanceof EtfDecodeError, "the term decoder's error is the cause");
    }
  });
});

describe("broken frames", () => {
  const pid = encode(victim, { versioned: false });
  const link = Buffer.concat([Buffer.from([104, 3, 97, 1]), pid, pid]);

  test("an empty frame (a tick) is no message", () => {
    for (const [, flags] of FRAMINGS) assert.equal(new FrameDecoder(flags).decode(new Uint8Array(0)), undefined);
  });

  test("the wrong framing for the flags, or an unknown header", () => {
    const passThrough = Buffer.concat([Buffer.from([112, 131]), link]);
    assertRefused(new FrameDecoder(OTP_FLAGS), passThrough, "pass-through on a header connection");
    assertRefused(new FrameDecoder(PASS_THROUGH_FLAGS), Buffer.concat([Buffer.from([131, 68, 0]), link]), "header");
    assertRefused(new FrameDecoder(PASS_THROUGH_FLAGS), Buffer.from([113, 131, 106]), "not 112");
    assertRefused(new FrameDecoder(OTP_FLAGS), Buffer.concat([Buffer.from([131, 71, 0]), link]), "header tag 71");
    assertRefused(new FrameDecoder(OTP_FLAGS), Buffer.concat([Buffer.from([130, 68, 0]), link]), "not 131");
    assertRefused(new FrameDecoder(ATOM_CACHE_FLAGS), fragStart(1n, 1n, link), "69 without FRAGMENTS");
    assertRefused(new FrameDecoder(ATOM_CACHE_FLAGS), fragCont(1n, 1n, link), "70 without FRAGMENTS");
  });

  test("atom cache sections that lie", () => {
    const cases: [string, number[]][] = [
      ["a ref to an empty slot", [131, 68, 1, 0x00, 7]],
      ["a new entry that is not UTF-8", [131, 68, 1, 0x08, 7, 2, 0xc3, 0x28]],
      ["a new entry longer than the frame", [131, 68, 1, 0x08, 7, 200, 97]],
      ["flags cut short", [131, 68, 5, 0x88]],
      ["refs cut short", [131, 68, 3, 0x88, 0x08, 1, 1, 97]],
      ["an atom of 256 characters", [131, 68, 1, 0x10, 0, 1, 0, 1, ...new Array(256).fill(97)]],
    ];
    for (const [what, bytes] of cases) {
      assertRefused(new FrameDecoder(OTP_FLAGS), Buffer.concat([Buffer.from(bytes), link]), what);
    }
  });

  test("an ATOM_CACHE_REF past the header's refs, trailing bytes, a truncated payload, three terms", () => {
    const header = Buffer.from([131, 68, 0]);
    const ref0 = Buffer.from([104, 3, 97, 1, 82, 0]);
    assertRefused(new FrameDecoder(OTP_FLAGS), Buffer.concat([header, ref0, pid]), "ATOM_CACHE_REF 0 of none");
    const sendTo = ext(tuple(2, atom(""), victim));
    const cases: [string, Buffer][] = [
      ["trailing bytes", Buffer.concat([header, sendTo, ext(1), Buffer.from([0])])],
      ["truncated payload", Buffer.concat([header, sendTo, ext([1, 2, 3]).subarray(0, 3)])],
      ["a third term", Buffer.concat([header, sendTo, ext(1), ext(2)])],
      ["a versioned term after a header", Buffer.concat([header, encode(tuple(2, atom(""), victim))])],
    ];
    for (const [what, frame] of cases) assertRefused(new FrameDecoder(OTP_FLAGS), frame, what);
    const versioned = (t: Term) => encode(t);
    assertRefused(
      new FrameDecoder(PASS_THROUGH_FLAGS),
      Buffer.concat([Buffer.from([112]), versioned(tuple(2, atom(""), victim)), versioned(1), Buffer.from([9])]),
      "pass-through trailing bytes",
    );
    assertRefused(
      new FrameDecoder(PASS_THROUGH_FLAGS),
      Buffer.concat([Buffer.from([112]), ext(tuple(2, atom(""), victim))]),
      "pass-through term without 131",
    );
  });

  test("compressed terms, which OTP's dist decoder refuses too (no inflating a small frame into a huge term)", () => {
    const control = tuple(6, offender, atom(""), atom("name"));
    const zipped = (t: Term) => encode(t, { compressed: 9 });
    const bomb = zipped(new Array(1_000_000).fill(0));
    assert.ok(bomb.length < 2000, "a megabyte list compresses to almost nothing");
    const cases: [string, bigint, Buffer][] = [
      ["compressed control", OTP_FLAGS, Buffer.concat([Buffer.from([131, 68, 0]), zipped(control).subarray(1)])],
      ["compressed payload", OTP_FLAGS, Buffer.concat([Buffer.from([131, 68, 0]), ext(control), bomb.subarray(1)])],
      [
        "pass-through, compressed payload",
        PASS_THROUGH_FLAGS,
        Buffer.concat([Buffer.from([112]), encode(control), bomb]),
      ],
    ];
    for (const [what, flags, frame] of cases) assertRefused(new FrameDecoder(flags), frame, what);
  });

  test("a fragment id of 0; a start announcing 2^64-1 fragments is held only within the limits", () => {
    const send = ext(tuple(2, atom(""), victim));
    assertRefused(new FrameDecoder(OTP_FLAGS), fragStart(1n, 0n, send, ext(1)), "fragment id 0");
    const decoder = new FrameDecoder(OTP_FLAGS, { maxBufferedBytes: 100_000 });
    let fragment = 2n ** 64n - 1n;
    assert.equal(decoder.decode(fragStart(9n, fragment, send, Buffer.from([107, 0xff, 0xff]))), undefined);
    const filler = Buffer.alloc(1000, 1);
    assert.throws(() => {
      for (;;) {
        decoder.decode(fragCont(9n, --fragment, filler));
        assert.ok(decoder.bufferedBytes <= 100_000);
      }
    }, isProtocolError);
    assert.equal(decoder.bufferedBytes, 0);
  });
});

describe("memory limits on incomplete fragmented messages", () => {
  const big: ControlMessage = { op: "send", to: victim, message: Buffer.alloc(50_000, 3) };

  test("one sequence over maxSequenceBytes is refused, and everything held is let go", () => {
    const frames = framesOf(new FrameEncoder(OTP_FLAGS, { fragmentSize: 1000 }).encode(big));
    const decoder = new FrameDecoder(OTP_FLAGS, { maxSequenceBytes: 20_000 });
    assert.throws(() => {
      for (const f of frames) {
        decoder.decode(f);
        assert.ok(decoder.bufferedBytes <= 20_000);
      }
    }, isProtocolError);
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.pendingSequences, 0);
  });

  test("sequences together over maxBufferedBytes are refused", () => {
    const encoder = new FrameEncoder(OTP_FLAGS, { fragmentSize: 1000 });
    const a = framesOf(encoder.encode(big));
    const b = framesOf(encoder.encode(big));
    const decoder = new FrameDecoder(OTP_FLAGS, { maxBufferedBytes: 80_000 });
    assert.throws(() => {
      for (let i = 0; i < a.length; i++) {
        decoder.decode(a[i]!);
        decoder.decode(b[i]!);
      }
    }, isProtocolError);
    assert.equal(decoder.bufferedBytes, 0);
  });

  test("within the limits, the bytes held go back to 0 when each message completes", () => {
    const frames = framesOf(new FrameEncoder(OTP_FLAGS, { fragmentSize: 1000 }).encode(big));
    const decoder = new FrameDecoder(OTP_FLAGS, { maxSequenceBytes: 60_000, maxBufferedBytes: 60_000 });
    let received: ControlMessage | undefined;
    for (const f of frames) received = decoder.decode(f)?.control;
    assertSameMessage(received!, big);
    assert.equal(decoder.bufferedBytes, 0);
  });
});

describe("fuzz", () => {
  const prefixes = fc.constantFrom(
    [],
    [112],
    [112, 131],
    [131, 68],
    [131, 68, 0],
    [131, 69, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0],
    [131, 70, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2],
  );
  const randomFrame = fc
    .tuple(prefixes, fc.uint8Array({ maxLength: 200 }))
    .map(([p, rest]) => Buffer.concat([Buffer.from(p), rest]));

  function survives(decoder: FrameDecoder, frame: Uint8Array | Uint8Array[], limit: number): boolean {
    try {
      decoder.decode(frame);
    } catch (e) {
      if (!isProtocolError(e)) throw e;
    }
    return decoder.bufferedBytes <= limit;
  }

  test("random bytes, frame after frame on one decoder: messages, undefined or DIST_PROTOCOL; memory bounded", () => {
    for (const [, flags] of FRAMINGS) {
      fc.assert(
        fc.property(fc.array(randomFrame, { maxLength: 30 }), (frames) => {
          const decoder = new FrameDecoder(flags, { maxBufferedBytes: 2000 });
          return frames.every((f) => survives(decoder, f, 2000));
        }),
        { numRuns: 1500 },
      );
    }
  });

  test("valid frames with bytes flipped, cut, inserted or dropped", () => {
    const mutation = fc.record({
      frame: fc.nat(),
      at: fc.nat(),
      kind: fc.constantFrom("flip", "cut", "insert", "drop"),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    for (const [, flags] of FRAMINGS) {
      fc.assert(
        fc.property(fc.array(arbControlMessage, { minLength: 1, maxLength: 4 }), mutation, (messages, m) => {
          const encoder = new FrameEncoder(flags, { fragmentSize: 50 });
          const frames = messages.flatMap((msg) => framesOf(encoder.encode(msg)).map(joined));
          const i = m.frame % frames.length;
          const f = frames[i]!;
          const at = f.length === 0 ? 0 : m.at % f.length;
          if (m.kind === "flip") f[at] = f[at]! ^ (m.byte | 1);
          else if (m.kind === "cut") frames[i] = f.subarray(0, at);
          else if (m.kind === "insert")
            frames[i] = Buffer.concat([f.subarray(0, at), Buffer.from([m.byte]), f.subarray(at)]);
          else frames[i] = Buffer.concat([f.subarray(0, at), f.subarray(at + 1)]);
          const decoder = new FrameDecoder(flags, { maxBufferedBytes: 1 << 20 });
          return frames.every((frame) => survives(decoder, frame, 1 << 20));
        }),
        { numRuns: 1500 },
      );
    }
  });

  test("a frame split into any chunks decodes as the whole frame does", () => {
    fc.assert(
      fc.property(arbControlMessage, fc.array(fc.nat(), { maxLength: 8 }), (msg, cuts) => {
        const encoder = new FrameEncoder(OTP_FLAGS, { fragmentSize: 100 });
        const whole = new FrameDecoder(OTP_FLAGS);
        const split = new FrameDecoder(OTP_FLAGS);
        let a: ControlMessage | undefined;
        let b: ControlMessage | undefined;
        for (const frame of framesOf(encoder.encode(msg)).map(joined)) {
          const points = [...new Set(cuts.map((c) => c % (frame.length + 1)))].sort((x, y) => x - y);
          const chunks: Buffer[] = [];
          let from = 0;
          for (const p of [...points, frame.length]) {
            chunks.push(frame.subarray(from, p));
            from = p;
          }
          a = whole.decode(frame)?.control ?? a;
          b = split.decode(chunks)?.control ?? b;
        }
        return a !== undefined && b !== undefined && sameMessage(a, b);
      }),
      { numRuns: 500 },
    );
  });
});
