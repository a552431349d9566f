// The rebalancer (src/cluster/rebalancer.ts, rebalancer-policy.ts): the decision checked exactly — an overload
// moves servers, a gap within the threshold moves none, the gap must last `sustain` checks, at most K moves a
// round, a move never reverses the order of source and target, busiest first, a failed migration is logged and
// skipped — with the policy's pure functions and with real nodes whose loads are injected; then servers moved
// between schedulers (off the main scheduler, and back off a worker scheduler, where the rebalancer ranks them
// too), and moved off a scheduler kept busy for real while callers by name lose no call.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, type TestContext, test } from "node:test";
import {
  type Cluster,
  type LoadSource,
  type Migration,
  migrate,
  type SchedulerLoad,
  startCluster,
  startMigration,
} from "../../src/cluster/index.ts";
import { type ClusterNames, startClusterNames } from "../../src/cluster/names.ts";
import { type RebalanceMove, type RebalancerOptions, startRebalancer } from "../../src/cluster/rebalancer.ts";
import { type Candidate, type PlaceLoad, planMoves, widestGap } from "../../src/cluster/rebalancer-policy.ts";
import {
  type Atom,
  atom,
  DistError,
  DOWN,
  equals,
  GenServer,
  type Pid,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import type { ServerRef } from "../../src/otp/names.ts";
import type { Runtime } from "../../src/runtime/index.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";

const COUNTER = new URL("../fixtures/rebalancer/counter.ts", import.meta.url);
const SPEC = { module: "rb_counter", fn: "server" };
const ADD = atom("add");
const GET = atom("get");
const WHERE = atom("where");

describe("the rebalancer's policy", () => {
  const place = (name: string, score: number, source = true, capacity = 1): PlaceLoad<string> => ({
    place: name,
    score,
    capacity,
    source,
  });
  const busy = (id: string, at: string, activity = 10): Candidate<string> => ({
    id,
    place: at,
    activity,
  });
  const four = ["s1", "s2", "s3", "s4"].map((id) => busy(id, "a"));

  test("an overload moves servers until the projected gap is within half the threshold", () => {
    const moves = planMoves([place("a", 10), place("b", 0)], four, { threshold: 3, maxMoves: 10 });
    // Each of the 4 busy servers carries 10 / 4: after two moves a and b score 5 each.
    assert.deepEqual(
      moves.map((m) => [m.from, m.to, m.fromScore, m.toScore]),
      [
        ["a", "b", 10, 0],
        ["a", "b", 7.5, 2.5],
      ],
    );
  });

  test("a gap within the threshold moves nothing", () => {
    assert.equal(widestGap([place("a", 3), place("b", 0)])!.gap, 3);
    assert.deepEqual(planMoves([place("a", 3), place("b", 0)], four, { threshold: 3, maxMoves: 10 }), []);
  });

  test("the hysteresis band: once moving, moves go on while the gap is wider than half the threshold", () => {
    // 8 servers of 1 each on a: 8 vs 0 starts moves (gap > 4); they go on past the gap of 4 down to 2.
    const eight = Array.from({ length: 8 }, (_, i) => busy(`s${i}`, "a"));
    const moves = planMoves([place("a", 8), place("b", 0)], eight, { threshold: 4, maxMoves: 10 });
    assert.equal(moves.length, 3); // 8:0 → 7:1 → 6:2 → 5:3 (gap 2, not wider than 2)
  });

  test("at most K moves a round", () => {
    assert.equal(planMoves([place("a", 10), place("b", 0)], four, { threshold: 3, maxMoves: 1 }).length, 1);
  });

  test("a move that would leave the target busier than the source is not made (no ping-pong)", () => {
    // One busy server carries the whole load: on b it would make b the overloaded one.
    assert.deepEqual(planMoves([place("a", 10), place("b", 0)], [busy("s1", "a")], { threshold: 3, maxMoves: 5 }), []);
  });

  test("busiest first, idle never; only places that may give are sources", () => {
    const candidates = [busy("idle", "a", 0), busy("low", "a", 1), busy("hi", "a", 9), busy("mid", "a", 5)];
    // 3 busy servers carry 10 each; b has 4 schedulers (a move adds 2.5): 30:0 → 20:2.5 → 10:5, and moving the
    // last one would leave b busier than a.
    const moves = planMoves([place("a", 30), place("b", 0, false, 4)], candidates, { threshold: 3, maxMoves: 5 });
    assert.deepEqual(
      moves.map((m) => m.id),
      ["hi", "mid"],
    );
    // A member (not a source) with a higher score is never a source: nothing moves off it.
    assert.deepEqual(
      planMoves([place("a", 0), place("m", 30, false)], [busy("x", "m")], { threshold: 3, maxMoves: 3 }),
      [],
    );
  });

  test("capacity: a server moving to a node of 4 schedulers raises its average by a quarter of its load", () => {
    const moves = planMoves([place("a", 8), place("big", 0, false, 4)], four, { threshold: 3, maxMoves: 10 });
    // 2 each, a quarter of it on big: a 8 → 6 → 4 → 2, big 0 → 0.5 → 1 → 1.5 (gap 0.5, within half the threshold).
    assert.deepEqual(
      moves.map((m) => [m.fromScore, m.toScore]),
      [
        [8, 0],
        [6, 0.5],
        [4, 1],
      ],
    );
  });
});

/** A load a test sets: what the node reports at its next interval. */
class SetLoad implements LoadSource {
  constructor(public loads: SchedulerLoad[] = [{ runQueue: 0, utilisation: 0 }]) {}
  set(...runQueues: number[]): void {
    this.loads = runQueues.map((runQueue) => ({ runQueue, utilisation: 0 }));
  }
  sample(): readonly SchedulerLoad[] {
    return this.loads;
  }
}

interface Member {
  node: OtterNode;
  names: ClusterNames;
  migration: Migration;
  load: SetLoad;
  cluster: Cluster;
}

const cookie = uniqueCookie();

/**
 * Nodes of one scheduler each (`hasCounter[i]`: node i can run the counter), all members of one cluster, each
 * reporting the load its test sets (or, with `realLoads`, its run queue and event loop).
 */
async function members(
  t: { after(fn: () => Promise<void>): void },
  hasCounter: boolean[],
  realLoads = false,
): Promise<Member[]> {
  const epmdPort = await freePort();
  const started: Member[] = [];
  t.after(async () => {
    for (const m of started) await m.cluster.stop();
    for (const m of started) await m.node.stop();
  });
  for (const [i, counter] of hasCounter.entries()) {
    const node = await startNode({
      name: uniqueNodeName(`rb${i}`),
      cookie,
      epmdPort,
      schedulers: 1,
      listen: { host: "127.0.0.1" },
      runtime: { logger: () => {} },
    });
    if (counter) await node.schedulers.load(SPEC.module, COUNTER);
    const names = startClusterNames(node);
    const load = new SetLoad();
    const seeds = started.map((m) => m.node.name);
    const cluster = await startCluster(node, { seeds, loadIntervalMs: 20, loadSource: realLoads ? undefined : load });
    started.push({ node, names, migration: startMigration(node, { names }), load, cluster });
  }
  for (const m of started) {
    await waitFor(() => m.cluster.members().length === started.length - 1, "every member", 10_000);
  }
  return started;
}

/** Sets each member's run queue and waits until `observer` has every one of them as its report. */
async function setLoads(observer: Member, all: Member[], runQueues: number[]): Promise<void> {
  for (const [i, m] of all.entries()) m.load.set(runQueues[i]!);
  await waitFor(
    () =>
      all.every((m, i) => {
        const seen = observer.cluster.loads().find((l) => l.node === m.node.name);
        return seen !== undefined && !seen.stale && seen.schedulers[0]?.runQueue === runQueues[i];
      }),
    "the loads set",
    10_000,
  );
}

/** `count` counters on `m`, named `prefix_i` in the cluster names, each called once (so each is busy). */
async function counters(m: Member, prefix: string, count: number): Promise<Atom[]> {
  const names = Array.from({ length: count }, (_, i) => atom(`${prefix}_${i}`));
  for (const name of names) {
    const started = await m.migration.start(SPEC, 0, { name: { via: m.names, name } });
    assert.ok("pid" in started);
    await m.node.runtime.run((self) => GenServer.call(self, { via: m.names, name }, tuple(ADD, 1)));
  }
  return names;
}

/**
 * Callers on `runtime` calling each of `servers` (names), one call after another, until the returned function is
 * called; it resolves with each caller's totals. (A server with no work since the rebalancer last looked is idle,
 * and an idle server never moves.) `spinMs`: each call keeps the server's thread busy that long.
 */
function keepCalling(runtime: Runtime, servers: ServerRef[], spinMs = 0): () => Promise<Term[][]> {
  let calling = true;
  const callers = servers.map((server) =>
    runtime.run(async (self) => {
      const totals: Term[] = [];
      while (calling) totals.push(await GenServer.call(self, server, tuple(ADD, 1, spinMs)));
      return totals;
    }),
  );
  return () => {
    calling = false;
    return Promise.all(callers);
  };
}

/** keepCalling the counters `names` of member `m` by their cluster names. */
function keepBusy(m: Member, names: Atom[]): () => Promise<Term[][]> {
  return keepCalling(
    m.node.runtime,
    names.map((name) => ({ via: m.names, name })),
  );
}

/** Every caller's totals run 2, 3, 4, … with no gap: no call lost, none applied twice (each counter was at 1). */
function assertNoCallLost(replies: Term[][]): void {
  for (const totals of replies)
    assert.deepEqual(
      totals,
      Array.from({ length: totals.length }, (_, i) => i + 2),
    );
}

/** The rebalancer on `m`, checking only when a test asks (its interval is an hour). */
async function rebalancerOn(
  t: { after(fn: () => Promise<void>): void },
  m: Member,
  options: Partial<RebalancerOptions>,
) {
  const rebalancer = await startRebalancer(m.node, {
    migration: m.migration,
    cluster: m.cluster,
    intervalMs: 3_600_000,
    sustain: 1,
    ...options,
  });
  t.after(() => rebalancer.stop());
  return rebalancer;
}

const movedTo = (move: RebalanceMove): Pid => {
  assert.ok("moved" in move.result, `the move failed: ${"failed" in move.result ? move.result.failed : ""}`);
  return move.result.moved;
};

describe("the rebalancer between nodes", () => {
  test("an overloaded node moves servers to the least loaded member; callers by name lose no call", async (t) => {
    const [a, b] = await members(t, [true, true]);
    const names = await counters(a!, "over", 4);
    await setLoads(a!, [a!, b!], [10, 0]);
    const rebalancer = await rebalancerOn(t, a!, { maxMoves: 4 });
    const events: RebalanceMove[] = [];
    rebalancer.on("move", (m) => events.push(m));
    const stopCalling = keepBusy(a!, names);
    const moves = await rebalancer.check();
    const replies = await stopCalling();
    // 4 busy servers carry 10 / 4 each: two moves bring a and b to 5 each.
    assert.equal(moves.length, 2);
    assert.deepEqual(events, moves);
    assert.deepEqual(rebalancer.moves(), moves);
    for (const move of moves) {
      assert.equal(move.from.node, a!.node.name);
      assert.equal(move.to.node, b!.node.name);
      assert.equal(move.to.scheduler, undefined);
      assert.match(move.why, /scored/);
      const now = movedTo(move);
      assert.equal(now.node, b!.node.name);
      assert.ok(
        b!.names.names().some(([, pid]) => equals(pid, now)),
        "the name follows the server",
      );
    }
    // Every caller's totals run 2, 3, 4, … with no gap: no call lost, none applied twice.
    for (const totals of replies)
      assert.deepEqual(
        totals,
        Array.from({ length: totals.length }, (_, i) => i + 2),
      );
  });

  test("a gap within the threshold moves nothing", async (t) => {
    const [a, b] = await members(t, [true, true]);
    await counters(a!, "within", 4);
    await setLoads(a!, [a!, b!], [3, 0]);
    const rebalancer = await rebalancerOn(t, a!, { threshold: 3 });
    assert.deepEqual(await rebalancer.check(), []);
  });

  test("the gap must last `sustain` checks, and after moves the count starts again", async (t) => {
    const [a, b] = await members(t, [true, true]);
    const stopCalling = keepBusy(a!, await counters(a!, "sustain", 8));
    await setLoads(a!, [a!, b!], [20, 0]);
    const rebalancer = await rebalancerOn(t, a!, { sustain: 3, maxMoves: 1 });
    assert.deepEqual(await rebalancer.check(), []);
    assert.deepEqual(await rebalancer.check(), []);
    assert.equal((await rebalancer.check()).length, 1);
    // The injected loads still say 20 vs 0, but the next moves wait for three more checks that see it.
    assert.deepEqual(await rebalancer.check(), []);
    assert.deepEqual(await rebalancer.check(), []);
    assert.equal((await rebalancer.check()).length, 1);
    await stopCalling();
  });

  test("a dip under the threshold restarts the count", async (t) => {
    const [a, b] = await members(t, [true, true]);
    const stopCalling = keepBusy(a!, await counters(a!, "dip", 4));
    const rebalancer = await rebalancerOn(t, a!, { sustain: 2 });
    await setLoads(a!, [a!, b!], [10, 0]);
    assert.deepEqual(await rebalancer.check(), []);
    await setLoads(a!, [a!, b!], [2, 0]);
    assert.deepEqual(await rebalancer.check(), []);
    await setLoads(a!, [a!, b!], [10, 0]);
    assert.deepEqual(await rebalancer.check(), []);
    assert.equal((await rebalancer.check()).length, 2);
    await stopCalling();
  });

  test("at most K moves a check", async (t) => {
    const [a, b] = await members(t, [true, true]);
    const stopCalling = keepBusy(a!, await counters(a!, "k", 6));
    await setLoads(a!, [a!, b!], [30, 0]);
    const rebalancer = await rebalancerOn(t, a!, { maxMoves: 1 });
    assert.equal((await rebalancer.check()).length, 1);
    assert.equal((await rebalancer.check()).length, 1);
    assert.equal(rebalancer.moves().length, 2);
    await stopCalling();
  });

  test("a node that is not the overloaded one moves nothing to a busier one", async (t) => {
    const [a, b] = await members(t, [true, true]);
    await counters(a!, "calm", 4);
    await setLoads(a!, [a!, b!], [0, 10]);
    const rebalancer = await rebalancerOn(t, a!, {});
    assert.deepEqual(await rebalancer.check(), []);
  });

  test("a failed migration is logged and skipped: the server serves on where it was; the target is left alone", async (t) => {
    // c is the least loaded, but cannot run the counter; b is as loaded as a.
    const [a, b, c] = await members(t, [true, true, false]);
    const [name] = await counters(a!, "fails", 4);
    const before = a!.names.whereisName(name!)!;
    await setLoads(a!, [a!, b!, c!], [10, 10, 0]);
    const rebalancer = await rebalancerOn(t, a!, { maxMoves: 2 });
    const moves = await rebalancer.check();
    assert.equal(moves.length, 1, "one failure, not a second move to the same target in the round");
    const [failed] = moves;
    assert.ok("failed" in failed!.result);
    assert.match(failed!.result.failed, /migration failed/);
    assert.equal(failed!.to.node, c!.node.name);
    assert.ok(a!.node.runtime.isAlive(failed!.server));
    // The server kept its pid, name and state; calls by name go on.
    assert.ok(equals(a!.names.whereisName(name!)!, before));
    const total = await a!.node.runtime.run((self) => GenServer.call(self, { via: a!.names, name: name! }, GET));
    assert.equal(total, 1);
    // The next check leaves c alone (cool-down), and b is no less loaded than a.
    assert.deepEqual(await rebalancer.check(), []);
  });

  test("real load: servers kept busy on one node, the rebalancer moves some off it; no call is lost", async (t) => {
    // Both nodes share this thread's event loop, so their utilisations match: the run queues tell them apart.
    // Callers on a keep a's run queue long; b's holds nothing but its services.
    const [a, b] = await members(t, [true, true], true);
    const names = await counters(a!, "real", 6);
    const stopCalling = keepBusy(a!, names);
    const rebalancer = await startRebalancer(a!.node, {
      migration: a!.migration,
      cluster: a!.cluster,
      intervalMs: 50,
      threshold: 2,
    });
    t.after(() => rebalancer.stop());
    await waitFor(() => rebalancer.moves().length > 0, "a move", 20_000);
    await rebalancer.stop();
    const replies = await stopCalling();
    const moves = rebalancer.moves();
    assert.ok(moves.length < names.length, `it moved ${moves.length} of ${names.length}: all of them`);
    for (const move of moves) {
      assert.equal(move.to.node, b!.node.name);
      assert.equal(movedTo(move).node, b!.node.name);
    }
    for (const totals of replies)
      assert.deepEqual(
        totals,
        Array.from({ length: totals.length }, (_, i) => i + 2),
      );
    const onB = (await Promise.all(names.map((name) => whereIs(a!.node.runtime, { via: a!.names, name })))).filter(
      ([node]) => node === b!.node.name,
    );
    assert.equal(onB.length, moves.length);
  });

  test("bad options, a second rebalancer and a stopped one are typed errors", async (t) => {
    const [a] = await members(t, [true]);
    const code = (expected: string) => (e: unknown) => e instanceof DistError && e.code === expected;
    await assert.rejects(
      startRebalancer(a!.node, { migration: a!.migration, maxMoves: 0 }),
      code("CLUSTER_BAD_OPTION"),
    );
    await assert.rejects(
      startRebalancer(a!.node, { migration: a!.migration, sustain: 1.5 }),
      code("CLUSTER_BAD_OPTION"),
    );
    const rebalancer = await startRebalancer(a!.node, { migration: a!.migration });
    await assert.rejects(startRebalancer(a!.node, { migration: a!.migration }), code("CLUSTER_SERVICE"));
    await rebalancer.stop();
    await assert.rejects(rebalancer.check(), code("CLUSTER_SERVICE"));
  });
});

/** Where the counter `server` runs: `[node, scheduler]`. */
async function whereIs(runtime: Runtime, server: ServerRef): Promise<[Atom, number]> {
  const where = await runtime.run((self) => GenServer.call(self, server, WHERE));
  assert.ok(where instanceof Tuple);
  return [where.at(0) as Atom, where.at(1) as number];
}

describe("the rebalancer between the schedulers of a node", () => {
  /** A node of two schedulers that runs the counter on both, and `count` counters on scheduler 0, each called once. */
  async function nodeWithCounters(t: { after(fn: () => Promise<void>): void }, prefix: string, count: number) {
    const node = await startNode({
      name: uniqueNodeName(prefix),
      schedulers: 2,
      sameHost: false,
      runtime: { logger: () => {} },
    });
    t.after(() => node.stop());
    await node.schedulers.load(SPEC.module, COUNTER);
    node.schedulers.start();
    const migration = startMigration(node);
    const names = Array.from({ length: count }, (_, i) => atom(`${prefix}_${i}`));
    for (const name of names) {
      const started = await migration.start(SPEC, 0, { name });
      assert.ok("pid" in started);
      await node.runtime.run((self) => GenServer.call(self, name, tuple(ADD, 1)));
    }
    return { node, migration, names };
  }

  test("an overloaded scheduler: servers move to the other; moved ones stay for the cool-down, then may move back", async (t) => {
    const { node, migration, names } = await nodeWithCounters(t, "rb_sched", 4);
    const loads = new SetLoad();
    loads.set(10, 0);
    const stopCalling = keepCalling(node.runtime, names);
    const rebalancer = await startRebalancer(node, {
      migration,
      schedulerLoads: loads,
      intervalMs: 3_600_000,
      sustain: 1,
      cooldownMs: 300,
    });
    t.after(() => rebalancer.stop());
    const moves = await rebalancer.check();
    assert.equal(moves.length, 2); // 4 busy servers of 2.5 each: 10:0 → 7.5:2.5 → 5:5
    for (const move of moves) {
      assert.deepEqual(move.from, { node: node.name, scheduler: 0 });
      assert.deepEqual(move.to, { node: node.name, scheduler: 1 });
      assert.equal(movedTo(move).id % 2, 1);
    }
    const where = await Promise.all(names.map((name) => whereIs(node.runtime, name)));
    assert.equal(where.filter(([, scheduler]) => scheduler === 1).length, 2);
    // Now scheduler 1 looks overloaded: the servers that just moved there are cooling down.
    loads.set(0, 10);
    const movedAt = node.runtime.clock.now();
    assert.deepEqual(await rebalancer.check(), []);
    await waitFor(() => node.runtime.clock.now() - movedAt > 300, "the cool-down", 5000);
    const back = await rebalancer.check();
    assert.equal(back.length, 1); // 2 servers of 5 each: 10:0 → 5:5
    assert.deepEqual(back[0]!.to, { node: node.name, scheduler: 0 });
    assert.equal(movedTo(back[0]!).id % 2, 0);
    assertNoCallLost(await stopCalling());
  });

  /** Moves each of the servers `names` to `scheduler` and waits until its old pid has ended; the new pids. */
  async function moveAll(node: OtterNode, names: Atom[], scheduler: number): Promise<Pid[]> {
    return node.runtime.run(async (self) => {
      const moved: Pid[] = [];
      for (const name of names) {
        const ref = self.monitor(self.runtime.whereis(name)!);
        moved.push(await migrate(self, name, { scheduler }, { graceMs: 20 }));
        const down = await self.receive((m) => m instanceof Tuple && m.at(0) === DOWN && equals(m.at(1)!, ref), {
          timeout: 5000,
        });
        assert.ok(down !== undefined, `the old pid of ${name.name} did not end`);
      }
      return moved;
    });
  }

  test("servers on scheduler 1, some kept busy, scheduler 1 overloaded: a busy one moves back to 0", async (t) => {
    const { node, migration, names } = await nodeWithCounters(t, "rb_back", 4);
    const onOne = await moveAll(node, names, 1);
    // The rebalancer starts after the moves: it knows these servers only from the node's list.
    assert.deepEqual(new Set((await migration.servers()).map(String)), new Set(onOne.map(String)));
    const loads = new SetLoad();
    loads.set(0, 10);
    const rebalancer = await startRebalancer(node, {
      migration,
      schedulerLoads: loads,
      intervalMs: 3_600_000,
      sustain: 2,
    });
    t.after(() => rebalancer.stop());
    // Two of the four are called; the other two are idle. Their work is read from scheduler 1's thread.
    const busy = names.slice(0, 2);
    const stopCalling = keepCalling(node.runtime, busy);
    assert.deepEqual(await rebalancer.check(), [], "the first check that sees the gap only looks");
    await node.runtime.run(async (self) => {
      for (const name of busy) await GenServer.call(self, name, GET); // work since the look, whatever the callers did
    });
    const moves = await rebalancer.check();
    assertNoCallLost(await stopCalling());
    // 2 busy servers carry 10 / 2 each: one move brings scheduler 1 and 0 to 5 each; an idle one never moves.
    assert.equal(moves.length, 1);
    const [move] = moves;
    assert.deepEqual(move!.from, { node: node.name, scheduler: 1 });
    assert.deepEqual(move!.to, { node: node.name, scheduler: 0 });
    assert.equal(movedTo(move!).id % 2, 0);
    const busyPids = onOne.slice(0, 2).map(String);
    assert.ok(busyPids.includes(String(move!.server)), `it moved ${move!.server}, an idle server`);
    const where = await Promise.all(names.map((name) => whereIs(node.runtime, name)));
    assert.equal(where.filter(([, scheduler]) => scheduler === 0).length, 1);
  });

  /**
   * Servers kept busy on scheduler `from` (each call keeps it busy for 2 ms): the rebalancer moves some of them —
   * not all — to the idle scheduler `to`, and callers by name lose no call.
   */
  async function realLoadMoves(t: TestContext, prefix: string, from: number, to: number): Promise<void> {
    const { node, migration, names } = await nodeWithCounters(t, prefix, 4);
    if (from !== 0) await moveAll(node, names, from);
    const stopCalling = keepCalling(node.runtime, names, 2);
    const rebalancer = await startRebalancer(node, { migration, intervalMs: 100 });
    t.after(() => rebalancer.stop());
    // Waits for the event: polling here would keep scheduler 0's thread (this one) as busy as the loaded one.
    await once(rebalancer, "move", { signal: AbortSignal.timeout(20_000) });
    await rebalancer.stop();
    assertNoCallLost(await stopCalling());
    const moves = rebalancer.moves();
    assert.ok(moves.length < names.length, `it moved ${moves.length} of ${names.length}: all of them`);
    for (const move of moves) {
      assert.deepEqual(move.from, { node: node.name, scheduler: from });
      assert.deepEqual(move.to, { node: node.name, scheduler: to });
      assert.equal(movedTo(move).id % 2, to);
    }
    const where = await Promise.all(names.map((name) => whereIs(node.runtime, name)));
    assert.equal(where.filter(([, scheduler]) => scheduler === to).length, moves.length);
  }

  test("real load: servers kept busy on scheduler 1, some move back to scheduler 0; no call is lost", (t) =>
    realLoadMoves(t, "rb_real1", 1, 0));

  test("real load: servers kept busy on scheduler 0, some move to scheduler 1; callers by name lose no call", (t) =>
    realLoadMoves(t, "rb_real", 0, 1));
});
