// The node's migratable servers (src/cluster/migration.ts `servers()`, migratable-servers.ts): every scheduler's,
// asked for over the mesh — those started on the main scheduler, those moved to a worker scheduler (started there
// by its own `otter_migration`), an old pid until its grace period ends; ended ones left out. And `migrationOf`,
// how code that has only its process finds the node's Migration.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Migration, migrate, migrationOf, startMigration } from "../../src/cluster/migration.ts";
import { atom, DOWN, equals, GenServer, type Pid, Tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/node.ts";
import { startSchedulersNode } from "../fixtures/schedulers/harness.ts";

const SPEC = { module: "sched_migratable", fn: "server" };

/** Pids as text, sorted: lists compared regardless of order. */
const sorted = (pids: readonly Pid[]) => pids.map(String).sort();

describe("the migratable servers of a node of two schedulers", () => {
  let node: OtterNode;
  let migration: Migration;

  before(async () => {
    node = await startSchedulersNode("mig_servers", 2, { runtime: { logger: () => {} } });
    await node.schedulers.load(SPEC.module, new URL("../fixtures/schedulers/migratable.ts", import.meta.url));
    migration = startMigration(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("those on scheduler 0 and those moved to scheduler 1; the old pid until it ends; an ended one is left out", async () => {
    const stays = atom("servers_stays");
    const moves = atom("servers_moves");
    const started = await Promise.all([
      migration.start(SPEC, 0, { name: stays }),
      migration.start(SPEC, 0, { name: moves }),
    ]);
    const [home, old] = started.map((s) => {
      assert.ok("pid" in s);
      return s.pid;
    }) as [Pid, Pid];
    assert.deepEqual(sorted(await migration.servers()), sorted([home, old]));

    const { moved, duringGrace } = await node.runtime.run(async (self) => {
      const ref = self.monitor(old);
      const moved = await migrate(self, moves, { scheduler: 1 }, { graceMs: 200 });
      const duringGrace = await migration.servers();
      const down = await self.receive((m) => m instanceof Tuple && m.at(0) === DOWN && equals(m.at(1)!, ref), {
        timeout: 5000,
      });
      assert.ok(down !== undefined, "the old pid did not end after its grace period");
      return { moved, duringGrace };
    });
    assert.equal(moved.id % 2, 1, "it runs on scheduler 1");
    assert.deepEqual(sorted(duringGrace), sorted([home, old, moved]), "the old pid is listed during its grace");
    const now = await migration.servers();
    assert.deepEqual(sorted(now), sorted([home, moved]));
    assert.ok(equals(now[0]!, home), "the main scheduler's first");

    await node.runtime.run((self) => GenServer.stop(self, moves));
    assert.deepEqual(sorted(await migration.servers()), sorted([home]), "a server that ended is left out");
    await node.runtime.run((self) => GenServer.stop(self, stays));
    assert.deepEqual(await migration.servers(), []);
  });

  test("migrationOf finds the node's Migration from its runtime", async () => {
    assert.equal(migrationOf(node.runtime), migration);
    const other = await startSchedulersNode("mig_servers_none", 1);
    try {
      assert.equal(migrationOf(other.runtime), undefined);
    } finally {
      await other.stop();
    }
  });
});
