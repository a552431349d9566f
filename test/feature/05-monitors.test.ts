// Monitors: the DOWN message, noproc, monitors by name, demonitor with and without flush, the order of a pair's
// signals (a message sent before the end arrives before the DOWN), and monitors of processes on other nodes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  DOWN,
  EXIT,
  NOCONNECTION,
  NOPROC,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  type Signal,
  type Term,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, RecordingTransport, remotePid, runtime, sleeper } from "../support/runtime.ts";

const PROCESS = atom("process");
const BYE = atom("bye");

describe("monitors", () => {
  test("the DOWN message is {'DOWN', Ref, process, Pid, Reason}", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const target = self.spawn(async (s) => {
        await s.receive();
        throw new ProcessExit(BYE);
      });
      const ref = self.monitor(target);
      self.send(target, atom("go"));
      return [ref, target, await self.receive(downFor(ref))];
    });
    const [ref, target, down] = got;
    assertTerm(down, tuple(DOWN, ref!, PROCESS, target!, BYE));
  });

  test("a normal end gives a DOWN with reason normal", async (t) => {
    const { rt } = runtime(t);
    const down = await rt.run(async (self) => {
      const { pid, ref } = self.spawnMonitor(async () => "done");
      return [await self.receive(downFor(ref)), tuple(DOWN, ref, PROCESS, pid, NORMAL)];
    });
    assertTerm(down[0], down[1]!);
  });

  test("monitoring a process that does not exist gives DOWN with noproc at once", async (t) => {
    const { rt } = runtime(t);
    const dead = rt.spawn(async () => {});
    await rt.idle();
    const got = await rt.run(async (self) => {
      const ref = self.monitor(dead);
      return [ref, await self.receive(undefined, { timeout: 0 })];
    });
    assertTerm(got[1], tuple(DOWN, got[0]!, PROCESS, dead, NOPROC));
  });

  test("a monitor by registered name reports the target as {Name, Node}", async (t) => {
    const { rt } = runtime(t, { node: "mon@host" });
    const name = atom("named_target");
    const target = sleeper(rt, { name });
    const got = await rt.run(async (self) => {
      const ref = self.monitor(name);
      const info = rt.processInfo(self.pid)!.monitors;
      self.exit(target, BYE);
      return [ref, await self.receive(downFor(ref)), info] as const;
    });
    assertTerm(got[1], tuple(DOWN, got[0], PROCESS, tuple(name, atom("mon@host")), BYE));
    assert.deepEqual(got[2], [{ name, node: atom("mon@host") }]);
  });

  test("a monitor by {Name, Node} for this node works like one by name", async (t) => {
    const { rt } = runtime(t, { node: "mon@host" });
    const name = atom("by_tuple");
    const target = sleeper(rt, { name });
    const got = await rt.run(async (self) => {
      const ref = self.monitor({ name, node: rt.node });
      self.exit(target, BYE);
      return [ref, await self.receive(downFor(ref))] as const;
    });
    assertTerm(got[1], tuple(DOWN, got[0], PROCESS, tuple(name, rt.node), BYE));
  });

  test("a monitor of a name nobody holds gives DOWN {Name, Node} noproc", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const ref = self.monitor(atom("nosuch"));
      return [ref, await self.receive(downFor(ref), { timeout: 0 })] as const;
    });
    assertTerm(got[1], tuple(DOWN, got[0], PROCESS, tuple(atom("nosuch"), rt.node), NOPROC));
  });

  test("a monitor follows the process, not the name: re-registering does not fire it", async (t) => {
    const { rt } = runtime(t);
    const name = atom("moving_name");
    const target = sleeper(rt, { name });
    const got = await rt.run(async (self) => {
      const ref = self.monitor(name);
      rt.unregister(name);
      sleeper(rt, { name });
      const early = await self.receive(downFor(ref), { timeout: 0 });
      self.exit(target, BYE);
      return [ref, early, await self.receive(downFor(ref))] as const;
    });
    assert.equal(got[1], undefined);
    assertTerm(got[2], tuple(DOWN, got[0], PROCESS, tuple(name, rt.node), BYE));
  });

  test("each monitor gives its own DOWN; monitors show in processInfo on both sides", async (t) => {
    const { rt } = runtime(t);
    const target = sleeper(rt);
    const got = await rt.run(async (self) => {
      const a = self.monitor(target);
      const b = self.monitor(target);
      const mine = rt.processInfo(self.pid)!.monitors;
      const theirs = rt.processInfo(target)!.monitoredBy;
      self.exit(target, BYE);
      const first = await self.receive(downFor(a));
      const second = await self.receive(downFor(b));
      return { mine, theirs, first, second, me: self.pid, a, b };
    });
    assertTerm(got.mine as Pid[], [target, target]);
    assertTerm(got.theirs, [got.me, got.me]);
    assertTerm(got.first, tuple(DOWN, got.a, PROCESS, target, BYE));
    assertTerm(got.second, tuple(DOWN, got.b, PROCESS, target, BYE));
  });

  test("a monitor is one-way: the watcher's death does not touch the target", async (t) => {
    const { rt } = runtime(t);
    const target = sleeper(rt);
    await assert.rejects(
      rt.run(async (self) => {
        self.monitor(target);
        throw new ProcessExit(BYE);
      }),
    );
    assert.ok(rt.isAlive(target));
    assert.deepEqual(rt.processInfo(target)!.monitoredBy, [], "the dead watcher's monitor is gone");
  });
});

describe("demonitor", () => {
  test("demonitor before the end: returns true and no DOWN ever comes", async (t) => {
    const { rt } = runtime(t);
    const target = sleeper(rt);
    const got = await rt.run(async (self) => {
      const ref = self.monitor(target);
      const active = self.demonitor(ref);
      const again = self.demonitor(ref);
      self.exit(target, BYE);
      const ref2 = self.monitor(target); // noproc now: proves the exit was processed
      await self.receive(downFor(ref2));
      return [active, again, await self.receive(downFor(ref), { timeout: 0 }), rt.processInfo(self.pid)!.monitors];
    });
    assert.deepEqual(got, [true, false, undefined, []]);
  });

  test("without flush, a DOWN already queued stays in the queue (and demonitor returns false)", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const { pid, ref } = self.spawnMonitor(async () => "done");
      const probe = self.monitor(pid);
      await self.receive(downFor(probe)); // the target is gone: its DOWN for `ref` is queued
      const active = self.demonitor(ref);
      return [active, await self.receive(downFor(ref), { timeout: 0 }), pid, ref] as const;
    });
    assert.equal(got[0], false);
    assertTerm(got[1], tuple(DOWN, got[3], PROCESS, got[2], NORMAL));
  });

  test("with flush, a queued DOWN is removed too (demonitor returns false); other messages stay", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      self.send(self.pid, atom("before"));
      const { pid, ref } = self.spawnMonitor(async () => "done");
      const probe = self.monitor(pid);
      await self.receive(downFor(probe)); // the target is gone: its DOWN for `ref` is queued
      self.send(self.pid, atom("after"));
      const active = self.demonitor(ref, { flush: true });
      const first = await self.receive(undefined, { timeout: 0 });
      const second = await self.receive(undefined, { timeout: 0 });
      const third = await self.receive(undefined, { timeout: 0 });
      return [active, first, second, third];
    });
    assertTerm(got.slice(0, 3) as Term[], [false, atom("before"), atom("after")]);
    assert.equal(got[3], undefined);
  });

  test("demonitor with flush on a live target returns true", async (t) => {
    const { rt } = runtime(t);
    const target = sleeper(rt);
    const active = await rt.run(async (self) => self.demonitor(self.monitor(target), { flush: true }));
    assert.equal(active, true);
    assert.deepEqual(rt.processInfo(target)!.monitoredBy, []);
  });
});

describe("signal order between a pair of processes", () => {
  /** Spawns a child that, on `go`, sends its parent 1, 2, 3 and then exits with `bye`. */
  function talkThenDie(self: Process, options?: { link?: boolean }): Pid {
    const parent = self.pid;
    return self.spawn(async (s) => {
      await s.receive();
      for (let i = 1; i <= 3; i++) s.send(parent, i);
      throw new ProcessExit(BYE);
    }, options);
  }

  async function next(self: Process, n: number): Promise<Term[]> {
    const out: Term[] = [];
    for (let i = 0; i < n; i++) out.push(await self.receive());
    return out;
  }

  test("messages a process sends before it ends arrive before its DOWN", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const child = talkThenDie(self);
      const ref = self.monitor(child);
      self.send(child, atom("go"));
      return [child, ref, await next(self, 4)] as const;
    });
    const [child, ref, messages] = got;
    assertTerm(messages, [1, 2, 3, tuple(DOWN, ref, PROCESS, child, BYE)]);
  });

  test("messages a linked process sends before it ends arrive before its {'EXIT', …}", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(
      async (self) => {
        const child = talkThenDie(self, { link: true });
        self.send(child, atom("go"));
        return [child, await next(self, 4)] as const;
      },
      { trapExit: true },
    );
    const [child, messages] = got;
    assertTerm(messages, [1, 2, 3, tuple(EXIT, child, BYE)]);
  });
});

describe("monitors of processes on other nodes", () => {
  const remote = () => remotePid(7);

  test("a monitor of a pid on a node that is not connected gives DOWN noconnection", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const ref = self.monitor(remote());
      return [ref, await self.receive(downFor(ref))] as const;
    });
    assertTerm(got[1], tuple(DOWN, got[0], PROCESS, remote(), NOCONNECTION));
  });

  test("a monitor by {Name, Node} elsewhere goes through the transport; node down fires it with {Name, Node}", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const name = atom("far_away");
    const other = atom("other@host");
    const result = rt.run(async (self) => {
      const ref = self.monitor({ name, node: other });
      return [ref, await self.receive(downFor(ref))] as const;
    });
    await rt.idle();
    assert.deepEqual(
      transport.sent.map((s) => s.kind),
      ["monitor"],
    );
    rt.nodeDown(other, NOCONNECTION);
    const got = await result;
    assertTerm(got[1], tuple(DOWN, got[0], PROCESS, tuple(name, other), NOCONNECTION));
  });

  test("a DOWN from the remote node arrives through the sink; demonitor is sent to the transport", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const result = rt.run(async (self) => {
      const ref = self.monitor(remote());
      const ref2 = self.monitor(remote());
      self.demonitor(ref2);
      return [ref, await self.receive(downFor(ref))] as const;
    });
    await rt.idle();
    assert.deepEqual(
      transport.sent.map((s) => s.kind),
      ["monitor", "monitor", "demonitor"],
    );
    const monitor = transport.sent[0] as Extract<Signal, { kind: "monitor" }>;
    rt.deliver({ kind: "down", from: remote(), to: monitor.from, ref: monitor.ref, reason: BYE });
    const got = await result;
    assertTerm(got[1], tuple(DOWN, got[0], PROCESS, remote(), BYE));
  });

  test("a remote monitor of a local process gets its DOWN through the transport", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const target = sleeper(rt);
    const ref = rt.makeRef();
    rt.deliver({ kind: "monitor", from: remote(), to: target, ref });
    assertTerm(rt.processInfo(target)!.monitoredBy, [remote()]);
    rt.exit(target, BYE);
    const down = transport.sent.find((s) => s.kind === "down") as Extract<Signal, { kind: "down" }>;
    assert.ok(down !== undefined);
    assertTerm(down.from as Pid, target);
    assertTerm(down.to, remote());
    assertTerm(down.ref, ref);
    assertTerm(down.reason, BYE);
  });

  test("a remote monitor of a dead local process is answered with DOWN noproc", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const dead = rt.spawn(async () => {});
    await rt.idle();
    const ref = rt.makeRef();
    rt.deliver({ kind: "monitor", from: remote(), to: dead, ref });
    const [down] = transport.sent as [Extract<Signal, { kind: "down" }>];
    assert.equal(down.kind, "down");
    assertTerm(down.reason, NOPROC);
    assertTerm(down.ref, ref);
  });

  test("when the watcher's node goes down, its monitors of local processes are dropped", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const target = sleeper(rt);
    rt.deliver({ kind: "monitor", from: remote(), to: target, ref: rt.makeRef() });
    rt.nodeDown(atom("other@host"), NOCONNECTION);
    assert.deepEqual(rt.processInfo(target)!.monitoredBy, []);
    rt.exit(target, BYE);
    assert.deepEqual(
      transport.sent.filter((s) => s.kind === "down"),
      [],
      "no DOWN is sent to a node that is gone",
    );
  });
});
