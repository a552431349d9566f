// Exit signals and links between processes on different schedulers of one node: spawn_link and crash
// propagation both ways, trapExit's {'EXIT', Pid, Reason}, exit/2 with a reason, normal and kill, unlink, and a
// link to a dead pid of another scheduler (noproc, by signal, as for a pid that is not cheap to check).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  EXIT,
  KILL,
  KILLED,
  NOPROC,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  type Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  deadPidOn,
  downReason,
  exitMessageFrom,
  order,
  puppetOn,
  receiveWithin,
  reported,
  spawnOn,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const BYE = atom("bye");
const GO = atom("go");
const TRAPPING = { trapExit: true };
const CHILD = atom("child");
const NEVER = atom("never");

/** The pid in the `{child, Pid}` a parent sends. */
async function childOf(self: Process): Promise<Pid> {
  return ((await receiveWithin(self, tagged("child"), "the child's pid")) as Tuple).at(1) as Pid;
}

describe("links and exit signals between schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_link", 2);
  });
  after(() => node.stop());

  /** A process of scheduler 0 that waits for anything; `ref` monitors it. */
  function waiterHere(self: Process, options: { trapExit?: boolean } = {}) {
    return self.spawnMonitor(async (p) => void (await p.receive()), options);
  }

  describe("spawn_link", () => {
    it("0→1: the child's crash reaches its trapping parent as {'EXIT', Child, Reason}", async () => {
      await node.runtime.run(async (self) => {
        const child = await spawnOn(self, 1, "sched_workers", "exitOnGo", [BYE], { link: true });
        assert.deepEqual(node.runtime.processInfo(self.pid)!.links, [child]);
        self.send(child, GO);
        assertTerm(await exitMessageFrom(self, child), tuple(EXIT, child, BYE));
      }, TRAPPING);
    });

    it("0→1: the child's crash kills a parent that does not trap exits", async () => {
      await node.runtime.run(async (self) => {
        const { ref } = self.spawnMonitor(async (p) => {
          const child = await spawnOn(p, 1, "sched_workers", "exitOnGo", [BYE], { link: true });
          p.send(self.pid, tuple(CHILD, child));
          await p.receive((m) => m === NEVER);
        });
        self.send(await childOf(self), GO);
        assertTerm(await downReason(self, ref, "the parent's DOWN"), BYE);
      });
    });

    it("0→1: the parent's crash kills the child on scheduler 1", async () => {
      await node.runtime.run(async (self) => {
        const { pid: parent, ref: parentRef } = self.spawnMonitor(async (p) => {
          const child = await spawnOn(p, 1, "sched_workers", "echo", [], { link: true });
          p.send(self.pid, tuple(CHILD, child));
          await p.receive((m) => m === GO);
          throw new ProcessExit(BYE);
        });
        const childRef = self.monitor(await childOf(self));
        self.send(parent, GO);
        assertTerm(await downReason(self, parentRef, "the parent's DOWN"), BYE);
        assertTerm(await downReason(self, childRef, "the child's DOWN"), BYE);
      });
    });

    it("1→0: a process on scheduler 1 spawn_links on scheduler 0; the child's crash reaches it", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "trap_exit", true);
        const child = (await order(self, puppet, "spawn_link_on", 0, atom("sched_workers"), atom("exitOnGo"), [
          BYE,
        ])) as Pid;
        assert.equal(child.id % 2, 0, "the child runs on scheduler 0");
        self.send(child, GO);
        assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, child, BYE));
      });
    });
  });

  it("1→0: a process on scheduler 1 linked to a crashing process on 0 gets {'EXIT', Pid, Reason} when trapping", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "trap_exit", true);
      const { pid: crasher } = waiterHere(self);
      await order(self, puppet, "link", crasher);
      self.exit(crasher, BYE);
      assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, crasher, BYE));
    });
  });

  it("1→0: a process on scheduler 1 that does not trap exits dies with the reason of a linked process on 0", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const watch = self.monitor(puppet);
      const { pid: crasher } = waiterHere(self);
      await order(self, puppet, "link", crasher);
      self.exit(crasher, BYE);
      assertTerm(await downReason(self, watch), BYE);
    });
  });

  it("1→1: two processes of scheduler 1 linked by a test on scheduler 0 pass a crash between them", async () => {
    await node.runtime.run(async (self) => {
      const [trapper, victim] = [await puppetOn(self, 1), await puppetOn(self, 1)];
      await order(self, trapper, "trap_exit", true);
      await order(self, trapper, "link", victim);
      tell(self, victim, "die", BYE);
      assertTerm(await reported(self, trapper, "EXIT", tagged("EXIT")), tuple(EXIT, victim, BYE));
    });
  });

  it("exit(Pid, Reason) across: a trapping process gets {'EXIT', From, Reason}, both ways", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "trap_exit", true);
      self.exit(puppet, BYE);
      assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, self.pid, BYE));
      await order(self, puppet, "exit", self.pid, BYE);
      assertTerm(await exitMessageFrom(self, puppet), tuple(EXIT, puppet, BYE));
    }, TRAPPING);
  });

  it("exit(Pid, Reason) across kills a process that does not trap exits; exit(Pid, normal) does not", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const watch = self.monitor(puppet);
      self.exit(puppet, NORMAL);
      assert.equal(await order(self, puppet, "is_alive", puppet), true, "alive after exit(Pid, normal)");
      self.exit(puppet, BYE);
      assertTerm(await downReason(self, watch), BYE);
      const { pid: target, ref } = waiterHere(self);
      const other = await puppetOn(self, 1);
      await order(self, other, "exit", target, NORMAL);
      await order(self, other, "exit", target, BYE);
      assertTerm(await downReason(self, ref), BYE);
    });
  });

  it("exit(Pid, kill) across kills a trapping process with reason killed, both ways", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "trap_exit", true);
      const watch = self.monitor(puppet);
      self.exit(puppet, KILL);
      assertTerm(await downReason(self, watch), KILLED);
      const { pid: target, ref } = waiterHere(self, TRAPPING);
      const killer = await puppetOn(self, 1);
      await order(self, killer, "exit", target, KILL);
      assertTerm(await downReason(self, ref), KILLED);
    });
  });

  it("a linked process that dies of kill sends killed across, which a trapping process gets", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      self.link(puppet);
      self.exit(puppet, KILL);
      assertTerm(await exitMessageFrom(self, puppet), tuple(EXIT, puppet, KILLED));
    }, TRAPPING);
  });

  it("unlink across: a crash no longer spreads, either way", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "trap_exit", true);
      self.link(puppet);
      self.unlink(puppet);
      const { pid: other, ref } = waiterHere(self);
      await order(self, puppet, "link", other);
      await order(self, puppet, "unlink", other);
      self.exit(other, BYE);
      assertTerm(await downReason(self, ref), BYE);
      await order(self, puppet, "is_alive", puppet); // a round trip: an EXIT sent to it would be reported by now
      await assertNothing(self, tagged("got"), "report of an EXIT after unlink");
      const watch = self.monitor(puppet);
      tell(self, puppet, "die", BYE);
      assertTerm(await downReason(self, watch), BYE);
      await assertNothing(self, tagged("EXIT"), "EXIT after unlink");
    }, TRAPPING);
  });

  describe("a link to a dead pid of the other scheduler (noproc by signal)", () => {
    it("0→1: a trapping linker gets {'EXIT', Dead, noproc}", async () => {
      await node.runtime.run(async (self) => {
        const dead = await deadPidOn(self, 1);
        self.link(dead); // the other scheduler's table is not ours to read: the answer comes as a signal
        assertTerm(await exitMessageFrom(self, dead), tuple(EXIT, dead, NOPROC));
        assert.deepEqual(node.runtime.processInfo(self.pid)!.links, [], "the link is gone again");
      }, TRAPPING);
    });

    it("0→1: a linker that does not trap exits dies with noproc", async () => {
      await node.runtime.run(async (self) => {
        const dead = await deadPidOn(self, 1);
        const { ref } = self.spawnMonitor(async (p) => {
          p.link(dead);
          await p.receive();
        });
        assertTerm(await downReason(self, ref), NOPROC);
      });
    });

    it("1→0: a trapping linker on scheduler 1 gets {'EXIT', Dead, noproc}; one that does not trap dies", async () => {
      await node.runtime.run(async (self) => {
        const { pid: dead, ref } = self.spawnMonitor(async () => {});
        assertTerm(await downReason(self, ref), NORMAL);
        const trapper = await puppetOn(self, 1);
        await order(self, trapper, "trap_exit", true);
        await order(self, trapper, "link", dead);
        assertTerm(await reported(self, trapper, "EXIT", tagged("EXIT")), tuple(EXIT, dead, NOPROC));
        const plain = await puppetOn(self, 1);
        const watch = self.monitor(plain);
        await order(self, plain, "link", dead);
        assertTerm(await downReason(self, watch), NOPROC);
      });
    });
  });
});
