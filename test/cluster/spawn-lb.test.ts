// spawnLb: placement on the least loaded member by the reported loads (an injected LoadSource, and a real run
// queue made long), spreading over equally loaded members, the candidate filter, and the same outcome as a remote
// spawn for a function the node does not have.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type Cluster,
  type ClusterOptions,
  type LoadSource,
  type SchedulerLoad,
  spawnLb,
  spawnLbLink,
  spawnLbMonitor,
  startCluster,
} from "../../src/cluster/index.ts";
import { leastLoaded, type NodeLoad, nodeScore } from "../../src/cluster/load-report.ts";
import { spawnRemote, spawnRemoteMonitor } from "../../src/dist/spawn-remote.ts";
import { DistError, ErrorCodes } from "../../src/errors.ts";
import { type Atom, atom, DOWN, EXIT, equals, type Pid, type Process, type Term, Tuple } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";

/** A load a test sets: what the node reports at its next interval. */
class SetLoad implements LoadSource {
  constructor(public load: SchedulerLoad = { runQueue: 0, utilisation: 0 }) {}
  sample(): readonly SchedulerLoad[] {
    return [this.load];
  }
}

const cookie = uniqueCookie();
let epmdPort: number;
const nodes: OtterNode[] = [];

async function start(prefix: string): Promise<OtterNode> {
  const node = await startNode({
    name: uniqueNodeName(prefix),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    schedulers: 2, // whatever the machine: a test places on a member's scheduler 1
    runtime: { logger: () => {} }, // the `undef` crashes the bad-function tests cause on purpose
  });
  nodes.push(node);
  // The function spawnLb runs, loadable on every node: it waits for a `stop` message, so it stays countable.
  node.exportModule("work", {
    wait: async (self: Process) => {
      await self.receive((m) => m === atom("stop"));
      return atom("ok");
    },
  });
  return node;
}

/** Clusters on `nodes`, each with its own options, all members of each other; stopped when the test ends. */
async function clusterOf(
  t: { after(fn: () => Promise<void>): void },
  members: readonly OtterNode[],
  options: (i: number) => ClusterOptions,
): Promise<Cluster[]> {
  const clusters: Cluster[] = [];
  for (const [i, node] of members.entries()) {
    const seeds = members.slice(0, i).map((n) => n.name);
    clusters.push(await startCluster(node, { seeds, ...options(i) }));
  }
  t.after(async () => {
    for (const cluster of clusters) await cluster.stop();
  });
  for (const cluster of clusters) {
    await waitFor(() => cluster.members().length === members.length - 1, "every member", 10_000);
  }
  return clusters;
}

/** Where `count` spawnLb calls from `node` placed their processes: node name → count. */
async function placements(node: OtterNode, count: number, candidates?: readonly Atom[]): Promise<Map<string, number>> {
  const pids = await node.runtime.run(async (self) => {
    const placed: Pid[] = [];
    for (let i = 0; i < count; i++) placed.push(await spawnLb(self, "work", "wait", [], { nodes: candidates }));
    return placed;
  });
  for (const pid of pids) node.runtime.send(pid, atom("stop"));
  const where = new Map<string, number>();
  for (const pid of pids) where.set(pid.node.name, (where.get(pid.node.name) ?? 0) + 1);
  return where;
}

let a: OtterNode;
let b: OtterNode;
let c: OtterNode;

before(async () => {
  epmdPort = await freePort();
  a = await start("lb_a");
  b = await start("lb_b");
  c = await start("lb_c");
});

after(async () => {
  for (const node of nodes.reverse()) await node.stop(); // a runs the EPMD: it stops last
});

describe("placement by load", () => {
  test("a node reporting a long run queue gets nothing while the others are idle", async (t) => {
    const busy = new SetLoad({ runQueue: 50, utilisation: 0.9 });
    // A long interval: the placed counts are not reset by a report while the spawns run.
    await clusterOf(t, [a, b, c], (i) => ({ loadIntervalMs: 60_000, loadSource: i === 1 ? busy : new SetLoad() }));
    const where = await placements(a, 6);
    assert.equal(where.get(b.name.name), undefined);
    assert.equal(where.get(a.name.name), 3);
    assert.equal(where.get(c.name.name), 3);
  });

  test("with equal loads, repeated spawns spread over every member, this node first", async (t) => {
    await clusterOf(t, [a, b, c], () => ({ loadIntervalMs: 60_000, loadSource: new SetLoad() }));
    const first = await a.runtime.run((self) => spawnLb(self, "work", "wait", []));
    a.runtime.send(first, atom("stop"));
    assert.equal(first.node, a.name);
    const where = await placements(a, 9);
    assert.deepEqual(
      [a, b, c].map((n) => where.get(n.name.name)),
      [3, 3, 3],
    );
  });

  test("on another Otter node, the spawn goes to its least loaded scheduler as its report has it", async (t) => {
    const twoSchedulers: LoadSource = {
      sample: () => [
        { runQueue: 40, utilisation: 1 },
        { runQueue: 0, utilisation: 0 },
      ],
    };
    await b.schedulers.load("sched_workers", new URL("../fixtures/schedulers/workers.ts", import.meta.url));
    await clusterOf(t, [a, b], (i) => ({
      loadIntervalMs: 60_000,
      loadSource: i === 1 ? twoSchedulers : new SetLoad(),
    }));
    const pid = await a.runtime.run((self) => spawnLb(self, "sched_workers", "echo", [], { nodes: [b.name] }));
    b.runtime.send(pid, atom("stop"));
    assert.equal(pid.node, b.name);
    assert.equal(pid.id % b.schedulers.count, 1, "b's scheduler 1, the idle one of its report");
  });

  test("the next report after a node's load changes moves placements off it", async (t) => {
    const load = new SetLoad();
    const clusters = await clusterOf(t, [a, b], (i) => ({
      loadIntervalMs: 100,
      loadSource: i === 0 ? load : new SetLoad(),
    }));
    load.load = { runQueue: 0, utilisation: 1 }; // a's event loop now reports itself saturated
    await waitFor(() => clusters[0]!.loads()[0]!.schedulers[0]!.utilisation === 1, "a's own sample", 5_000);
    const where = await placements(a, 4);
    assert.equal(where.get(b.name.name), 4);
  });

  test("a real run queue made long on one node sends spawns to the other", async (t) => {
    // Reports every 200 ms: stale only after 600 ms, however slow the spinners make this shared event loop.
    const clusters = await clusterOf(t, [a, b, c], () => ({ loadIntervalMs: 200 }));
    // Busy processes on b: each yields and is queued again, so b's run queue stays long.
    let spinning = true;
    const spinners = Array.from({ length: 200 }, () =>
      b.runtime.spawn(async (self) => {
        while (spinning) await self.yield();
      }),
    );
    t.after(() => {
      spinning = false;
    });
    const seenFromA = () => clusters[0]!.loads().find((l) => l.node === b.name)!;
    await waitFor(() => seenFromA().schedulers[0]!.runQueue >= 100, "b's long run queue reported to a", 10_000);
    const where = await placements(a, 4, [b.name, c.name]);
    spinning = false;
    assert.equal(where.get(c.name.name), 4);
    assert.equal(where.get(b.name.name), undefined);
    await waitFor(() => spinners.every((pid) => !b.runtime.isAlive(pid)), "the spinners to end");
  });
});

describe("candidates and errors", () => {
  test("the candidate filter limits the choice; none fit is CLUSTER_NO_CANDIDATE", async (t) => {
    await clusterOf(t, [a, b, c], () => ({ loadIntervalMs: 60_000, loadSource: new SetLoad() }));
    const where = await placements(a, 4, [c.name]);
    assert.deepEqual([...where], [[c.name.name, 4]]);
    await a.runtime.run(async (self) => {
      for (const nodes of [[], ["nobody@127.0.0.1"]]) {
        await assert.rejects(
          () => spawnLb(self, "work", "wait", [], { nodes }),
          (e: unknown) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_NO_CANDIDATE,
        );
      }
      await assert.rejects(
        () => spawnLb(self, "work", "wait", [], { nodes: [7 as unknown as string] }),
        (e: unknown) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_BAD_OPTION,
      );
    });
  });

  test("without a cluster service, spawnLb is CLUSTER_SERVICE", async () => {
    await a.runtime.run(async (self) => {
      await assert.rejects(
        () => spawnLb(self, "work", "wait", []),
        (e: unknown) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_SERVICE,
      );
    });
  });

  test("a function the chosen node does not have ends as a remote spawn of it does: undef", async (t) => {
    await clusterOf(t, [a, b], () => ({ loadIntervalMs: 60_000, loadSource: new SetLoad() }));
    const downReason = (spawned: (self: Process) => Promise<{ pid: Pid; ref: unknown }>) =>
      a.runtime.run(async (self) => {
        const { ref } = await spawned(self);
        const down = (await self.receive(
          (m) => m instanceof Tuple && m.at(0) === DOWN && equals(m.at(1)!, ref as Term),
          {
            timeout: 5_000,
          },
        )) as Tuple;
        return down.at(4)!;
      });
    for (const target of [a, b]) {
      const viaLb = await downReason((self) => spawnLbMonitor(self, "nope", "nothing", [1], { nodes: [target.name] }));
      const viaRemote = await downReason((self) => spawnRemoteMonitor(self, target.name, "nope", "nothing", [1]));
      assert.ok(viaLb instanceof Tuple && viaLb.at(0) === atom("undef"), String(viaLb));
      assert.deepEqual(viaLb, viaRemote);
    }
    // A linked spawn's exit signal says the same; bad arguments are refused as spawnRemote refuses them.
    const exit = await a.runtime.run(async (self) => {
      self.setTrapExit(true);
      const pid = await spawnLbLink(self, "nope", "nothing", [], { nodes: [b.name] });
      return (await self.receive((m) => m instanceof Tuple && m.at(0) === EXIT && equals(m.at(1)!, pid), {
        timeout: 5_000,
      })) as Tuple;
    });
    assert.equal((exit.at(2) as Tuple).at(0), atom("undef"));
    await a.runtime.run(async (self) => {
      const bad = (e: unknown) => e instanceof Error && "code" in e && e.code === ErrorCodes.PROC_BAD_ARG;
      await assert.rejects(() => spawnRemote(self, b.name, "m", "f", "no list" as unknown as Term[]), bad);
      await assert.rejects(() => spawnLb(self, "m", "f", "no list" as unknown as Term[], { nodes: [b.name] }), bad);
    });
  });
});

describe("the score", () => {
  const load = (node: string, runQueue: number, utilisation: number, extra: Partial<NodeLoad> = {}): NodeLoad => {
    const schedulers = [{ runQueue, utilisation }];
    const placed = extra.placed ?? 0;
    return {
      node: atom(node),
      schedulers,
      ageMs: 0,
      stale: false,
      placed,
      score: nodeScore(schedulers, placed),
      ...extra,
    };
  };

  test("averages schedulers, counts placed spawns, skips stale reports, prefers this node on a tie", () => {
    // Two schedulers with 4 and 0 queued score as one with 2.
    assert.equal(
      nodeScore(
        [
          { runQueue: 4, utilisation: 0 },
          { runQueue: 0, utilisation: 0 },
        ],
        0,
      ),
      2,
    );
    assert.equal(nodeScore([{ runQueue: 0, utilisation: 0 }], 3), 3);
    assert.equal(leastLoaded([load("x@h", 1, 0), load("y@h", 0, 0.5)], atom("x@h")), atom("x@h"));
    assert.equal(leastLoaded([load("x@h", 0, 0, { stale: true }), load("y@h", 9, 0)], atom("z@h")), atom("y@h"));
    assert.equal(leastLoaded([load("y@h", 0, 0), load("self@h", 0, 0)], atom("self@h")), atom("self@h"));
    assert.equal(leastLoaded([load("y@h", 0, 0), load("b@h", 0, 0)], atom("self@h")), atom("b@h"));
    assert.equal(leastLoaded([load("y@h", 0, 0, { stale: true })], atom("self@h")), undefined);
  });
});
