// OutputBatch: one turn's chunks reach the socket in order, small ones copied together, large ones by reference.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type ChunkSink, OutputBatch } from "../../../src/dist/wire/output-batch.ts";

/** A sink recording what the batch hands it, and whether it is corked. */
function recorder() {
  const writes: Buffer[] = [];
  const events: string[] = [];
  const sink: ChunkSink = {
    write: (chunk) => {
      writes.push(chunk);
      events.push(`write ${chunk.length}`);
    },
    cork: () => events.push("cork"),
    uncork: () => events.push("uncork"),
  };
  return { sink, writes, events };
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("OutputBatch", () => {
  test("a turn's small chunks reach the socket as one write, corked, by the end of the turn", async () => {
    const { sink, writes, events } = recorder();
    const batch = new OutputBatch(sink);
    batch.add(Buffer.from([1, 2, 3, 4]));
    batch.add(Buffer.from("hello"));
    batch.add(Buffer.from([9]));
    assert.equal(batch.pendingBytes, 10);
    assert.deepEqual(events, ["cork"]);
    await endOfTurn();
    assert.deepEqual(events, ["cork", "write 10", "uncork"]);
    assert.deepEqual([...writes[0]!], [1, 2, 3, 4, ...Buffer.from("hello"), 9]);
    assert.equal(batch.pendingBytes, 0);
  });

  test("a large chunk goes by reference, after the small chunks added before it", async () => {
    const { sink, writes } = recorder();
    const batch = new OutputBatch(sink);
    const big = Buffer.alloc(100_000, 7);
    batch.add(Buffer.from([1]));
    batch.add(big);
    batch.add(Buffer.from([2]));
    await endOfTurn();
    assert.equal(writes.length, 3);
    assert.deepEqual([...writes[0]!], [1]);
    assert.equal(writes[1], big, "the caller's buffer itself, not a copy");
    assert.deepEqual([...writes[2]!], [2]);
  });

  test("bytes handed on are never overwritten, across turns and slab changes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.uint8Array({ minLength: 1, maxLength: 5000 }), { maxLength: 40 }), { maxLength: 5 }),
        async (turns) => {
          const { sink, writes } = recorder();
          const batch = new OutputBatch(sink);
          const sent: Buffer[] = [];
          for (const turn of turns) {
            for (const chunk of turn) {
              const b = Buffer.from(chunk);
              sent.push(b);
              batch.add(b);
            }
            await endOfTurn();
          }
          assert.equal(batch.pendingBytes, 0);
          assert.deepEqual(Buffer.concat(writes), Buffer.concat(sent));
        },
      ),
      { numRuns: 50 },
    );
  });

  test("handOnRegion writes the copied bytes now, so a socket can be ended right after", () => {
    const { sink, events } = recorder();
    const batch = new OutputBatch(sink);
    batch.add(Buffer.from([1, 2]));
    batch.handOnRegion();
    assert.deepEqual(events, ["cork", "write 2"]);
    assert.equal(batch.pendingBytes, 0);
  });
});
