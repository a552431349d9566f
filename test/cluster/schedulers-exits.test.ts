// Exit signals between processes on different schedulers, after the runtime's feature suite (03, 04): normal and
// kill, exit(self(), …) on a worker scheduler, trapExit's old setting, a signal's place among the messages of its
// sender, reasons carried intact (a crash's `{{Name, Message}, Stack}` too), kill through a link, and a chain of
// links that zigzags between schedulers, with and without a trapping link in the middle.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  BitString,
  EXIT,
  format,
  ImproperList,
  KILL,
  KILLED,
  map,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  type Ref,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertTerm,
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
const SEQ = atom("seq");
const TRAPPING = { trapExit: true };
const BURST = 1000;
const LINKED = atom("linked");
const ALIVE = atom("alive");
const PING = atom("ping");

describe("exit signals between schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_exit", 2);
  });
  after(() => node.stop());

  /**
   * A process of scheduler 0, linked to `linkTo` (before this returns, so the link signal precedes any the caller
   * sends after), that tells `self` `{alive, M}` of the first message M it takes; `ref` monitors it.
   */
  async function waiterHere(self: Process, linkTo: Pid): Promise<{ pid: Pid; ref: Ref }> {
    const waiter = self.spawnMonitor(async (p) => {
      p.link(linkTo);
      p.send(self.pid, tuple(LINKED, p.pid));
      p.send(self.pid, tuple(ALIVE, await p.receive()));
    });
    await receiveWithin(self, tagged("linked", waiter.pid), "the waiter's link");
    return waiter;
  }

  describe("exit/2 and trapExit", () => {
    it("a normal exit signal to a trapping process of the other scheduler is {'EXIT', From, normal}, both ways", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "trap_exit", true);
        self.exit(puppet, NORMAL);
        assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, self.pid, NORMAL));
        await order(self, puppet, "exit", self.pid, NORMAL);
        assertTerm(await exitMessageFrom(self, puppet), tuple(EXIT, puppet, NORMAL));
      }, TRAPPING);
    });

    it("exit(self(), normal) on scheduler 1 ends a process that does not trap; a trapping one gets {'EXIT', Self, normal}", async () => {
      await node.runtime.run(async (self) => {
        const plain = await puppetOn(self, 1);
        const watch = self.monitor(plain);
        tell(self, plain, "exit", plain, NORMAL);
        assertTerm(await downReason(self, watch), NORMAL);
        const trapping = await puppetOn(self, 1);
        await order(self, trapping, "trap_exit", true);
        await order(self, trapping, "exit", trapping, NORMAL);
        assertTerm(await reported(self, trapping, "EXIT", tagged("EXIT")), tuple(EXIT, trapping, NORMAL));
        assert.equal(await order(self, trapping, "is_alive", trapping), true);
      });
    });

    it("exit(self(), kill) on scheduler 1 kills the caller even while it traps exits", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "trap_exit", true);
        const watch = self.monitor(puppet);
        tell(self, puppet, "exit", puppet, KILL);
        assertTerm(await downReason(self, watch), KILLED);
      });
    });

    it("setTrapExit on scheduler 1 returns the old setting", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        assert.deepEqual(
          [
            await order(self, puppet, "trap_exit", true),
            await order(self, puppet, "trap_exit", true),
            await order(self, puppet, "trap_exit", false),
          ],
          [false, true, true],
        );
        const watch = self.monitor(puppet);
        self.exit(puppet, BYE); // no longer trapping: it dies
        assertTerm(await downReason(self, watch), BYE);
      });
    });
  });

  describe("an exit signal keeps its place among its sender's messages", () => {
    it("0→1: messages sent before and after exit/2 arrive before and after the {'EXIT', …}", async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "trap_exit", true);
        self.send(puppet, 1);
        self.send(puppet, 2);
        self.exit(puppet, BYE);
        self.send(puppet, 3);
        const got: Term[] = [];
        for (let i = 0; i < 4; i++) got.push(await reported(self, puppet, `message ${i + 1}`));
        assertTerm(got, [1, 2, tuple(EXIT, self.pid, BYE), 3]);
      });
    });

    it(`1→0: ${BURST} messages a linked process sends before it ends arrive before its {'EXIT', …}`, async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1, { link: true });
        tell(self, puppet, "burst", self.pid, BURST);
        tell(self, puppet, "die", BYE);
        for (let i = 1; i <= BURST; i++) {
          const m = await receiveWithin(
            self,
            (t) => t instanceof Tuple && (t.at(0) === SEQ || t.at(0) === EXIT),
            `${i}`,
          );
          assertTerm(m, tuple(SEQ, puppet, i), `message ${i}`);
        }
        assertTerm(await exitMessageFrom(self, puppet), tuple(EXIT, puppet, BYE));
      }, TRAPPING);
    });

    it(`1→0: ${BURST} messages a monitored process sends before it ends arrive before its DOWN`, async () => {
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        const ref = self.monitor(puppet);
        tell(self, puppet, "burst", self.pid, BURST);
        tell(self, puppet, "die", BYE);
        const isDown = tagged("DOWN", ref);
        for (let i = 1; i <= BURST; i++) {
          const m = await receiveWithin(self, (t) => isDown(t) || tagged("seq")(t), `message ${i}`);
          assertTerm(m, tuple(SEQ, puppet, i), `message ${i}`);
        }
        assertTerm(await downReason(self, ref), BYE);
      });
    });
  });

  describe("through links", () => {
    it("1→0: a linked process that ends normally is ignored by a non-trapping one, an EXIT to a trapping one", async () => {
      await node.runtime.run(async (self) => {
        const [ending, other] = [await puppetOn(self, 1), await puppetOn(self, 1)];
        const { pid: plain } = await waiterHere(self, ending);
        self.link(ending);
        tell(self, ending, "die", NORMAL);
        assertTerm(await exitMessageFrom(self, ending), tuple(EXIT, ending, NORMAL));
        // Sent by scheduler 1 after the link's `normal` to the waiter, through the same ring: it finds it alive.
        await order(self, other, "send", plain, PING);
        assertTerm(await receiveWithin(self, tagged("alive"), "the waiter's word"), tuple(ALIVE, PING));
      }, TRAPPING);
    });

    it("0→1: a linked process that ends normally is ignored by a non-trapping one, an EXIT to a trapping one", async () => {
      await node.runtime.run(async (self) => {
        const [trapping, plain] = [await puppetOn(self, 1), await puppetOn(self, 1)];
        await order(self, trapping, "trap_exit", true);
        const { pid: ending } = self.spawnMonitor(async (p) => {
          p.link(trapping);
          p.link(plain);
          await p.receive((m) => m === atom("go"));
        });
        self.send(ending, atom("go"));
        assertTerm(await reported(self, trapping, "EXIT", tagged("EXIT")), tuple(EXIT, ending, NORMAL));
        assert.equal(await order(self, plain, "is_alive", plain), true, "a normal link exit does not end it");
      });
    });

    it("a process killed with kill sends killed across: a non-trapping linked process dies with killed, both ways", async () => {
      await node.runtime.run(async (self) => {
        const victim = await puppetOn(self, 1);
        const { ref } = await waiterHere(self, victim);
        self.exit(victim, KILL);
        assertTerm(await downReason(self, ref, "the linked waiter's DOWN"), KILLED);
        const { pid: here } = self.spawnMonitor(async (p) => void (await p.receive()));
        const linked = await puppetOn(self, 1);
        await order(self, linked, "link", here);
        const watch = self.monitor(linked);
        self.exit(here, KILL);
        assertTerm(await downReason(self, watch, "the linked puppet's DOWN"), KILLED);
      });
    });

    it("1→0: a process that exits with reason kill sends kill (not killed): trappable, deadly as kill otherwise", async () => {
      await node.runtime.run(async (self) => {
        const ending = await puppetOn(self, 1);
        const { ref } = await waiterHere(self, ending);
        self.link(ending);
        tell(self, ending, "die", KILL);
        assertTerm(await exitMessageFrom(self, ending), tuple(EXIT, ending, KILL));
        assertTerm(await downReason(self, ref, "the non-trapping waiter's DOWN"), KILL);
      }, TRAPPING);
    });

    it("0→1: a process that exits with reason kill sends kill (not killed): trappable, deadly as kill otherwise", async () => {
      await node.runtime.run(async (self) => {
        const [trapping, plain] = [await puppetOn(self, 1), await puppetOn(self, 1)];
        await order(self, trapping, "trap_exit", true);
        const watch = self.monitor(plain);
        const { pid: ending } = self.spawnMonitor(async (p) => {
          p.link(trapping);
          p.link(plain);
          await p.receive((m) => m === atom("go"));
          throw new ProcessExit(KILL);
        });
        self.send(ending, atom("go"));
        assertTerm(await reported(self, trapping, "EXIT", tagged("EXIT")), tuple(EXIT, ending, KILL));
        assertTerm(await downReason(self, watch, "the non-trapping puppet's DOWN"), KILL);
      });
    });
  });

  describe("reasons carried intact", () => {
    const reason = (self: Process): Term =>
      tuple(
        atom("shutdown"),
        tuple(
          [1, -1, 2 ** 40, 12345678901234567890n, 1.5, Buffer.from("bytes"), new BitString(Buffer.from([0xf0]), 4)],
          new ImproperList([atom("a")], atom("b")),
          self.pid,
          self.makeRef(),
          map([[atom("k"), Buffer.alloc(200, 1)]]),
          "utf8 ✓",
        ),
      );

    it("exit/2, a link's EXIT and a DOWN carry a rich reason from scheduler 1 to 0 unchanged", async () => {
      await node.runtime.run(async (self) => {
        const why = reason(self);
        const [sender, linked] = [await puppetOn(self, 1), await puppetOn(self, 1, { link: true })];
        await order(self, sender, "exit", self.pid, why);
        assertTerm(await exitMessageFrom(self, sender), tuple(EXIT, sender, why), "exit/2");
        const watch = self.monitor(linked);
        tell(self, linked, "die", why);
        assertTerm(await exitMessageFrom(self, linked), tuple(EXIT, linked, why), "the link's EXIT");
        assertTerm(await downReason(self, watch), why, "the DOWN");
      }, TRAPPING);
    });

    it("exit/2, a link's EXIT and a DOWN carry a rich reason from scheduler 0 to 1 unchanged", async () => {
      await node.runtime.run(async (self) => {
        const why = reason(self);
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "trap_exit", true);
        self.exit(puppet, why);
        assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, self.pid, why), "exit/2");
        const { pid: ending } = self.spawnMonitor(async (p) => {
          p.link(puppet);
          await p.receive((m) => m === atom("go"));
          p.exit(p.pid, why);
        });
        const ref = await order(self, puppet, "monitor", ending);
        self.send(ending, atom("go"));
        assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, ending, why), "link EXIT");
        assertTerm(
          await reported(self, puppet, "DOWN", tagged("DOWN")),
          tuple(atom("DOWN"), ref, atom("process"), ending, why),
          "the DOWN",
        );
      });
    });

    it("a JS error thrown on scheduler 1: its crash reason reaches 0 as a monitor of scheduler 1 sees it", async () => {
      await node.runtime.run(async (self) => {
        const [crasher, witness] = [await puppetOn(self, 1, { link: true }), await puppetOn(self, 1)];
        const watch = self.monitor(crasher);
        const theirs = await order(self, witness, "monitor", crasher);
        tell(self, crasher, "crash", "boom");
        const down = await downReason(self, watch);
        // The process ran sched_puppet:puppet by name: Erlang's error reason is {Reason, [{M, F, Arity, []}]},
        // and a thrown JS error's Reason is {{Name, Message}, Stack}.
        const reason = down instanceof Tuple ? down.at(0) : undefined;
        assert.ok(reason instanceof Tuple && Array.isArray(reason.at(1)), `a crash reason: ${format(down)}`);
        assertTerm(reason.at(0), tuple(atom("TypeError"), "boom"));
        assertTerm(
          await reported(self, witness, "DOWN", tagged("DOWN")),
          tuple(atom("DOWN"), theirs, atom("process"), crasher, down),
          "the same reason as on scheduler 1",
        );
        assertTerm(await exitMessageFrom(self, crasher), tuple(EXIT, crasher, down));
      }, TRAPPING);
    });
  });

  describe("a chain of links zigzagging between schedulers 0 and 1", () => {
    const LENGTH = 100;

    /** Starts a chain of LENGTH + 1 links on scheduler 1 (the next on 0, and so on); returns its members by `left`. */
    async function startChain(self: Process, trapAt: number): Promise<Pid[]> {
      await spawnOn(self, 1, "sched_workers", "chain", [self.pid, LENGTH, trapAt]);
      const members: Pid[] = [];
      for (let i = 0; i <= LENGTH; i++) {
        const m = (await receiveWithin(self, tagged("member"), `chain member ${i}`)) as Tuple;
        members[m.at(2) as number] = m.at(1) as Pid;
      }
      assert.deepEqual(
        members.map((pid) => pid.id % 2),
        members.map((_, left) => (LENGTH - left + 1) % 2),
        "the links alternate between the schedulers",
      );
      return members;
    }

    it("an exit at one end takes every link of the chain down with that reason", async () => {
      await node.runtime.run(async (self) => {
        const members = await startChain(self, -1);
        const head = self.monitor(members[LENGTH]!);
        self.exit(members[0]!, BYE);
        assertTerm(await downReason(self, head, "the chain head's DOWN"), BYE);
        const alive = await node.runtime.nodeProcessInfo(members);
        assert.deepEqual(
          alive.flatMap((info, left) => (info === undefined ? [] : [left])),
          [],
          "no member lives",
        );
      });
    });

    it("a trapping link in the middle stops the propagation", async () => {
      await node.runtime.run(async (self) => {
        const middle = LENGTH / 2;
        const members = await startChain(self, middle);
        self.exit(members[0]!, BYE);
        const trapped = await receiveWithin(self, tagged("trapped", members[middle]!), "the trapping link's EXIT");
        assertTerm(trapped, tuple(atom("trapped"), members[middle]!, tuple(EXIT, members[middle - 1]!, BYE)));
        const alive = await node.runtime.nodeProcessInfo(members);
        assert.deepEqual(
          alive.flatMap((info, left) => (info === undefined ? [] : [left])),
          members.flatMap((_, left) => (left >= middle ? [left] : [])),
          "the links from the trapping one to the head live; the others are dead",
        );
        self.exit(members[LENGTH]!, atom("kill"));
        self.exit(members[middle]!, atom("kill"));
      });
    });
  });
});
