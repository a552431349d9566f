// What a process of one scheduler can learn of and do to one of another, after the runtime's feature suite (05, 09):
// process_info of a process of scheduler 1 (links and monitors on both sides, the message queue, its registered
// name, status, the initial call of one spawned there), is_process_alive, monitors' finer points across — each
// monitor its own DOWN, one-way, following the process and not the name, demonitor without flush leaving a queued
// DOWN — and group_leader/2 of a process of scheduler 1 (1 → 2: schedulers-spawn.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  DOWN,
  equals,
  format,
  NORMAL,
  Pid,
  type Process,
  type ProcessInfo,
  type Term,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  DEADLINE_MS,
  deadPidOn,
  downReason,
  order,
  puppetOn,
  receiveWithin,
  spawnOn,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const BYE = atom("bye");
/** A process that waits for anything, then ends: a stand-in group leader. */
const parked = async (p: Process) => void (await p.receive());
const PROCESS = atom("process");
let names = 0;
const fresh = () => atom(`sched_info_${process.pid}_${++names}`);

describe("process_info and monitors across schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_info", 2);
  });
  after(() => node.stop());

  /** What process_info lists as monitored: pids, and `{Name, Node}` for a monitor by name. */
  function monitorsOf(info: ProcessInfo | undefined): Term[] | undefined {
    return info?.monitors.map((m) => (m instanceof Pid ? m : tuple(m.name, m.node)));
  }

  /** process_info of a process of any scheduler (asked through the rings, after whatever was sent there before). */
  async function infoOf(pid: Pid) {
    const [info] = await node.runtime.nodeProcessInfo([pid]);
    return info;
  }

  describe("process_info of a process of scheduler 1", () => {
    it("links show on both sides, both ways, and go with unlink", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        self.link(puppet);
        assert.deepEqual(node.runtime.processInfo(self.pid)?.links, [puppet]);
        assertTerm((await infoOf(puppet))?.links, [self.pid], "the link reached scheduler 1");
        const { pid: here } = self.spawnMonitor(async (p) => void (await p.receive()));
        await order(self, puppet, "link", here);
        assertTerm(node.runtime.processInfo(here)?.links, [puppet], "the link made on scheduler 1 reached 0");
        assertTerm((await infoOf(puppet))?.links, [self.pid, here]);
        self.unlink(puppet);
        await order(self, puppet, "unlink", here);
        assertTerm(node.runtime.processInfo(here)?.links, []);
        assertTerm((await infoOf(puppet))?.links, []);
        self.exit(puppet, atom("kill"));
        self.exit(here, atom("kill"));
      });
    });

    it("monitors and monitoredBy show on both sides, by pid and by name, and go with demonitor", async () => {
      await node.runtime.run(async (self) => {
        const name = fresh();
        const [target, watcher] = [await puppetOn(self, 1), await puppetOn(self, 1)];
        await order(self, target, "register", name);
        const byPid = self.monitor(target);
        const byName = self.monitor(name);
        assertTerm(monitorsOf(node.runtime.processInfo(self.pid)), [target, tuple(name, node.name)]);
        assertTerm((await infoOf(target))?.monitoredBy, [self.pid, self.pid]);
        const theirs = await order(self, watcher, "monitor", self.pid);
        assertTerm(node.runtime.processInfo(self.pid)?.monitoredBy, [watcher]);
        assertTerm(monitorsOf(await infoOf(watcher)), [self.pid]);
        self.demonitor(byPid);
        self.demonitor(byName);
        await order(self, watcher, "demonitor", theirs, false);
        assertTerm(monitorsOf(node.runtime.processInfo(self.pid)), []);
        assertTerm(node.runtime.processInfo(self.pid)?.monitoredBy, []);
        assertTerm((await infoOf(target))?.monitoredBy, []);
        assertTerm(monitorsOf(await infoOf(watcher)), []);
        self.exit(target, atom("kill"));
        self.exit(watcher, atom("kill"));
      });
    });

    it("its message queue, registered name and status", async () => {
      await node.runtime.run(async (self) => {
        const name = fresh();
        const hoarder = await spawnOn(self, 1, "sched_workers", "exitOnGo", [NORMAL]); // keeps all but `go`
        for (let i = 0; i < 5; i++) self.send(hoarder, i);
        const info = await infoOf(hoarder); // asked after the five sends, through the same ring
        assert.equal(info?.messageQueueLen, 5);
        assert.equal(info?.registeredName, undefined);
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "register", name); // answered: it waits in its receive again
        const puppetInfo = await infoOf(puppet);
        assert.equal(puppetInfo?.registeredName, name);
        assert.equal(puppetInfo?.status, "waiting");
        const ref = self.monitor(hoarder);
        self.send(hoarder, atom("go"));
        assertTerm(await downReason(self, ref), NORMAL);
        assert.equal(await infoOf(hoarder), undefined, "a dead process has no process_info");
        self.exit(puppet, atom("kill"));
      });
    });

    it("is_process_alive from scheduler 0 and from 1; the local-only calls say nothing of the other scheduler", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        assert.equal(await node.runtime.nodeIsAlive(puppet), true);
        assert.equal(node.runtime.isAlive(puppet), false, "isAlive is this scheduler's");
        assert.equal(node.runtime.processInfo(puppet), undefined, "processInfo is this scheduler's");
        assert.equal(await order(self, puppet, "is_alive", puppet), true);
        const ref = self.monitor(puppet);
        tell(self, puppet, "die", BYE);
        await downReason(self, ref);
        assert.equal(await node.runtime.nodeIsAlive(puppet), false);
      });
    });
  });

  describe("monitors", () => {
    it("two monitors of a process of scheduler 1 give two DOWNs, each with its own ref", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const [first, second] = [self.monitor(puppet), self.monitor(puppet)];
        assert.ok(!equals(first, second));
        tell(self, puppet, "die", BYE);
        assertTerm(
          await receiveWithin(self, tagged("DOWN", first), "first DOWN"),
          tuple(DOWN, first, PROCESS, puppet, BYE),
        );
        assertTerm(
          await receiveWithin(self, tagged("DOWN", second), "second DOWN"),
          tuple(DOWN, second, PROCESS, puppet, BYE),
        );
      });
    });

    it("a monitor is one-way: the watcher's death on scheduler 1 leaves the target on 0 alone, and its monitor goes", async () => {
      await node.runtime.run(async (self) => {
        const watcher = await puppetOn(self, 1);
        await order(self, watcher, "monitor", self.pid);
        assertTerm(node.runtime.processInfo(self.pid)?.monitoredBy, [watcher]);
        const ref = self.monitor(watcher);
        tell(self, watcher, "die", BYE);
        assertTerm(await downReason(self, ref), BYE);
        assertTerm(node.runtime.processInfo(self.pid)?.monitoredBy, [], "the dead watcher's monitor is gone");
      });
    });

    it("a monitor by name follows the process: the name taken by another process of scheduler 1 does not move it", async () => {
      await node.runtime.run(async (self) => {
        const name = fresh();
        const [first, second] = [await puppetOn(self, 1), await puppetOn(self, 1)];
        await order(self, first, "register", name);
        const ref = self.monitor(name);
        await order(self, first, "unregister", name);
        await order(self, second, "register", name);
        const secondGone = self.monitor(second);
        tell(self, second, "die", BYE);
        await downReason(self, secondGone, "the second holder's DOWN");
        await assertNothing(self, tagged("DOWN", ref), "a DOWN for the name's new holder");
        tell(self, first, "die", atom("first"));
        assertTerm(
          await receiveWithin(self, tagged("DOWN", ref), "the first holder's DOWN"),
          tuple(DOWN, ref, PROCESS, tuple(name, node.name), atom("first")),
        );
      });
    });

    it("demonitor without flush leaves a DOWN already queued and returns false; with flush on a live target, true", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const ref = self.monitor(puppet);
        tell(self, puppet, "die", BYE);
        await untilQueued(self);
        assert.equal(self.demonitor(ref), false);
        assertTerm(
          await receiveWithin(self, tagged("DOWN", ref), "the queued DOWN"),
          tuple(DOWN, ref, PROCESS, puppet, BYE),
        );
        const live = await puppetOn(self, 1);
        assert.equal(self.demonitor(self.monitor(live), { flush: true }), true);
        assertTerm((await infoOf(live))?.monitoredBy, [], "the demonitor reached scheduler 1");
        self.exit(live, atom("kill"));
      });
    });
  });

  describe("the initial call of a process spawned on another scheduler", () => {
    it("0 → 1 and 1 → 0: process_info shows Module:Function/Arity, as the BEAM's initial_call", async () => {
      await node.runtime.run(async (self) => {
        const hoarder = await spawnOn(self, 1, "sched_workers", "exitOnGo", [NORMAL]);
        assert.equal((await infoOf(hoarder))?.currentFunction, "sched_workers:exitOnGo/1");
        const puppet = await puppetOn(self, 1);
        assert.equal((await infoOf(puppet))?.currentFunction, "sched_puppet:puppet/1");
        const args = [0, atom("sched_workers"), atom("echo"), []];
        const child = (await order(self, puppet, "spawn_link_on", ...args)) as Pid;
        assert.equal(node.runtime.processInfo(child)?.currentFunction, "sched_workers:echo/0");
        self.exit(puppet, atom("kill"));
        self.exit(hoarder, atom("kill"));
      });
    });
  });

  describe("group_leader/2 of a process of another scheduler", () => {
    it("0 → 1: a signal after what the setter sent before; process_info and the process see the last one set", async () => {
      await node.runtime.run(async (self) => {
        const [first, second] = [self.spawn(parked), self.spawn(parked)];
        const puppet = await puppetOn(self, 1);
        assert.equal(self.setGroupLeader(first, puppet), true);
        assert.equal(self.setGroupLeader(second, puppet), true);
        assertTerm(await order(self, puppet, "group_leader"), second, "what the process itself sees");
        assertTerm((await infoOf(puppet))?.groupLeader, second, "process_info");
        assert.equal(node.runtime.setGroupLeader(puppet, first), true, "from outside any process");
        assertTerm((await infoOf(puppet))?.groupLeader, first);
        self.exit(puppet, atom("kill"));
        self.exit(first, atom("kill"));
        self.exit(second, atom("kill"));
      });
    });

    it("to a dead process of scheduler 1: the signal is dropped there, and the setter goes on", async () => {
      await node.runtime.run(async (self) => {
        const dead = await deadPidOn(self, 1);
        assert.equal(self.setGroupLeader(self.pid, dead), true);
        assert.equal(await infoOf(dead), undefined);
        const puppet = await puppetOn(self, 1);
        assert.equal(await order(self, puppet, "is_alive", puppet), true, "scheduler 1 runs on");
        self.exit(puppet, atom("kill"));
      });
    });
  });

  /** Waits, with a deadline, until `self` has a message queued (without taking it). */
  async function untilQueued(self: Process): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    while (node.runtime.processInfo(self.pid)!.messageQueueLen === 0) {
      if (Date.now() > deadline) assert.fail(`no message came within ${DEADLINE_MS} ms: ${format(self.pid)}`);
      await self.receive(() => false, { timeout: 1 });
    }
  }
});
