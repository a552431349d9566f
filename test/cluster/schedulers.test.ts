// A node's schedulers on worker threads: spawning by module name on another scheduler, and the runtime's
// guarantees (message order, links, monitors, registered names, aliases) between processes on different ones.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, type Process, type Term, Tuple, tuple } from "../../src/index.ts";
import { type OtterNode, spawnRemote, startNode } from "../../src/node/index.ts";
import { uniqueNodeName } from "../support/dist.ts";

const WORKERS = new URL("../fixtures/schedulers/workers.ts", import.meta.url);
const MODULE = "sched_workers";

describe("schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startNode({ name: uniqueNodeName("sched"), schedulers: 2, sameHost: false });
    await node.schedulers.load(MODULE, WORKERS);
  });
  after(() => node.stop());

  const on = (self: Process, scheduler: number, fn: string, args: Term[] = []) =>
    spawnRemote(self, self.runtime.node, MODULE, fn, args, { scheduler });

  it("spawns on the scheduler asked for, whose pids say so", async () => {
    await node.runtime.run(async (self) => {
      const pid = await on(self, 1, "echo");
      assert.equal(pid.id % 2, 1);
      self.send(pid, tuple(self.pid, 42));
      const reply = await self.receive(undefined, { timeout: 5000 });
      assert.ok(reply instanceof Tuple);
      assert.deepEqual([reply.at(0), reply.at(1)], [pid, 42]);
      self.send(pid, atom("stop"));
    });
  });

  it("carries binaries too large for a ring (as a shared blob), in order with the small messages around them", async () => {
    await node.runtime.run(async (self) => {
      const pid = await on(self, 1, "echo");
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      for (const x of [1, big, 2, big, 3]) self.send(pid, tuple(self.pid, x));
      const got: Term[] = [];
      for (let i = 0; i < 5; i++) {
        const reply = await self.receive(undefined, { timeout: 5000 });
        assert.ok(reply instanceof Tuple);
        got.push(reply.at(1)!);
      }
      assert.deepEqual(
        got.filter((x) => typeof x === "number"),
        [1, 2, 3],
      );
      assert.deepEqual(
        got.map((x) => (typeof x === "number" ? x : "big")),
        [1, "big", 2, "big", 3],
      );
      assert.ok(Buffer.from(got[1] as Uint8Array).equals(big));
      self.send(pid, atom("stop"));
    });
  });
});
