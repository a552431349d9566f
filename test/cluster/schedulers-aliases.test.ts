// Aliases, timers, GenServer calls and supervision between processes on different schedulers of one node: messages
// to an alias made on the other scheduler (and none after unalias), send_after and start_timer to a pid of the
// other scheduler (and cancel_timer/read_timer of them), a GenServer started on scheduler 1 called from 0 (by pid
// and by name; a call it never answers, one it dies in) and one on 0 called from 1, and a supervisor on 0 shutting
// down its children of scheduler 1.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  EXIT,
  GenServer,
  type GenServerCallbacks,
  KILLED,
  type Pid,
  type Process,
  type Ref,
  SHUTDOWN,
  Supervisor,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  downReason,
  order,
  puppetOn,
  receiveWithin,
  reported,
  spawnOn,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const UNDEFINED = atom("undefined");

describe("aliases, timers, GenServer calls and supervision across schedulers", () => {
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

    it("0→1: a reply alias of scheduler 1 takes one message; an alias of a process that died drops them", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const once = (await order(self, puppet, "alias", true)) as Ref;
        self.send(once, atom("first"));
        self.send(once, atom("second"));
        assertTerm(await reported(self, puppet, "the reply alias's message"), atom("first"));
        const alias = (await order(self, puppet, "alias")) as Ref;
        const watch = self.monitor(puppet);
        tell(self, puppet, "die", atom("bye"));
        await downReason(self, watch);
        self.send(alias, atom("to_the_dead"));
        const other = await puppetOn(self, 1); // its scheduler has taken the send by the time it answers
        await order(self, other, "is_alive", other);
        await assertNothing(self, tagged("got"), "a message through a spent or dead alias");
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

    it("start_timer to a pid of the other scheduler delivers {timeout, Ref, Message}, both ways", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const mine = node.runtime.startTimer(5, puppet, atom("ring"));
        assertTerm(await reported(self, puppet, "the timeout"), tuple(atom("timeout"), mine, atom("ring")));
        const theirs = await order(self, puppet, "start_timer", 5, self.pid, atom("back"));
        assertTerm(
          await receiveWithin(self, tagged("timeout"), "the timeout from scheduler 1"),
          tuple(atom("timeout"), theirs, atom("back")),
        );
      });
    });

    it("cancel_timer of a timer aimed at the other scheduler returns the time left; its message never comes", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const cancelled = node.runtime.sendAfter(60_000, puppet, atom("never"));
        const left = node.runtime.readTimer(cancelled);
        assert.ok(typeof left === "number" && left > 59_000 && left <= 60_000, `read_timer: ${left}`);
        const atCancel = node.runtime.cancelTimer(cancelled);
        assert.ok(typeof atCancel === "number" && atCancel <= (left as number), `cancel_timer: ${atCancel}`);
        assert.equal(node.runtime.cancelTimer(cancelled), false, "a second cancel");
        // A timer of scheduler 1 aimed at scheduler 0, cancelled there.
        const theirs = await order(self, puppet, "send_after", 60_000, self.pid, atom("never"));
        assert.equal(typeof (await order(self, puppet, "read_timer", theirs)), "number");
        assert.equal(typeof (await order(self, puppet, "cancel_timer", theirs)), "number");
        assert.equal(await order(self, puppet, "read_timer", theirs), false);
        // A later timer on each side fires; nothing of the cancelled ones came before it.
        node.runtime.sendAfter(5, puppet, atom("sentinel"));
        assertTerm(await reported(self, puppet, "the sentinel"), atom("sentinel"));
        await order(self, puppet, "send_after", 5, self.pid, atom("sentinel"));
        await receiveWithin(self, (m) => m === atom("sentinel"), "the sentinel from scheduler 1");
        await assertNothing(self, (m) => m === atom("never"), "a cancelled timer's message", 0);
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

    it("a call from 0 to a server on 1 that exits during it exits the caller with the server's reason", async () => {
      await node.runtime.run(async (self) => {
        const server = await startCounterOn1(self, UNDEFINED);
        await assert.rejects(GenServer.call(self, server, atom("die")), (e: { reason?: Term }) => {
          assertTerm(e.reason, tuple(atom("died"), tuple(atom("gen_server"), atom("call"), [server, atom("die")])));
          return true;
        });
        assert.deepEqual(node.runtime.processInfo(self.pid)?.monitors, [], "the call's monitor is gone");
      });
    });

    it("a call from 0 that a server on 1 never answers exits with {timeout, …}; the server serves on", async () => {
      await node.runtime.run(async (self) => {
        const server = await startCounterOn1(self, UNDEFINED);
        await assert.rejects(GenServer.call(self, server, atom("silent"), { timeout: 20 }), (e: { reason?: Term }) => {
          const call = tuple(atom("gen_server"), atom("call"), [server, atom("silent"), 20]);
          assertTerm(e.reason, tuple(atom("timeout"), call));
          return true;
        });
        assert.equal(await GenServer.call(self, server, atom("get")), 5);
        await GenServer.stop(self, server);
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

  describe("Supervisor", () => {
    it("a supervisor on 0 stops its children of scheduler 1: shutdown, then kill for one that does not end", async () => {
      await node.runtime.run(async (self) => {
        const child = (id: string, body: string) => ({
          id,
          shutdown: 50,
          start: async (p: Process) => ({
            pid: await spawnOn(p, 1, "sched_workers", body, body === "echo" ? [] : [self.pid], { link: true }),
          }),
        });
        const started = await Supervisor.start(
          self,
          { init: () => ({ children: [child("plain", "echo"), child("stubborn", "forwardTrapping")] }) },
          undefined,
        );
        assert.ok("pid" in started);
        const children = await Supervisor.whichChildren(self, started.pid);
        const [plain, stubborn] = children.map((c) => c.pid as Pid);
        assert.deepEqual([plain!.id % 2, stubborn!.id % 2], [1, 1]);
        const [plainDown, stubbornDown] = [self.monitor(plain!), self.monitor(stubborn!)];
        await GenServer.stop(self, started.pid);
        // Last first: the trapping child gets {'EXIT', Sup, shutdown}, ignores it, and is killed after 50 ms.
        assertTerm(await receiveWithin(self, tagged("EXIT"), "the shutdown"), tuple(EXIT, started.pid, SHUTDOWN));
        assertTerm(await downReason(self, stubbornDown, "the stubborn child's DOWN"), KILLED);
        assertTerm(await downReason(self, plainDown, "the plain child's DOWN"), SHUTDOWN);
      });
    });
  });
});
