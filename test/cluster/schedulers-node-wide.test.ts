// What is the node's and not one scheduler's: erlang:processes/0, process_info and is_process_alive see every
// scheduler's processes (the runtime's async path, the observer's table, rpc from a real erl), and spawn requests
// from other nodes run on the scheduler their `{scheduler, N}` names (BEAM's numbering, from 1), or, without one,
// on the least loaded scheduler when every scheduler has the module (erpc spreads over the cores), else on 0.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, equals, type Pid, spawnRemote, type Term, type Tuple, tuple } from "../../src/index.ts";
import { startNode } from "../../src/node/index.ts";
import { termText } from "../../src/observe/term-text.ts";
import { localProcessPage } from "../../src/observe/views/local-processes.ts";
import {
  assertTerm,
  order,
  puppetOn,
  spawnOn,
  startSchedulersBesideErl,
  waitUntil,
} from "../fixtures/schedulers/harness.ts";
import { type NodeBesideErl, uniqueNodeName } from "../support/dist.ts";

const OK = atom("ok");
const ERROR = atom("error");
const BADOPT = atom("badopt");

describe("the node's processes and spawn requests, across schedulers", () => {
  let pair: NodeBesideErl;
  before(async () => {
    pair = await startSchedulersBesideErl("sched_wide", 3);
  });
  after(() => pair.stop());

  it("nodeProcesses, nodeProcessInfo and nodeIsAlive see the processes of every scheduler", async () => {
    const { node } = pair;
    await node.runtime.run(async (self) => {
      const one = await puppetOn(self, 1);
      const two = await puppetOn(self, 2);
      const name = atom(`sched_wide_${process.pid}`);
      await order(self, one, "register", name);
      await order(self, one, "trap_exit", true);
      await order(self, one, "link", two);
      const all = await node.runtime.nodeProcesses();
      for (const pid of [self.pid, one, two])
        assert.ok(
          all.some((p) => equals(p, pid)),
          `${pid} listed`,
        );
      assert.equal(node.runtime.processes().length < all.length, true, "more than scheduler 0's own");
      const [info] = await node.runtime.nodeProcessInfo([one]);
      assert.equal(info?.registeredName, name);
      assert.deepEqual(info?.links, [two]);
      assert.equal(info?.status, "waiting");
      assert.equal(await node.runtime.nodeIsAlive(two), true);
      self.exit(two, atom("kill"));
      await order(self, one, "unregister", name); // a round trip through scheduler 1 after the kill reached 2
      await waitUntil(async () => !(await node.runtime.nodeIsAlive(two)), "the killed process to be dead");
      assert.equal((await node.runtime.nodeProcessInfo([two]))[0], undefined);
      self.exit(one, atom("kill"));
    });
  });

  it("the observer's process table lists a process of scheduler 2", async () => {
    const { node } = pair;
    await node.runtime.run(async (self) => {
      const far = await spawnOn(self, 2, "sched_workers", "echo");
      const at = { node: node.name, creation: node.creation };
      const shown = termText(far, at);
      const view = { kind: "processes", offset: 0, limit: 500, sort: "pid", descending: false } as const;
      const all = await localProcessPage(node.runtime, { ...view, filter: "" }, at);
      assert.ok(
        all.rows.some((row) => row.pid === shown),
        `${shown} of scheduler 2 has a row`,
      );
      const found = await localProcessPage(node.runtime, { ...view, filter: shown }, at);
      assert.deepEqual(
        found.rows.map((row) => row.pid),
        [shown],
      );
      self.exit(far, atom("kill"));
    });
  });

  it("rpc:call(Otter, erlang, processes, []) from erl lists processes of scheduler 1", async () => {
    const { node, erl } = pair;
    const far = await node.runtime.run((self) => spawnOn(self, 1, "sched_workers", "echo"));
    const listed = await erl.eval(`lists:member(P, rpc:call('${node.name.name}', erlang, processes, []))`, {
      bindings: { P: far },
    });
    assert.equal(listed, true);
    const alive = await erl.eval(`rpc:call('${node.name.name}', erlang, is_process_alive, [P])`, {
      bindings: { P: far },
    });
    assert.equal(alive, true);
    node.runtime.exit(far, atom("kill"));
  });

  it("spawn_request from erl with {scheduler, N} runs on Otter scheduler N - 1; one it lacks is badopt", async () => {
    const { node, erl } = pair;
    const spawned = (await erl.eval(
      `R = spawn_request('${node.name.name}', sched_workers, echo, [], [{scheduler, 3}]),
       receive {spawn_reply, R, S, P} -> {S, P} after 5000 -> timeout end`,
    )) as Tuple;
    assertTerm(spawned.at(0), OK);
    const pid = spawned.at(1) as Pid;
    assert.equal(pid.id % 3, 2);
    node.runtime.exit(pid, atom("kill"));
    const refused = await erl.eval(
      `R = spawn_request('${node.name.name}', sched_workers, echo, [], [{scheduler, 4}]),
       receive {spawn_reply, R, S, P} -> {S, P} after 5000 -> timeout end`,
    );
    assertTerm(refused, tuple(ERROR, BADOPT));
  });

  it("erpc from erl spreads over the schedulers when every one has the module, else stays on 0", async () => {
    const { node, erl } = pair;
    const where = (await erl.eval(
      `lists:usort([erpc:call('${node.name.name}', sched_workers, schedulerIndex, []) || _ <- lists:seq(1, 30)])`,
    )) as Term[];
    assert.ok(where.length >= 2, `calls ran on schedulers ${where.join(", ")}`);
    // erlang:node/0 is a builtin of scheduler 0 alone: a call placed anywhere else would fail with undef.
    const nodes = (await erl.eval(
      `lists:usort([erpc:call('${node.name.name}', erlang, node, []) || _ <- lists:seq(1, 30)])`,
    )) as Term[];
    assertTerm(nodes, [node.name]);
  });

  it("spawnRemote to another Otter node with a scheduler sends {scheduler, N}, which that node honours", async () => {
    const { node, cookie, epmdPort } = pair;
    const other = await startNode({ name: uniqueNodeName("sched_wide_peer"), cookie, epmdPort, schedulers: 1 });
    try {
      const pid = await other.runtime.run((self) =>
        spawnRemote(self, node.name, "sched_workers", "echo", [], { scheduler: 2 }),
      );
      assert.equal(pid.id % 3, 2);
      node.runtime.exit(pid, atom("kill"));
    } finally {
      await other.stop();
    }
  });
});
