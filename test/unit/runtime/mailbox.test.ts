// The mailbox against an array model: lone message, ring growth and wrap-around, removal from either half, the marker.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { atom, Ref, type Term } from "../../../src/index.ts";
import { Mailbox, type Marker, NO_MESSAGE } from "../../../src/runtime/mailbox.ts";

class TestMailbox extends Mailbox {
  private stored: Marker | null = null;
  protected get marker(): Marker | null {
    return this.stored;
  }
  protected set marker(marker: Marker | null) {
    this.stored = marker;
  }
}

type Op =
  | { op: "send" }
  | { op: "first" }
  | { op: "match"; mod: number; rest: number; since: boolean }
  | { op: "mark" };

const ops = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.constant<Op>({ op: "send" }) },
    { weight: 1, arbitrary: fc.constant<Op>({ op: "first" }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("match" as const),
        mod: fc.integer({ min: 1, max: 7 }),
        rest: fc.integer({ min: 0, max: 6 }),
        since: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.constant<Op>({ op: "mark" }) },
  ),
  { maxLength: 300 },
);

test("the mailbox behaves like an array scanned from the front (or from the marker)", () => {
  fc.assert(
    fc.property(ops, (script) => {
      const box = new TestMailbox();
      const model: number[] = [];
      let before = 0; // model of the marker: how many queued messages predate the ref
      let ref: Ref | undefined;
      let next = 0;
      for (const step of script) {
        if (step.op === "send") {
          box.enqueue(next);
          model.push(next++);
        } else if (step.op === "first") {
          const got = box.takeFirst();
          const want = model.shift();
          assert.equal(got, want === undefined ? NO_MESSAGE : want);
          if (want !== undefined && before > 0) before--;
        } else if (step.op === "mark") {
          ref = new Ref(atom("n@h"), 1, [next, 0, 0]);
          box.setMarker(ref);
          before = model.length;
        } else {
          const useSince = step.since && ref !== undefined;
          const start = useSince ? before : 0;
          const accepts = (m: Term) => (m as number) % step.mod === step.rest % step.mod;
          const got = box.takeMatching(accepts, useSince ? ref : undefined);
          const index = model.findIndex((m, i) => i >= start && accepts(m));
          if (index < 0) assert.equal(got, NO_MESSAGE);
          else {
            assert.equal(got, model[index]);
            model.splice(index, 1);
            if (index < before) before--;
          }
        }
        assert.deepEqual(box.messages(), model);
        assert.equal(box.queueLength, model.length);
      }
    }),
    { numRuns: 300 },
  );
});
