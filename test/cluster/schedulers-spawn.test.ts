// Spawning on another scheduler, after the runtime's feature suite (01): spawn_monitor and spawn_link of a child
// that ends at once (the link or monitor holds before it runs), between two worker schedulers too, a function the
// scheduler lacks (undef, as the BEAM), a scheduler the node lacks, the group leader a child inherits, and the
// process flags (trapExit, priority) a process of another scheduler sets.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, EXIT, type Pid, type ProcessError, ProcessExit, type Tuple, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertTerm,
  downReason,
  exitMessageFrom,
  order,
  puppetOn,
  receiveWithin,
  reported,
  schedulerOf,
  spawnMonitorOn,
  spawnOn,
  startSchedulersNode,
  tagged,
} from "../fixtures/schedulers/harness.ts";

const COUNT = 3;
const BYE = atom("bye");
const TRAPPING = { trapExit: true };

describe("spawning across schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_spawn", COUNT);
  });
  after(() => node.stop());

  describe("a child that ends at once", () => {
    it("spawn_monitor on scheduler 1 gives the DOWN with the reason of a child that exits before anything else", async () => {
      await node.runtime.run(async (self) => {
        const { pid, ref } = await spawnMonitorOn(self, 1, "sched_workers", "exitAtOnce", [BYE]);
        assert.equal(schedulerOf(pid, COUNT), 1);
        assertTerm(await downReason(self, ref), BYE);
      });
    });

    it("spawn_link on scheduler 1: a child that exits at once reaches its trapping parent", async () => {
      await node.runtime.run(async (self) => {
        const child = await spawnOn(self, 1, "sched_workers", "exitAtOnce", [BYE], { link: true });
        assertTerm(await exitMessageFrom(self, child), tuple(EXIT, child, BYE));
        assert.deepEqual(node.runtime.processInfo(self.pid)!.links, [], "the link went with the child");
      }, TRAPPING);
    });

    it("spawn_link on scheduler 1: a child that exits at once takes down a parent that does not trap", async () => {
      await node.runtime.run(async (self) => {
        const { ref } = self.spawnMonitor(async (p) => {
          await spawnOn(p, 1, "sched_workers", "exitAtOnce", [BYE], { link: true });
          await p.receive();
        });
        assertTerm(await downReason(self, ref, "the parent's DOWN"), BYE);
      });
    });

    it("1→2: a process of scheduler 1 spawn_links on scheduler 2; the child's exit reaches it", async () => {
      await node.runtime.run(async (self) => {
        const parent = await puppetOn(self, 1);
        await order(self, parent, "trap_exit", true);
        const args = [2, atom("sched_workers"), atom("exitAtOnce"), [BYE]];
        const child = (await order(self, parent, "spawn_link_on", ...args)) as Pid;
        assert.equal(schedulerOf(child, COUNT), 2);
        assertTerm(await reported(self, parent, "EXIT", tagged("EXIT")), tuple(EXIT, child, BYE));
      });
    });

    it("2→1: the parent's crash on scheduler 2 kills its linked child on scheduler 1", async () => {
      await node.runtime.run(async (self) => {
        const parent = await puppetOn(self, 2);
        const args = [1, atom("sched_workers"), atom("echo"), []];
        const child = (await order(self, parent, "spawn_link_on", ...args)) as Pid;
        assert.equal(schedulerOf(child, COUNT), 1);
        const watch = self.monitor(child);
        self.exit(parent, BYE);
        assertTerm(await downReason(self, watch, "the child's DOWN"), BYE);
      });
    });
  });

  it("a function scheduler 1 does not have gives a pid whose process exits with undef (as on the BEAM)", async () => {
    await node.runtime.run(async (self) => {
      const { ref } = await spawnMonitorOn(self, 1, "sched_workers", "no_such_function", [1]);
      assertTerm(
        await downReason(self, ref),
        tuple(atom("undef"), [tuple(atom("sched_workers"), atom("no_such_function"), [1], [])]),
      );
    });
  });

  it("a scheduler the node does not have is a bad option (badopt), and the caller lives on", async () => {
    await node.runtime.run(async (self) => {
      await assert.rejects(spawnOn(self, COUNT, "sched_workers", "echo"), (e: ProcessError) => {
        assert.equal(e.code, "PROC_BAD_ARG");
        return true;
      });
      const pid = await spawnOn(self, COUNT - 1, "sched_workers", "echo");
      self.exit(pid, atom("kill"));
    });
  });

  describe("the group leader", () => {
    it("a child on scheduler 1 has its spawner's group leader; its own child on 2 has it too", async () => {
      await node.runtime.run(async (self) => {
        const { pid: leader } = self.spawnMonitor(async (p) => void (await p.receive()));
        self.setGroupLeader(leader);
        const puppet = await puppetOn(self, 1);
        assertTerm(await order(self, puppet, "group_leader"), leader);
        const args = [2, atom("sched_workers"), atom("echo"), []];
        const grandchild = (await order(self, puppet, "spawn_link_on", ...args)) as Pid;
        const [info] = await node.runtime.nodeProcessInfo([grandchild]);
        assertTerm(info?.groupLeader, leader);
        self.exit(puppet, atom("kill"));
        self.exit(leader, atom("kill"));
      });
    });

    it("a process of scheduler 0 spawned by one of scheduler 1 gets that one's group leader", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const theirs = await order(self, puppet, "group_leader");
        const args = [0, atom("sched_workers"), atom("echo"), []];
        const child = (await order(self, puppet, "spawn_link_on", ...args)) as Pid;
        assertTerm(node.runtime.processInfo(child)?.groupLeader, theirs);
        self.exit(puppet, atom("kill"));
      });
    });
  });

  describe("process flags", () => {
    it("trapExit and priority that a process of scheduler 1 sets show in its process_info on 0", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        assertTerm(await order(self, puppet, "set_priority", atom("high")), atom("normal"));
        await order(self, puppet, "trap_exit", true);
        const [info] = await node.runtime.nodeProcessInfo([puppet]);
        assert.equal(info?.priority, "high");
        assert.equal(info?.trapExit, true);
        assertTerm(await order(self, puppet, "set_priority", atom("low")), atom("high"));
        self.exit(puppet, atom("kill"));
      });
    });
  });

  it("a linked child of scheduler 1 whose spawner ended before the reply gets the spawner's exit reason", async () => {
    await node.runtime.run(async (self) => {
      // The spawner asks for a linked child and dies before the answer can reach it (its body ends at once).
      const { ref } = self.spawnMonitor((p) => {
        p.spawnRequest(node.name, atom("sched_workers"), atom("forwardTrapping"), [self.pid], {
          scheduler: 1,
          link: true,
        });
        throw new ProcessExit(BYE);
      });
      assertTerm(await downReason(self, ref, "the spawner's DOWN"), BYE);
      const forwarded = (await receiveWithin(self, tagged("EXIT"), "the child's EXIT from its spawner")) as Tuple;
      assertTerm(forwarded.at(2), BYE);
    });
  });
});
