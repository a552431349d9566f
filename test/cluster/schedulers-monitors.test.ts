// Monitors between processes on different schedulers of one node: DOWN with the exit reason both ways and
// between two processes of scheduler 1, DOWN noproc for a dead pid or a free name, demonitor (with flush), and
// monitors by a registered name whose holder runs on the other scheduler.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, DOWN, KILL, KILLED, NOPROC, NORMAL, type Process, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  deadPidOn,
  downReason,
  order,
  puppetOn,
  receiveWithin,
  reported,
  spawnMonitorOn,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const BYE = atom("bye");
const GO = atom("go");
const PROCESS = atom("process");

describe("monitors between schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_mon", 2);
  });
  after(() => node.stop());

  /** Waits, with a deadline, until `self` has a message queued (without taking it). */
  async function untilQueued(self: Process): Promise<void> {
    const deadline = Date.now() + 5000;
    while (node.runtime.processInfo(self.pid)!.messageQueueLen === 0) {
      if (Date.now() > deadline) assert.fail("no message came within 5000 ms");
      await self.receive(() => false, { timeout: 1 });
    }
  }

  it("0→1: a monitor of a process on scheduler 1 gets {'DOWN', Ref, process, Pid, Reason}", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const ref = self.monitor(puppet);
      tell(self, puppet, "die", BYE);
      const down = await receiveWithin(self, tagged("DOWN", ref), "DOWN");
      assertTerm(down, tuple(DOWN, ref, PROCESS, puppet, BYE));
    });
  });

  it("0→1: spawn_monitor on scheduler 1 reports the child's exit reason", async () => {
    await node.runtime.run(async (self) => {
      const { pid, ref } = await spawnMonitorOn(self, 1, "sched_workers", "exitOnGo", [BYE]);
      assert.equal(pid.id % 2, 1);
      self.send(pid, GO);
      assertTerm(await downReason(self, ref), BYE);
    });
  });

  it("1→0: a process on scheduler 1 monitoring one on 0 gets its DOWN, with killed for a kill", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const { pid: target } = self.spawnMonitor(async (p) => void (await p.receive()), { trapExit: true });
      const ref = await order(self, puppet, "monitor", target);
      self.exit(target, KILL);
      const down = await reported(self, puppet, "DOWN", tagged("DOWN"));
      assertTerm(down, tuple(DOWN, ref, PROCESS, target, KILLED));
    });
  });

  it("1→1: a monitor between two processes of scheduler 1, set up from scheduler 0", async () => {
    await node.runtime.run(async (self) => {
      const [watcher, target] = [await puppetOn(self, 1), await puppetOn(self, 1)];
      const ref = await order(self, watcher, "monitor", target);
      tell(self, target, "die", BYE);
      assertTerm(await reported(self, watcher, "DOWN", tagged("DOWN")), tuple(DOWN, ref, PROCESS, target, BYE));
    });
  });

  it("a normal exit gives DOWN normal across", async () => {
    await node.runtime.run(async (self) => {
      const { pid, ref } = await spawnMonitorOn(self, 1, "sched_workers", "exitOnGo", [NORMAL]);
      self.send(pid, GO);
      assertTerm(await downReason(self, ref), NORMAL);
    });
  });

  it("a monitor of a dead pid of the other scheduler gets DOWN noproc, both ways", async () => {
    await node.runtime.run(async (self) => {
      const deadThere = await deadPidOn(self, 1);
      const ref = self.monitor(deadThere);
      assertTerm(
        await receiveWithin(self, tagged("DOWN", ref), "DOWN noproc"),
        tuple(DOWN, ref, PROCESS, deadThere, NOPROC),
      );
      const deadHere = await deadPidOn(self, 0);
      const puppet = await puppetOn(self, 1);
      const theirs = await order(self, puppet, "monitor", deadHere);
      assertTerm(await reported(self, puppet, "DOWN", tagged("DOWN")), tuple(DOWN, theirs, PROCESS, deadHere, NOPROC));
    });
  });

  it("demonitor before the exit: no DOWN comes", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const ref = self.monitor(puppet);
      assert.equal(self.demonitor(ref), true);
      const check = self.monitor(puppet);
      tell(self, puppet, "die", BYE);
      assertTerm(await downReason(self, check), BYE);
      await assertNothing(self, tagged("DOWN", ref), "DOWN after demonitor");
    });
  });

  it("demonitor with flush drops a DOWN already queued", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const ref = self.monitor(puppet);
      tell(self, puppet, "die", BYE);
      await untilQueued(self);
      self.demonitor(ref, { flush: true });
      await assertNothing(self, tagged("DOWN", ref), "DOWN after demonitor(flush)", 0);
    });
  });

  it("demonitor from scheduler 1 of a monitor of a process on 0", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const { pid: target, ref: mine } = self.spawnMonitor(async (p) => void (await p.receive()));
      const ref = await order(self, puppet, "monitor", target);
      assert.equal(await order(self, puppet, "demonitor", ref, false), true);
      self.exit(target, BYE);
      assertTerm(await downReason(self, mine), BYE);
      await order(self, puppet, "is_alive", puppet); // a round trip after the target's end
      await assertNothing(self, tagged("got"), "a DOWN reported after demonitor");
    });
  });

  describe("by registered name", () => {
    it("0→1: monitor of a name held on scheduler 1: DOWN names {Name, Node}", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_mon_a_${process.pid}`);
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "register", name);
        const ref = self.monitor(name);
        tell(self, puppet, "die", BYE);
        assertTerm(
          await receiveWithin(self, tagged("DOWN", ref), "DOWN"),
          tuple(DOWN, ref, PROCESS, tuple(name, node.name), BYE),
        );
      });
    });

    it("1→0: monitor from scheduler 1 of a name held on 0", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_mon_b_${process.pid}`);
        const { pid: holder } = self.spawnMonitor(async (p) => {
          p.register(name);
          p.send(self.pid, atom("registered"));
          await p.receive();
        });
        await receiveWithin(self, (m) => m === atom("registered"), "the holder's registration");
        const puppet = await puppetOn(self, 1);
        const ref = await order(self, puppet, "monitor", name);
        self.exit(holder, BYE);
        assertTerm(
          await reported(self, puppet, "DOWN", tagged("DOWN")),
          tuple(DOWN, ref, PROCESS, tuple(name, node.name), BYE),
        );
      });
    });

    it("monitor of a free name gets DOWN noproc, from either scheduler", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_mon_free_${process.pid}`);
        const ref = self.monitor(name);
        assertTerm(
          await receiveWithin(self, tagged("DOWN", ref), "DOWN"),
          tuple(DOWN, ref, PROCESS, tuple(name, node.name), NOPROC),
        );
        const puppet = await puppetOn(self, 1);
        const theirs = await order(self, puppet, "monitor", name);
        assertTerm(
          await reported(self, puppet, "DOWN", tagged("DOWN")),
          tuple(DOWN, theirs, PROCESS, tuple(name, node.name), NOPROC),
        );
      });
    });
  });
});
