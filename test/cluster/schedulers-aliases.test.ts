// Aliases, timers and GenServer calls between processes on different schedulers of one node: messages to an
// alias made on the other scheduler (and none after unalias), send_after to a pid of the other scheduler, and a
// GenServer started on scheduler 1 called from 0 (by pid and by name) and one on 0 called from 1.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Ref,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  order,
  puppetOn,
  receiveWithin,
  reported,
  spawnOn,
  startSchedulersNode,
  tagged,
} from "../fixtures/schedulers/harness.ts";

const UNDEFINED = atom("undefined");

describe("aliases, timers and GenServer calls across schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_alias", 2);
  });
  after(() => node.stop());

  describe("aliases", () => {
    it("0→1: messages to an alias made on scheduler 1 arrive; after unalias they are dropped", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const alias = (await order(self, puppet, "alias")) as Ref;
        self.send(alias, atom("via_alias"));
        assertTerm(await reported(self, puppet, "the alias message"), atom("via_alias"));
        assert.equal(await order(self, puppet, "unalias", alias), true);
        self.send(alias, atom("too_late"));
        await order(self, puppet, "is_alive", puppet); // a round trip after the late message
        await assertNothing(self, tagged("got"), "a message to a dropped alias");
      });
    });

    it("1→0: a process on scheduler 1 sends to an alias made on 0", async () => {
      await node.runtime.run(async (self) => {
        const alias = self.alias();
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "send", alias, atom("to_alias"));
        assertTerm(await receiveWithin(self, (m) => m === atom("to_alias"), "the alias message"), atom("to_alias"));
        self.unalias(alias);
        await order(self, puppet, "send", alias, atom("after_unalias"));
        await assertNothing(self, (m) => m === atom("after_unalias"), "a message to a dropped alias");
      });
    });
  });

  describe("timers", () => {
    it("send_after from scheduler 0 to a pid on scheduler 1", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        node.runtime.sendAfter(10, puppet, atom("tick"));
        assertTerm(await reported(self, puppet, "the timer's message"), atom("tick"));
      });
    });

    it("send_after from scheduler 1 to a pid on scheduler 0, and to a name held there", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_timer_${process.pid}`);
        self.register(name);
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "send_after", 10, self.pid, atom("tock"));
        await order(self, puppet, "send_after", 10, name, atom("tock_by_name"));
        assertTerm(await receiveWithin(self, (m) => m === atom("tock"), "the timer's message"), atom("tock"));
        assertTerm(await receiveWithin(self, (m) => m === atom("tock_by_name"), "by name"), atom("tock_by_name"));
      });
    });
  });

  describe("GenServer", () => {
    async function startCounterOn1(self: Parameters<Parameters<OtterNode["runtime"]["run"]>[0]>[0], name: Term) {
      await spawnOn(self, 1, "sched_servers", "startCounter", [self.pid, 5, name]);
      const started = (await receiveWithin(self, (m) => m instanceof Tuple, "the server's start")) as Tuple;
      assertTerm(started.at(0), atom("started"), "the server started");
      return started.at(1) as Pid;
    }

    it("a server started on scheduler 1 answers calls from 0 and takes casts", async () => {
      await node.runtime.run(async (self) => {
        const server = await startCounterOn1(self, UNDEFINED);
        assert.equal(server.id % 2, 1);
        assert.equal(await GenServer.call(self, server, atom("where")), 1);
        assert.equal(await GenServer.call(self, server, atom("get")), 5);
        assert.equal(await GenServer.call(self, server, atom("bump")), 6);
        GenServer.cast(self, server, atom("bump"));
        assert.equal(await GenServer.call(self, server, atom("get")), 7);
        await GenServer.stop(self, server);
      });
    });

    it("a server registered on scheduler 1 is called by name and by {Name, Node} from 0", async () => {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_counter_${process.pid}`);
        const server = await startCounterOn1(self, name);
        assertTerm(node.runtime.whereis(name), server);
        assert.equal(await GenServer.call(self, name, atom("bump")), 6);
        assert.equal(await GenServer.call(self, { name, node: node.name }, atom("bump")), 7);
        await GenServer.stop(self, name);
        assert.equal(node.runtime.whereis(name), undefined);
      });
    });

    it("a call from 0 to a server on 1 that is gone exits the caller with noproc", async () => {
      await node.runtime.run(async (self) => {
        const server = await startCounterOn1(self, UNDEFINED);
        await GenServer.stop(self, server);
        await assert.rejects(GenServer.call(self, server, atom("get")), (e: { reason?: Term }) => {
          assertTerm(e.reason, tuple(atom("noproc"), tuple(atom("gen_server"), atom("call"), [server, atom("get")])));
          return true;
        });
      });
    });

    it("a process on scheduler 1 calls a server on scheduler 0", async () => {
      const echo: GenServerCallbacks<null, null, Term, Term, Term> = {
        init: () => ({ state: null }),
        handleCall: (_self, request) => ({ reply: tuple(atom("echo"), request), state: null }),
      };
      await node.runtime.run(async (self) => {
        const started = await GenServer.start(self, echo, null);
        assert.ok("pid" in started);
        const puppet = await puppetOn(self, 1);
        assertTerm(await order(self, puppet, "call", started.pid, 42), tuple(atom("echo"), 42));
        await GenServer.stop(self, started.pid);
      });
    });
  });
});
