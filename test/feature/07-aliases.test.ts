// Aliases: references others can send to (OTP's gen calls reply through them), unalias, one-shot reply aliases.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { _, atom, type Process, pattern, Ref, type Signal, type Term, tuple } from "../../src/index.ts";
import { assertTerm, elements, RecordingTransport, remotePid, runtime } from "../support/runtime.ts";

/** Takes every queued message without waiting. */
async function drain(self: Process): Promise<Term[]> {
  const out: Term[] = [];
  for (let m = await self.receive(undefined, { timeout: 0 }); m !== undefined; ) {
    out.push(m);
    m = await self.receive(undefined, { timeout: 0 });
  }
  return out;
}

describe("aliases", () => {
  test("a message sent to an alias reaches the process that made it", async (t) => {
    const { rt } = runtime(t, { node: "alias@host" });
    let alias: Ref | undefined;
    const result = rt.run(async (self) => {
      alias = self.alias();
      return self.receive();
    });
    await rt.idle();
    assert.ok(alias instanceof Ref);
    assert.equal(alias.node, atom("alias@host"));
    rt.send(alias, atom("via_alias"));
    assert.equal(await result, atom("via_alias"));
  });

  test("another process can send to the alias", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const alias = self.alias();
      self.spawn(async (s) => s.send(alias, atom("from_child")));
      return self.receive();
    });
    assert.equal(got, atom("from_child"));
  });

  test("after unalias, messages to the alias are dropped; unalias says whether it was active", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const alias = self.alias();
      self.send(alias, 1);
      const first = self.unalias(alias);
      const second = self.unalias(alias);
      self.send(alias, 2);
      rt.send(alias, 3);
      return [first, second, await drain(self)];
    });
    assertTerm(got, [true, false, [1]]);
  });

  test("alias({ reply: true }) takes one message, then drops the rest", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const alias = self.alias({ reply: true });
      self.send(alias, 1);
      self.send(alias, 2);
      return [await drain(self), self.unalias(alias)];
    });
    assertTerm(got, [[1], false]);
  });

  test("only the owner can unalias", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const alias = self.alias();
      const parent = self.pid;
      self.spawn(async (s) => s.send(parent, s.unalias(alias)));
      const answer = await self.receive();
      self.send(alias, atom("still_active"));
      return [answer, await drain(self)];
    });
    assertTerm(got, [false, [atom("still_active")]]);
  });

  test("an alias dies with its process: later messages are dropped", async (t) => {
    const { rt } = runtime(t);
    const alias = await rt.run(async (self) => self.alias());
    rt.send(alias, atom("nobody_home"));
    await rt.idle();
    assert.equal(rt.processCount, 0);
  });

  test("every kind of alias dies with its process, a monitor's too", async (t) => {
    const { rt } = runtime(t);
    const target = rt.spawn({ handleMessage() {} });
    await rt.run(async (self) => {
      self.alias();
      self.alias({ reply: true });
      self.monitor(target, { alias: "demonitor" });
      self.monitor(target, { alias: "replyDemonitor" });
      self.monitor(target, { alias: "explicitUnalias" });
      assert.equal(rt.aliases.size, 5);
    });
    assert.equal(rt.aliases.size, 0);
  });

  test("a call through a reply alias: the reply is taken with `since` past a long queue", async (t) => {
    const { rt } = runtime(t);
    const server = rt.spawn({
      handleMessage(self, message) {
        const [replyTo, request] = elements(message) as [Ref, number];
        self.send(replyTo, tuple(replyTo, request * 2));
      },
    });
    const got = await rt.run(async (self) => {
      for (let i = 0; i < 1000; i++) self.send(self.pid, atom("noise"));
      const alias = self.alias({ reply: true });
      self.send(server, tuple(alias, 21));
      const reply = await self.receive(pattern(tuple(alias, _)), { since: alias });
      return [reply, rt.processInfo(self.pid)!.messageQueueLen] as const;
    });
    assert.equal(elements(got[0])[1], 42);
    assert.equal(got[1], 1000);
  });

  test("an alias of another node goes through the transport as an alias message", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const { sent } = transport;
    const remoteAlias = new Ref(atom("other@host"), 1, [1, 2, 3]);
    const from = await rt.run(async (self) => {
      self.send(remoteAlias, atom("hi"));
      return self.pid;
    });
    assert.equal(sent.length, 1);
    const [signal] = sent as [Extract<Signal, { kind: "alias-message" }>];
    assert.equal(signal.kind, "alias-message");
    assertTerm(signal.from, from);
    assertTerm(signal.to, remoteAlias);
    assert.equal(signal.message, atom("hi"));
  });

  test("an alias message from another node arrives through the sink", async (t) => {
    const { rt } = runtime(t);
    let alias: Ref | undefined;
    const result = rt.run(async (self) => {
      alias = self.alias();
      return self.receive();
    });
    await rt.idle();
    rt.deliver({ kind: "alias-message", from: remotePid(), to: alias!, message: 7 });
    assert.equal(await result, 7);
  });
});

describe("monitors that double as aliases (OTP's gen call)", () => {
  /** A server that, for `{From, x}`, replies to From twice. */
  function doubleReplier(self: Process) {
    return self.spawn(async (s) => {
      for (;;) {
        const [from, x] = elements(await s.receive());
        s.send(from as Ref, tuple(atom("reply"), x!));
        s.send(from as Ref, tuple(atom("again"), x!));
      }
    });
  }

  test("alias 'demonitor': messages arrive while the monitor lives; demonitor ends the alias", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const server = doubleReplier(self);
      const ref = self.monitor(server, { alias: "demonitor" });
      self.send(server, tuple(ref, 1));
      const first = await self.receive(pattern(tuple(atom("reply"), _)), { since: ref });
      const second = await self.receive(pattern(tuple(atom("again"), _)), { since: ref });
      self.demonitor(ref, { flush: true });
      self.send(server, tuple(ref, 2));
      await rt.idle();
      return [first!, second!, ...(await drain(self))];
    });
    assertTerm(got, [tuple(atom("reply"), 1), tuple(atom("again"), 1)]);
  });

  test("alias 'replyDemonitor': the first message ends the alias and the monitor", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const server = doubleReplier(self);
      const ref = self.monitor(server, { alias: "replyDemonitor" });
      self.send(server, tuple(ref, 1));
      const first = await self.receive(undefined, { since: ref });
      await rt.idle();
      const rest = await drain(self);
      const monitoredBy = rt.processInfo(server)!.monitoredBy.length;
      return [first!, rest, monitoredBy];
    });
    assertTerm(got, [tuple(atom("reply"), 1), [], 0]);
  });

  test("alias 'demonitor': the DOWN message ends the alias", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const target = self.spawn(async (s) => s.receive());
      const ref = self.monitor(target, { alias: "demonitor" });
      self.exit(target, atom("kill"));
      const down = await self.receive(pattern(tuple(atom("DOWN"), ref, _, _, _)));
      self.send(ref, atom("late"));
      return [elements(down).at(4)!, ...(await drain(self))];
    });
    assertTerm(got, [atom("killed")]);
  });

  test("alias 'explicitUnalias': outlives the monitor until unalias", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const target = self.spawn(async (s) => s.receive());
      const ref = self.monitor(target, { alias: "explicitUnalias" });
      self.demonitor(ref);
      self.send(ref, atom("kept"));
      const kept = await self.receive(undefined, { timeout: 0 });
      const wasActive = self.unalias(ref);
      self.send(ref, atom("dropped"));
      return [kept!, wasActive, ...(await drain(self))];
    });
    assertTerm(got, [atom("kept"), true]);
  });
});
