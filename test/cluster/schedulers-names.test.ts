// Registered names are the node's, whichever scheduler's process holds them: send by name and by {Name, Node}
// across, whereis and registered() see every scheduler, a name held anywhere is taken everywhere, and a name is
// free again by the time its holder's monitors hear of its exit.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, type Pid, type ProcessError, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertTerm,
  downReason,
  order,
  outcome,
  puppetOn,
  receiveWithin,
  reported,
  startSchedulersNode,
  tell,
} from "../fixtures/schedulers/harness.ts";

const BYE = atom("bye");
const UNDEFINED = atom("undefined");
let names = 0;
const fresh = () => atom(`sched_name_${process.pid}_${++names}`);

describe("registered names across schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_names", 2);
  });
  after(() => node.stop());

  it("a name registered on scheduler 1 takes sends by Name and by {Name, Node} from scheduler 0", async () => {
    await node.runtime.run(async (self) => {
      const name = fresh();
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "register", name);
      self.send(name, atom("by_name"));
      self.send({ name, node: node.name }, atom("by_name_and_node"));
      assertTerm(await reported(self, puppet, "by_name"), atom("by_name"));
      assertTerm(await reported(self, puppet, "by_name_and_node"), atom("by_name_and_node"));
    });
  });

  it("a process on scheduler 1 sends by name to a process registered on 0", async () => {
    await node.runtime.run(async (self) => {
      const name = fresh();
      self.register(name);
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "send", name, atom("hello"));
      await order(self, puppet, "send", tuple(name, node.name), atom("again"));
      assertTerm(await receiveWithin(self, (m) => m === atom("hello"), "by name"), atom("hello"));
      assertTerm(await receiveWithin(self, (m) => m === atom("again"), "by {Name, Node}"), atom("again"));
    });
  });

  it("whereis and registered() see the names of both schedulers", async () => {
    await node.runtime.run(async (self) => {
      const [here, there] = [fresh(), fresh()];
      self.register(here);
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "register", there);
      assertTerm(node.runtime.whereis(there), puppet);
      assertTerm(await order(self, puppet, "whereis", here), self.pid);
      for (const seen of [node.runtime.registered(), (await order(self, puppet, "registered")) as unknown[]]) {
        assert.ok(seen.includes(here) && seen.includes(there), `registered() lists both: ${seen.length} names`);
      }
    });
  });

  it("a name held on one scheduler is taken on the other, both ways", async () => {
    await node.runtime.run(async (self) => {
      const [mine, theirs] = [fresh(), fresh()];
      self.register(mine);
      const puppet = await puppetOn(self, 1);
      assertTerm(await outcome(self, puppet, "register", mine), tuple(atom("error"), atom("PROC_NAME_TAKEN")));
      await order(self, puppet, "register", theirs);
      assert.throws(
        () => self.register(theirs),
        (e: ProcessError) => e.code === "PROC_NAME_TAKEN",
      );
      assertTerm(node.runtime.whereis(theirs), puppet);
    });
  });

  it("a name is free again by the time the DOWN of its holder on the other scheduler arrives", async () => {
    await node.runtime.run(async (self) => {
      const name = fresh();
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "register", name);
      const watch = self.monitor(puppet);
      tell(self, puppet, "die", BYE);
      assertTerm(await downReason(self, watch), BYE);
      assert.equal(node.runtime.whereis(name), undefined);
      assert.ok(!node.runtime.registered().includes(name));
      self.register(name); // as a restarted server does
      assertTerm(node.runtime.whereis(name), self.pid);
    });
  });

  it("a name freed on scheduler 0 can be taken on 1, and sends then go there", async () => {
    await node.runtime.run(async (self) => {
      const name = fresh();
      self.register(name);
      node.runtime.unregister(name);
      const puppet = await puppetOn(self, 1);
      await order(self, puppet, "register", name);
      self.send(name, atom("moved"));
      assertTerm(await reported(self, puppet, "moved"), atom("moved"));
    });
  });

  it("a send to a free name fails with badarg on either scheduler; to {Name, Node} it is dropped", async () => {
    await node.runtime.run(async (self) => {
      const name = fresh();
      assert.throws(
        () => self.send(name, atom("lost")),
        (e: ProcessError) => e.code === "PROC_NOT_REGISTERED",
      );
      self.send({ name, node: node.name }, atom("lost"));
      const puppet = await puppetOn(self, 1);
      assertTerm(
        await outcome(self, puppet, "send", name, atom("lost")),
        tuple(atom("error"), atom("PROC_NOT_REGISTERED")),
      );
      assertTerm(
        await outcome(self, puppet, "send", tuple(name, node.name), atom("lost")),
        tuple(atom("ok"), atom("ok")),
      );
      assertTerm(await order(self, puppet, "whereis", name), UNDEFINED);
    });
  });

  it("unregister/1 from scheduler 0 of a name held on scheduler 1 frees it (erlang:unregister works on any name)", async () => {
    await node.runtime.run(async (self) => {
      const name = fresh();
      const puppet: Pid = await puppetOn(self, 1);
      await order(self, puppet, "register", name);
      node.runtime.unregister(name);
      assert.equal(node.runtime.whereis(name), undefined);
      self.register(name); // free node-wide at once
      node.runtime.unregister(name);
      // Scheduler 1 has heard of it by the time the puppet's next order comes (same ring, in order): the name is
      // gone there too, and the puppet, no longer named, may take a name again.
      assertTerm(await order(self, puppet, "whereis", name), UNDEFINED);
      assertTerm(await order(self, puppet, "register", name), atom("ok"));
      assert.deepEqual(node.runtime.whereis(name), puppet);
    });
  });
});
