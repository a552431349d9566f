// Messages between processes on different schedulers of one node: terms arrive intact, each sender–receiver
// pair keeps its order under load (0→1, 1→0, 1→1, and several senders on different schedulers to one receiver),
// selective receive works on messages that came from another scheduler, and between two worker schedulers (2→1)
// an exit signal and a DOWN keep their place among the messages of their sender.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, BitString, equals, format, ImproperList, map, type Term, Tuple, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  answer,
  order,
  receiveWithin,
  reported,
  schedulerOf,
  spawnOn,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const LOAD = 100_000;
const SEQ = atom("seq");

describe("messages between schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_msg", 3);
  });
  after(() => node.stop());

  it("carries every kind of term from scheduler 0 to 1 and back unchanged", async () => {
    await node.runtime.run(async (self) => {
      const echo = await spawnOn(self, 1, "sched_workers", "echo");
      assert.equal(schedulerOf(echo, 3), 1);
      const term: Term = tuple(
        atom("all"),
        [1, -1, 2 ** 40, 12345678901234567890n, 1.5, Buffer.from("bytes"), new BitString(Buffer.from([0xf0]), 4)],
        new ImproperList([atom("a")], atom("b")),
        self.pid,
        self.makeRef(),
        map([[atom("k"), Buffer.from("v")]]),
        "utf8 ✓",
      );
      self.send(echo, tuple(self.pid, term));
      const reply = (await receiveWithin(self, (m) => m instanceof Tuple, "echo")) as Tuple;
      assert.ok(equals(reply.at(0)!, echo), `reply from ${format(reply.at(0)!)}`);
      assert.ok(equals(reply.at(1)!, term), `came back as ${format(reply.at(1)!)}`);
      self.send(echo, atom("stop"));
    });
  });

  it(`keeps the order of ${LOAD} messages from a process on scheduler 0 to one on scheduler 1`, async () => {
    await node.runtime.run(async (self) => {
      const checker = await spawnOn(self, 1, "sched_mailbox", "checkOrder", [self.pid, LOAD]);
      for (let i = 1; i <= LOAD; i++) self.send(checker, tuple(SEQ, self.pid, i));
      const verdict = await receiveWithin(self, tagged("ordered"), "order verdict");
      assert.ok(equals(verdict, tuple(atom("ordered"), LOAD, 0, atom("none"))), format(verdict));
    });
  });

  it(`keeps the order of ${LOAD} messages from a process on scheduler 1 to one on scheduler 0`, async () => {
    await node.runtime.run(async (self) => {
      const sender = await spawnOn(self, 1, "sched_puppet", "puppet", [self.pid]);
      const burst = tell(self, sender, "burst", self.pid, LOAD);
      let expected = 1;
      while (expected <= LOAD) {
        const m = (await receiveWithin(self, tagged("seq", sender), `message ${expected}`)) as Tuple;
        if (m.at(2) !== expected) assert.fail(`message ${expected} came as ${format(m)}`);
        expected++;
      }
      assert.ok(equals(await answer(self, burst), tuple(atom("ok"), atom("ok"))));
    });
  });

  it("keeps each pair's order when senders on schedulers 0, 1 and 2 send to one receiver on scheduler 1", async () => {
    const each = 30_000;
    await node.runtime.run(async (self) => {
      const checker = await spawnOn(self, 1, "sched_mailbox", "checkOrder", [self.pid, 3 * each]);
      const sameScheduler = await spawnOn(self, 1, "sched_puppet", "puppet", [self.pid]);
      const otherScheduler = await spawnOn(self, 2, "sched_puppet", "puppet", [self.pid]);
      assert.deepEqual([schedulerOf(sameScheduler, 3), schedulerOf(otherScheduler, 3)], [1, 2]);
      const bursts = [
        tell(self, sameScheduler, "burst", checker, each),
        tell(self, otherScheduler, "burst", checker, each),
      ];
      for (let i = 1; i <= each; i++) self.send(checker, tuple(SEQ, self.pid, i));
      for (const burst of bursts) assert.ok(equals(await answer(self, burst), tuple(atom("ok"), atom("ok"))));
      const verdict = await receiveWithin(self, tagged("ordered"), "order verdict");
      assert.ok(equals(verdict, tuple(atom("ordered"), 3 * each, 0, atom("none"))), format(verdict));
    });
  });

  it("lets a process on scheduler 1 receive selectively from messages sent on scheduler 0", async () => {
    await node.runtime.run(async (self) => {
      const [a, b, c] = [atom("a"), atom("b"), atom("c")];
      const picker = await spawnOn(self, 1, "sched_mailbox", "pickByTag", [self.pid, [b, a], 3]);
      for (let i = 1; i <= 3; i++) {
        self.send(picker, tuple(a, i));
        self.send(picker, tuple(b, i * 10));
      }
      self.send(picker, tuple(c, 0));
      self.send(picker, atom("go"));
      const picked = await receiveWithin(self, tagged("picked"), "picked messages");
      assert.ok(equals(picked, tuple(atom("picked"), [10, 20, 30, 1, 2, 3], [tuple(c, 0)])), format(picked));
    });
  });

  it("lets a process on scheduler 0 receive selectively from messages sent on scheduler 1", async () => {
    await node.runtime.run(async (self) => {
      const sender = await spawnOn(self, 1, "sched_puppet", "puppet", [self.pid]);
      for (const tag of ["x", "y", "x", "y"]) await order(self, sender, "send", self.pid, tuple(atom(tag), sender));
      const first = await receiveWithin(self, tagged("y"), "the first y");
      const rest: Term[] = [];
      for (let i = 0; i < 3; i++) rest.push(await receiveWithin(self, undefined, "the rest"));
      assert.ok(equals(first, tuple(atom("y"), sender)));
      assert.deepEqual(
        rest.map((m) => ((m as Tuple).at(0) as { name: string }).name),
        ["x", "x", "y"],
      );
    });
  });

  it("sends from one process on scheduler 1 to another on scheduler 1 through their own scheduler", async () => {
    await node.runtime.run(async (self) => {
      const checker = await spawnOn(self, 1, "sched_mailbox", "checkOrder", [self.pid, 5000]);
      const sender = await spawnOn(self, 1, "sched_puppet", "puppet", [self.pid]);
      await order(self, sender, "burst", checker, 5000);
      const verdict = await receiveWithin(self, tagged("ordered"), "order verdict");
      assert.ok(equals(verdict, tuple(atom("ordered"), 5000, 0, atom("none"))), format(verdict));
    });
  });

  it("2→1: messages, an exit signal and a DOWN from a process of scheduler 2 reach one of 1 in the order sent", async () => {
    await node.runtime.run(async (self) => {
      const receiver = await spawnOn(self, 1, "sched_puppet", "puppet", [self.pid]);
      const sender = await spawnOn(self, 2, "sched_puppet", "puppet", [self.pid]);
      await order(self, receiver, "trap_exit", true);
      const ref = await order(self, receiver, "monitor", sender);
      await order(self, sender, "send", receiver, 1);
      await order(self, sender, "exit", receiver, atom("bye"));
      await order(self, sender, "send", receiver, 2);
      tell(self, sender, "die", atom("gone"));
      const got: Term[] = [];
      for (let i = 0; i < 4; i++) got.push(await reported(self, receiver, `signal ${i + 1}`));
      assert.ok(
        equals(got, [
          1,
          tuple(atom("EXIT"), sender, atom("bye")),
          2,
          tuple(atom("DOWN"), ref, atom("process"), sender, atom("gone")),
        ]),
        format(got),
      );
    });
  });
});
