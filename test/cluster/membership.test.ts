// Cluster membership: members found through static seeds and through this host's EPMD, a member reconnected to
// after it restarts, memberDown when a member's OS process is killed, a BEAM node connected but never a member,
// and the service's refusals (bad options, a second service, a malformed report).
import assert from "node:assert/strict";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { after, before, describe, type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type Cluster,
  type ClusterOptions,
  monitorMembers,
  OTTER_CLUSTER,
  startCluster,
} from "../../src/cluster/index.ts";
import { EpmdRefusedError } from "../../src/dist/epmd/client.ts";
import { DistError, ErrorCodes } from "../../src/errors.ts";
import { type Atom, atom, format, GenServer, type Term, Tuple, tuple } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { startNodeBesideErl, uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";

const cookie = uniqueCookie();
let epmdPort: number;
/** The node that runs the embedded EPMD every test's nodes register with; it joins no cluster. */
let epmdHost: OtterNode;

/** A node stopped when test `t` ends. */
async function start(t: TestContext, name: string, options: { cookie?: string } = {}): Promise<OtterNode> {
  const node = await startNode({
    name,
    cookie: options.cookie ?? cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    runtime: { logger: () => {} }, // refused handshakes and lost connections are what these tests cause
  });
  t.after(() => node.stop());
  return node;
}

function cluster(node: OtterNode, options: ClusterOptions = {}): Promise<Cluster> {
  return startCluster(node, { epmdPort, loadIntervalMs: 50, reconnectMs: { min: 20, max: 200 }, ...options });
}

const sorted = (nodes: readonly Atom[]): string[] => nodes.map((n) => n.name).sort();

/** Resolves with the arguments of the next `event` from `emitter`; fails after `ms`. */
async function next(emitter: Cluster, event: "memberUp" | "memberDown", ms = 10_000): Promise<[Atom, Term?]> {
  const deadline = AbortSignal.timeout(ms);
  return (await once(emitter, event, { signal: deadline })) as [Atom, Term?];
}

before(async () => {
  epmdPort = await freePort();
  epmdHost = await startNode({ name: uniqueNodeName("epmd_host"), cookie: uniqueCookie(), epmdPort });
});

after(() => epmdHost?.stop());

describe("members from static seeds", () => {
  test("three nodes seeding each other all become members, with a load report each", async (t) => {
    const a = await start(t, uniqueNodeName("seed_a"));
    const b = await start(t, uniqueNodeName("seed_b"));
    const nodeC = await start(t, uniqueNodeName("seed_c"));
    const ca = await cluster(a);
    // A process subscribed on a hears of each member as monitor_nodes subscribers hear of nodes.
    const heard: Term[] = [];
    let subscribed = false;
    a.runtime.spawn(async (self) => {
      await monitorMembers(self, true);
      subscribed = true;
      for (;;) heard.push((await self.receive())!);
    });
    await waitFor(() => subscribed, "the subscription");
    const cb = await cluster(b, { seeds: [a.name] });
    const cc = await cluster(nodeC, { seeds: [a.name.name, b.name.name] });
    const all = [a.name, b.name, nodeC.name];
    for (const [node, cl] of [
      [a, ca],
      [b, cb],
      [nodeC, cc],
    ] as const) {
      const others = sorted(all.filter((n) => n !== node.name));
      await waitFor(() => sorted(cl.members()).join() === others.join(), `${node.name.name}'s members`, 10_000);
    }
    await waitFor(() => heard.length === 2, "two member_up messages");
    assert.deepEqual(
      heard.map((m) => ((m as Tuple).at(0) as Atom).name),
      ["member_up", "member_up"],
    );
    assert.deepEqual(sorted(heard.map((m) => (m as Tuple).at(1) as Atom)), sorted([b.name, nodeC.name]));
    const loads = ca.loads();
    assert.equal(loads[0]!.node, a.name); // this node first
    assert.deepEqual(sorted(loads.map((l) => l.node)), sorted(all));
    for (const l of loads) {
      assert.equal(l.schedulers.length, a.schedulers.count); // one entry per scheduler (all three have as many)
      for (const s of l.schedulers) assert.ok(s.runQueue >= 0 && s.utilisation >= 0);
    }
    for (const cl of [cc, cb, ca]) await cl.stop();
  });

  test("a member that restarts is reconnected to through its seed, with memberDown then memberUp", async (t) => {
    const a = await start(t, uniqueNodeName("restart_a"));
    const bName = uniqueNodeName("restart_b");
    let b = await start(t, bName);
    await cluster(b);
    const ca = await cluster(a, { seeds: [bName] });
    await waitFor(() => ca.members().includes(b.name), "b to become a member", 10_000);

    const down = next(ca, "memberDown");
    await b.stop();
    const [gone, reason] = await down;
    assert.equal(gone, atom(bName));
    assert.ok(reason !== undefined); // noconnection, or noproc when a's monitor reached b's service after its end
    assert.deepEqual(ca.members(), []);

    // The same name again (EPMD may still hold the old registration for a moment). It has no seeds: a reconnects.
    const up = next(ca, "memberUp");
    b = await retry(
      () => start(t, bName),
      (e) => e instanceof EpmdRefusedError,
    );
    await cluster(b);
    assert.equal((await up)[0], atom(bName));
    assert.deepEqual(ca.members(), [atom(bName)]);
    await ca.stop();
  });

  test("a stopped service is a memberDown although its node stays connected", async (t) => {
    const a = await start(t, uniqueNodeName("svc_a"));
    const b = await start(t, uniqueNodeName("svc_b"));
    const ca = await cluster(a);
    const cb = await cluster(b, { seeds: [a.name] });
    await waitFor(() => ca.members().includes(b.name), "b to become a member", 10_000);
    const down = next(ca, "memberDown");
    await cb.stop();
    // Its exit reason, or noproc when a's monitor (set at b's hello) reached b after the service had stopped.
    const [gone, reason] = await down;
    assert.equal(gone, b.name);
    assert.ok(reason === atom("normal") || reason === atom("noproc"), format(reason!));
    assert.ok(a.nodes().includes(b.name));
    await ca.stop();
  });
});

describe("members from this host's EPMD", () => {
  test("nodes with the same cookie find each other; one with another cookie is not a member", async (t) => {
    const nodes = [await start(t, uniqueNodeName("epmd_a")), await start(t, uniqueNodeName("epmd_b"))];
    nodes.push(await start(t, uniqueNodeName("epmd_c")));
    const stranger = await start(t, uniqueNodeName("epmd_x"), { cookie: uniqueCookie() });
    await cluster(stranger, { discoverEpmd: true, discoverIntervalMs: 100 });
    const clusters = await Promise.all(nodes.map((n) => cluster(n, { discoverEpmd: true, discoverIntervalMs: 100 })));
    for (const [i, cl] of clusters.entries()) {
      const others = sorted(nodes.filter((_, j) => j !== i).map((n) => n.name));
      await waitFor(() => sorted(cl.members()).join() === others.join(), "the members found through EPMD", 10_000);
    }
    // The stranger was tried by every round of discovery (its name is at the same EPMD) and refused every time.
    for (const n of nodes) assert.ok(!n.nodes("connected").includes(stranger.name));
    for (const cl of clusters) await cl.stop();
  });
});

describe("a BEAM node", () => {
  test("is connected through its seed but never a member", async (t) => {
    const beside = await startNodeBesideErl("beam_seed", { runtime: { logger: () => {} } });
    t.after(() => beside.stop());
    const b = await startNode({
      name: uniqueNodeName("beam_b"),
      cookie: beside.cookie,
      epmdPort: beside.epmdPort,
      listen: { host: "127.0.0.1" },
    });
    t.after(() => b.stop());
    await startCluster(b, { loadIntervalMs: 50 });
    const ca = await startCluster(beside.node, { seeds: [beside.erl.name, b.name], loadIntervalMs: 50 });
    await waitFor(() => ca.members().includes(b.name), "the Otter seed to become a member", 10_000);
    await waitFor(() => beside.node.nodes().includes(atom(beside.erl.name)), "erl to be connected", 10_000);
    // Reports keep coming from b; erl got hellos (at nodeup) and load casts never, and answered nothing.
    const reportsSeen = new Set<number>();
    await waitFor(
      () => reportsSeen.add(ca.loads().find((l) => l.node === b.name)!.ageMs).size > 3,
      "several reports from b",
      10_000,
    );
    assert.deepEqual(ca.members(), [b.name]);
    assert.equal(await beside.erl.eval("erlang:whereis(otter_cluster)."), atom("undefined"));
    await ca.stop();
  });
});

describe("a member in another OS process", () => {
  let parent: OtterNode;
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;

  after(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  test("killed, it is a memberDown with reason noconnection", async (t) => {
    parent = await start(t, uniqueNodeName("os_parent"));
    const cp = await cluster(parent);
    const childName = uniqueNodeName("os_child");
    const up = next(cp, "memberUp", 20_000);
    child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        CHILD,
        "--",
        childName,
        cookie,
        String(epmdPort),
        parent.name.name,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    const exited = once(child, "exit").then(() => assert.fail(`the child exited: ${output}`));
    assert.equal((await Promise.race([up, exited]))[0], atom(childName));
    const down = next(cp, "memberDown");
    child.kill("SIGKILL");
    assert.deepEqual(await down, [atom(childName), atom("noconnection")]);
    assert.deepEqual(cp.members(), []);
    await cp.stop();
  });
});

describe("refusals", () => {
  test("bad options, a second service, and a malformed report leave the node running", async (t) => {
    const a = await start(t, uniqueNodeName("bad_a"));
    const refused = (options: ClusterOptions) =>
      assert.rejects(
        () => startCluster(a, options),
        (e: unknown) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_BAD_OPTION,
      );
    await refused({ seeds: ["nohost"] });
    await refused({ seeds: [42 as unknown as string] });
    await refused({ loadIntervalMs: 0 });
    await refused({ reconnectMs: { min: Number.NaN } });
    const ca = await cluster(a);
    await assert.rejects(
      () => startCluster(a),
      (e: unknown) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_SERVICE,
    );
    const service = a.runtime.whereis(OTTER_CLUSTER)!;
    GenServer.cast(a.runtime, OTTER_CLUSTER, tuple(atom("hello"), service, ["not a report"]));
    GenServer.cast(a.runtime, OTTER_CLUSTER, tuple(atom("load"), 42, []));
    GenServer.cast(a.runtime, OTTER_CLUSTER, atom("nonsense"));
    const answer = await a.runtime.run((self) =>
      GenServer.call(self, OTTER_CLUSTER, tuple(atom("place"), atom("all"))),
    );
    assert.ok(answer instanceof Tuple && answer.at(0) === a.name, "the place is this node (and a scheduler of it)");
    assert.ok(a.runtime.isAlive(service));
    assert.deepEqual(ca.members(), []);
    await ca.stop();
    await a.runtime.run(async (self) =>
      assert.rejects(
        () => monitorMembers(self, true),
        (e: unknown) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_SERVICE,
      ),
    );
  });
});

/** Runs `attempt` until it resolves, again after each error `transient` accepts, for at most `ms`. */
async function retry<T>(attempt: () => Promise<T>, transient: (e: unknown) => boolean, ms = 5_000): Promise<T> {
  const until = performance.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (!transient(e) || performance.now() > until) throw e;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** The child: an Otter node from the sources whose cluster service has the parent for its seed. */
const CHILD = `
import { startNode } from ${JSON.stringify(fileURLToPath(new URL("../../src/node/index.ts", import.meta.url)))};
import { startCluster } from ${JSON.stringify(fileURLToPath(new URL("../../src/cluster/index.ts", import.meta.url)))};
const [name, cookie, epmdPort, parent] = process.argv.slice(-4);
const node = await startNode({ name, cookie, epmdPort: Number(epmdPort), listen: { host: "127.0.0.1" } });
await startCluster(node, { seeds: [parent], loadIntervalMs: 50 });
`;
