// FrameReader: a byte stream cut anywhere gives back the same frames and ticks, as views of the reads.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Frame, FrameReader } from "../../../src/dist/frames.ts";
import { DistError, ErrorCodes } from "../../../src/errors.ts";

function stream(frames: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    frames.map((f) => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(f.length);
      return Buffer.concat([head, f]);
    }),
  );
}

function collect(maxFrame?: number) {
  const got: (Buffer | "tick")[] = [];
  const views: Frame[] = [];
  const reader = new FrameReader(
    {
      frame: (f) => {
        views.push(f);
        got.push(Buffer.isBuffer(f) ? Buffer.from(f) : Buffer.concat(f as Buffer[]));
      },
      tick: () => got.push("tick"),
    },
    maxFrame,
  );
  return { reader, got, views };
}

describe("FrameReader", () => {
  test("any cutting of the stream gives the same frames and ticks, in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 40 }),
        (frames, cuts) => {
          const bytes = stream(frames);
          const { reader, got, views } = collect();
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length]!;
            reader.push(bytes.subarray(at, at + size));
            at += size;
          }
          assert.deepEqual(
            got,
            frames.map((f) => (f.length === 0 ? "tick" : Buffer.from(f))),
          );
          assert.equal(reader.buffered, 0);
          for (const view of views) {
            for (const piece of Buffer.isBuffer(view) ? [view] : view) assert.ok(piece.length > 0, "an empty piece");
          }
        },
      ),
    );
  });

  test("a length field that ends a read starts the frame's pieces with the next read, not an empty view", () => {
    const bytes = stream([Buffer.from("abcdef")]);
    const { reader, got, views } = collect();
    reader.push(bytes.subarray(0, 4));
    reader.push(bytes.subarray(4, 7));
    reader.push(bytes.subarray(7));
    assert.deepEqual(got, [Buffer.from("abcdef")]);
    const pieces = views[0] as readonly Buffer[];
    assert.deepEqual(
      pieces.map((p) => p.toString()),
      ["abc", "def"],
    );
  });

  test("a frame inside one read is a view of it; a frame across reads is the list of their views", () => {
    const bytes = stream([Buffer.from("abc"), Buffer.from("defgh")]);
    const { reader, views } = collect();
    const first = bytes.subarray(0, 13); // frame 1 (7 bytes), frame 2's header and 2 of its 5 bytes
    reader.push(first);
    reader.push(bytes.subarray(13));
    assert.ok(Buffer.isBuffer(views[0]));
    assert.equal((views[0] as Buffer).buffer, bytes.buffer, "no copy");
    assert.ok(Array.isArray(views[1]));
    for (const piece of views[1] as Buffer[]) assert.equal(piece.buffer, bytes.buffer);
  });

  test("a length over the limit is a protocol error before any body byte is held", () => {
    const { reader } = collect(1000);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1001);
    assert.throws(
      () => reader.push(head),
      (e) => e instanceof DistError && e.code === ErrorCodes.DIST_PROTOCOL,
    );
    assert.equal(reader.buffered, 0);
  });
});
