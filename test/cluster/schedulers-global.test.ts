// `{ global: Name }` names on a node of several schedulers are the node's: a server registered on one scheduler is
// found, called and refused a namesake from every scheduler; its name is freed when it exits (a supervisor there
// restarts it under the same name), by unregisterName on any scheduler, and when its scheduler's thread dies; a pid
// of another node is refused (the node's table holds this node's processes).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  ErrorCodes,
  equals,
  GenServer,
  globalNames,
  KILL,
  Pid,
  type Process,
  ProcessError,
  spawnRemote,
  type Term,
  type Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import { assertTerm, receiveWithin, startSchedulersNode, tagged, waitUntil } from "../fixtures/schedulers/harness.ts";

const GLOBAL = new URL("../fixtures/schedulers/global.ts", import.meta.url);
const UNDEFINED = atom("undefined");

/** Runs `sched_global:fn(self, args…)` on `scheduler`; the second element of the `{tag, Value}` it sends back. */
async function on(self: Process, scheduler: number, fn: string, args: Term[], tag: string): Promise<Term> {
  await spawnRemote(self, self.runtime.node, "sched_global", fn, [self.pid, ...args], { scheduler });
  return ((await receiveWithin(self, tagged(tag), `${tag} from ${fn} on scheduler ${scheduler}`)) as Tuple).at(1)!;
}

describe("{ global: Name } names across the schedulers of a node", () => {
  let node: OtterNode;
  const whereis = (name: Term) => globalNames(node.runtime).whereisName(name);
  before(async () => {
    node = await startSchedulersNode("sched_global", 3);
    await node.schedulers.load("sched_global", GLOBAL);
  });
  after(() => node.stop());

  it("a server registered on scheduler 1 is found, called and refused a namesake everywhere; its exit frees it", async () => {
    const name = "sched_global_counter";
    await node.runtime.run(async (self) => {
      const server = (await on(self, 1, "startGlobalCounter", [name], "started")) as Pid;
      assertTerm(whereis(name), server);
      assert.equal(await GenServer.call(self, { global: name }, atom("bump")), 1);
      assert.equal(await GenServer.call(self, { global: name }, atom("where")), 1);
      assert.equal(await on(self, 2, "callGlobal", [name, atom("bump")], "called"), 2);
      assertTerm(await on(self, 2, "whereisGlobal", [name], "whereis"), server);
      const refused = await on(self, 2, "startGlobalCounter", [name], "start_failed");
      assertTerm(refused, tuple(atom("already_started"), server));
      self.exit(server, KILL);
      await waitUntil(() => whereis(name) === undefined, "the name freed after its holder's exit", self);
      const again = (await on(self, 2, "startGlobalCounter", [name], "started")) as Pid;
      assertTerm(await on(self, 1, "whereisGlobal", [name], "whereis"), again);
      self.exit(again, KILL);
    });
  });

  it("a supervisor on scheduler 1 restarts its crashed server under the same global name", async () => {
    const name = tuple(atom("supervised"), 1);
    await node.runtime.run(async (self) => {
      const supervisor = (await on(self, 1, "superviseGlobalCounter", [name], "supervising")) as Pid;
      const first = whereis(name);
      assert.ok(first instanceof Pid, "the child holds the name");
      GenServer.cast(self, { global: name }, atom("crash"));
      await waitUntil(
        () => whereis(name) !== undefined && !equals(whereis(name)!, first),
        "the restarted child holding the name",
        self,
      );
      assert.equal(await GenServer.call(self, { global: name }, atom("get")), 0);
      self.exit(supervisor, KILL);
    });
  });

  it("unregisterName on scheduler 2 frees a name held on 1; a pid of another node is refused", async () => {
    const name = "sched_global_freed";
    await node.runtime.run(async (self) => {
      const server = (await on(self, 1, "startGlobalCounter", [name], "started")) as Pid;
      await spawnRemote(self, self.runtime.node, "sched_global", "unregisterGlobal", [self.pid, name], {
        scheduler: 2,
      });
      await receiveWithin(self, (m) => m === atom("unregistered"), "the unregistration");
      assert.equal(whereis(name), undefined);
      assertTerm(await on(self, 1, "whereisGlobal", [name], "whereis"), UNDEFINED);
      assert.equal(globalNames(self.runtime).registerName(name, self.pid), true, "free for anyone");
      globalNames(self.runtime).unregisterName(name);
      self.exit(server, KILL);
    });
    const elsewhere = new Pid(atom("elsewhere@127.0.0.1"), 1, 0, 1);
    assert.throws(
      () => globalNames(node.runtime).registerName("sched_global_remote", elsewhere),
      (error: unknown) => error instanceof ProcessError && error.code === ErrorCodes.PROC_BAD_ARG,
    );
  });

  it("the names of a scheduler whose thread dies are freed", async () => {
    const name = "sched_global_lost";
    await node.runtime.run(async (self) => {
      const holder = (await on(self, 1, "holdThenEndThread", [name], "holding")) as Pid;
      assertTerm(whereis(name), holder);
      self.send(holder, atom("end_thread"));
      await waitUntil(() => whereis(name) === undefined, "the name freed with its scheduler", self);
    });
  });
});
