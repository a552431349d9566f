// Agent, after Elixir's agent_test.exs: the start/get/update/getAndUpdate/stop workflow (linked, by name, from
// outside, under a supervisor), cast ordering, async functions, what a failing function or call does to the agent
// and to the caller, sys.changeCode with a function, and the local-only rule for agent functions.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Agent,
  type AgentRef,
  atom,
  ErrorCodes,
  type Pid,
  ProcessExit,
  Supervisor,
  sys,
  type Term,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, elements, exitOf, reasonOf, remotePid, runtime } from "../support/runtime.ts";

const ELIXIR_AGENT = atom("Elixir.Agent");

function pidOf<S>(started: { pid: AgentRef<S> } | { error: Term }): AgentRef<S> {
  assert.ok("pid" in started, "the agent started");
  return started.pid;
}

describe("workflow", () => {
  test("startLink, update, get, getAndUpdate, stop: any JS value is the state", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const agent = pidOf(await Agent.startLink(self, () => new Map<string, string>()));
      assert.ok(rt.processInfo(self.pid)!.links.includes(agent), "linked");
      await Agent.update(self, agent, (m) => new Map(m).set("hello", "world"));
      assert.equal(await Agent.get(self, agent, (m) => m.get("hello"), { timeout: 3000 }), "world");
      const popped = await Agent.getAndUpdate(self, agent, (m) => {
        const next = new Map(m);
        next.delete("hello");
        return { reply: m.get("hello"), state: next };
      });
      assert.equal(popped, "world");
      assert.equal(await Agent.get(self, agent, (m) => m.size), 0);
      const ref = self.monitor(agent);
      await Agent.stop(self, agent);
      assert.equal(rt.isAlive(agent), false);
      assertTerm(reasonOf(await self.receive(downFor(ref))), atom("normal"));
    });
  });

  test("start under a name, from outside: reached by name; the name is free after stop", async (t) => {
    const { rt } = runtime(t);
    const name = atom("agent");
    const agent = pidOf(await Agent.start(rt, () => ({ count: 0 }), { name }));
    assert.equal(rt.whereis(name), agent);
    Agent.cast(rt, name, (s: { count: number }) => ({ count: s.count + 1 }));
    await rt.run(async (self) => {
      Agent.cast(self, name, (s: { count: number }) => ({ count: s.count + 10 }));
      assert.equal(await Agent.get(self, name, (s: { count: number }) => s.count), 11, "casts came first, in order");
      await Agent.stop(self, name);
    });
    assert.equal(rt.whereis(name), undefined);
  });

  test("the functions may be async; the agent takes no other request until one settles", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const agent = pidOf(await Agent.start(self, async () => [1]));
      Agent.cast(self, agent, async (list) => {
        await Promise.resolve();
        return [...list, 2];
      });
      assert.equal(await Agent.get(self, agent, (list) => list.join(",")), "1,2");
    });
  });

  test("start errors: what the init function threw, or {already_started, Pid} for a taken name", async (t) => {
    const { rt } = runtime(t);
    const failed = await Agent.start(rt, () => {
      throw new ProcessExit(atom("no_state"));
    });
    assert.ok("error" in failed);
    assertTerm(failed.error, atom("no_state"));
    const first = pidOf(await Agent.start(rt, () => 1, { name: atom("taken") }));
    const second = await Agent.start(rt, () => 2, { name: atom("taken") });
    assert.ok("error" in second);
    assertTerm(second.error, tuple(atom("already_started"), first));
  });

  test("an agent can be a supervisor's child, restarted with its initial state", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await Supervisor.startLink(
        self,
        {
          init: () => ({
            children: [{ id: atom("counter"), start: (s) => Agent.startLink(s, () => 0, { name: atom("counter") }) }],
          }),
        },
        undefined,
      );
      assert.ok("pid" in sup);
      await Agent.update(self, atom("counter"), (n: number) => n + 5);
      assert.equal(await Agent.get(self, atom("counter"), (n: number) => n), 5);
      const first = rt.whereis(atom("counter"))!;
      const ref = self.monitor(first);
      self.exit(first, atom("kill"));
      await self.receive(downFor(ref));
      assert.equal(await Agent.get(self, atom("counter"), (n: number) => n), 0, "restarted from its init");
      self.unlink(sup.pid);
    });
  });
});

describe("failures", () => {
  test("a function that throws crashes the agent; the caller exits with {Reason, {'Elixir.Agent', get, …}}", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const agent = pidOf(await Agent.start(self, () => 0));
      const [reason, where] = elements(
        await exitOf(
          Agent.get(self, agent, () => {
            throw new Error("bad state");
          }),
        ),
      );
      assertTerm(elements(reason)[0], tuple(atom("Error"), "bad state"));
      assertTerm(where!, tuple(ELIXIR_AGENT, atom("get"), [agent, 5000]));
      assert.equal(rt.isAlive(agent), false);
    });
  });

  test("getAndUpdate that does not return { reply, state } stops the agent with bad_return_value", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const agent = pidOf(await Agent.start(self, () => 0));
      const reason = await exitOf(Agent.getAndUpdate(self, agent, (n) => n as never));
      assertTerm(
        reason,
        tuple(tuple(atom("bad_return_value"), 0), tuple(ELIXIR_AGENT, atom("get_and_update"), [agent, 5000])),
      );
      assert.equal(rt.isAlive(agent), false);
    });
  });

  test("a call without an answer in time exits with timeout; the agent lives on", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      const agent = pidOf(await Agent.start(self, () => 0));
      let release!: () => void;
      Agent.cast(self, agent, (n) => new Promise<number>((resolve) => (release = () => resolve(n + 1))));
      const late = exitOf(Agent.get(self, agent, (n) => n, { timeout: 100 }));
      clock.advance(100);
      assertTerm(await late, tuple(atom("timeout"), tuple(ELIXIR_AGENT, atom("get"), [agent, 100])));
      release();
      assert.equal(await Agent.get(self, agent, (n) => n), 1);
    });
  });

  test("an agent that is not there: noproc, with the name in the reason; a cast is dropped", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const nobody = atom("nobody");
      assertTerm(
        await exitOf(Agent.update(self, nobody, (n: number) => n)),
        tuple(atom("noproc"), tuple(ELIXIR_AGENT, atom("update"), [nobody, 5000])),
      );
      Agent.cast(self, nobody, (n: number) => n);
    });
  });

  test("an agent on another node, or a value that is no function, is refused with PROC_BAD_ARG", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const remote = remotePid() as AgentRef<number>;
      const badArg = { code: ErrorCodes.PROC_BAD_ARG };
      await assert.rejects(
        Agent.get(self, remote, (n) => n),
        badArg,
      );
      assert.throws(() => Agent.cast(self, { name: atom("a"), node: remote.node }, (n: number) => n), badArg);
      const agent = pidOf(await Agent.start(self, () => 0));
      await assert.rejects(Agent.update(self, agent, 1 as never), badArg);
      await assert.rejects(Agent.start(self, "init" as never), badArg);
      assert.equal(await Agent.get(self, agent, (n) => n), 0, "nothing reached the agent");
    });
  });
});

describe("sys", () => {
  test("changeCode runs the function given as extra on the state; a failing one leaves the state", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const agent: Pid = pidOf(await Agent.start(self, () => ({ hello: "" })));
      await sys.suspend(self, agent);
      const put = (s: object) => ({ ...s, hello: "world" });
      assertTerm(await sys.changeCode(self, agent, atom("m"), "vsn", put as unknown as Term), atom("ok"));
      const failed = await sys.changeCode(self, agent, atom("m"), "vsn", atom("not_a_function"));
      assertTerm(elements(failed)[0], atom("error"));
      await sys.resume(self, agent);
      assert.deepEqual(await Agent.get(self, agent, (s) => s), { hello: "world" });
    });
  });
});
