// Spawning on another scheduler, after the runtime's feature suite (01): spawn_monitor and spawn_link of a child
// that ends at once (the link or monitor holds before it runs), between two worker schedulers too, a function the
// scheduler lacks (undef, as the BEAM), a scheduler the node lacks, the group leader a child inherits (and one set
// with group_leader/2 from another scheduler), the process flags (trapExit, priority) a process of another scheduler
// sets, and the spawn options a spawn on another scheduler carries (priority, trapExit, name) or answers badopt for.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  type DistError,
  EXIT,
  format,
  isSpawnReply,
  type Pid,
  type Priority,
  type ProcessError,
  ProcessExit,
  spawnRemote,
  Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  answer,
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
    it("group_leader/2 from 1 → 2: the target sees it in the next message from the setter", async () => {
      await node.runtime.run(async (self) => {
        const leader = self.spawn(async (p) => void (await p.receive()));
        const [setter, target] = [await puppetOn(self, 1), await puppetOn(self, 2)];
        assert.equal(await order(self, setter, "set_group_leader", leader, target), true);
        // Asked by the setter, down the ring that carried its signal: the target answers its controller (self).
        const asked = { ref: self.makeRef(), what: "the target's group leader" };
        await order(self, setter, "send", target, tuple(atom("do"), asked.ref, atom("group_leader"), []));
        assertTerm(await answer(self, asked), tuple(atom("ok"), leader));
        const [info] = await node.runtime.nodeProcessInfo([target]);
        assertTerm(info?.groupLeader, leader);
        for (const p of [setter, target, leader]) self.exit(p, atom("kill"));
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

  describe("spawn options", () => {
    it("priority, trapExit and a name given to a spawn on scheduler 1 hold from its start; 2 → 1 too", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_spawn_named_${process.pid}`);
        const options = { scheduler: 1, priority: "high", trapExit: true, name } as const;
        const pid = await spawnRemote(self, node.name, "sched_workers", "echo", [], options);
        const [info] = await node.runtime.nodeProcessInfo([pid]);
        assert.equal(info?.priority, "high");
        assert.equal(info?.trapExit, true);
        assert.equal(info?.registeredName, name);
        assertTerm(node.runtime.whereis(name), pid);
        const puppet = await puppetOn(self, 2);
        const spawnOptions = [tuple(atom("priority"), atom("low")), tuple(atom("trap_exit"), true)];
        const requested = await order(
          self,
          puppet,
          "spawn_request_on",
          1,
          atom("sched_workers"),
          atom("echo"),
          [],
          spawnOptions,
        );
        const [theirs] = await node.runtime.nodeProcessInfo([requested as Pid]);
        assert.equal(theirs?.priority, "low");
        assert.equal(theirs?.trapExit, true);
        for (const p of [pid, requested as Pid, puppet]) self.exit(p, atom("kill"));
      });
    });

    it("what scheduler 1 cannot honour is badopt — {priority, max}, an unknown option, a malformed one", async () => {
      await node.runtime.run(async (self) => {
        const bad = [tuple(atom("priority"), atom("max")), atom("nope"), tuple(atom("fullsweep_after"), 0, 1)];
        for (const option of bad) {
          const ref = self.spawnRequest(node.name, atom("sched_workers"), atom("echo"), [], {
            scheduler: 1,
            spawnOptions: [option],
          });
          const answer = await receiveWithin(self, (m) => isSpawnReply(m, ref), "the spawn reply", ref);
          assertTerm(answer, tuple(atom("spawn_reply"), ref, atom("error"), atom("badopt")), format(option));
        }
      });
    });

    it("the BEAM's memory tuning ({fullsweep_after, N}, {message_queue_data, off_heap}) spawns, without effect", async () => {
      await node.runtime.run(async (self) => {
        const tuning = [tuple(atom("fullsweep_after"), 0), tuple(atom("message_queue_data"), atom("off_heap"))];
        const ref = self.spawnRequest(node.name, atom("sched_workers"), atom("echo"), [], {
          scheduler: 1,
          spawnOptions: tuning,
        });
        const answer = await receiveWithin(self, (m) => isSpawnReply(m, ref), "the spawn reply", ref);
        assert.ok(answer instanceof Tuple && answer.elements[2] === atom("ok"), format(answer));
        self.exit(answer.elements[3] as Pid, atom("kill"));
      });
    });

    it("a value with no term form (a JS closure) cannot cross: badopt, and the caller lives on", async () => {
      await node.runtime.run(async (self) => {
        const closure = (() => "high") as unknown as Priority;
        for (const options of [{ priority: closure }, { trapExit: "yes" as unknown as boolean }]) {
          await assert.rejects(
            spawnRemote(self, node.name, "sched_workers", "echo", [], { scheduler: 1, ...options }),
            (e: ProcessError) => {
              assert.equal(e.code, "PROC_BAD_ARG");
              return true;
            },
          );
        }
        const pid = await spawnOn(self, 1, "sched_workers", "echo");
        self.exit(pid, atom("kill"));
      });
    });

    it("a name already held: nothing is spawned on scheduler 1 and the caller gets a DIST_SPAWN error", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_spawn_taken_${process.pid}`);
        self.register(name);
        const options = { scheduler: 1, name };
        await assert.rejects(spawnRemote(self, node.name, "sched_workers", "echo", [], options), (e: DistError) => {
          assert.equal(e.code, "DIST_SPAWN");
          assert.match(e.message, /badarg/);
          return true;
        });
        assertTerm(node.runtime.whereis(name), self.pid);
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
