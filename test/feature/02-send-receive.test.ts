// Sending and receiving: FIFO order, selective receive (predicates and patterns), timeouts, the `since` marker.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  _,
  atom,
  ErrorCodes,
  Float,
  map,
  type Pid,
  pattern,
  Ref,
  type Term,
  Tuple,
  tuple,
  where,
} from "../../src/index.ts";
import { assertTerm, crashReports, elements, runtime, spawnWatched } from "../support/runtime.ts";

const A = atom("a");
const B = atom("b");
const C = atom("c");

/** Takes every queued message without waiting. */
async function drain(self: { receive(m: undefined, o: { timeout: number }): Promise<Term | undefined> }) {
  const out: Term[] = [];
  for (let m = await self.receive(undefined, { timeout: 0 }); m !== undefined; ) {
    out.push(m);
    m = await self.receive(undefined, { timeout: 0 });
  }
  return out;
}

describe("send and receive", () => {
  test("messages from one sender are received in the order they were sent", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      for (let i = 0; i < 100; i++) self.send(self.pid, i);
      return drain(self);
    });
    assert.deepEqual(
      got,
      Array.from({ length: 100 }, (_v, i) => i),
    );
  });

  test("receive waits for a message that arrives later", async (t) => {
    const { rt } = runtime(t);
    const result = rt.run(async (self) => self.receive());
    await rt.idle();
    const [receiver] = rt.processes() as [Pid];
    rt.send(receiver, tuple(atom("hello"), "world"));
    assertTerm(await result, tuple(atom("hello"), "world"));
  });

  test("send to a dead pid is silently dropped", async (t) => {
    const { rt } = runtime(t);
    const dead = rt.spawn(async () => {});
    await rt.idle();
    assert.equal(rt.isAlive(dead), false);
    rt.send(dead, atom("lost"));
    await rt.run(async (self) => self.send(dead, atom("lost")));
  });

  test("selective receive with a predicate takes the first match and leaves the rest in order", async (t) => {
    const { rt } = runtime(t);
    const [taken, rest] = await rt.run(async (self) => {
      for (const m of [A, 1, B, 2, C]) self.send(self.pid, m);
      const taken = await self.receive((m) => typeof m === "number");
      return [taken, await drain(self)] as const;
    });
    assert.equal(taken, 1);
    assertTerm(rest, [A, B, 2, C]);
  });

  test("a waiting selective receive skips non-matching messages that arrive meanwhile", async (t) => {
    const { rt } = runtime(t);
    const result = rt.run(async (self) => {
      const wanted = await self.receive((m) => m === B);
      return [wanted, await drain(self)];
    });
    await rt.idle();
    const [receiver] = rt.processes() as [Pid];
    rt.send(receiver, A);
    rt.send(receiver, C);
    await rt.idle();
    assert.equal(rt.processInfo(receiver)!.messageQueueLen, 2);
    rt.send(receiver, B);
    assertTerm(await result, [B, [A, C]]);
  });

  test("a waiting receive tests each message once (the save point): no rescan of what it already saw", async (t) => {
    const { rt } = runtime(t);
    let looked = 0;
    const result = rt.run(async (self) => {
      for (let i = 0; i < 3; i++) self.send(self.pid, i);
      return self.receive((m) => {
        looked++;
        return m === B;
      });
    });
    await rt.idle();
    assert.equal(looked, 3, "the queued messages, once each");
    const [receiver] = rt.processes() as [Pid];
    for (let i = 0; i < 100; i++) rt.send(receiver, A);
    assert.equal(looked, 103, "each new message, once");
    rt.send(receiver, B);
    assert.equal(await result, B);
    assert.equal(looked, 104);
  });

  test("pattern: tuples element by element, `_` matches anything, `where` is a guard", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      for (const m of [
        tuple(atom("reply"), 1),
        tuple(atom("reply"), 1, 2),
        tuple(atom("other"), 5),
        tuple(atom("reply"), 50),
      ]) {
        self.send(self.pid, m);
      }
      const big = await self.receive(
        pattern(
          tuple(
            atom("reply"),
            where((v) => typeof v === "number" && v > 10),
          ),
        ),
      );
      const triple = await self.receive(pattern(tuple(_, _, _)));
      const other = await self.receive(pattern(tuple(atom("other"), _)));
      return [big, triple, other, await drain(self)];
    });
    assertTerm(got, [
      tuple(atom("reply"), 50),
      tuple(atom("reply"), 1, 2),
      tuple(atom("other"), 5),
      [tuple(atom("reply"), 1)],
    ]);
  });

  test("pattern: lists by length and element, maps by the keys the template names", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      self.send(self.pid, [1, 2, 3]);
      self.send(self.pid, [1, 2]);
      self.send(self.pid, map([[atom("type"), atom("b")]]));
      self.send(
        self.pid,
        map([
          [atom("type"), atom("a")],
          [atom("extra"), 1],
        ]),
      );
      const list = await self.receive(pattern([1, _]));
      const m = await self.receive(pattern(map([[atom("type"), atom("a")]])));
      return [list, m, await drain(self)];
    });
    assertTerm(got, [
      [1, 2],
      map([
        [atom("type"), atom("a")],
        [atom("extra"), 1],
      ]),
      [[1, 2, 3], map([[atom("type"), atom("b")]])],
    ]);
  });

  test("pattern compares values with Erlang's exact equality (1 is not 1.0, pids and refs by value)", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const ref = self.makeRef();
      self.send(self.pid, tuple(atom("n"), 1));
      self.send(self.pid, tuple(ref, self.pid));
      const float = await self.receive(pattern(tuple(atom("n"), new Float(1))), { timeout: 0 });
      const integer = await self.receive(pattern(tuple(atom("n"), 1)), { timeout: 0 });
      const byValue = await self.receive(pattern(tuple(new Ref(ref.node, ref.creation, [...ref.ids]), _)), {
        timeout: 0,
      });
      return [float ?? atom("nomatch"), integer!, byValue!];
    });
    assertTerm(got[0], atom("nomatch"));
    assertTerm(got[1], tuple(atom("n"), 1));
    assert.ok(got[2] instanceof Tuple);
  });

  test("timeout 0 polls: a matching queued message, else undefined at once (no clock needed)", async (t) => {
    const { rt, clock } = runtime(t);
    const got = await rt.run(async (self) => {
      const none = await self.receive(undefined, { timeout: 0 });
      self.send(self.pid, A);
      const noMatch = await self.receive((m) => m === B, { timeout: 0 });
      const match = await self.receive((m) => m === A, { timeout: 0 });
      return [none, noMatch, match];
    });
    assert.deepEqual(got, [undefined, undefined, A]);
    assert.equal(clock.now(), 0);
  });

  test("a timeout ends the wait with undefined when the clock passes it; unmatched messages stay queued", async (t) => {
    const { rt, clock } = runtime(t);
    const result = rt.run(async (self) => {
      const got = await self.receive((m) => m === B, { timeout: 100 });
      return [got ?? atom("timeout"), await drain(self)];
    });
    await rt.idle();
    const [receiver] = rt.processes() as [Pid];
    rt.send(receiver, A);
    clock.advance(99);
    await rt.idle();
    assert.ok(rt.isAlive(receiver), "still waiting at 99 ms");
    clock.advance(1);
    assertTerm(await result, [atom("timeout"), [A]]);
  });

  test("a message that arrives before the timeout wins and cancels the timer", async (t) => {
    const { rt, clock } = runtime(t);
    const result = rt.run(async (self) => self.receive(undefined, { timeout: 1000 }));
    await rt.idle();
    assert.equal(clock.pendingAlarms, 1);
    const [receiver] = rt.processes() as [Pid];
    rt.send(receiver, A);
    assert.equal(await result, A);
    assert.equal(clock.pendingAlarms, 0);
  });

  test("timeout 'infinity' waits forever: no timer, however far the clock moves", async (t) => {
    const { rt, clock } = runtime(t);
    const result = rt.run(async (self) => self.receive(undefined, { timeout: "infinity" }));
    await rt.idle();
    assert.equal(clock.pendingAlarms, 0);
    clock.advance(10 * 365 * 24 * 3600 * 1000);
    await rt.idle();
    const [receiver] = rt.processes() as [Pid];
    assert.ok(rt.isAlive(receiver));
    rt.send(receiver, A);
    assert.equal(await result, A);
  });

  test("a negative or non-number timeout is refused with PROC_BAD_ARG", async (t) => {
    const { rt } = runtime(t);
    const errors = await rt.run(async (self) => {
      const codes: unknown[] = [];
      for (const timeout of [-1, Number.NaN, "soon" as never]) {
        try {
          await self.receive(undefined, { timeout });
        } catch (error) {
          codes.push((error as { code?: unknown }).code);
        }
      }
      return codes;
    });
    assert.deepEqual(errors, [ErrorCodes.PROC_BAD_ARG, ErrorCodes.PROC_BAD_ARG, ErrorCodes.PROC_BAD_ARG]);
  });

  test("a second receive while one waits is refused with PROC_BAD_ARG", async (t) => {
    const { rt } = runtime(t);
    const code = await rt.run(async (self) => {
      const first = self.receive();
      try {
        self.receive();
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
      await first;
      return "no error";
    });
    assert.equal(code, ErrorCodes.PROC_BAD_ARG);
  });

  test("a receive predicate that throws crashes the process with that error", async (t) => {
    const { rt, logs } = runtime(t);
    const watched = await spawnWatched(rt, async (self) => {
      await self.receive(() => {
        throw new TypeError("bad predicate");
      });
    });
    rt.send(watched.pid, A);
    const reason = elements(await watched.exit);
    assertTerm(reason[0], tuple(atom("TypeError"), "bad predicate"));
    await rt.idle();
    assert.equal(crashReports(logs).length, 1);
  });

  describe("since: a receive for a fresh reference skips older messages (BEAM's receive marker)", () => {
    test("the reply to a fresh reference is found behind a long queue without looking at the queue", async (t) => {
      const { rt } = runtime(t);
      const got = await rt.run(async (self) => {
        for (let i = 0; i < 10_000; i++) self.send(self.pid, tuple(atom("junk"), i));
        const ref = self.makeRef();
        self.send(self.pid, tuple(ref, atom("reply")));
        const isReply = pattern(tuple(ref, _));
        let looked = 0;
        const reply = await self.receive(
          (m) => {
            looked++;
            return isReply(m);
          },
          { since: ref, timeout: 0 },
        );
        return [reply, rt.processInfo(self.pid)!.messageQueueLen, looked];
      });
      assert.ok(got[0] instanceof Tuple);
      assert.equal(elements(got[0])[1], atom("reply"));
      assert.equal(got[1], 10_000);
      assert.equal(got[2], 1, "only the message after the marker was tested");
    });

    test("messages queued before the reference was made are not scanned", async (t) => {
      const { rt } = runtime(t);
      const got = await rt.run(async (self) => {
        self.send(self.pid, A);
        self.send(self.pid, B);
        const ref = self.makeRef();
        const before = await self.receive(undefined, { since: ref, timeout: 0 });
        self.send(self.pid, C);
        const after = await self.receive(undefined, { since: ref, timeout: 0 });
        return [before ?? atom("none"), after!, await drain(self)];
      });
      assertTerm(got, [atom("none"), C, [A, B]]);
    });

    test("a message that arrives while the receive waits is taken", async (t) => {
      const { rt } = runtime(t);
      let ref!: Ref;
      const result = rt.run(async (self) => {
        self.send(self.pid, A);
        ref = self.makeRef();
        rt.send(self.pid, atom("not yet")); // from outside, after the ref: scanned but does not match
        const reply = await self.receive(pattern(tuple(ref, _)), { since: ref });
        return [reply!, await drain(self)];
      });
      await rt.idle();
      const [receiver] = rt.processes() as [Pid];
      rt.send(receiver, tuple(ref, atom("ok")));
      assertTerm(await result, [tuple(ref, atom("ok")), [A, atom("not yet")]]);
    });

    test("the marker survives the removal of the message it sits behind", async (t) => {
      const { rt } = runtime(t);
      const got = await rt.run(async (self) => {
        self.send(self.pid, A);
        self.send(self.pid, B);
        const ref = self.makeRef(); // marks the place after B
        await self.receive((m) => m === B); // removes B itself
        self.send(self.pid, C);
        const after = await self.receive(undefined, { since: ref, timeout: 0 });
        return [after!, await drain(self)];
      });
      assertTerm(got, [C, [A]]);
    });

    test("monitor and alias references mark the queue too", async (t) => {
      const { rt } = runtime(t);
      const got = await rt.run(async (self) => {
        self.send(self.pid, A);
        const alias = self.alias();
        self.send(alias, B);
        const viaAlias = await self.receive(undefined, { since: alias, timeout: 0 });
        const target = self.spawn(async (s) => s.receive());
        self.send(self.pid, C);
        const mon = self.monitor(target);
        self.exit(target, atom("bye"));
        const down = await self.receive(undefined, { since: mon, timeout: 0 });
        return [viaAlias!, elements(down)[0]!, await drain(self)];
      });
      assertTerm(got, [B, atom("DOWN"), [A, C]]);
    });
  });
});
