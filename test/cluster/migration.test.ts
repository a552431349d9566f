// Migration of a GenServer between Otter nodes (src/cluster/migration.ts), three nodes in one Node.js process:
// no call lost while callers on two nodes call it by name through moves, its state kept, what its monitors see,
// a state that does not encode refused, and a target that cannot start it leaving it serving where it was.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Migration, migrate, startMigration } from "../../src/cluster/migration.ts";
import { type ClusterNames, startClusterNames } from "../../src/cluster/names.ts";
import {
  atom,
  DistError,
  DOWN,
  ErrorCodes,
  equals,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Process,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { assertTerm, waitFor } from "../support/runtime.ts";

const cookie = uniqueCookie();
const ADD = atom("add");
const GET = atom("get");

/** A counter: `{add, N}` adds N and replies with the total; `get` replies with it; `{poison}` puts a function in it. */
const counter: GenServerCallbacks<unknown, number, Term, Term, Term> = {
  init: (_self, n) => ({ state: n }),
  handleCall(_self, request, _from, state) {
    if (request === GET) return { reply: state as Term, state };
    if (request === atom("poison")) return { reply: atom("ok"), state: { unencodable: () => state } };
    const total = (state as number) + ((request as Tuple).at(1) as number);
    return { reply: total, state: total };
  },
};

interface Member {
  node: OtterNode;
  names: ClusterNames;
  migration: Migration;
}

async function start(prefix: string, epmdPort: number, options: { exportsCounter: boolean }): Promise<Member> {
  const node = await startNode({
    name: uniqueNodeName(prefix),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    runtime: { logger: () => {} },
  });
  if (options.exportsCounter) node.exportModule("counter", { server: () => counter as unknown as Term });
  const names = startClusterNames(node);
  return { node, names, migration: startMigration(node, { names }) };
}

const SPEC = { module: "counter", fn: "server" };

describe("migrating a GenServer between nodes", () => {
  let a: Member;
  let b: Member;
  let c: Member; // runs migration, but has no `counter` module: it cannot start the server

  before(async () => {
    const epmdPort = await freePort();
    a = await start("mig_a", epmdPort, { exportsCounter: true });
    b = await start("mig_b", epmdPort, { exportsCounter: true });
    c = await start("mig_c", epmdPort, { exportsCounter: false });
    assert.equal(await a.node.connect(b.node.name), true);
    assert.equal(await a.node.connect(c.node.name), true);
    assert.equal(await b.node.connect(c.node.name), true);
  });

  after(async () => {
    await c?.node.stop();
    await b?.node.stop();
    await a?.node.stop();
  });

  test("under load: callers on two nodes calling by name through two moves lose no call; the state moves along", async () => {
    const name = atom("busy_counter");
    const started = await a.migration.start(SPEC, 0, { name: { via: a.names, name } });
    assert.ok("pid" in started);
    await waitFor(() => b.names.whereisName(name) !== undefined, "the name on b", 5000);
    const callersPerNode = 8;
    const callsPerCaller = 40;
    const callers = (member: Member) =>
      Array.from({ length: callersPerNode }, () =>
        member.node.runtime.run(async (self) => {
          const totals: Term[] = [];
          for (let i = 0; i < callsPerCaller; i++) {
            totals.push(await GenServer.call(self, { via: member.names, name }, tuple(ADD, 1)));
          }
          return totals;
        }),
      );
    const load = [...callers(a), ...callers(b)];
    const moves = a.node.runtime.run(async (self) => {
      await self.receive(undefined, { timeout: 5 }); // let the callers start
      const onB = await migrate(self, { via: a.names, name }, b.node.name, { graceMs: 1000 });
      const back = await migrate(self, { via: a.names, name }, a.node.name, { graceMs: 1000 });
      return [onB, back];
    });
    const [onB, back] = await moves;
    assert.equal(onB.node, b.node.name);
    assert.equal(back.node, a.node.name);
    const replies = (await Promise.all(load)).flat();
    const expected = 2 * callersPerNode * callsPerCaller;
    assert.equal(replies.length, expected);
    // Every total from 1 to `expected` came back exactly once: no call lost, none applied twice.
    assert.deepEqual(
      [...replies].map(Number).sort((x, y) => x - y),
      Array.from({ length: expected }, (_, i) => i + 1),
    );
    const total = await b.node.runtime.run((self) => GenServer.call(self, { via: b.names, name }, GET));
    assert.equal(total, expected);
  });

  test("watchers of the old pid see a move: DOWN {shutdown, {migrated, NewPid}} after the grace period", async () => {
    const name = atom("watched_counter");
    const started = await a.migration.start(SPEC, 5, { name: { via: a.names, name } });
    assert.ok("pid" in started);
    const old = started.pid;
    const [newPid, down] = await a.node.runtime.run(async (self) => {
      const ref = self.monitor(old);
      const moved = await migrate(self, old, b.node.name, { graceMs: 50 });
      // Within the grace period a call to the old pid is forwarded and answered by the new process.
      assert.equal(await GenServer.call(self, old, GET), 5);
      const down = await self.receive((m) => m instanceof Tuple && m.at(0) === DOWN && equals(m.at(1)!, ref), {
        timeout: 5000,
      });
      return [moved, down] as [Pid, Tuple | undefined];
    });
    assert.ok(down !== undefined, "no DOWN from the old pid");
    assertTerm(down.at(4), tuple(atom("shutdown"), tuple(atom("migrated"), newPid)));
    assert.equal(await a.node.runtime.run((self) => GenServer.call(self, { via: a.names, name }, GET)), 5);
  });

  test("a local atom name moving to another node: the old pid keeps it for the grace period, the new node takes it", async () => {
    const name = atom("local_named_counter");
    const started = await a.migration.start(SPEC, 3, { name });
    assert.ok("pid" in started);
    const [moved, down] = await a.node.runtime.run(async (self) => {
      const ref = self.monitor(started.pid);
      const moved = await migrate(self, name, b.node.name, { graceMs: 50 });
      // Within the grace period the name still works here: the old pid forwards to the new process.
      assert.equal(await GenServer.call(self, name, tuple(ADD, 1)), 4);
      const down = await self.receive((m) => m instanceof Tuple && m.at(0) === DOWN && equals(m.at(1)!, ref), {
        timeout: 5000,
      });
      return [moved, down] as [Pid, Tuple | undefined];
    });
    assert.ok(down !== undefined, "no DOWN from the old pid");
    assert.equal(a.node.runtime.whereis(name), undefined, "the name is free on the old node after the grace period");
    await waitFor(() => b.node.runtime.whereis(name) !== undefined, "the name on b", 5000);
    assert.ok(equals(b.node.runtime.whereis(name)!, moved));
    assert.equal(await b.node.runtime.run((self) => GenServer.call(self, name, GET)), 4);
  });

  test("a local atom name back on its node within the grace period: the old pid hands it to the new process", async () => {
    const name = atom("round_trip_counter");
    const started = await a.migration.start(SPEC, 7, { name });
    assert.ok("pid" in started);
    const graceMs = 20_000; // longer than the test: the first old pid holds the name all along unless it hands it on
    const onB = await a.node.runtime.run((self) => migrate(self, name, b.node.name, { graceMs }));
    await waitFor(() => b.node.runtime.whereis(name) !== undefined, "the name on b", 5000);
    const back = await b.node.runtime.run((self) => migrate(self, name, a.node.name, { graceMs }));
    assert.ok(!equals(back, started.pid) && !equals(back, onB));
    await waitFor(() => equals(a.node.runtime.whereis(name) ?? [], back), "the name with the new process on a", 5000);
    assert.equal(await a.node.runtime.run((self) => GenServer.call(self, name, GET)), 7);
    assert.equal(a.node.runtime.processInfo(started.pid)?.registeredName, undefined, "the old pid forwards unnamed");
  });

  test("a new process that fails after calls were forwarded to it: they are handled where the server was, none lost", async () => {
    a.node.exportModule("flaky_counter", { server: () => counter as unknown as Term });
    const failing = {
      ...counter,
      async migrated(self: Process) {
        await self.receive(undefined, { timeout: 20 }); // calls reach the old pid meanwhile and are forwarded here
        throw new Error("migrated failed");
      },
    };
    b.node.exportModule("flaky_counter", { server: () => failing as unknown as Term });
    const started = await a.migration.start({ module: "flaky_counter", fn: "server" }, 0);
    assert.ok("pid" in started);
    const server = started.pid;
    const load = Array.from({ length: 4 }, () =>
      a.node.runtime.run(async (self) => {
        const totals: Term[] = [];
        for (let i = 0; i < 100; i++) totals.push(await GenServer.call(self, server, tuple(ADD, 1)));
        return totals;
      }),
    );
    await a.node.runtime.run(async (self) => {
      await self.receive(undefined, { timeout: 2 });
      await assert.rejects(
        migrate(self, server, b.node.name),
        (e) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_MIGRATION_FAILED,
      );
    });
    const replies = (await Promise.all(load)).flat().map(Number);
    assert.deepEqual(
      replies.sort((x, y) => x - y),
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
    assert.ok(a.node.runtime.isAlive(server));
  });

  test("a state that does not encode to ETF is refused; the server serves on where it was", async () => {
    const started = await a.migration.start(SPEC, 1);
    assert.ok("pid" in started);
    await a.node.runtime.run(async (self) => {
      await GenServer.call(self, started.pid, atom("poison"));
      await assert.rejects(
        migrate(self, started.pid, b.node.name),
        (e) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_NOT_MIGRATABLE,
      );
    });
    assert.ok(a.node.runtime.isAlive(started.pid));
  });

  test("a target that cannot start the server: a typed error, the server keeps its state, name and pid", async () => {
    const name = atom("stays_counter");
    const started = await a.migration.start(SPEC, 7, { name: { via: a.names, name } });
    assert.ok("pid" in started);
    const total = await a.node.runtime.run(async (self) => {
      await assert.rejects(
        migrate(self, { via: a.names, name }, c.node.name),
        (e) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_MIGRATION_FAILED,
      );
      await assert.rejects(
        migrate(self, { via: a.names, name }, "nobody@127.0.0.1", { timeoutMs: 500 }),
        (e) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_MIGRATION_FAILED,
      );
      await GenServer.call(self, started.pid, tuple(ADD, 1));
      return GenServer.call(self, { via: a.names, name }, tuple(ADD, 1));
    });
    assert.equal(total, 9);
    assert.ok(equals(a.names.whereisName(name)!, started.pid));
  });
});
