// Spawning processes: pids, the two body forms, spawn options, run, spawnLink/spawnMonitor, shutdown.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  ErrorCodes,
  NORMAL,
  type Pid,
  ProcessExit,
  ProcessExitError,
  SHUTDOWN,
  type Term,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, elements, reasonOf, runtime, sleeper, spawnWatched } from "../support/runtime.ts";

describe("spawn", () => {
  test("spawn returns a fresh local pid at once; the body runs later, from the scheduler", async (t) => {
    const { rt } = runtime(t, { node: "spawn@host" });
    let ran = false;
    const pid = rt.spawn(async () => {
      ran = true;
    });
    assert.equal(ran, false, "the body must not run inside spawn");
    assert.equal(pid.node, atom("spawn@host"));
    assert.equal(pid.creation, rt.creation);
    assert.ok(rt.isAlive(pid));
    const other = sleeper(rt);
    assert.notDeepEqual(other, pid);
    await rt.idle();
    assert.equal(ran, true);
    assert.equal(rt.isAlive(pid), false, "an async body that returns ends its process");
    assert.ok(rt.isAlive(other));
  });

  test("an async body gets its own pid as self.pid", async (t) => {
    const { rt } = runtime(t);
    let seen: Pid | undefined;
    const pid = rt.spawn(async (self) => {
      seen = self.pid;
    });
    await rt.idle();
    assertTerm(seen, pid);
  });

  test("a behaviour object is a body: init then handleMessage per message", async (t) => {
    const { rt } = runtime(t);
    const got: Term[] = [];
    const pid = rt.spawn({
      init: () => "ready",
      handleMessage(_self, message, state: string) {
        got.push(tuple(atom(state), message));
        return state;
      },
    });
    rt.send(pid, 1);
    rt.send(pid, 2);
    await rt.idle();
    assertTerm(got, [tuple(atom("ready"), 1), tuple(atom("ready"), 2)]);
    assert.ok(rt.isAlive(pid), "a behaviour process lives on, waiting for messages");
  });

  test("run resolves with what the body returns", async (t) => {
    const { rt } = runtime(t);
    assert.equal(await rt.run(async () => 42), 42);
    assert.equal(await rt.run(() => "sync result"), "sync result");
  });

  test("run rejects with PROC_EXITED and the exit reason when the body does not end normally", async (t) => {
    const { rt } = runtime(t);
    const failure = await rt
      .run(async () => {
        throw new ProcessExit(atom("boom"));
      })
      .then(
        () => assert.fail("run resolved"),
        (error: unknown) => error,
      );
    assert.ok(failure instanceof ProcessExitError);
    assert.equal(failure.code, ErrorCodes.PROC_EXITED);
    assertTerm(failure.reason as Term, atom("boom"));
  });

  test("self.spawn with link: true links parent and child", async (t) => {
    const { rt } = runtime(t);
    const [child, parentLinks, childLinks] = await rt.run(async (self) => {
      const child = self.spawn(async (s) => s.receive(), { link: true });
      return [child, rt.processInfo(self.pid)!.links, rt.processInfo(child)!.links] as const;
    });
    assert.equal(parentLinks.length, 1);
    assertTerm(parentLinks[0], child);
    assert.equal(childLinks.length, 1);
  });

  test("spawnLink: the child's crash takes the parent down", async (t) => {
    const { rt } = runtime(t);
    const parent = await spawnWatched(rt, async (self) => {
      self.spawnLink(async () => {
        throw new ProcessExit(atom("child_crashed"));
      });
      await self.receive();
    });
    assertTerm(await parent.exit, atom("child_crashed"));
  });

  test("spawnMonitor: the monitor is set before the child can run, so even an instant exit gives its reason", async (t) => {
    const { rt } = runtime(t);
    const down = await rt.run(async (self) => {
      const { pid, ref } = self.spawnMonitor(async () => {
        throw new ProcessExit(atom("instant"));
      });
      const message = await self.receive(downFor(ref));
      assertTerm(elements(message)[3], pid);
      return reasonOf(message);
    });
    assertTerm(down, atom("instant"));
  });

  test("spawn options: arg, name, trapExit, priority", async (t) => {
    const { rt } = runtime(t);
    const name = atom("optioned");
    let arg: unknown;
    const pid = rt.spawn(
      {
        init: (_self, a: unknown) => {
          arg = a;
          return a;
        },
        handleMessage: (_self, _message, state: unknown) => state,
      },
      { arg: "the arg", name, trapExit: true, priority: "high" },
    );
    await rt.idle();
    assert.equal(arg, "the arg");
    assertTerm(rt.whereis(name), pid);
    const info = rt.processInfo(pid)!;
    assert.equal(info.trapExit, true);
    assert.equal(info.priority, "high");
    assert.equal(info.registeredName, name);
  });

  test("a spawn whose name is taken spawns nothing and throws PROC_NAME_TAKEN", async (t) => {
    const { rt } = runtime(t);
    const name = atom("taken");
    sleeper(rt, { name });
    const before = rt.processCount;
    assert.throws(() => sleeper(rt, { name }), { code: ErrorCodes.PROC_NAME_TAKEN });
    assert.equal(rt.processCount, before);
  });

  test("a body that is neither a function nor a behaviour, or a bad priority, is refused", (t) => {
    const { rt } = runtime(t);
    assert.throws(() => rt.spawn({} as never), { code: ErrorCodes.PROC_BAD_ARG });
    assert.throws(() => rt.spawn(async () => {}, { priority: "max" as never }), { code: ErrorCodes.PROC_BAD_ARG });
  });

  test("makeRef gives unique references of this node", (t) => {
    const { rt } = runtime(t, { node: "refs@host" });
    const a = rt.makeRef();
    const b = rt.makeRef();
    assert.equal(a.node, atom("refs@host"));
    assert.notDeepEqual(a, b);
  });

  test("shutdown ends every process with reason shutdown; later spawns fail with PROC_SHUTDOWN", async (t) => {
    const { rt } = runtime(t);
    const parked = rt.run(async (self) => self.receive());
    const behaviour = rt.spawn({ handleMessage: () => undefined });
    await rt.idle();
    rt.shutdown();
    const failure = await parked.then(
      () => assert.fail("run resolved"),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof ProcessExitError);
    assertTerm(failure.reason as Term, SHUTDOWN);
    assert.equal(rt.isAlive(behaviour), false);
    assert.equal(rt.processCount, 0);
    assert.deepEqual(rt.processes(), []);
    assert.throws(() => sleeper(rt), { code: ErrorCodes.PROC_SHUTDOWN });
    rt.shutdown(); // twice is harmless
  });

  test("a normal return is not a crash: the exit reason is normal", async (t) => {
    const { rt } = runtime(t);
    const watched = await spawnWatched(rt, async () => "done");
    assertTerm(await watched.exit, NORMAL);
  });
});
