// Whether a process of another scheduler is alive, as the node's services that keep pids ask it: a Registry holding
// a pid of scheduler 1 (alive until its exit reaches the registry; an exit signal from it is no death), ClusterNames
// holding one (until its monitor's DOWN), and a live upgrade whose plan names a server of scheduler 1 (found,
// suspended, code-changed there and resumed).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startClusterNames } from "../../src/cluster/names.ts";
import { spawnOn as spawnModuleOn } from "../../src/cluster/spawn-on.ts";
import { atom, GenServer, KILL, type Pid, Registry, sys, type Tuple, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import {
  assertTerm,
  order,
  puppetOn,
  receiveWithin,
  startSchedulersNode,
  tagged,
  waitUntil,
} from "../fixtures/schedulers/harness.ts";

const KEY = atom("sched_live_key");

/** A counter module for the code server; `version` 2 keeps a label its codeChange takes from the plan's extra. */
function counter(version: 1 | 2): string {
  const v2 = `
export function codeChange(oldVsn, n, extra) { return { n, label: extra }; }`;
  const state = version === 1 ? "s" : "s.n";
  return `import { atom, GenServer, moduleNamed, tuple } from "otter";
export function init(self, n) { return { state: n }; }
export function handleCall(self, request, from, s) {
  const n = ${state};
  const reply = tuple(atom("v${version}"), n, self.runtime.seat.index${version === 2 ? ", s.label" : ""});
  return { reply, state: ${version === 1 ? "n + 1" : "{ n: n + 1, label: s.label }"} };
}${version === 2 ? v2 : ""}
/** Starts the counter, registered as sched_live_counter, and tells \`parent\` {started, Pid}. */
export async function start(self, parent) {
  const started = await GenServer.start(self, moduleNamed(self.runtime, "sched_live"), 0, {
    name: atom("sched_live_counter"),
  });
  self.send(parent, tuple(atom("started"), started.pid));
}
`;
}

describe("liveness of processes of another scheduler, for the node's services", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_live", 2);
  });
  after(() => node.stop());

  it("a Registry holds a pid of scheduler 1 while it lives, and lets its key go once it exits", async () => {
    await node.runtime.run(async (self) => {
      const started = await Registry.start(self, { keys: "unique" });
      assert.ok("registry" in started);
      const { registry } = started;
      const far = await puppetOn(self, 1);
      assert.equal(registry.registerName(KEY, far), true);
      assertTerm(registry.whereisName(KEY), far);
      assert.deepEqual(
        Registry.lookup(registry, KEY).map(([pid]) => pid),
        [far],
      );
      assert.equal(registry.registerName(KEY, self.pid), false, "the key stays with the live process");
      // An exit signal from it is no death. It reached the registry before the puppet's answer (one ring, in
      // order), so the registry has handled it by the time it answers a system message sent after that answer.
      await order(self, far, "exit", registry.pid, atom("shoo"));
      await sys.getState(self, registry.pid);
      assertTerm(registry.whereisName(KEY), far);
      self.exit(far, KILL);
      await waitUntil(() => registry.whereisName(KEY) === undefined, "the key freed after the exit", self);
      assert.equal(registry.registerName(KEY, self.pid), true);
      self.exit(registry.pid, KILL);
    });
  });

  it("ClusterNames holds a pid of scheduler 1 while it lives, and drops it at its exit", async () => {
    const names = startClusterNames(node);
    await node.runtime.run(async (self) => {
      const far = await puppetOn(self, 1);
      assert.equal(names.registerName(KEY, far), true);
      assertTerm(names.whereisName(KEY), far);
      assert.equal(names.registerName(KEY, self.pid), false, "the name stays with the live process");
      self.exit(far, KILL);
      await waitUntil(() => names.whereisName(KEY) === undefined, "the name dropped after the exit", self);
    });
  });

  it("a live upgrade code-changes a server of scheduler 1 named in its plan", async () => {
    const { code } = node;
    await code.load("sched_live", { source: counter(1) });
    await node.runtime.run(async (self) => {
      await spawnModuleOn(self, 1, "sched_live", "start", [self.pid]);
      const server = ((await receiveWithin(self, tagged("started"), "the counter on scheduler 1")) as Tuple).at(
        1,
      ) as Pid;
      assertTerm(await GenServer.call(self, server, atom("next")), tuple(atom("v1"), 0, 1));
      const result = await code.upgrade({
        load: [{ name: "sched_live", source: counter(2) }],
        update: [{ process: "sched_live_counter", module: "sched_live", extra: atom("moved") }],
      });
      assert.equal(result.migrated.length, 1);
      assertTerm(result.migrated[0], server);
      assertTerm(await GenServer.call(self, server, atom("next")), tuple(atom("v2"), 1, 1, atom("moved")));
      self.exit(server, KILL);
    });
  });
});
