// Task, after the cases of Elixir's task_test.exs: async and await (timeouts, crashes, nodedown), awaitMany, yield
// and yieldMany (order, limit, onTimeout), ignore, shutdown (every way the DOWN can read), start and startLink, and
// the owner rule. Timeouts run on the manual clock; fake tasks stand in where Elixir's tests build %Task{} by hand.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  DOWN,
  ErrorCodes,
  KILLED,
  map,
  NORMAL,
  type Pid,
  type Process,
  ProcessError,
  ProcessExit,
  Ref,
  SHUTDOWN,
  Supervisor,
  Task,
  TaskSupervisor,
  type TaskSupervisorOptions,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { replyingTask } from "../../src/otp/task/process.ts";
import {
  assertTerm,
  downFor,
  elements,
  exitOf,
  reasonOf,
  runtime,
  spawnWatched,
  waitFor,
  within,
} from "../support/runtime.ts";

const GO = atom("go");
const DONE = atom("done");
const TIMEOUT = atom("timeout");
const PROCESS = atom("process");
const NOCONNECTION = atom("noconnection");
const ELIXIR_TASK = atom("Elixir.Task");

/** Elixir's `%Task{}` as it appears in exit reasons. */
function struct(task: Task): Term {
  return map([
    [atom("__struct__"), ELIXIR_TASK],
    [atom("mfa"), tuple(atom("erlang"), atom("apply"), 2)],
    [atom("owner"), task.owner],
    [atom("pid"), task.pid],
    [atom("ref"), task.ref],
  ]);
}

/** A task that waits for `go`, then returns `done`. */
function waiting(self: Process): Task {
  return Task.async(self, async (t) => {
    await t.receive((m) => m === GO);
    return DONE;
  });
}

/** A task made by hand, as Elixir's tests build `%Task{}`: `pid` is any pid, nobody runs it. */
function fakeTask(self: Process): Task {
  return { pid: self.pid, ref: self.makeRef(), owner: self.pid };
}

/** Elixir's create_dummy_task: a task whose process already exited with `reason` and whose monitor is gone. */
async function deadTask(self: Process, reason: Term): Promise<Task> {
  const { pid, ref } = self.spawnMonitor(async () => {
    throw new ProcessExit(reason);
  });
  await self.receive(downFor(ref));
  return { pid, ref, owner: self.pid };
}

/** Waits until `pid` has exited. */
async function waitUntilDown(self: Process, pid: Term): Promise<void> {
  const ref = self.monitor(pid as Task["pid"]);
  await self.receive(downFor(ref));
}

/** Whether a message about `ref` (a reply `{Ref, _}` or a DOWN) is queued. */
async function anyMessageFor(self: Process, ref: Ref): Promise<boolean> {
  const found = await self.receive((m) => m instanceof Tuple && m.elements.some((e) => e instanceof Ref && e === ref), {
    timeout: 0,
  });
  return found !== undefined;
}

describe("async and await", () => {
  test("the task is linked and monitored; it replies {Ref, Result}, then DOWN normal", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = waiting(self);
      assert.equal(task.owner, self.pid);
      assert.ok(rt.processInfo(self.pid)!.links.includes(task.pid), "linked");
      self.send(task.pid, GO);
      assertTerm(await self.receive((m) => m instanceof Tuple && m.at(0) === task.ref), tuple(task.ref, DONE));
      assertTerm(await self.receive(downFor(task.ref)), tuple(DOWN, task.ref, PROCESS, task.pid, NORMAL));
    });
  });

  test("await returns the result; a task function may be sync or async", async (t) => {
    const { rt } = runtime(t);
    const results = await rt.run(async (self) => {
      const sync = Task.async(self, () => 1 + 1);
      const later = Task.async(self, async (task) => {
        await task.yield();
        return "later";
      });
      return [await Task.await(self, sync), await Task.await(self, later)];
    });
    assert.deepEqual(results, [2, "later"]);
  });

  test("a task keeps $callers: its owner, then the owner's callers", async (t) => {
    const { rt } = runtime(t);
    const callers = await rt.run(async (grandparent) => {
      const outer = Task.async(grandparent, async (parent) => {
        const inner = Task.async(parent, (child) => child.get(atom("$callers"))!);
        return [parent.get(atom("$callers"))!, await Task.await(parent, inner), parent.pid];
      });
      return [grandparent.pid, await Task.await(grandparent, outer)] as const;
    });
    const [grandparent, [outerCallers, innerCallers, parent]] = callers as unknown as [Term, Term[]];
    assertTerm(outerCallers, [grandparent]);
    assertTerm(innerCallers, [parent!, grandparent]);
  });

  test("await past its timeout exits with {timeout, {'Elixir.Task', await, [Task, Timeout]}}", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      const task = waiting(self);
      let settled = false;
      const awaited = exitOf(Task.await(self, task, { timeout: 100 })).finally(() => {
        settled = true;
      });
      clock.advance(99);
      await rt.idle();
      assert.equal(settled, false, "still waiting after 99 ms");
      clock.advance(1);
      assertTerm(
        await within(awaited, 2000, "the await to time out"),
        tuple(TIMEOUT, tuple(ELIXIR_TASK, atom("await"), [struct(task), 100])),
      );
      self.unlink(task.pid);
      self.exit(task.pid, atom("kill"));
    });
  });

  test("after an await timeout the monitor and alias are gone: a late reply is dropped", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = waiting(self);
      assertTerm(
        await exitOf(Task.await(self, task, { timeout: 0 })),
        tuple(TIMEOUT, tuple(ELIXIR_TASK, atom("await"), [struct(task), 0])),
      );
      self.send(task.pid, GO);
      await waitUntilDown(self, task.pid);
      assert.equal(await anyMessageFor(self, task.ref), false, "neither {Ref, done} nor DOWN arrived");
    });
  });

  test("a crashing task takes its owner down through the link", async (t) => {
    const { rt } = runtime(t);
    const owner = await spawnWatched(rt, async (self) => {
      const task = Task.async(self, () => {
        throw new ProcessExit(atom("boom"));
      });
      await Task.await(self, task);
    });
    assertTerm(await owner.exit, atom("boom"));
  });

  test("an owner that traps exits: await exits with {Reason, {'Elixir.Task', await, [Task, 5000]}}", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      self.setTrapExit(true);
      const exited = Task.async(self, () => {
        throw new ProcessExit(atom("unknown"));
      });
      assertTerm(
        await exitOf(Task.await(self, exited)),
        tuple(atom("unknown"), tuple(ELIXIR_TASK, atom("await"), [struct(exited), 5000])),
      );
      const raised = Task.async(self, () => {
        throw new Error("oops");
      });
      const [reason, where] = elements(await exitOf(Task.await(self, raised)));
      assertTerm(elements(reason)[0], tuple(atom("Error"), "oops"));
      assertTerm(where!, tuple(ELIXIR_TASK, atom("await"), [struct(raised), 5000]));
    });
  });

  test("a task that exits normally before replying: await exits with normal", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = Task.async(self, () => {
        throw new ProcessExit(NORMAL);
      });
      assertTerm(
        await exitOf(Task.await(self, task)),
        tuple(NORMAL, tuple(ELIXIR_TASK, atom("await"), [struct(task), 5000])),
      );
    });
  });

  test("a DOWN with noconnection exits with {nodedown, Node}, from a pid or a {Name, Node}", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const byPid = fakeTask(self);
      self.send(self.pid, tuple(DOWN, byPid.ref, PROCESS, self.pid, NOCONNECTION));
      assertTerm(elements(await exitOf(Task.await(self, byPid)))[0], tuple(atom("nodedown"), rt.node));
      const byName = fakeTask(self);
      self.send(self.pid, tuple(DOWN, byName.ref, PROCESS, tuple(atom("name"), atom("node")), NOCONNECTION));
      assertTerm(elements(await exitOf(Task.await(self, byName)))[0], tuple(atom("nodedown"), atom("node")));
    });
  });
});

describe("the owner rule", () => {
  test("only the owner may await, yield, ignore or shut a task down; others get TASK_NOT_OWNER", async (t) => {
    const { rt } = runtime(t);
    let foreign: Task | undefined;
    rt.spawn(async (other) => {
      foreign = waiting(other);
      await other.receive((m) => m === DONE);
    });
    await waitFor(() => foreign !== undefined, "a task owned by another process");
    await rt.run(async (self) => {
      const task = foreign!;
      const notOwner = (error: unknown) =>
        error instanceof ProcessError &&
        error.code === ErrorCodes.TASK_NOT_OWNER &&
        error.message.includes("must be queried from the owner");
      await assert.rejects(Task.await(self, task), notOwner);
      await assert.rejects(Task.yield(self, task), notOwner);
      await assert.rejects(Task.ignore(self, task), notOwner);
      await assert.rejects(Task.shutdown(self, task), notOwner);
      await assert.rejects(Task.awaitMany(self, [task]), notOwner);
      await assert.rejects(Task.yieldMany(self, [task]), notOwner);
      assert.ok(rt.isAlive(task.pid), "the task was not touched");
    });
  });

  test("bad arguments are PROC_BAD_ARG", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const badArg = { code: ErrorCodes.PROC_BAD_ARG };
      assert.throws(() => Task.async(self, 42 as never), badArg);
      assert.throws(() => Task.start(rt, undefined as never), badArg);
      const task = fakeTask(self);
      await assert.rejects(Task.await(self, task, { timeout: -1 }), badArg);
      await assert.rejects(Task.shutdown(self, task, { shutdown: "soon" as never }), badArg);
      await assert.rejects(Task.yieldMany(self, [task], { limit: 0 }), badArg);
    });
  });
});

describe("awaitMany", () => {
  test("returns the replies in the order of the tasks, whatever order they came in", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const real = [1, 3, 9].map((n) => Task.async(self, () => n));
      assert.deepEqual(await Task.awaitMany(self, real), [1, 3, 9]);
      const fake = [fakeTask(self), fakeTask(self), fakeTask(self)];
      self.send(self.pid, tuple(fake[1]!.ref, 3));
      self.send(self.pid, tuple(fake[2]!.ref, 9));
      self.send(self.pid, tuple(fake[0]!.ref, 1));
      assert.deepEqual(await Task.awaitMany(self, fake), [1, 3, 9]);
      assert.deepEqual(await Task.awaitMany(self, []), []);
    });
  });

  test("leaves other messages (other refs, extra replies) in the queue", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const other = self.makeRef();
      const tasks = [atom("a"), atom("b")].map((v) => Task.async(self, () => v));
      self.send(self.pid, tuple(other, atom("z")));
      self.send(self.pid, tuple(DOWN, other, PROCESS, self.pid, atom("goodbye")));
      assert.deepEqual(await Task.awaitMany(self, tasks), [atom("a"), atom("b")]);
      assertTerm(await self.receive(undefined, { timeout: 0 }), tuple(other, atom("z")));
      assertTerm(reasonOf(await self.receive(undefined, { timeout: 0 })), atom("goodbye"));
    });
  });

  test("the timeout covers all tasks: {timeout, {'Elixir.Task', await_many, [Tasks, Timeout]}}", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      const quick = Task.async(self, async (task) => {
        await task.receive((m) => m === GO);
        return 1;
      });
      const slow = waiting(self);
      const awaited = exitOf(Task.awaitMany(self, [quick, slow], { timeout: 100 }));
      clock.advance(60);
      self.send(quick.pid, GO);
      await rt.idle();
      clock.advance(40);
      assertTerm(
        await within(awaited, 2000, "the awaitMany to time out"),
        tuple(TIMEOUT, tuple(ELIXIR_TASK, atom("await_many"), [[struct(quick), struct(slow)], 100])),
      );
      self.unlink(slow.pid);
      self.exit(slow.pid, atom("kill"));
      await waitUntilDown(self, slow.pid);
      assert.equal(await anyMessageFor(self, slow.ref), false, "the pending task was demonitored");
    });
  });

  test("exits at the first task that exits, and demonitors the rest", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      self.setTrapExit(true);
      const sleeping = waiting(self);
      const crashing = Task.async(self, () => {
        throw new ProcessExit(atom("unknown"));
      });
      assertTerm(
        await exitOf(Task.awaitMany(self, [sleeping, crashing])),
        tuple(atom("unknown"), tuple(ELIXIR_TASK, atom("await_many"), [[struct(sleeping), struct(crashing)], 5000])),
      );
      self.exit(sleeping.pid, atom("kill"));
      await waitUntilDown(self, sleeping.pid);
      assert.equal(await anyMessageFor(self, sleeping.ref), false, "no DOWN for the demonitored task");
    });
  });
});

describe("yield", () => {
  test("undefined (nil) while the task runs, then { ok: result }", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      const task = waiting(self);
      const first = Task.yield(self, task, { timeout: 100 });
      clock.advance(100);
      assert.equal(await first, undefined);
      assert.equal(await Task.yield(self, task, { timeout: 0 }), undefined);
      self.send(task.pid, GO);
      assert.deepEqual(await Task.yield(self, task), { ok: DONE });
      assert.equal(await anyMessageFor(self, task.ref), false, "the DOWN was flushed");
    });
  });

  test("a reply and a DOWN both queued: the reply wins and the DOWN is flushed", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = fakeTask(self);
      self.send(self.pid, tuple(task.ref, atom("result")));
      self.send(self.pid, tuple(DOWN, task.ref, PROCESS, self.pid, atom("abnormal")));
      assert.deepEqual(await Task.yield(self, task, { timeout: 0 }), { ok: atom("result") });
      assert.equal(await anyMessageFor(self, task.ref), false);
    });
  });

  test("a task that exited: { exit: reason }; noconnection exits the caller", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = Task.async(self, () => {
        throw new ProcessExit(NORMAL);
      });
      assert.deepEqual(await Task.yield(self, task), { exit: NORMAL });
      const lost = fakeTask(self);
      self.send(self.pid, tuple(DOWN, lost.ref, PROCESS, self.pid, NOCONNECTION));
      assertTerm(
        await exitOf(Task.yield(self, lost)),
        tuple(tuple(atom("nodedown"), rt.node), tuple(ELIXIR_TASK, atom("yield"), [struct(lost), 5000])),
      );
    });
  });
});

describe("yieldMany", () => {
  test("no tasks: an empty list, at once", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      assert.deepEqual(await Task.yieldMany(self, []), []);
      assert.deepEqual(await Task.yieldMany(self, [], { timeout: "infinity", onTimeout: "kill_task" }), []);
    });
  });

  test("one result per task, in the tasks' order: ok, nil, exit", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const [one, two, three] = [fakeTask(self), fakeTask(self), fakeTask(self)];
      self.send(self.pid, tuple(one!.ref, atom("result")));
      self.send(self.pid, tuple(DOWN, three!.ref, PROCESS, self.pid, NORMAL));
      assert.deepEqual(await Task.yieldMany(self, [one!, two!, three!], { timeout: 0 }), [
        { task: one, result: { ok: atom("result") } },
        { task: two, result: undefined },
        { task: three, result: { exit: NORMAL } },
      ]);
    });
  });

  test("with a limit it returns once that many answered; the rest stay for later", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const [one, two, three] = [fakeTask(self), fakeTask(self), fakeTask(self)];
      self.send(self.pid, tuple(one!.ref, atom("result")));
      self.send(self.pid, tuple(DOWN, three!.ref, PROCESS, self.pid, NORMAL));
      const first = await Task.yieldMany(self, [one!, two!, three!], { limit: 1, timeout: "infinity" });
      assert.deepEqual(
        first.map((r) => r.result),
        [{ ok: atom("result") }, undefined, undefined],
      );
      const second = await Task.yieldMany(self, [two!, three!], { limit: 1, timeout: "infinity" });
      assert.deepEqual(
        second.map((r) => r.result),
        [undefined, { exit: NORMAL }],
      );
    });
  });

  test("one timeout for all the tasks, on the clock", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      const quick = waiting(self);
      const slow = waiting(self);
      const yielded = Task.yieldMany(self, [slow, quick], { timeout: 100 });
      clock.advance(50);
      self.send(quick.pid, GO);
      await rt.idle();
      clock.advance(50);
      assert.deepEqual(
        (await within(yielded, 2000, "the yieldMany to time out")).map((r) => r.result),
        [undefined, { ok: DONE }],
      );
      assert.ok(rt.isAlive(slow.pid), "onTimeout nothing: the task runs on");
      self.send(slow.pid, GO);
      assert.equal(await Task.await(self, slow), DONE);
    });
  });

  test("onTimeout kill_task kills the tasks that did not answer; ignore lets them run, unheard", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      self.setTrapExit(true);
      const killed = waiting(self);
      assert.deepEqual(
        (await Task.yieldMany(self, [killed], { timeout: 0, onTimeout: "kill_task" })).map((r) => r.result),
        [undefined],
      );
      assert.equal(rt.isAlive(killed.pid), false);
      const ignored = waiting(self);
      assert.deepEqual(
        (await Task.yieldMany(self, [ignored], { timeout: 0, onTimeout: "ignore" })).map((r) => r.result),
        [undefined],
      );
      assert.ok(rt.isAlive(ignored.pid));
      self.send(ignored.pid, GO);
      await waitUntilDown(self, ignored.pid);
      assert.equal(await Task.yield(self, ignored, { timeout: 0 }), undefined, "its reply was dropped");
    });
  });

  test("a limit reached before the timeout does not trigger onTimeout", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      self.setTrapExit(true);
      const sleeping = waiting(self);
      const quick = Task.async(self, () => DONE);
      const results = await Task.yieldMany(self, [sleeping, quick], {
        timeout: "infinity",
        onTimeout: "kill_task",
        limit: 1,
      });
      assert.deepEqual(
        results.map((r) => r.result),
        [undefined, { ok: DONE }],
      );
      assert.ok(rt.isAlive(sleeping.pid));
    });
  });
});

describe("ignore", () => {
  test("a reply that already came is returned; afterwards await finds nothing", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = Task.async(self, () => atom("ok"));
      await waitUntilDown(self, task.pid);
      assert.deepEqual(await Task.ignore(self, task), { ok: atom("ok") });
      assertTerm(
        await exitOf(Task.await(self, task, { timeout: 0 })),
        tuple(TIMEOUT, tuple(ELIXIR_TASK, atom("await"), [struct(task), 0])),
      );
    });
  });

  test("a late reply and a late failure are dropped; the task is unlinked and runs on", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = waiting(self);
      assert.equal(await Task.ignore(self, task), undefined);
      assert.equal(rt.processInfo(self.pid)!.links.includes(task.pid), false, "unlinked");
      self.send(task.pid, GO);
      await waitUntilDown(self, task.pid);
      assert.equal(await anyMessageFor(self, task.ref), false);
      const failing = Task.async(self, async (t) => {
        await t.receive((m) => m === GO);
        throw new ProcessExit(atom("oops"));
      });
      assert.equal(await Task.ignore(self, failing), undefined);
      self.send(failing.pid, GO);
      await waitUntilDown(self, failing.pid);
      assert.equal(await anyMessageFor(self, failing.ref), false, "the owner lives on and heard nothing");
    });
  });

  test("a failure that already came is { exit: reason }", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      self.setTrapExit(true);
      const task = Task.async(self, () => {
        throw new ProcessExit(atom("oops"));
      });
      await waitUntilDown(self, task.pid);
      assert.deepEqual(await Task.ignore(self, task), { exit: atom("oops") });
    });
  });
});

describe("shutdown", () => {
  test("a running task is shut down: undefined, and nothing is left in the queue", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = waiting(self);
      assert.equal(await Task.shutdown(self, task), undefined);
      assert.equal(rt.isAlive(task.pid), false);
      assert.equal(await anyMessageFor(self, task.ref), false);
      const killed = waiting(self);
      assert.equal(await Task.shutdown(self, killed, { shutdown: "brutal_kill" }), undefined);
      assert.equal(rt.isAlive(killed.pid), false);
    });
  });

  test("a reply that came before the shutdown is returned, whatever the DOWN says", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      for (const shutdown of [5000, "brutal_kill"] as const) {
        for (const reason of [atom("abnormal"), NORMAL, SHUTDOWN]) {
          const task = await deadTask(self, reason);
          self.send(self.pid, tuple(task.ref, atom("result")));
          self.send(self.pid, tuple(DOWN, task.ref, PROCESS, task.pid, reason));
          assert.deepEqual(await Task.shutdown(self, task, { shutdown }), { ok: atom("result") });
          assert.equal(await anyMessageFor(self, task.ref), false, "the DOWN was flushed");
        }
      }
    });
  });

  test("a task that ended on its own: { exit: reason }, unless it ended the way it was asked to", async (t) => {
    const { rt } = runtime(t);
    const cases: [5000 | "brutal_kill", Term, object | undefined][] = [
      [5000, atom("abnormal"), { exit: atom("abnormal") }],
      [5000, NORMAL, { exit: NORMAL }],
      [5000, SHUTDOWN, undefined],
      [5000, KILLED, { exit: KILLED }],
      ["brutal_kill", atom("abnormal"), { exit: atom("abnormal") }],
      ["brutal_kill", NORMAL, { exit: NORMAL }],
      ["brutal_kill", SHUTDOWN, { exit: SHUTDOWN }],
      ["brutal_kill", KILLED, undefined],
    ];
    await rt.run(async (self) => {
      for (const [shutdown, reason, expected] of cases) {
        const task = await deadTask(self, reason);
        self.send(self.pid, tuple(DOWN, task.ref, PROCESS, task.pid, reason));
        assert.deepEqual(
          await Task.shutdown(self, task, { shutdown }),
          expected,
          `${shutdown} after ${String(reason)}`,
        );
      }
      const handled = await deadTask(self, atom("whatever"));
      assert.deepEqual(await Task.shutdown(self, handled), { exit: atom("noproc") }, "its DOWN was taken already");
    });
  });

  test("a task that traps exits is killed when the shutdown timeout passes: { exit: killed }", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      let trapping = false;
      const task = Task.async(self, async (t) => {
        t.setTrapExit(true);
        trapping = true;
        await t.receive((m) => m === GO);
        return DONE;
      });
      await waitFor(() => trapping, "the task to trap exits");
      const shut = Task.shutdown(self, task, { shutdown: 100 });
      await rt.idle();
      assert.ok(rt.isAlive(task.pid), "the shutdown signal became a message");
      clock.advance(100);
      assert.deepEqual(await shut, { exit: KILLED });
      const killed = Task.async(self, async (t) => {
        t.setTrapExit(true);
        return await t.receive((m) => m === GO);
      });
      await rt.idle();
      assert.equal(await Task.shutdown(self, killed, { shutdown: "brutal_kill" }), undefined);
    });
  });

  test("a task that traps exits and finishes on the shutdown signal: its reply is returned", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const task = Task.async(self, async (t) => {
        t.setTrapExit(true);
        const signal = await t.receive((m) => m instanceof Tuple && m.at(0) === atom("EXIT"));
        return reasonOf(signal);
      });
      await rt.idle();
      assert.deepEqual(await Task.shutdown(self, task, { shutdown: 100 }), { ok: SHUTDOWN });
      assert.equal(await anyMessageFor(self, task.ref), false);
    });
  });

  test("a noconnection DOWN exits with {{nodedown, Node}, {'Elixir.Task', shutdown, [Task, How]}}", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      for (const shutdown of [5000, "brutal_kill"] as const) {
        const task = await deadTask(self, NOCONNECTION);
        self.send(self.pid, tuple(DOWN, task.ref, PROCESS, task.pid, NOCONNECTION));
        const how = shutdown === 5000 ? 5000 : atom("brutal_kill");
        assertTerm(
          await exitOf(Task.shutdown(self, task, { shutdown })),
          tuple(tuple(atom("nodedown"), rt.node), tuple(ELIXIR_TASK, atom("shutdown"), [struct(task), how])),
        );
      }
    });
  });
});

describe("start and startLink", () => {
  test("start runs the function in a process linked to nobody; startLink links it to the caller", async (t) => {
    const { rt } = runtime(t);
    const seen: Term[] = [];
    const fromOutside = Task.start(rt, (self) => {
      seen.push(self.get(atom("$callers"))!);
    });
    await rt.run(async (self) => {
      await waitUntilDown(self, fromOutside.pid);
      const started = Task.start(self, async (task) => {
        await task.receive((m) => m === GO);
        seen.push(atom("started"));
      });
      assert.equal(rt.processInfo(self.pid)!.links.includes(started.pid), false);
      const linked = Task.startLink(self, async (task) => {
        await task.receive((m) => m === GO);
        seen.push(task.get(atom("$callers"))!);
      });
      assert.ok(rt.processInfo(self.pid)!.links.includes(linked.pid));
      self.send(started.pid, GO);
      self.send(linked.pid, GO);
      await waitUntilDown(self, started.pid);
      await waitUntilDown(self, linked.pid);
      assert.deepEqual(seen, [[rt.rootPid], atom("started"), [self.pid]]);
    });
  });

  test("a startLink task that crashes takes its caller down; nothing is sent back when it succeeds", async (t) => {
    const { rt } = runtime(t);
    const caller = await spawnWatched(rt, async (self) => {
      const quiet = Task.startLink(self, () => DONE);
      await waitUntilDown(self, quiet.pid);
      assert.equal(await self.receive(undefined, { timeout: 0 }), undefined, "no reply, no DOWN");
      Task.startLink(self, () => {
        throw new ProcessExit(atom("crashed"));
      });
      await self.receive();
    });
    assertTerm(await caller.exit, atom("crashed"));
  });
});

describe("Task.Supervisor", () => {
  /** A task supervisor linked to `self`, and its pid. */
  async function taskSupervisor(self: Process, options?: TaskSupervisorOptions): Promise<Pid> {
    const started = await TaskSupervisor.startLink(self, options);
    assert.ok("pid" in started, "the task supervisor started");
    return started.pid;
  }

  test("async runs the task under the supervisor, linked to the caller, replying as Task.async does", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      const task = await TaskSupervisor.async(self, sup, async (t) => {
        await t.receive((m) => m === GO);
        return DONE;
      });
      assert.deepEqual(await TaskSupervisor.children(self, sup), [task.pid]);
      assert.ok(rt.processInfo(self.pid)!.links.includes(task.pid), "linked to the caller");
      assert.ok(rt.processInfo(sup)!.links.includes(task.pid), "linked to the supervisor");
      self.send(task.pid, GO);
      assertTerm(await self.receive((m) => m instanceof Tuple && m.at(0) === task.ref), tuple(task.ref, DONE));
      assertTerm(await self.receive(downFor(task.ref)), tuple(DOWN, task.ref, PROCESS, task.pid, NORMAL));
      assert.deepEqual(await TaskSupervisor.children(self, sup), [], "a temporary child is forgotten");
      const again = await TaskSupervisor.async(self, sup, () => 42);
      assert.equal(await Task.await(self, again), 42);
    });
  });

  test("a supervised task keeps $callers", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      const task = await TaskSupervisor.async(self, sup, async (parent) => {
        const inner = await TaskSupervisor.async(parent, sup, (child) => child.get(atom("$callers"))!);
        return [parent.get(atom("$callers"))!, await Task.await(parent, inner), parent.pid];
      });
      const [outer, inner, parent] = (await Task.await(self, task)) as Term[];
      assertTerm(outer!, [self.pid]);
      assertTerm(inner!, [parent!, self.pid]);
    });
  });

  test("asyncNolink: a crashing task does not take the caller down; yield gives { exit }", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      const task = await TaskSupervisor.asyncNolink(self, sup, async (t) => {
        await t.receive((m) => m === GO);
        throw new ProcessExit(atom("boom"));
      });
      assert.equal(rt.processInfo(self.pid)!.links.includes(task.pid), false, "not linked to the caller");
      assert.deepEqual(await TaskSupervisor.children(self, sup), [task.pid]);
      self.send(task.pid, GO);
      assert.deepEqual(await Task.yield(self, task), { exit: atom("boom") });
      assert.ok(rt.isAlive(sup), "a temporary task's crash is no restart");
      const awaited = await TaskSupervisor.asyncNolink(self, sup, () => {
        throw new ProcessExit(atom("again"));
      });
      assertTerm(
        await exitOf(Task.await(self, awaited)),
        tuple(atom("again"), tuple(ELIXIR_TASK, atom("await"), [struct(awaited), 5000])),
      );
    });
  });

  test("the owner's exit: an async task dies with it (the link), an asyncNolink task runs on", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      let linked!: Task;
      let unlinked!: Task;
      const owner = await spawnWatched(rt, async (o) => {
        linked = await TaskSupervisor.async(o, sup, (t) => t.receive());
        unlinked = await TaskSupervisor.asyncNolink(o, sup, async (t) => {
          await t.receive((m) => m === GO);
          self.send(self.pid, DONE);
          return DONE;
        });
        throw new ProcessExit(atom("owner_crashed"));
      });
      assertTerm(await owner.exit, atom("owner_crashed"));
      await within(waitUntilDown(self, linked.pid), 2000, "the async task to exit with its owner");
      assert.ok(rt.isAlive(unlinked.pid), "the asyncNolink task outlived its owner");
      self.send(unlinked.pid, GO);
      assertTerm(await self.receive((m) => m === DONE), DONE);
      await waitUntilDown(self, unlinked.pid);
      assert.deepEqual(await TaskSupervisor.children(self, sup), []);
    });
  });

  test("the shutdown option: a brutal_kill task is killed when the supervisor stops", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      self.setTrapExit(true);
      const sup = await taskSupervisor(self);
      const linked = await TaskSupervisor.async(self, sup, (t) => t.receive(), { shutdown: "brutal_kill" });
      const unlinked = await TaskSupervisor.asyncNolink(self, sup, (t) => t.receive(), { shutdown: "brutal_kill" });
      self.exit(sup, SHUTDOWN);
      assertTerm(reasonOf(await self.receive(downFor(linked.ref))), KILLED);
      assertTerm(reasonOf(await self.receive(downFor(unlinked.ref))), KILLED);
    });
  });

  test("maxChildren: async and asyncNolink throw TASK_MAX_CHILDREN, startChild gives max_children", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self, { maxChildren: 1 });
      const running = await TaskSupervisor.async(self, sup, (t) => t.receive());
      const full = { code: ErrorCodes.TASK_MAX_CHILDREN };
      await assert.rejects(
        TaskSupervisor.async(self, sup, () => 1),
        full,
      );
      await assert.rejects(
        TaskSupervisor.asyncNolink(self, sup, () => 1),
        full,
      );
      const refused = await TaskSupervisor.startChild(self, sup, () => {});
      assert.ok("error" in refused);
      assertTerm(refused.error, atom("max_children"));
      assert.deepEqual(await TaskSupervisor.children(self, sup), [running.pid]);
    });
  });

  test("startChild runs the function under the supervisor only, for its side effects", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      const started = await TaskSupervisor.startChild(self, sup, async (t) => {
        await t.receive((m) => m === GO);
        self.send(self.pid, tuple(DONE, t.get(atom("$callers"))!));
      });
      assert.ok("pid" in started);
      assert.deepEqual(await TaskSupervisor.children(self, sup), [started.pid]);
      assert.equal(rt.processInfo(self.pid)!.links.includes(started.pid), false);
      self.send(started.pid, GO);
      assertTerm(await self.receive((m) => m instanceof Tuple && m.at(0) === DONE), tuple(DONE, [self.pid]));
    });
  });

  test("startChild with restart permanent: the supervisor runs the function again after it exits", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      const started = await TaskSupervisor.startChild(
        self,
        sup,
        async (t) => {
          self.send(self.pid, tuple(atom("ready"), t.pid));
          await t.receive();
        },
        { restart: "permanent" },
      );
      assert.ok("pid" in started);
      const isReady = (m: Term) => m instanceof Tuple && m.at(0) === atom("ready");
      assertTerm(await self.receive(isReady), tuple(atom("ready"), started.pid));
      self.exit(started.pid, SHUTDOWN);
      const restarted = elements(await self.receive(isReady))[1] as Pid;
      assert.notEqual(restarted, started.pid);
      assert.deepEqual(await TaskSupervisor.children(self, sup), [restarted]);
    });
  });

  test("terminateChild stops a task: ok, then not_found", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const sup = await taskSupervisor(self);
      const started = await TaskSupervisor.startChild(self, sup, (t) => t.receive());
      assert.ok("pid" in started);
      assert.deepEqual(await TaskSupervisor.terminateChild(self, sup, started.pid), { ok: true });
      assert.equal(rt.isAlive(started.pid), false);
      assert.deepEqual(await TaskSupervisor.children(self, sup), []);
      const again = await TaskSupervisor.terminateChild(self, sup, started.pid);
      assert.ok("error" in again);
      assertTerm(again.error, atom("not_found"));
    });
  });

  test("a supervised task waits for its owner: {shutdown, Reason} if the owner dies, timeout after 5 s", async (t) => {
    const { rt, clock } = runtime(t);
    await rt.run(async (self) => {
      const gone = self.spawn(async () => {});
      await waitUntilDown(self, gone);
      const orphan = self.spawnMonitor(replyingTask(gone, [], () => DONE, true));
      assertTerm(reasonOf(await self.receive(downFor(orphan.ref))), tuple(SHUTDOWN, atom("noproc")));
      const forgotten = self.spawnMonitor(replyingTask(self.pid, [], () => DONE, true));
      await rt.idle();
      clock.advance(5000);
      assertTerm(reasonOf(await self.receive(downFor(forgotten.ref))), TIMEOUT);
    });
  });

  test("a task supervisor is a supervisor's child like any other", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const name = atom("tasks");
      const sup = await Supervisor.startLink(
        self,
        {
          init: () => ({
            children: [{ id: name, type: "supervisor", start: (s) => TaskSupervisor.startLink(s, { name }) }],
          }),
        },
        undefined,
      );
      assert.ok("pid" in sup);
      const task = await TaskSupervisor.async(self, name, () => DONE);
      assert.equal(await Task.await(self, task), DONE);
      assert.deepEqual(await TaskSupervisor.children(self, name), []);
      self.unlink(sup.pid);
    });
  });
});
