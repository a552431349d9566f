// Modules loaded by the code server on every scheduler of a node: spawned on scheduler 1 by module and function
// (its thread started after the load, or running at it), a new version taken at the next call through the name on
// scheduler 1, purge and soft purge of a process on scheduler 1 running old code, a migratable server whose module
// came from code.load moving to scheduler 1, and a load that fails — everywhere, or on scheduler 1 only — leaving
// every scheduler on the old version.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Migration, migrate, startMigration } from "../../src/cluster/migration.ts";
import { spawnOn } from "../../src/cluster/spawn-on.ts";
import {
  atom,
  type CodeError,
  ErrorCodes,
  GenServer,
  KILLED,
  type Pid,
  type Process,
  type Term,
  type Tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/index.ts";
import { assertTerm, downReason, receiveWithin, schedulerOf, tagged } from "../fixtures/schedulers/harness.ts";
import { uniqueNodeName } from "../support/dist.ts";

const TIMEOUT = { timeout: 60_000 };

/** A module whose `version()` is `n`, and whose processes on any scheduler answer through the module's name. */
function versioned(name: string, n: number, extra = ""): string {
  return `import { atom, moduleNamed, tuple } from "otter";
${extra}
export function version() { return ${n}; }
/** Tells \`parent\` the version and scheduler of the call, then ends. */
export function hello(self, parent) {
  self.send(parent, tuple(atom("hello"), version(), self.runtime.seat.index));
}
/** A process (spawned by this call, so running this version) that answers each \`ask\` through the module's name. */
export function start(self, parent) {
  const child = self.spawn(async (me) => {
    for (;;) {
      const from = await me.receive();
      me.send(from, tuple(atom("version"), moduleNamed(me.runtime, "${name}").version(), me.runtime.seat.index));
    }
  });
  self.send(parent, tuple(atom("child"), child));
}
`;
}

/** The `{Tag, A, B}` message's two values. */
async function pair(self: Process, tag: string, what: string): Promise<[Term, Term]> {
  const m = (await receiveWithin(self, tagged(tag), what)) as Tuple;
  return [m.at(1)!, m.at(2)!];
}

/** Spawns `module:start(self)` on scheduler 1; the pid of the process it started there. */
async function childOn1(self: Process, module: string): Promise<Pid> {
  await spawnOn(self, 1, module, "start", [self.pid]);
  const [child] = await pair(self, "child", `${module}'s child`);
  return child as Pid;
}

/** The version and scheduler `child` answers with. */
async function versionOf(self: Process, child: Pid): Promise<[Term, Term]> {
  self.send(child, self.pid);
  return pair(self, "version", "the version a child answers");
}

describe("code server modules on every scheduler", () => {
  let node: OtterNode;
  let migration: Migration;

  before(async () => {
    // Two schedulers; the other thread starts at the first signal for it (the first test's spawn).
    node = await startNode({ name: uniqueNodeName("sched_code"), schedulers: 2, sameHost: false });
    migration = startMigration(node);
  });

  after(async () => {
    await node?.stop();
  });

  test("a module loaded before scheduler 1's thread started runs there by module and function", TIMEOUT, async () => {
    await node.code.load("sc_first", { source: versioned("sc_first", 1) });
    const [version, scheduler] = await node.runtime.run(async (self) => {
      await spawnOn(self, 1, "sc_first", "hello", [self.pid]);
      return pair(self, "hello", "hello from scheduler 1");
    });
    assert.deepEqual([version, scheduler], [1, 1]);
  });

  test("a new version is current on scheduler 1 at the next call through the name", TIMEOUT, async () => {
    node.schedulers.start();
    await node.code.load("sc_ticker", { source: versioned("sc_ticker", 1) });
    await node.runtime.run(async (self) => {
      const child = await childOn1(self, "sc_ticker");
      assert.equal(schedulerOf(child, 2), 1);
      assert.deepEqual(await versionOf(self, child), [1, 1]);
      await node.code.load("sc_ticker", { source: versioned("sc_ticker", 2) });
      assert.deepEqual(await versionOf(self, child), [2, 1], "the load resolved once scheduler 1 had switched too");
      await spawnOn(self, 1, "sc_ticker", "hello", [self.pid]);
      assert.deepEqual(await pair(self, "hello", "hello of the new version"), [2, 1]);
    });
  });

  test("purge kills a process on scheduler 1 running old code; soft purge refuses while it runs", TIMEOUT, async () => {
    const { code } = node;
    await code.load("sc_looper", { source: versioned("sc_looper", 1) });
    await node.runtime.run(async (self) => {
      const old = await childOn1(self, "sc_looper");
      const ref = self.monitor(old);
      await code.load("sc_looper", { source: versioned("sc_looper", 2) });
      const fresh = await childOn1(self, "sc_looper");
      assert.deepEqual(code.processesRunningOld("sc_looper"), [], "scheduler 0 runs none of it");
      assert.equal(await code.softPurge("sc_looper"), false, "scheduler 1 still runs the old version");
      assert.equal(code.versions("sc_looper").old?.serial, 1);
      assert.deepEqual(await versionOf(self, old), [2, 1], "alive, and calls through the name reach version 2");
      assert.equal(await code.purge("sc_looper"), true, "it killed the process on scheduler 1");
      assertTerm(await downReason(self, ref, "the old code's process DOWN"), KILLED);
      assert.equal(code.versions("sc_looper").old, undefined);
      assert.deepEqual(await versionOf(self, fresh), [2, 1], "a process of the new version lives on");
      assert.equal(await code.softPurge("sc_looper"), true);
      // Nothing old is left anywhere: a third version loads.
      await code.load("sc_looper", { source: versioned("sc_looper", 3) });
      assert.deepEqual(await versionOf(self, fresh), [3, 1]);
      assert.equal(await code.softPurge("sc_looper"), false, "scheduler 1's process runs version 2, now old");
    });
  });

  test("a migratable server whose module came from code.load moves to scheduler 1", TIMEOUT, async () => {
    const source = `import { atom } from "otter";
const counter = {
  init: (_self, start) => ({ state: start }),
  handleCall(self, request, _from, n) {
    if (request === atom("bump")) return { reply: n + 1, state: n + 1 };
    return { reply: self.runtime.seat.index, state: n };
  },
};
export function server(_self) { return counter; }
`;
    await node.code.load("sc_counter", { source });
    const name = atom("sc_moving_counter");
    const started = await migration.start({ module: "sc_counter", fn: "server" }, 10, { name });
    assert.ok("pid" in started);
    const [before, moved, where, after] = await node.runtime.run(async (self) => {
      const bumped = await GenServer.call(self, name, atom("bump"));
      const pid = await migrate(self, name, { scheduler: 1 });
      return [
        bumped,
        pid,
        await GenServer.call(self, name, atom("where")),
        await GenServer.call(self, name, atom("bump")),
      ];
    });
    assert.equal(before, 11);
    assert.equal(schedulerOf(moved as Pid, 2), 1);
    assert.equal(where, 1);
    assert.equal(after, 12, "its state moved with it");
  });

  test(
    "a load that fails, everywhere or on scheduler 1 only, leaves every scheduler on the old version",
    TIMEOUT,
    async () => {
      const { code } = node;
      await code.load("sc_failing", { source: versioned("sc_failing", 1) });
      const throwsEverywhere = versioned("sc_failing", 2, `throw new Error("no version 2 anywhere");`);
      const throwsOnWorkers = versioned(
        "sc_failing",
        3,
        `import { isMainThread } from "node:worker_threads";
if (!isMainThread) throw new Error("no version 3 on a worker");`,
      );
      const failure = async (source: string): Promise<CodeError> => {
        try {
          await code.load("sc_failing", { source });
        } catch (error) {
          return error as CodeError;
        }
        assert.fail("the load succeeded");
      };
      const everywhere = await failure(throwsEverywhere);
      assert.equal(everywhere.code, ErrorCodes.CODE_LOAD_FAILED);
      const onWorkers = await failure(throwsOnWorkers);
      assert.equal(onWorkers.code, ErrorCodes.CODE_LOAD_FAILED);
      assert.match(onWorkers.message, /scheduler 1: .*no version 3 on a worker/);
      assert.deepEqual(code.versions("sc_failing").current?.serial, 1);
      assert.equal(code.versions("sc_failing").old, undefined);
      assert.equal(code.module<{ version(): number }>("sc_failing").version(), 1, "scheduler 0 runs version 1");
      await node.runtime.run(async (self) => {
        await spawnOn(self, 1, "sc_failing", "hello", [self.pid]);
        assert.deepEqual(await pair(self, "hello", "hello from scheduler 1"), [1, 1], "scheduler 1 runs version 1");
        // A later good load is version 2 everywhere (the failed ones took no serial).
        await code.load("sc_failing", { source: versioned("sc_failing", 4) });
        await spawnOn(self, 1, "sc_failing", "hello", [self.pid]);
        assert.deepEqual(await pair(self, "hello", "hello after a good load"), [4, 1]);
      });
      assert.equal(code.versions("sc_failing").current?.serial, 2);
    },
  );
});
