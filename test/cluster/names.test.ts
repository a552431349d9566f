// Cluster-wide names (src/cluster/names.ts) across three Otter nodes in one Node.js process: a name registered on
// one node resolves on every node, `GenServer.call` by `{ via }` works from any node, an exit or a node's end frees
// it, two nodes that registered one name apart resolve the conflict alike when they connect, and repoint.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ClusterNames, startClusterNames } from "../../src/cluster/names.ts";
import { atom, equals, GenServer, type GenServerCallbacks, type Pid, type Term } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";

const cookie = uniqueCookie();
let epmdPort: number;

async function start(prefix: string): Promise<{ node: OtterNode; names: ClusterNames }> {
  const node = await startNode({
    name: uniqueNodeName(prefix),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    runtime: { logger: () => {} }, // the conflict warnings of the test that provokes one
  });
  return { node, names: startClusterNames(node) };
}

/** A server that answers `whoami` with its node's name. */
const whoami: GenServerCallbacks<null, null, Term, Term, Term> = {
  init: () => ({ state: null }),
  handleCall: (self) => ({ reply: self.runtime.node, state: null }),
};

const idle = (node: OtterNode) =>
  node.runtime.spawn(async (self) => void (await self.receive((m) => m === atom("stop"))));

/** Whether every copy says `pid` holds `name` (nobody, for undefined). */
const sameHolder = (all: ClusterNames[], name: Term, pid: Pid | undefined) =>
  all.every((n) => (pid === undefined ? n.whereisName(name) === undefined : equalPid(n.whereisName(name), pid)));
const equalPid = (a: Pid | undefined, b: Pid) => a !== undefined && equals(a, b);

describe("cluster-wide names", () => {
  let a: { node: OtterNode; names: ClusterNames };
  let b: { node: OtterNode; names: ClusterNames };
  let c: { node: OtterNode; names: ClusterNames };

  before(async () => {
    epmdPort = await freePort();
    a = await start("names_a");
    b = await start("names_b");
    c = await start("names_c");
    assert.equal(await a.node.connect(b.node.name), true);
    assert.equal(await a.node.connect(c.node.name), true);
    assert.equal(await b.node.connect(c.node.name), true);
  });

  after(async () => {
    await c?.node.stop();
    await b?.node.stop();
    await a?.node.stop(); // a runs the EPMD the others registered with
  });

  test("a server started with a via name on one node is called by that name from every node", async () => {
    const name = atom("whoami_server");
    const started = await GenServer.start(b.node.runtime, whoami, null, { name: { via: b.names, name } });
    assert.ok("pid" in started);
    const all = [a.names, b.names, c.names];
    await waitFor(() => sameHolder(all, name, started.pid), "the name on every node", 5000);
    for (const { node, names } of [a, b, c]) {
      const answer = await node.runtime.run((self) => GenServer.call(self, { via: names, name }, atom("who")));
      assert.equal(answer, b.node.name);
    }
    // Taken cluster-wide: another node's start under it gives already_started.
    const again = await GenServer.start(c.node.runtime, whoami, null, { name: { via: c.names, name } });
    assert.ok("error" in again);
    await b.node.runtime.run((self) => GenServer.stop(self, started.pid));
    await waitFor(() => sameHolder(all, name, undefined), "the name freed on every node", 5000);
  });

  test("unregisterName frees the name on every node", async () => {
    const name = atom("unregistered");
    const pid = idle(c.node);
    assert.equal(c.names.registerName(name, pid), true);
    await waitFor(() => sameHolder([a.names, b.names], name, pid), "the name on a and b", 5000);
    c.names.unregisterName(name);
    await waitFor(() => sameHolder([a.names, b.names, c.names], name, undefined), "the name gone", 5000);
    c.node.runtime.send(pid, atom("stop"));
  });

  test("repoint moves a name to another pid, on every node", async () => {
    const name = atom("moving");
    const [first, second] = [idle(a.node), idle(b.node)];
    assert.equal(a.names.registerName(name, first), true);
    await waitFor(() => sameHolder([b.names, c.names], name, first), "the name on b and c", 5000);
    assert.equal(c.names.repoint(name, idle(c.node), second), false, "held by another pid: refused");
    assert.equal(c.names.repoint(name, first, second), true);
    await waitFor(() => sameHolder([a.names, b.names, c.names], name, second), "the name moved everywhere", 5000);
    a.node.runtime.send(first, atom("stop"));
  });

  test("a conflict (one name registered on two unconnected nodes) ends alike everywhere: one pid keeps it", async () => {
    const d = await start("names_d");
    const e = await start("names_e");
    try {
      const name = atom("contested");
      const [onD, onE] = [idle(d.node), idle(e.node)];
      assert.equal(d.names.registerName(name, onD), true);
      assert.equal(e.names.registerName(name, onE), true);
      assert.equal(await d.node.connect(e.node.name), true);
      await waitFor(
        () => equalPid(d.names.whereisName(name), e.names.whereisName(name)!),
        "one holder on d and e",
        5000,
      );
      const winner = d.names.whereisName(name)!;
      const loser = equalPid(winner, onD) ? onE : onD;
      const loserNode = loser.node === d.node.name ? d.node : e.node;
      await waitFor(() => !loserNode.runtime.isAlive(loser), "the loser ended", 5000);
      assert.ok((equalPid(winner, onD) ? d : e).node.runtime.isAlive(winner));
    } finally {
      await e.node.stop();
      await d.node.stop();
    }
  });

  test("the names of a node that stops are freed on the others", async () => {
    const d = await start("names_d2");
    try {
      assert.equal(await d.node.connect(a.node.name), true);
      const name = atom("on_d");
      assert.equal(d.names.registerName(name, idle(d.node)), true);
      await waitFor(() => a.names.whereisName(name) !== undefined, "the name on a", 5000);
      await d.node.stop();
      await waitFor(() => a.names.whereisName(name) === undefined, "the name freed on a", 10_000);
    } finally {
      await d.node.stop();
    }
  });
});
