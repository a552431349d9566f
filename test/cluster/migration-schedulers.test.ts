// Migration to another scheduler of the same node (src/cluster/migration.ts, `{ scheduler: n }`): callers by the
// server's local atom name lose no call while it moves to scheduler 1 and back; the name follows at once; a module
// not loaded on the target scheduler, or a scheduler the node does not have, is a typed error and the server runs
// on where it was, with its name.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Migration, migrate, migrateTimed, startMigration } from "../../src/cluster/migration.ts";
import { atom, DistError, ErrorCodes, equals, GenServer, type Term } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/node.ts";
import { startSchedulersNode } from "../fixtures/schedulers/harness.ts";

const SPEC = { module: "sched_migratable", fn: "server" };
const BUMP = atom("bump");
const WHERE = atom("where");

describe("migrating a GenServer to another scheduler of its node", () => {
  let node: OtterNode;
  let migration: Migration;

  before(async () => {
    node = await startSchedulersNode("mig_sched", 2, { runtime: { logger: () => {} } });
    await node.schedulers.load(SPEC.module, new URL("../fixtures/schedulers/migratable.ts", import.meta.url));
    migration = startMigration(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("under load by name: to scheduler 1 and back to 0, no call lost, the name follows at each switch", async () => {
    const name = atom("sched_moving_counter");
    const started = await migration.start(SPEC, 0, { name });
    assert.ok("pid" in started);
    const callers = 6;
    const callsPerCaller = 150;
    const load = Array.from({ length: callers }, () =>
      node.runtime.run(async (self) => {
        const totals: Term[] = [];
        for (let i = 0; i < callsPerCaller; i++) totals.push(await GenServer.call(self, name, BUMP));
        return totals;
      }),
    );
    const wallClock = () => performance.timeOrigin + performance.now();
    let [moveStart, moveEnd] = [0, 0];
    const [timed, whereOne, nameOnOne, back, whereBack] = await node.runtime.run(async (self) => {
      await self.receive(undefined, { timeout: 2 }); // let the callers start
      moveStart = wallClock();
      const moved = await migrateTimed(self, name, { scheduler: 1 }, { graceMs: 100 });
      moveEnd = wallClock();
      const holder = self.runtime.whereis(name);
      const where = await GenServer.call(self, name, WHERE);
      const home = await migrate(self, name, { scheduler: 0 }, { graceMs: 100 });
      return [moved, where, holder, home, await GenServer.call(self, name, WHERE)] as const;
    });
    const onOne = timed.pid;
    assert.equal(onOne.id % 2, 1, "the new pid names scheduler 1");
    // The suspension, timed on the server's thread (scheduler 0), lies within the move as the caller saw it.
    assert.ok(timed.suspendedMs > 0, `suspended ${timed.suspendedMs} ms`);
    assert.ok(timed.suspendedAt >= moveStart && timed.suspendedAt + timed.suspendedMs <= moveEnd + 0.01);
    assert.equal(whereOne, 1);
    assert.ok(nameOnOne !== undefined && equals(nameOnOne, onOne), "the name points at the new pid after the move");
    assert.equal(back.id % 2, 0);
    assert.equal(whereBack, 0);
    const replies = (await Promise.all(load)).flat().map(Number);
    const expected = callers * callsPerCaller;
    // Every total from 1 to `expected` came back exactly once: no call lost, none applied twice.
    assert.deepEqual(
      replies.sort((x, y) => x - y),
      Array.from({ length: expected }, (_, i) => i + 1),
    );
    assert.ok(equals(node.runtime.whereis(name)!, back));
  });

  test("a module not loaded on the target scheduler: a typed error; the server keeps its pid, name and state", async () => {
    node.exportModule("main_only_counter", {
      server: (self) => node.modules.lookup(atom(SPEC.module), atom("server"), 0)!(self) as Term,
    });
    const name = atom("main_only_counter");
    const started = await migration.start({ module: "main_only_counter", fn: "server" }, 41, { name });
    assert.ok("pid" in started);
    const total = await node.runtime.run(async (self) => {
      await assert.rejects(
        migrate(self, name, { scheduler: 1 }),
        (e) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_MIGRATION_FAILED && /no_server/.test(e.message),
      );
      await assert.rejects(
        migrate(self, name, { scheduler: 7 }),
        (e) => e instanceof DistError && e.code === ErrorCodes.CLUSTER_MIGRATION_FAILED && /bad_target/.test(e.message),
      );
      return GenServer.call(self, name, BUMP);
    });
    assert.equal(total, 42);
    assert.ok(equals(node.runtime.whereis(name)!, started.pid));
  });

  test("a move to the scheduler it runs on is no move: the same pid", async () => {
    const started = await migration.start(SPEC, 0);
    assert.ok("pid" in started);
    const moved = await node.runtime.run((self) => migrateTimed(self, started.pid, { scheduler: 0 }));
    assert.ok(equals(moved.pid, started.pid));
    assert.equal(moved.suspendedMs, 0);
  });
});
