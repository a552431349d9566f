// Supervisor, after OTP's supervisor_SUITE: start order and failed starts, the three strategies, restart types,
// restart intensity, shutdown order and kinds, the child API, nested supervisors, auto_shutdown, and Otter's
// opt-in restart backoff. Time runs on the manual clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  type ChildSpec,
  GenServer,
  type GenServerCallbacks,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  type Runtime,
  SHUTDOWN,
  Supervisor,
  type SupervisorFlags,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, reasonOf, runtime, waitFor } from "../support/runtime.ts";

/** What the workers of one test did, in order: "start a", "stop a", … */
type Journal = string[];

/** A worker that journals its start and (trapping exits) its terminate; `crash` makes it exit with a reason. */
function worker(
  journal: Journal,
  name: string,
  options: { trap?: boolean; hang?: boolean } = {},
): GenServerCallbacks<null, undefined> {
  return {
    init(self) {
      if (options.trap === true || options.hang === true) self.setTrapExit(true);
      journal.push(`start ${name}`);
      return { state: null };
    },
    handleCall: (_self, request) => {
      if (request === atom("crash")) throw new ProcessExit(atom("crashed"));
      if (request === atom("quit")) return { stop: NORMAL, reply: atom("ok"), state: null };
      return { reply: atom("ok"), state: null };
    },
    terminate() {
      journal.push(`stop ${name}`);
      if (options.hang === true) return new Promise<void>(() => {}); // never finishes: shutdown must kill it
    },
  };
}

function spec(
  journal: Journal,
  id: string,
  extra: Partial<ChildSpec> & { trap?: boolean; hang?: boolean } = {},
): ChildSpec {
  const { trap, hang, ...rest } = extra;
  return {
    id,
    start: (self: Process) => GenServer.startLink(self, worker(journal, id, { trap: trap ?? true, hang }), undefined),
    ...rest,
  };
}

/** Starts a supervisor linked to a process that lives as long as the test; returns its pid and a call helper. */
async function supervise(rt: Runtime, flags: SupervisorFlags, children: ChildSpec[]) {
  const started = await rt.run((self) => Supervisor.start(self, { init: () => ({ flags, children }) }, undefined));
  assert.ok("pid" in started, `the supervisor started: ${JSON.stringify(started)}`);
  return started.pid;
}

/** The pid of child `id`. */
async function pidOf(rt: Runtime, sup: Pid, id: string): Promise<Pid> {
  const children = await rt.run((self) => Supervisor.whichChildren(self, sup));
  const child = children.find((c) => c.id === id);
  assert.ok(child !== undefined && typeof child.pid === "object", `child ${id} runs`);
  return child.pid as Pid;
}

/** Kills child `id` (an abnormal exit), and waits until the supervisor has dealt with it. */
async function crash(rt: Runtime, sup: Pid, id: string): Promise<void> {
  const pid = await pidOf(rt, sup, id);
  rt.exit(pid, atom("kill"));
  await waitFor(() => !rt.isAlive(pid), `child ${id} to exit`);
  await rt.idle();
}

describe("starting", () => {
  test("children start in order; whichChildren and countChildren describe them", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, {}, [
      spec(journal, "a"),
      spec(journal, "b", { type: "worker" }),
      spec(journal, "c"),
    ]);
    assert.deepEqual(journal, ["start a", "start b", "start c"]);
    const children = await rt.run((self) => Supervisor.whichChildren(self, sup));
    assert.deepEqual(
      children.map((c) => c.id),
      ["a", "b", "c"],
    );
    assert.ok(children.every((c) => typeof c.pid === "object" && rt.isAlive(c.pid)));
    assert.deepEqual(await rt.run((self) => Supervisor.countChildren(self, sup)), {
      specs: 3,
      active: 3,
      supervisors: 0,
      workers: 3,
    });
  });

  test("a child that fails to start stops the ones before it (last first) and the supervisor's start fails", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const failing: ChildSpec = { id: "bad", start: () => ({ error: atom("nope") }) };
    const started = await rt.run((self) =>
      Supervisor.start(
        self,
        { init: () => ({ children: [spec(journal, "a"), spec(journal, "b"), failing] }) },
        undefined,
      ),
    );
    assert.ok("error" in started);
    assertTerm(started.error, tuple(SHUTDOWN, tuple(atom("failed_to_start_child"), "bad", atom("nope"))));
    assert.deepEqual(journal, ["start a", "start b", "stop b", "stop a"]);
  });

  test("an invalid or duplicate child spec fails the start with OTP's reasons", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const bad = await rt.run((self) =>
      Supervisor.start(
        self,
        { init: () => ({ children: [{ ...spec(journal, "a"), restart: "sometimes" as "permanent" }] }) },
        undefined,
      ),
    );
    assert.ok("error" in bad);
    assertTerm(bad.error, tuple(atom("start_spec"), atom("invalid_restart_type")));
    const duplicate = await rt.run((self) =>
      Supervisor.start(self, { init: () => ({ children: [spec(journal, "a"), spec(journal, "a")] }) }, undefined),
    );
    assert.ok("error" in duplicate);
    assertTerm(duplicate.error, tuple(atom("start_spec"), tuple(atom("duplicate_child_name"), "a")));
  });
});

describe("strategies", () => {
  test("one_for_one restarts only the child that exited", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { strategy: "one_for_one" }, [
      spec(journal, "a"),
      spec(journal, "b"),
      spec(journal, "c"),
    ]);
    const before = await Promise.all(["a", "b", "c"].map((id) => pidOf(rt, sup, id)));
    journal.length = 0;
    await crash(rt, sup, "b");
    assert.deepEqual(journal, ["start b"]);
    const after = await Promise.all(["a", "b", "c"].map((id) => pidOf(rt, sup, id)));
    assert.equal(after[0], before[0]);
    assert.notEqual(after[1], before[1]);
    assert.equal(after[2], before[2]);
  });

  test("one_for_all stops the others (last first) and starts them all again in order", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { strategy: "one_for_all" }, [
      spec(journal, "a"),
      spec(journal, "b"),
      spec(journal, "c"),
    ]);
    journal.length = 0;
    await crash(rt, sup, "a");
    assert.deepEqual(journal, ["stop c", "stop b", "start a", "start b", "start c"]);
  });

  test("rest_for_one restarts the child and those started after it", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { strategy: "rest_for_one" }, [
      spec(journal, "a"),
      spec(journal, "b"),
      spec(journal, "c"),
    ]);
    journal.length = 0;
    await crash(rt, sup, "b");
    assert.deepEqual(journal, ["stop c", "start b", "start c"]);
  });
});

describe("restart types and intensity", () => {
  test("a normal exit: permanent restarts, transient stays down, temporary is forgotten", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { intensity: 10 }, [
      spec(journal, "p", { restart: "permanent" }),
      spec(journal, "t", { restart: "transient" }),
      spec(journal, "x", { restart: "temporary" }),
    ]);
    journal.length = 0;
    for (const id of ["p", "t", "x"]) {
      const pid = await pidOf(rt, sup, id);
      await rt.run((self) => GenServer.call(self, pid, atom("quit")));
      await waitFor(() => !rt.isAlive(pid), `${id} to exit`);
    }
    await rt.idle();
    assert.deepEqual(journal, ["stop p", "start p", "stop t", "stop x"]);
    const children = await rt.run((self) => Supervisor.whichChildren(self, sup));
    assert.deepEqual(
      children.map((c) => [c.id, c.pid === undefined ? "down" : "up"]),
      [
        ["p", "up"],
        ["t", "down"],
      ],
    );
  });

  test("more restarts than the intensity within the period: the supervisor stops its children and exits shutdown", async (t) => {
    const { rt, clock, logs } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { intensity: 2, period: 5 }, [spec(journal, "a"), spec(journal, "b")]);
    const watch = rt.run(async (self) => reasonOf(await self.receive(downFor(self.monitor(sup)))));
    await crash(rt, sup, "a");
    clock.advance(4000);
    await crash(rt, sup, "a");
    clock.advance(2000); // the first restart is out of the window now: still two in five seconds
    await crash(rt, sup, "a");
    assert.ok(rt.isAlive(sup));
    journal.length = 0;
    await crash(rt, sup, "a");
    assertTerm(await watch, SHUTDOWN);
    assert.deepEqual(journal, ["stop b"]);
    const shutdown = logs.find((e) => e.meta.what === "supervisor_report" && /errorContext: shutdown\b/.test(e.text));
    assert.match(shutdown?.text ?? "", /reason: reached_max_restart_intensity/);
  });
});

describe("shutdown", () => {
  test("stopping the supervisor stops its children last first; a child that hangs is killed after its timeout", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, {}, [
      spec(journal, "a"),
      spec(journal, "slow", { shutdown: 1000, hang: true }),
      spec(journal, "c", { shutdown: "brutal_kill" }),
    ]);
    const slow = await pidOf(rt, sup, "slow");
    journal.length = 0;
    const stopped = rt.run((self) => GenServer.stop(self, sup, { reason: SHUTDOWN }));
    await waitFor(() => journal.includes("stop slow"), "the slow child's terminate");
    assert.deepEqual(journal, ["stop slow"], "c was killed (no terminate), slow is still stopping");
    clock.advance(1000);
    await stopped;
    assert.equal(rt.isAlive(slow), false);
    assert.deepEqual(journal, ["stop slow", "stop a"]);
  });

  test("nested supervisors: the inner one's children stop before the outer's earlier children", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const inner: ChildSpec = {
      id: "inner",
      type: "supervisor",
      start: (self) =>
        Supervisor.startLink(
          self,
          { init: () => ({ children: [spec(journal, "i1"), spec(journal, "i2")] }) },
          undefined,
        ),
    };
    const sup = await supervise(rt, {}, [spec(journal, "a"), inner]);
    assert.deepEqual(journal, ["start a", "start i1", "start i2"]);
    assert.deepEqual(await rt.run((self) => Supervisor.countChildren(self, sup)), {
      specs: 2,
      active: 2,
      supervisors: 1,
      workers: 1,
    });
    journal.length = 0;
    await rt.run((self) => GenServer.stop(self, sup));
    assert.deepEqual(journal, ["stop i2", "stop i1", "stop a"]);
  });
});

describe("the child API", () => {
  test("startChild, terminateChild, restartChild, deleteChild and their errors", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, {}, []);
    await rt.run(async (self) => {
      const added = await Supervisor.startChild(self, sup, spec(journal, "a"));
      assert.ok("pid" in added && added.pid !== undefined);
      const again = await Supervisor.startChild(self, sup, spec(journal, "a"));
      assert.ok("error" in again);
      assertTerm(again.error, tuple(atom("already_started"), added.pid));
      assert.deepEqual(await Supervisor.deleteChild(self, sup, "a"), { error: atom("running") });
      assert.deepEqual(await Supervisor.terminateChild(self, sup, "a"), { ok: true });
      assert.equal(rt.isAlive(added.pid), false);
      const present = await Supervisor.startChild(self, sup, spec(journal, "a"));
      assert.ok("error" in present);
      assertTerm(present.error, atom("already_present"));
      const restarted = await Supervisor.restartChild(self, sup, "a");
      assert.ok("pid" in restarted && restarted.pid !== undefined && rt.isAlive(restarted.pid));
      assert.deepEqual(await Supervisor.terminateChild(self, sup, "a"), { ok: true });
      assert.deepEqual(await Supervisor.deleteChild(self, sup, "a"), { ok: true });
      assert.deepEqual(await Supervisor.terminateChild(self, sup, "a"), { error: atom("not_found") });
      assert.deepEqual(await Supervisor.whichChildren(self, sup), []);
    });
    assert.deepEqual(journal, ["start a", "stop a", "start a", "stop a"]);
  });
});

describe("auto_shutdown and backoff", () => {
  test("any_significant: a significant child's exit stops the supervisor", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { autoShutdown: "any_significant" }, [
      spec(journal, "a"),
      spec(journal, "s", { restart: "transient", significant: true }),
    ]);
    const watch = rt.run(async (self) => reasonOf(await self.receive(downFor(self.monitor(sup)))));
    const s = await pidOf(rt, sup, "s");
    await rt.run((self) => GenServer.call(self, s, atom("quit")));
    assertTerm(await watch, SHUTDOWN);
  });

  test("a significant child must not be permanent", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const started = await rt.run((self) =>
      Supervisor.start(self, { init: () => ({ children: [spec(journal, "s", { significant: true })] }) }, undefined),
    );
    assert.ok("error" in started);
    assertTerm(started.error, tuple(atom("start_spec"), atom("invalid_significant")));
  });

  test("with backoff, a restart waits, longer each time in a row", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { intensity: 100, backoff: { initial: 100, max: 1000, jitter: 0 } }, [
      spec(journal, "a"),
    ]);
    journal.length = 0;
    await crash(rt, sup, "a");
    assert.deepEqual(journal, []);
    assert.equal((await rt.run((self) => Supervisor.whichChildren(self, sup)))[0]!.pid, "restarting");
    clock.advance(99);
    await rt.idle();
    assert.deepEqual(journal, []);
    clock.advance(1);
    await rt.idle();
    assert.deepEqual(journal, ["start a"]);
    await crash(rt, sup, "a");
    clock.advance(199);
    await rt.idle();
    assert.deepEqual(journal, ["start a"]);
    clock.advance(1);
    await rt.idle();
    assert.deepEqual(journal, ["start a", "start a"]);
    // A child that ran `reset` ms counts as healthy: its next restart waits `initial` again, not 400.
    clock.advance(1000);
    await crash(rt, sup, "a");
    clock.advance(100);
    await rt.idle();
    assert.deepEqual(journal, ["start a", "start a", "start a"]);
  });

  test("a restart that fails is retried at once through the mailbox, counting against the intensity", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    let failuresLeft = 0;
    const flaky: ChildSpec = {
      id: "flaky",
      start: (self: Process) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          journal.push("refuse");
          return { error: atom("not_now") };
        }
        return GenServer.startLink(self, worker(journal, "flaky"), undefined);
      },
    };
    const sup = await supervise(rt, { intensity: 3 }, [flaky]);
    failuresLeft = 2;
    await crash(rt, sup, "flaky");
    await waitFor(() => journal.length === 4, "the restart after two refusals");
    assert.deepEqual(journal, ["start flaky", "refuse", "refuse", "start flaky"]);
    assert.ok(rt.isAlive(sup));
  });
});
