// Tests for the dirty pools' record ring: records of any size pass in order through wrap-arounds (of the data
// region and of the 32-bit counters), never share bytes, and a full ring refuses until the consumer gives back.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { RECORD_WORDS, RingConsumer, type RingPlace, RingProducer } from "../../../src/dirty/ring.ts";

const HEADER_BYTES = RECORD_WORDS * 4;
const align8 = (n: number): number => (n + 7) & ~7;

/** A ring of `capacity` bytes whose counters start at `start` (8-aligned), with `margin` bytes around its data. */
function ringAt(capacity: number, start: number, margin = 24): RingPlace {
  const control = new Int32Array(new SharedArrayBuffer(8 * 4));
  control[2] = start;
  control[5] = start;
  return {
    control,
    headAt: 2,
    tailAt: 5,
    bytes: new Uint8Array(new SharedArrayBuffer(margin + capacity + margin)),
    dataAt: margin,
    capacity,
  };
}

/** A record in the ring as the test wrote it: its words, payload, and where its bytes are. */
interface Written {
  readonly words: readonly [number, number, number];
  readonly payload: Uint8Array;
  /** Its bytes, header included: [from, to) in the ring's `bytes`. */
  readonly from: number;
  readonly to: number;
}

type Step = { readonly kind: "append"; readonly size: number; readonly seed: number } | { readonly kind: "take" };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("append" as const), size: fc.nat(200), seed: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("take" as const) }) },
);

/** Fills `payload` with bytes derived from `seed`, so each record's bytes differ from its neighbours'. */
function fill(payload: Uint8Array, seed: number): void {
  for (let i = 0; i < payload.length; i++) payload[i] = (seed + i * 31) & 0xff;
}

/** Takes the oldest record and checks it is the one written first, words and bytes intact. */
function takeChecked(consumer: RingConsumer, place: RingPlace, live: Written[]): void {
  const expected = live.shift();
  const r = consumer.take();
  if (expected === undefined) {
    assert.equal(r, undefined, "an empty ring hands out nothing");
    return;
  }
  assert.ok(r !== undefined, "a written record can be taken");
  assert.deepEqual([r.a, r.b, r.c], expected.words);
  assert.equal(r.payloadLength, expected.payload.length);
  assert.equal(r.payloadAt, expected.from + HEADER_BYTES);
  assert.deepEqual(place.bytes.subarray(r.payloadAt, r.payloadAt + r.payloadLength), expected.payload);
  consumer.release();
}

describe("the dirty record ring", () => {
  test("records pass in order through wrap-arounds, never overlapping, and a full ring refuses", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 128, 256, 1024),
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }).map((n) => n & ~7),
        fc.array(step, { minLength: 1, maxLength: 300 }),
        (capacity, start, steps) => {
          const place = ringAt(capacity, start);
          const producer = new RingProducer(place);
          const consumer = new RingConsumer(place);
          const live: Written[] = [];
          let serial = 0;
          for (const s of steps) {
            if (s.kind === "take") {
              takeChecked(consumer, place, live);
              continue;
            }
            const size = Math.min(s.size, capacity / 2 - HEADER_BYTES);
            const room = producer.reserve(size);
            if (room < size) {
              // Too full for this record: room for a smaller one (or none); the ring holds something.
              assert.ok(live.length > 0, `an empty ring of ${capacity} bytes has room for ${size} (got ${room})`);
              if (room === -1) {
                // Giving back the oldest record makes room for at least a header.
                takeChecked(consumer, place, live);
                assert.ok(producer.reserve(0) >= 0, "a ring with a record given back takes a header");
              }
              continue;
            }
            const at = producer.reservedAt;
            const from = at - HEADER_BYTES;
            const to = at + align8(size);
            assert.ok(from >= place.dataAt && to <= place.dataAt + capacity, "the record lies in the data region");
            for (const other of live) {
              assert.ok(to <= other.from || from >= other.to, "a record never shares bytes with one not taken");
            }
            const payload = place.bytes.subarray(at, at + size);
            fill(payload, s.seed);
            const words: [number, number, number] = [++serial, -serial, s.seed];
            producer.commit(words[0], words[1], words[2], size);
            live.push({ words, payload: payload.slice(), from, to });
          }
          while (live.length > 0) takeChecked(consumer, place, live);
          assert.equal(consumer.take(), undefined);
          assert.equal(producer.backlog, 0, "everything appended was taken");
          assert.equal(
            place.bytes.subarray(0, place.dataAt).every((b) => b === 0),
            true,
            "nothing before the ring",
          );
          assert.equal(
            place.bytes.subarray(place.dataAt + capacity).every((b) => b === 0),
            true,
            "nothing after it",
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a full ring refuses a record, and takes it again once the consumer gives back", () => {
    const place = ringAt(64, 0);
    const producer = new RingProducer(place);
    const consumer = new RingConsumer(place);
    for (let i = 0; i < 4; i++) {
      assert.equal(producer.reserve(0), 0);
      producer.commit(i, 0, 0, 0);
    }
    assert.equal(producer.reserve(0), -1, "four headers fill 64 bytes");
    assert.equal(producer.reserve(8), -1);
    assert.equal(consumer.take()?.a, 0);
    consumer.release();
    assert.equal(producer.reserve(8), 0, "a header's room, not the payload's");
    assert.equal(producer.reserve(0), 0);
  });

  test("a record that does not fit before the end goes to the start, and the consumer follows it", () => {
    const place = ringAt(128, 0x7fff_ff80);
    const producer = new RingProducer(place);
    const consumer = new RingConsumer(place);
    // Move both counters to 80 bytes in (48 before the end), past the 2³¹ boundary on the way.
    assert.equal(producer.reserve(64), 64);
    producer.commit(1, 0, 0, 64);
    consumer.take();
    consumer.release();
    assert.equal(producer.reserve(40), 40, "48 bytes before the end hold 32 of payload; 80 at the start hold 40");
    assert.equal(producer.reservedAt, place.dataAt + HEADER_BYTES, "at the start of the data region");
    producer.commit(2, 0, 0, 40);
    const r = consumer.take();
    assert.equal(r?.a, 2);
    assert.equal(r?.payloadAt, place.dataAt + HEADER_BYTES);
    consumer.release();
    assert.equal(producer.backlog, 0);
  });
});
