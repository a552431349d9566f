// Introspection: processInfo's fields, processes(), isAlive, and the process dictionary.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, Pid, ProcessExit, tuple } from "../../src/index.ts";
import { assertTerm, runtime, sleeper } from "../support/runtime.ts";

describe("processInfo", () => {
  test("a fresh process: runnable before it starts, waiting in receive, undefined once dead", async (t) => {
    const { rt } = runtime(t);
    const pid = rt.spawn(async function parked(self) {
      await self.receive();
    });
    assert.equal(rt.processInfo(pid)!.status, "runnable");
    await rt.idle();
    const info = rt.processInfo(pid)!;
    assertTerm(info.pid, pid);
    assert.equal(info.status, "waiting");
    assert.equal(info.messageQueueLen, 0);
    assert.deepEqual(info.links, []);
    assert.deepEqual(info.monitors, []);
    assert.deepEqual(info.monitoredBy, []);
    assert.equal(info.registeredName, undefined);
    assert.equal(info.currentFunction, "parked");
    assert.equal(info.trapExit, false);
    assert.equal(info.priority, "normal");
    assert.ok(info.memory > 0);
    rt.send(pid, 1);
    await rt.idle();
    assert.equal(rt.processInfo(pid), undefined);
  });

  test("a process looking at itself is running (async body, after a receive too)", async (t) => {
    const { rt } = runtime(t);
    const statuses = await rt.run(async (self) => {
      const first = rt.processInfo(self.pid)!.status;
      self.send(self.pid, 1);
      await self.receive();
      return [first, rt.processInfo(self.pid)!.status];
    });
    assert.deepEqual(statuses, ["running", "running"]);
  });

  test("a behaviour looking at itself in handleMessage is running; its name is the current function", async (t) => {
    const { rt } = runtime(t);
    const seen: string[] = [];
    const pid = rt.spawn({
      name: "my_server",
      handleMessage(self) {
        seen.push(rt.processInfo(self.pid)!.status);
      },
    });
    rt.send(pid, 1);
    await rt.idle();
    assert.deepEqual(seen, ["running"]);
    const info = rt.processInfo(pid)!;
    assert.equal(info.status, "waiting");
    assert.equal(info.currentFunction, "my_server");
  });

  test("a behaviour class instance shows its class name", async (t) => {
    const { rt } = runtime(t);
    class Counter {
      handleMessage(_self: unknown, _m: unknown, n: number) {
        return n + 1;
      }
    }
    const pid = rt.spawn(new Counter(), { arg: 0 });
    assert.equal(rt.processInfo(pid)!.currentFunction, "Counter");
  });

  test("message queue length and memory grow with the queue", async (t) => {
    const { rt } = runtime(t);
    const pid = rt.spawn(async (self) => self.receive((m) => m === atom("never")));
    await rt.idle();
    const before = rt.processInfo(pid)!;
    for (let i = 0; i < 100; i++) rt.send(pid, i);
    const after = rt.processInfo(pid)!;
    assert.equal(before.messageQueueLen, 0);
    assert.equal(after.messageQueueLen, 100);
    assert.ok(after.memory > before.memory, `memory ${after.memory} should exceed ${before.memory}`);
  });

  test("reductions count the work a process did", async (t) => {
    const { rt } = runtime(t);
    const pid = rt.spawn({ handleMessage: () => undefined });
    await rt.idle();
    const before = rt.processInfo(pid)!.reductions;
    for (let i = 0; i < 10; i++) rt.send(pid, i);
    await rt.idle();
    const after = rt.processInfo(pid)!.reductions;
    assert.ok(after >= before + 10, `reductions ${before} → ${after}`);
  });

  test("links, monitors, monitoredBy, registered name, trapExit and priority", async (t) => {
    const { rt } = runtime(t);
    const target = sleeper(rt, { name: atom("target") });
    const linked = sleeper(rt);
    const got = await rt.run(
      async (self) => {
        self.link(linked);
        self.monitor(target);
        self.monitor(atom("target"));
        self.setPriority("low");
        return [self.pid, rt.processInfo(self.pid)!, rt.processInfo(target)!] as const;
      },
      { trapExit: true, priority: "high" },
    );
    const [me, info, targetInfo] = got;
    assertTerm(info.links, [linked]);
    assert.equal(info.monitors.length, 2);
    assertTerm(info.monitors[0] as Pid, target);
    assert.deepEqual(info.monitors[1], { name: atom("target"), node: rt.node });
    assert.equal(info.trapExit, true);
    assert.equal(info.priority, "low");
    assertTerm(targetInfo.monitoredBy, [me, me]);
    assert.equal(targetInfo.registeredName, atom("target"));
  });

  test("processInfo of a pid of another node is undefined", (t) => {
    const { rt } = runtime(t, { node: "here@host" });
    const pid = sleeper(rt);
    assert.equal(rt.processInfo(new Pid(atom("there@host"), pid.id, pid.serial, pid.creation)), undefined);
  });
});

describe("processes and isAlive", () => {
  test("processes() lists the live processes; isAlive follows them", async (t) => {
    const { rt } = runtime(t);
    const a = sleeper(rt);
    const b = rt.spawn(async () => {
      throw new ProcessExit(atom("bye"));
    });
    const c = sleeper(rt);
    assert.equal(rt.processCount, 3);
    await rt.idle();
    const live = rt.processes();
    assertTerm(live, [a, c]);
    assert.equal(rt.processCount, 2);
    assert.ok(rt.isAlive(a));
    assert.equal(rt.isAlive(b), false);
    rt.exit(a, atom("kill"));
    assert.equal(rt.isAlive(a), false);
    assertTerm(rt.processes(), [c]);
  });

  test("a dead process's pid is not reused soon: an old pid stays dead while new processes come", async (t) => {
    const { rt } = runtime(t);
    const old = rt.spawn(async () => {});
    await rt.idle();
    for (let i = 0; i < 2000; i++) rt.spawn(async () => {});
    await rt.idle();
    const fresh = Array.from({ length: 100 }, () => sleeper(rt));
    assert.equal(rt.isAlive(old), false);
    assert.ok(fresh.every((pid) => rt.isAlive(pid)));
  });
});

describe("process dictionary", () => {
  test("put returns the old value; get, erase and getKeys", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const first = self.put(atom("k"), 1);
      const second = self.put(atom("k"), 2);
      self.put(tuple(atom("compound"), 1), "tuple key");
      const byEquality = self.get(tuple(atom("compound"), 1));
      const keys = self.getKeys();
      const erased = self.erase(atom("k"));
      const gone = self.get(atom("k"));
      const erasedAgain = self.erase(atom("k"));
      return { first, second, byEquality, keys, erased, gone, erasedAgain, keysAfter: self.getKeys() };
    });
    assert.equal(got.first, undefined);
    assert.equal(got.second, 1);
    assert.equal(got.byEquality, "tuple key");
    assert.equal(got.keys.length, 2);
    assert.equal(got.erased, 2);
    assert.equal(got.gone, undefined);
    assert.equal(got.erasedAgain, undefined);
    assertTerm(got.keysAfter, [tuple(atom("compound"), 1)]);
  });

  test("each process has its own dictionary", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      self.put(atom("k"), atom("parent"));
      const parent = self.pid;
      self.spawn(async (s) => s.send(parent, s.get(atom("k")) ?? atom("none")));
      return self.receive();
    });
    assert.equal(got, atom("none"));
  });

  test("a fresh process has an empty dictionary", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => [self.getKeys(), self.get(atom("x")), self.erase(atom("x"))]);
    assert.deepEqual(got, [[], undefined, undefined]);
  });
});
