// Timers aimed at a process of another scheduler, after erlang:start_timer/3's "the timer is automatically canceled if
// the process referred to by the pid is not alive": once that process has died, read_timer and cancel_timer of its
// timers answer false, whichever scheduler holds the timer (0 → 1, 1 → 0, 1 → 2) and whether it died before or after
// the timer started, or its scheduler's thread died; timers aimed at its living neighbours, and by name, are left
// alone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, NOCONNECTION, type Pid, type Ref } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  deadPidOn,
  downReason,
  order,
  puppetOn,
  reported,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const BYE = atom("bye");
const KILL = atom("kill");
const LONG_MS = 60_000;

/** Whether `left` is what read_timer or cancel_timer gives for a timer of LONG_MS that is still pending. */
function pending(left: unknown): boolean {
  return typeof left === "number" && left > 0 && left <= LONG_MS;
}

describe("timers aimed at a process of another scheduler", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_timers", 3);
  });
  after(() => node.stop());

  it("0 → 1: the target's death cancels start_timer and send_after timers, not those of a living neighbour", async () => {
    await node.runtime.run(async (self) => {
      const rt = self.runtime;
      const [target, neighbour] = [await puppetOn(self, 1), await puppetOn(self, 1)];
      const started = rt.startTimer(LONG_MS, target, atom("never"));
      const sent = rt.sendAfter(LONG_MS, target, atom("never"));
      const spared = rt.sendAfter(LONG_MS, neighbour, atom("later"));
      assert.ok(pending(rt.readTimer(started)), "read_timer while the target lives");
      const ref = self.monitor(target);
      tell(self, target, "die", BYE);
      await downReason(self, ref);
      assert.equal(rt.readTimer(started), false, "read_timer of a start_timer aimed at the dead process");
      assert.equal(rt.cancelTimer(started), false, "cancel_timer of it");
      assert.equal(rt.cancelTimer(sent), false, "cancel_timer of a send_after aimed at it");
      assert.ok(pending(rt.readTimer(spared)), "a timer aimed at a living process of the same scheduler");
      assert.ok(pending(rt.cancelTimer(spared)));
      self.exit(neighbour, KILL);
    });
  });

  it("0 → 1: a timer started after its target died reads as cancelled once scheduler 1 has answered", async () => {
    await node.runtime.run(async (self) => {
      const rt = self.runtime;
      const dead = await deadPidOn(self, 1);
      const timer = rt.startTimer(LONG_MS, dead, atom("never"));
      await rt.nodeProcessInfo([dead]); // a round trip to scheduler 1, behind the timer's word to it
      assert.equal(rt.readTimer(timer), false);
      assert.equal(rt.cancelTimer(timer), false);
    });
  });

  it("1 → 0: a timer of scheduler 1 aimed at a process of 0 reads as cancelled once that process died", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const { pid: target, ref } = self.spawnMonitor(async (p) => void (await p.receive()));
      const timer = (await order(self, puppet, "start_timer", LONG_MS, target, atom("never"))) as Ref;
      assert.ok(pending(await order(self, puppet, "read_timer", timer)), "read_timer while the target lives");
      self.exit(target, KILL);
      await downReason(self, ref);
      // What scheduler 0 sent scheduler 1 at the death goes before this order, down the same ring.
      assert.equal(await order(self, puppet, "read_timer", timer), false);
      assert.equal(await order(self, puppet, "cancel_timer", timer), false);
      self.exit(puppet, KILL);
    });
  });

  it("1 → 2: a timer of scheduler 1 aimed at a process of 2 reads as cancelled once its holder saw the DOWN", async () => {
    await node.runtime.run(async (self) => {
      const [holder, target] = [await puppetOn(self, 1), await puppetOn(self, 2)];
      const timer = (await order(self, holder, "start_timer", LONG_MS, target, atom("never"))) as Ref;
      const theirs = (await order(self, holder, "monitor", target)) as Ref;
      tell(self, target, "die", BYE);
      await reported(self, holder, "the DOWN of the target", tagged("DOWN", theirs));
      assert.equal(await order(self, holder, "read_timer", timer), false);
      assert.equal(await order(self, holder, "cancel_timer", timer), false);
      self.exit(holder, KILL);
    });
  });

  it("a timer aimed at a name held on scheduler 1 outlives the holder, as on the BEAM (the name is looked up when it fires)", async () => {
    await node.runtime.run(async (self) => {
      const rt = self.runtime;
      const name = atom(`sched_timers_${process.pid}`);
      const holder = await puppetOn(self, 1);
      await order(self, holder, "register", name);
      const timer = rt.sendAfter(LONG_MS, name, atom("never"));
      const ref = self.monitor(holder);
      tell(self, holder, "die", BYE);
      await downReason(self, ref);
      assert.ok(pending(rt.readTimer(timer)));
      assert.ok(pending(rt.cancelTimer(timer)));
    });
  });

  it("a timer that fired or was cancelled before its target died leaves nothing behind to answer for it", async () => {
    await node.runtime.run(async (self) => {
      const rt = self.runtime;
      const target: Pid = await puppetOn(self, 2);
      rt.sendAfter(1, target, atom("tick"));
      await reported(self, target, "the timer's message", (m) => m === atom("tick"));
      const cancelled = rt.startTimer(LONG_MS, target, atom("never"));
      assert.ok(pending(rt.cancelTimer(cancelled)));
      const ref = self.monitor(target);
      tell(self, target, "die", BYE);
      await downReason(self, ref);
      assert.equal(rt.readTimer(cancelled), false);
      await assertNothing(self, tagged("got"), "a message from a timer", 0);
    });
  });

  // Last: scheduler 1's thread is started again after it.
  it("the timers aimed at processes of a scheduler whose thread died are cancelled with it", async () => {
    await node.runtime.run(async (self) => {
      const rt = self.runtime;
      const target = await puppetOn(self, 1);
      const timer = rt.startTimer(LONG_MS, target, atom("never"));
      const ref = self.monitor(target);
      tell(self, target, "end_thread", self.pid, atom("exit"), 0);
      assertTerm(await downReason(self, ref, "the DOWN of the lost scheduler's process"), NOCONNECTION);
      assert.equal(rt.readTimer(timer), false);
      assert.equal(rt.cancelTimer(timer), false);
    });
  });
});
