// A scheduler whose thread dies (process.exit in it, an uncaught error): to the rest of the node its processes are
// as on a lost node — links fire and monitors go DOWN with noconnection (here and on another worker scheduler),
// names they held are freed, spawn requests waiting in its ring fail, what it sent before it died arrives, its
// pids stay dead — and it is started again with pids its earlier thread never had. Logged once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  EXIT,
  equals,
  isSpawnReply,
  type LogEvent,
  NOCONNECTION,
  NOPROC,
  type Pid,
  type Process,
  spawnRemote,
  Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertNothing,
  assertTerm,
  DEADLINE_MS,
  downReason,
  exitMessageFrom,
  order,
  puppetOn,
  receiveWithin,
  reported,
  schedulerOf,
  spawnOn,
  startSchedulersNode,
  tagged,
  tell,
} from "../fixtures/schedulers/harness.ts";

const COUNT = 3;
const SEQ = atom("seq");
const PING = atom("ping");
let names = 0;

/** Waits until `check` holds, polling the event loop, or fails naming `what`. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The incarnation a pid of a worker scheduler carries (the high bits of its serial). */
function incarnationOf(pid: Pid): number {
  return pid.serial >>> 20;
}

describe("a scheduler thread that dies", () => {
  let node: OtterNode;
  const deaths: LogEvent[] = [];
  before(async () => {
    node = await startSchedulersNode("sched_death", COUNT);
    node.runtime.logger.addHandler("deaths", (event) => {
      if (String(event.msg).includes("thread died")) deaths.push(event);
    });
  });
  after(() => node.stop());

  /** Ends scheduler 1's thread by `how` through `puppet` (on it), holding it `ms` first; `self` hears `ending`. */
  async function endThread(self: Process, puppet: Pid, how: "exit" | "throw", ms = 0): Promise<void> {
    tell(self, puppet, "end_thread", self.pid, atom(how), ms);
    await receiveWithin(self, tagged("ending", puppet), "the puppet's word that it ends its thread");
  }

  for (const how of ["exit", "throw"] as const) {
    it(`(${how}) fires links and monitors with noconnection, frees its names, and is started again`, async () => {
      const before = deaths.length;
      await node.runtime.run(
        async (self) => {
          const name = atom(`sched_death_name_${++names}`);
          const doomed = await puppetOn(self, 1);
          const linked = await puppetOn(self, 1);
          const monitored = await puppetOn(self, 1);
          await order(self, doomed, "register", name);
          self.link(linked);
          const byPid = self.monitor(monitored);
          const byName = self.monitor(name);
          // A watcher on another worker scheduler, trapping exits and linked to one of them.
          const watcher = await puppetOn(self, 2);
          await order(self, watcher, "trap_exit", true);
          await order(self, watcher, "link", linked);

          await endThread(self, doomed, how);
          assertTerm(await exitMessageFrom(self, linked), tuple(EXIT, linked, NOCONNECTION));
          assertTerm(await downReason(self, byPid, "DOWN of the pid monitor"), NOCONNECTION);
          const down = (await receiveWithin(self, tagged("DOWN", byName), "DOWN of the name monitor")) as Tuple;
          assertTerm(down.at(3), tuple(name, node.name));
          assertTerm(down.at(4), NOCONNECTION);
          assertTerm(
            await reported(self, watcher, "the other worker's EXIT", (m) => m instanceof Tuple && m.at(0) === EXIT),
            tuple(EXIT, linked, NOCONNECTION),
          );
          assert.equal(node.runtime.whereis(name), undefined, "the dead scheduler's name is free");
          self.register(name); // and can be taken at once
          self.runtime.unregister(name);

          // Started again: a spawn there works, with a pid no earlier thread of it had.
          const fresh = await spawnOn(self, 1, "sched_workers", "echo");
          assert.equal(schedulerOf(fresh, COUNT), 1);
          assert.ok(incarnationOf(fresh) > incarnationOf(linked), "the new thread's pids carry its incarnation");
          self.send(fresh, tuple(self.pid, PING));
          const echoed = await receiveWithin(self, (m) => m instanceof Tuple && equals(m.at(0)!, fresh), "the echo");
          assertTerm(echoed, tuple(fresh, PING));
          self.exit(fresh, atom("kill"));
        },
        { trapExit: true },
      );
      await until(() => deaths.length === before + 1, "the death's log entry");
      assert.match(String(deaths.at(-1)!.msg), /scheduler 1's thread died/);
      await assertQuiet(() => deaths.length === before + 1);
    });
  }

  it("a stale pid of the dead thread never reaches a process of the next: dead as any dead pid", async () => {
    await node.runtime.run(
      async (self) => {
        const old = await puppetOn(self, 1);
        await endThread(self, old, "exit");
        // The new thread spawns as many processes as the old one had, in the same slots.
        const fresh: Pid[] = [];
        for (let i = 0; i < 8; i++) fresh.push(await spawnOn(self, 1, "sched_workers", "forwardTrapping", [self.pid]));
        assert.ok(fresh.every((p) => !equals(p, old)));
        self.send(old, PING);
        self.link(old);
        assertTerm(await exitMessageFrom(self, old, "the EXIT of a link to the stale pid"), tuple(EXIT, old, NOPROC));
        const ref = self.monitor(old);
        assertTerm(await downReason(self, ref, "DOWN of a monitor of the stale pid"), NOPROC);
        await assertNothing(self, (m) => equals(m, PING), "ping forwarded by a new process", 100);
        for (const p of fresh) self.exit(p, atom("kill"));
      },
      { trapExit: true },
    );
  });

  it("what it sent before it died arrives, in order, before its links fire", async () => {
    await node.runtime.run(
      async (self) => {
        const puppet = await puppetOn(self, 1, { link: true });
        await order(self, puppet, "burst", self.pid, 500);
        await endThread(self, puppet, "exit");
        for (let i = 1; i <= 500; i++) {
          const m = await receiveWithin(self, (t) => t instanceof Tuple && t.at(0) === SEQ, `message ${i}`);
          assertTerm(m, tuple(SEQ, puppet, i));
        }
        assertTerm(await exitMessageFrom(self, puppet), tuple(EXIT, puppet, NOCONNECTION));
      },
      { trapExit: true },
    );
  });

  it("a spawn request waiting in its ring fails with noconnection; the next one is served", async () => {
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      await endThread(self, puppet, "exit", 300); // the thread is held: the request below waits in its ring
      const ref = self.spawnRequest(node.name, atom("sched_workers"), atom("echo"), [], { scheduler: 1 });
      const reply = await receiveWithin(self, (m) => isSpawnReply(m, ref), "the spawn request's answer", ref);
      assertTerm(reply, tuple(atom("spawn_reply"), ref, atom("error"), NOCONNECTION));
      const pid = await spawnRemote(self, node.name, "sched_workers", "echo", [], { scheduler: 1 });
      assert.equal(schedulerOf(pid, COUNT), 1);
      self.exit(pid, atom("kill"));
    });
  });

  it("a scheduler that lives on keeps its processes and their links to each other", async () => {
    await node.runtime.run(
      async (self) => {
        const survivor = await puppetOn(self, 2, { link: true });
        const doomed = await puppetOn(self, 1);
        await endThread(self, doomed, "throw");
        const next = await spawnOn(self, 1, "sched_workers", "echo"); // served by the next thread: the loss is over
        assert.equal(await order(self, survivor, "is_alive", survivor), true);
        self.exit(next, atom("kill"));
        await assertNothing(self, (m) => m instanceof Tuple && m.at(0) === EXIT && equals(m.at(1)!, survivor), "EXIT");
      },
      { trapExit: true },
    );
  });
});

/** Checks that `holds` stays true over a few turns of the event loop (nothing more is logged). */
async function assertQuiet(holds: () => boolean): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(holds());
  }
}
