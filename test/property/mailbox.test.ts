// Properties of the mailbox: random sends and selective receives agree with an array model of Erlang's semantics
// (per-sender FIFO, the first matching message in arrival order is taken), also with concurrent senders, and the
// `since` receive marker never changes what a receive for a reference finds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  _,
  atom,
  type Match,
  type Pid,
  type Process,
  pattern,
  type Ref,
  Runtime,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { ManualClock } from "../../src/testing/index.ts";

const MSG = atom("msg");
const FORWARD = atom("forward");
const ACK = atom("ack");
const TAGS = 4;
/** Senders: 0 the receiver itself, 1 code outside any process, 2.. helper processes. */
const SENDERS = 5;

/** A message of the model: who sent it, its tag, and its place in the whole run. */
interface Message {
  readonly sender: number;
  readonly tag: number;
  readonly seq: number;
}

type Op =
  | { readonly kind: "send"; readonly sender: number; readonly tag: number }
  | { readonly kind: "receive"; readonly tags: readonly number[] }
  | { readonly kind: "receiveAny" };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("send" as const), sender: fc.nat(SENDERS - 1), tag: fc.nat(TAGS - 1) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("receive" as const),
      tags: fc.uniqueArray(fc.nat(TAGS - 1), { minLength: 1, maxLength: TAGS - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "receiveAny" as const }) },
);

/** Erlang's receive on an array: the oldest message the predicate accepts, removed; undefined if none. */
function modelReceive<M>(queue: M[], accepts: (m: M) => boolean): M | undefined {
  const i = queue.findIndex(accepts);
  return i < 0 ? undefined : queue.splice(i, 1)[0];
}

function toTerm(m: Message): Term {
  return tuple(MSG, m.sender, m.tag, m.seq);
}

function fromTerm(term: Term): Message {
  assert.ok(term instanceof Tuple && term.at(0) === MSG, "only model messages are left over");
  return { sender: term.at(1) as number, tag: term.at(2) as number, seq: term.at(3) as number };
}

function tagIn(tags: readonly number[]): Match {
  return (m) => m instanceof Tuple && m.at(0) === MSG && tags.includes(m.at(2) as number);
}

/** A helper that sends what it is told to (`{forward, To, Ref, Msg}`), then acknowledges with `{ack, Ref}`. */
async function forwarder(self: Process): Promise<never> {
  for (;;) {
    const order = (await self.receive()) as Tuple;
    const [, to, ref, message] = order.elements as [Term, Pid, Ref, Term];
    self.send(to, message);
    self.send(to, tuple(ACK, ref)); // after the message: one pair, one order
  }
}

/** A fresh runtime for one run of a property, shut down whatever the outcome. */
async function withRuntime<T>(body: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = new Runtime({ clock: new ManualClock(), logger: () => {} });
  try {
    return await body(rt);
  } finally {
    rt.shutdown();
  }
}

/** Takes every queued message without waiting. */
async function drain(self: Process): Promise<Term[]> {
  const out: Term[] = [];
  for (let m = await self.receive(undefined, { timeout: 0 }); m !== undefined; ) {
    out.push(m);
    m = await self.receive(undefined, { timeout: 0 });
  }
  return out;
}

describe("mailbox properties", () => {
  test("sends from several senders and selective receives agree with the array model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 60 }), async (ops) => {
        const model: Message[] = [];
        const expected: (Message | null)[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op.kind === "send") model.push({ sender: op.sender, tag: op.tag, seq: seq++ });
          else {
            const accepts = op.kind === "receive" ? (m: Message) => op.tags.includes(m.tag) : () => true;
            expected.push(modelReceive(model, accepts) ?? null);
          }
        }

        const [got, left, queueLen] = await withRuntime((rt) =>
          rt.run(async (self) => {
            const helpers = Array.from({ length: SENDERS - 2 }, () => self.spawn(forwarder));
            const got: (Message | null)[] = [];
            let n = 0;
            for (const op of ops) {
              if (op.kind === "send") {
                const message = toTerm({ sender: op.sender, tag: op.tag, seq: n++ });
                if (op.sender === 0) self.send(self.pid, message);
                else if (op.sender === 1) rt.send(self.pid, message);
                else {
                  const ref = self.makeRef();
                  self.send(helpers[op.sender - 2]!, tuple(FORWARD, self.pid, ref, message));
                  await self.receive(pattern(tuple(ACK, ref)), { since: ref });
                }
              } else {
                const match = op.kind === "receive" ? tagIn(op.tags) : undefined;
                const m = await self.receive(match, { timeout: 0 });
                got.push(m === undefined ? null : fromTerm(m));
              }
            }
            const queueLen = rt.processInfo(self.pid)!.messageQueueLen;
            return [got, (await drain(self)).map(fromTerm), queueLen] as const;
          }),
        );
        assert.deepEqual(got, expected);
        assert.deepEqual(left, model);
        assert.equal(queueLen, model.length);
      }),
      { numRuns: 200 },
    );
  });

  test("with senders running concurrently, a receive takes each sender's matching messages in order", async () => {
    const arbSenders = fc.array(fc.array(fc.nat(TAGS - 1), { maxLength: 30 }), { minLength: 1, maxLength: 4 });
    const arbPlan = fc.array(fc.uniqueArray(fc.nat(TAGS - 1), { minLength: 1, maxLength: TAGS }), { minLength: 1 });
    const arbYields = fc.array(fc.boolean(), { minLength: 1 });
    await fc.assert(
      fc.asyncProperty(arbSenders, arbPlan, arbYields, async (senders, plan, yields) => {
        const total = senders.reduce((sum, tags) => sum + tags.length, 0);
        const received = await withRuntime((rt) =>
          rt.run(async (self) => {
            const receiver = self.pid;
            senders.forEach((tags, sender) => {
              self.spawn(async (s) => {
                for (let seq = 0; seq < tags.length; seq++) {
                  s.send(receiver, toTerm({ sender, tag: tags[seq]!, seq }));
                  // Sometimes give way to the others (a poll yields when other processes are queued).
                  if (yields[(sender + seq) % yields.length]) await s.receive(() => false, { timeout: 0 });
                }
              });
            });
            const remaining = senders.map((tags) => [...tags]); // per sender, tags not yet received
            const got: { message: Message; tags: readonly number[] }[] = [];
            for (let i = 0; got.length < total; i++) {
              // A tag set some unreceived message carries (so the receive ends), else any tag.
              const wanted = plan[i % plan.length]!;
              const possible = remaining.some((tags) => tags.some((tag) => wanted.includes(tag)));
              const tags = possible ? wanted : [0, 1, 2, 3];
              const message = fromTerm(await self.receive(tagIn(tags)));
              remaining[message.sender]![message.seq] = -1;
              got.push({ message, tags });
            }
            return got;
          }),
        );
        const taken = senders.map((tags) => tags.map(() => false));
        for (const { message, tags } of received) {
          const earlier = senders[message.sender]!.slice(0, message.seq);
          earlier.forEach((tag, seq) => {
            if (tags.includes(tag)) {
              assert.ok(
                taken[message.sender]![seq],
                `sender ${message.sender}'s message ${seq} (tag ${tag}) matched first but ${message.seq} was taken`,
              );
            }
          });
          assert.equal(taken[message.sender]![message.seq], false, "no message is received twice");
          taken[message.sender]![message.seq] = true;
        }
        assert.ok(
          taken.every((flags) => flags.every(Boolean)),
          "every message was received",
        );
      }),
      { numRuns: 100 },
    );
  });

  type RefOp =
    | { readonly kind: "makeRef" }
    | { readonly kind: "sendRef"; readonly ref: number; readonly payload: number }
    | { readonly kind: "sendJunk"; readonly payload: number }
    | { readonly kind: "receiveRef"; readonly ref: number }
    | { readonly kind: "receiveJunk"; readonly payload: number }
    | { readonly kind: "receiveAny" };

  const arbRefOp: fc.Arbitrary<RefOp> = fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: "makeRef" as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("sendRef" as const), ref: fc.nat(9), payload: fc.nat(3) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("sendJunk" as const), payload: fc.nat(3) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("receiveRef" as const), ref: fc.nat(9) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("receiveJunk" as const), payload: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.constant({ kind: "receiveAny" as const }) },
  );

  test("the since marker never changes what a receive for a reference finds", async () => {
    const JUNK = atom("junk");
    type Item = { readonly ref: number; readonly payload: number } | { readonly junk: number };
    await fc.assert(
      fc.asyncProperty(fc.array(arbRefOp, { maxLength: 80 }), async (ops) => {
        // The model scans the whole queue every time.
        const model: Item[] = [];
        const expected: (Item | null)[] = [];
        let refs = 0;
        for (const op of ops) {
          if (op.kind === "makeRef") refs++;
          else if (op.kind === "sendRef") {
            if (op.ref < refs) model.push({ ref: op.ref, payload: op.payload });
          } else if (op.kind === "sendJunk") model.push({ junk: op.payload });
          else if (op.kind === "receiveRef") {
            if (op.ref < refs) expected.push(modelReceive(model, (m) => "ref" in m && m.ref === op.ref) ?? null);
          } else if (op.kind === "receiveJunk") {
            expected.push(modelReceive(model, (m) => "junk" in m && m.junk === op.payload) ?? null);
          } else expected.push(modelReceive(model, () => true) ?? null);
        }

        const got = await withRuntime((rt) =>
          rt.run(async (self) => {
            const made: Ref[] = [];
            const item = (m: Term | undefined): Item | null => {
              if (m === undefined) return null;
              const [first, payload] = (m as Tuple).elements as [Term, number];
              return first === JUNK ? { junk: payload } : { ref: made.indexOf(first as Ref), payload };
            };
            const out: (Item | null)[] = [];
            for (const op of ops) {
              if (op.kind === "makeRef") made.push(self.makeRef());
              else if (op.kind === "sendRef") {
                if (op.ref < made.length) self.send(self.pid, tuple(made[op.ref]!, op.payload));
              } else if (op.kind === "sendJunk") self.send(self.pid, tuple(JUNK, op.payload));
              else if (op.kind === "receiveRef") {
                if (op.ref >= made.length) continue;
                const ref = made[op.ref]!;
                out.push(item(await self.receive(pattern(tuple(ref, _)), { since: ref, timeout: 0 })));
              } else if (op.kind === "receiveJunk") {
                out.push(item(await self.receive(pattern(tuple(JUNK, op.payload)), { timeout: 0 })));
              } else out.push(item(await self.receive(undefined, { timeout: 0 })));
            }
            return out;
          }),
        );
        assert.deepEqual(got, expected);
      }),
      { numRuns: 300 },
    );
  });
});
