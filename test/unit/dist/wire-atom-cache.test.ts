// The atom cache: the section layout (nibble flags, long atoms), OTP's own example from erl_ext_dist.md, what a
// header means when later headers overwrite its slots, and the 255-atom limit of one header.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { HeaderAtomRefs, ReceiveAtomCache, SendAtomCache } from "../../../src/dist/wire/atom-cache.ts";
import type { ControlMessage } from "../../../src/dist/wire/control.ts";
import { FrameDecoder } from "../../../src/dist/wire/receive.ts";
import { FrameEncoder } from "../../../src/dist/wire/send.ts";
import { type Atom, atom, decode, ExportFun, encode, equals, Pid, type Term, tuple } from "../../../src/index.ts";
import { ByteReader } from "../../../src/term/etf/reader.ts";
import { arbAtom, arbTerm } from "../../support/arbitraries.ts";
import {
  ATOM_CACHE_FLAGS,
  asReceived,
  assertSameMessage,
  framesOf,
  OTP_FLAGS,
  withoutLength,
} from "./wire-fixtures.ts";

function read(cache: ReceiveAtomCache, section: Uint8Array): { atoms: Atom[]; end: number } {
  const r = new ByteReader();
  r.reset(section, 0);
  const atoms = cache.readSection(r);
  return { atoms, end: r.offset };
}

describe("the atom cache section", () => {
  test("what the sender lists, the receiver reads, new entries first and cached refs after", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(arbAtom, { maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 2048 }),
        (headers, slots) => {
          const send = new SendAtomCache((a) => a.utf8.length % slots);
          const receive = new ReceiveAtomCache();
          for (const atoms of headers) {
            const section = send.section(atoms, 3).subarray(3);
            const { atoms: got, end } = read(receive, section);
            assert.equal(end, section.length, "the section is read to its end");
            assert.deepEqual(got, atoms);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("layout: N, flag nibbles (even refs low, odd high), the long-atoms nibble after them, then the refs", () => {
    const a = atom("a");
    const b = atom("bb");
    const c = atom("ccc");
    const slots = new Map<Atom, number>([
      [a, 0x105],
      [b, 0x7ff],
      [c, 0x010],
    ]);
    const send = new SendAtomCache((x) => slots.get(x)!);
    assert.deepEqual(
      [...send.section([a, b], 0)],
      [2, 0x8 | 0x1 | ((0x8 | 0x7) << 4), 0x00, 0x05, 1, 0x61, 0xff, 2, 0x62, 0x62],
    );
    // Now cached: a and b go out as slot refs; c is new; N = 3 puts the long-atoms nibble high in byte 1.
    assert.deepEqual(
      [...send.section([a, b, c], 0)],
      [3, 0x1 | (0x7 << 4), 0x8 | 0x0, 0x05, 0xff, 0x10, 3, 0x63, 0x63, 0x63],
    );
  });

  test("an atom of more than 255 UTF-8 bytes sets LongAtoms: every new entry then has a 2-byte length", () => {
    const long = atom("😀".repeat(200));
    const short = atom("s");
    const send = new SendAtomCache((x) => (x === long ? 1 : 2));
    const section = send.section([short, long], 0);
    assert.equal(section[2]! & 0x1, 1, "LongAtoms (N = 2: low nibble of byte 2)");
    assert.deepEqual([...section.subarray(3, 7)], [2, 0, 1, 0x73]);
    assert.deepEqual([...section.subarray(7, 10)], [1, 800 >> 8, 800 & 0xff]);
    const { atoms } = read(new ReceiveAtomCache(), section);
    assert.deepEqual(atoms, [short, long]);
  });

  test("HeaderAtomRefs numbers atoms by first use, past 16 by a map, and stops at 255", () => {
    const refs = new HeaderAtomRefs();
    const atoms = Array.from({ length: 300 }, (_, i) => atom(`refs_${i}`));
    for (let round = 0; round < 2; round++) {
      for (const [i, a] of atoms.entries()) assert.equal(refs.refFor(a), i < 255 ? i : -1);
    }
    assert.deepEqual(refs.take(), atoms.slice(0, 255));
    assert.equal(refs.refFor(atoms[299]!), 0, "take() starts a new table");
    assert.deepEqual(refs.take(), [atoms[299]]);
  });
});

describe("headers over a connection", () => {
  const node = atom("peer@host");
  const from = new Pid(node, 1, 0, 1);
  const to = new Pid(atom("me@host"), 2, 0, 1);

  test("a repeated message lists its atoms as cached refs: a smaller header, the same message", () => {
    const encoder = new FrameEncoder(ATOM_CACHE_FLAGS);
    const decoder = new FrameDecoder(ATOM_CACHE_FLAGS);
    const msg: ControlMessage = { op: "reg_send", from, to: atom("some_server"), message: tuple(atom("call"), 1) };
    const [first] = framesOf(encoder.encode(msg));
    const [second] = framesOf(encoder.encode(msg));
    assert.ok(second![0]!.length < first![0]!.length, "the second header carries no atom text");
    assertSameMessage(decoder.decode(first!)!.control, msg);
    assertSameMessage(decoder.decode(second!)!.control, msg);
  });

  test("a fragmented message keeps the atoms its header meant while later headers overwrite the slots", () => {
    // Every atom in one slot, so each header evicts the previous one's atoms.
    const encoder = new FrameEncoder(OTP_FLAGS, { fragmentSize: 64, atomCacheSlot: () => 0 });
    const decoder = new FrameDecoder(OTP_FLAGS);
    const large: ControlMessage = {
      op: "reg_send",
      from,
      to: atom("first_name"),
      message: [atom("first_payload"), Buffer.alloc(500, 1)],
    };
    const small: ControlMessage = { op: "reg_send", from, to: atom("second_name"), message: atom("second") };
    const out = encoder.encode(large);
    assert.equal(decoder.decode(withoutLength(out.next()!)), undefined, "the start of the large message");
    for (const frame of framesOf(encoder.encode(small))) assertSameMessage(decoder.decode(frame)!.control, small);
    let received: ControlMessage | undefined;
    for (const frame of framesOf(out)) received = decoder.decode(frame)?.control;
    assertSameMessage(received!, large);
  });

  test("more than 255 distinct atoms: 255 go through the cache, the rest are written out", () => {
    const atoms: Term[] = Array.from({ length: 400 }, (_, i) => atom(`many_${i}`));
    const msg: ControlMessage = { op: "send", from, to, message: atoms };
    for (const flags of [ATOM_CACHE_FLAGS, OTP_FLAGS]) {
      const encoder = new FrameEncoder(flags);
      const decoder = new FrameDecoder(flags);
      const frames = framesOf(encoder.encode(msg));
      assert.equal(frames[0]![0]![2], 255, "the header lists 255 atoms");
      let received: ControlMessage | undefined;
      for (const frame of frames) received = decoder.decode(frame)?.control;
      assertSameMessage(received!, asReceived(msg, flags));
    }
  });
});

// erl_ext_dist.md, "Distribution Header for fragmented messages": REG_SEND of
// {call, <0.245.2>, {set_get_state, <<0:1024>>}} to `reg` with a fragment size of 128, byte for byte.
const DOC_START = [
  [131, 69, 0, 0, 2, 168, 0, 0, 5, 83, 0, 0, 0, 0, 0, 0, 0, 2],
  [5, 4, 137, 9, 10, 5, 236, 3, 114, 101, 103, 9, 4, 99, 97, 108, 108],
  [238, 13, 115, 101, 116, 95, 103, 101, 116, 95, 115, 116, 97, 116, 101],
  [104, 4, 97, 6, 103, 82, 0, 0, 0, 0, 85, 0, 0, 0, 0, 2, 82, 1, 82, 2],
  [104, 3, 82, 3, 103, 82, 0, 0, 0, 0, 245, 0, 0, 0, 2, 2],
  [104, 2, 82, 4, 109, 0, 0, 0, 128, ...new Array(13).fill(0)],
  new Array(25).fill(0),
  new Array(25).fill(0),
  new Array(25).fill(0),
  new Array(15).fill(0),
].flat();
const DOC_CONTINUATION = [[131, 70, 0, 0, 2, 168, 0, 0, 5, 83, 0, 0, 0, 0, 0, 0, 0, 1], new Array(25).fill(0)].flat();

test("OTP's documented fragmented REG_SEND decodes, once the cache holds its two cached atoms", () => {
  // The example assumes slot (4, 10) and slot (0, 5) already hold atoms: store them with an earlier header.
  const sender = atom("sender@host");
  const receiver = atom("receiver@host");
  const prime = Buffer.from(
    [
      [131, 68, 2, 0x8c, 0x00],
      [10, sender.utf8.length, ...sender.utf8],
      [5, receiver.utf8.length, ...receiver.utf8],
      [104, 3, 97, 1, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 88, 82, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3],
    ].flat(),
  );
  const decoder = new FrameDecoder(OTP_FLAGS);
  assert.equal(decoder.decode(prime)?.control.op, "link");
  assert.equal(decoder.decode(Buffer.from(DOC_START)), undefined);
  const message = decoder.decode(Buffer.from(DOC_CONTINUATION));
  assertSameMessage(message!.control, {
    op: "reg_send",
    from: new Pid(sender, 85, 0, 2),
    to: atom("reg"),
    message: tuple(atom("call"), new Pid(sender, 245, 2, 2), tuple(atom("set_get_state"), new Uint8Array(128))),
  });
});

test("encode's atomCacheRefs option: every atom (booleans, node names, fun names too) as ATOM_CACHE_REF", () => {
  fc.assert(
    fc.property(arbTerm({ maxDepth: 3 }), (t) => {
      const refs = new HeaderAtomRefs();
      const bytes = encode(t, { versioned: false, atomCacheRefs: refs });
      const atoms = refs.take();
      const back = decode(bytes, { versioned: false, atomCacheRefs: atoms });
      const plain = decode(encode(t, { versioned: false }), { versioned: false });
      return equals(back, t) && equals(back, plain) && (atoms.length === 0 || bytes.includes(82));
    }),
    { numRuns: 1000 },
  );
  const refs = new HeaderAtomRefs();
  const node = atom("n@h");
  const bytes = encode(tuple(true, new Pid(node, 1, 2, 3), new ExportFun(atom("m"), atom("f"), 1)), {
    versioned: false,
    atomCacheRefs: refs,
  });
  assert.deepEqual(refs.take(), [atom("true"), node, atom("m"), atom("f")]);
  assert.deepEqual([...bytes.subarray(0, 6)], [104, 3, 82, 0, 88, 82]);
});
