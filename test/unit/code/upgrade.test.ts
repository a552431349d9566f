// Tests for live upgrades (`code.upgrade(plan)`): a stateful server upgraded under load without a lost call, two
// servers of two modules in one plan and in order, rollback when a codeChange fails or a process dies midway (and
// what it does with a process it cannot take back), a plan that fails to load or names a process that is not
// running, a process too busy to suspend, purging, and bad plans.
import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { type CodeServer, startCodeServer, UpgradeError } from "../../../src/code/index.ts";
import * as otter from "../../../src/index.ts";
import {
  atom,
  type CodeError,
  ErrorCodes,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Process,
  ProcessError,
  sys,
  type Term,
  type Tuple,
  tuple,
} from "../../../src/index.ts";
import { recorder, runtime, waitFor } from "../../support/runtime.ts";

const TIMEOUT = { timeout: 30_000 };

/** What the test's modules import as "upgrade-kit": a log the test reads, and hooks into the test's runtime. */
interface Kit {
  log(entry: unknown): void;
  /** Whether the server registered as `name` is suspended now (asked with sys.getStatus from another process). */
  suspended(name: string): Promise<boolean>;
  kill(pid: Pid): void;
  /** Settles when the test opens it. */
  gate: Promise<void>;
  /** Notes that a server is waiting at the gate. */
  enter(): void;
  entered: boolean;
}

interface Harness {
  code: CodeServer;
  rt: ReturnType<typeof runtime>["rt"];
  log: unknown[];
  kit: Kit;
  openGate(): void;
}

function harness(t: TestContext): Harness {
  const { rt } = runtime(t, { realClock: true });
  const log: unknown[] = [];
  let openGate!: () => void;
  const kit: Kit = {
    log: (entry) => log.push(entry),
    suspended: (name) =>
      rt.run(async (self) => {
        const status = (await sys.getStatus(self, atom(name))) as Tuple;
        return (status.at(3) as Term[])[1] === atom("suspended");
      }),
    kill: (pid) => rt.exit(pid, atom("kill")),
    gate: new Promise((resolve) => {
      openGate = resolve;
    }),
    enter: () => {
      kit.entered = true;
    },
    entered: false,
  };
  const code = startCodeServer(rt, { workers: 1, modules: { otter, "upgrade-kit": kit as never } });
  t.after(() => code.stop());
  return { code, rt, log, kit, openGate };
}

/** A counter's reply: its version, its count, and (from v2) the label its codeChange gave it. */
type Reply = [version: string, count: number, label?: string];

/** A counting server: v1 keeps a number and replies `["v1", n]`. */
const COUNTER_V1 = `export function init(self, n) { return { state: n }; }
export function handleCall(self, request, from, n) { return { reply: ["v1", n], state: n + 1 }; }`;

/**
 * v2 keeps `{ count, label }` and replies `["v2", count, label]`; its codeChange takes v1's number up (labelled with
 * `extra`) and gives it back down, logging each call as `[module, oldVsn, extra]`.
 */
function counterV2(module: string, extraV2 = ""): string {
  return `import { Tuple, atom } from "otter";
import { log } from "upgrade-kit";
${extraV2}
export function init(self, n) { return { state: { count: n, label: "fresh" } }; }
export function handleCall(self, request, from, s) {
  return { reply: ["v2", s.count, s.label], state: { count: s.count + 1, label: s.label } };
}
export function codeChange(oldVsn, state, extra) {
  log([${JSON.stringify(module)}, oldVsn, extra]);
  if (oldVsn instanceof Tuple && oldVsn.at(0) === atom("down")) return state.count;
  return { count: state, label: extra };
}`;
}

async function startServer(h: Harness, module: string, n: number, name?: string): Promise<Pid> {
  const callbacks = h.code.module<GenServerCallbacks<unknown, number>>(module);
  const started = await GenServer.start(h.rt, callbacks, n, name === undefined ? {} : { name: atom(name) });
  assert.ok("pid" in started, `server of ${module} started`);
  return started.pid;
}

function call(h: Harness, server: Pid | string): Promise<Term> {
  const ref = typeof server === "string" ? atom(server) : server;
  return h.rt.run((self) => GenServer.call(self, ref, "next"));
}

/** The error a promise rejects with (fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<UpgradeError> {
  try {
    await promise;
  } catch (error) {
    return error as UpgradeError;
  }
  assert.fail("expected the upgrade to fail");
}

/** Checks that `pid` (a recorder) got no message before a marker sent now: nothing else was sent to it. */
async function assertNothingSent(h: Harness, r: { pid: Pid; messages: Term[] }): Promise<void> {
  h.rt.send(r.pid, "marker");
  await waitFor(() => r.messages.includes("marker"), "the marker to reach the recorder");
  assert.deepEqual(r.messages, ["marker"], "the process got no system message");
}

function serials(code: CodeServer, ...modules: string[]): [number | undefined, number | undefined][] {
  return modules.map((m) => [code.versions(m).current?.serial, code.versions(m).old?.serial]);
}

describe("live upgrade", () => {
  test(
    "a server under load moves to the new version: no call lost or failed, its state migrated",
    TIMEOUT,
    async (t) => {
      const h = harness(t);
      // Each call takes an event-loop turn, so that calls queue up in the server while others are handled.
      const slowV1 = COUNTER_V1.replace(
        "export function handleCall(self, request, from, n) {",
        "export async function handleCall(self, request, from, n) {\n  await new Promise((resolve) => setImmediate(resolve));",
      );
      assert.notEqual(slowV1, COUNTER_V1);
      await h.code.load("counter", { source: slowV1 });
      const pid = await startServer(h, "counter", 0);
      // Several clients, so that calls wait in the server's queue whenever the upgrade comes.
      const replies: Reply[][] = Array.from({ length: 8 }, () => []);
      const failures: unknown[] = [];
      let running = true;
      const clients = replies.map((mine) =>
        h.rt.run(async (self: Process) => {
          while (running) {
            try {
              mine.push((await GenServer.call(self, pid, "next")) as unknown as Reply);
            } catch (error) {
              failures.push(error);
              return;
            }
          }
        }),
      );
      const total = () => replies.reduce((n, mine) => n + mine.length, 0);
      await waitFor(() => total() >= 400, "calls to the v1 server");
      const result = await h.code.upgrade({
        load: [{ name: "counter", source: counterV2("counter") }],
        update: [{ process: pid, module: "counter", extra: "migrated" }],
      });
      const atUpgrade = total();
      await waitFor(() => total() >= atUpgrade + 400, "calls to the v2 server");
      running = false;
      await Promise.all(clients);

      assert.deepEqual(failures, [], "no call failed");
      assert.deepEqual(result.migrated, [pid]);
      assert.deepEqual(result.notPurged, []);
      assert.deepEqual(h.log, [["counter", 1, "migrated"]], "codeChange ran once, with v1's serial and the extra");
      assert.deepEqual(serials(h.code, "counter"), [[2, undefined]], "v2 is current, v1 purged");
      const all = replies.flat();
      const counts = all.map((r) => r[1]).sort((a, b) => a - b);
      assert.deepEqual(
        counts,
        counts.map((_, i) => i),
        "every call counted once: none lost, none twice, v2 went on from v1's count",
      );
      for (const mine of replies) {
        const firstV2 = mine.findIndex((r) => r[0] === "v2");
        assert.ok(firstV2 > 0, "a client saw both versions");
        assert.ok(mine.slice(0, firstV2).every((r) => r[0] === "v1"));
        assert.ok(
          mine.slice(firstV2).every((r) => r[0] === "v2" && r[2] === "migrated"),
          "v2 only, once switched",
        );
      }
    },
  );

  test("two servers of two modules upgrade in one plan, suspended first, code-changed in order", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.loadAll([
      { name: "alpha", source: `export const vsn = "a1";\n${COUNTER_V1}` },
      { name: "beta", source: COUNTER_V1 },
    ]);
    await startServer(h, "alpha", 10, "alpha_server");
    const beta = await startServer(h, "beta", 20, "beta_server");
    const alpha = h.rt.whereis(atom("alpha_server"))!;
    assert.deepEqual(
      [await call(h, "alpha_server"), await call(h, beta)],
      [
        ["v1", 10],
        ["v1", 20],
      ],
    );
    // beta's codeChange runs first; by then alpha, later in the plan, must be suspended already.
    const betaV2 = counterV2("beta").replace(
      "log([",
      `log(["alpha suspended", await suspended("alpha_server")]);\n  log([`,
    );
    const result = await h.code.upgrade({
      load: [
        { name: "alpha", source: counterV2("alpha") },
        {
          name: "beta",
          source: betaV2
            .replace('import { log } from "upgrade-kit";', 'import { log, suspended } from "upgrade-kit";')
            .replace("export function codeChange", "export async function codeChange"),
        },
      ],
      update: [
        { process: beta, module: "beta", extra: "b" },
        { process: "alpha_server", module: "alpha", extra: "a" },
      ],
    });
    assert.deepEqual(result.migrated, [beta, alpha]);
    assert.deepEqual(h.log, [
      ["alpha suspended", true],
      ["beta", 1, "b"],
      ["alpha", "a1", "a"],
    ]);
    assert.deepEqual(
      [await call(h, "alpha_server"), await call(h, beta)],
      [
        ["v2", 11, "a"],
        ["v2", 21, "b"],
      ],
    );
    assert.deepEqual(serials(h.code, "alpha", "beta"), [
      [2, undefined],
      [2, undefined],
    ]);
  });

  test("a codeChange that fails in the second process rolls both back and resumes both", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.loadAll([
      { name: "first", source: COUNTER_V1 },
      { name: "second", source: COUNTER_V1 },
    ]);
    const first = await startServer(h, "first", 0);
    const second = await startServer(h, "second", 100);
    for (let i = 0; i < 3; i++) await call(h, first);
    const failing = counterV2("second").replace(
      "if (oldVsn instanceof Tuple",
      'throw new Error("second cannot migrate");\n  if (oldVsn instanceof Tuple',
    );
    const error = await rejection(
      h.code.upgrade({
        load: [
          { name: "first", source: counterV2("first") },
          { name: "second", source: failing },
        ],
        update: [
          { process: first, module: "first" },
          { process: second, module: "second" },
        ],
      }),
    );
    assert.ok(error instanceof UpgradeError);
    assert.equal(error.code, ErrorCodes.CODE_UPGRADE_FAILED);
    assert.deepEqual([error.step, error.pid, error.module], ["changeCode", second, "second"]);
    assert.match(String(error.cause), /second cannot migrate/);
    assert.match(error.message, /changeCode/);
    assert.deepEqual(error.rollbackProblems, []);
    assert.deepEqual(h.log, [
      ["first", 1, []],
      ["second", 1, []],
      ["first", tuple(atom("down"), 1), []],
    ]);
    assert.deepEqual(serials(h.code, "first", "second"), [
      [1, undefined],
      [1, undefined],
    ]);
    assert.deepEqual(
      [await call(h, first), await call(h, second)],
      [
        ["v1", 3],
        ["v1", 100],
      ],
      "both answer from v1, first with its state given back by its {down, 1} codeChange",
    );
  });

  test("a process the rollback cannot code-change back is killed, and the error says so", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.loadAll([
      { name: "oneway", source: COUNTER_V1 },
      { name: "refuses", source: COUNTER_V1 },
    ]);
    const oneway = await startServer(h, "oneway", 0);
    const refuses = await startServer(h, "refuses", 0);
    const noDowngrade = counterV2("oneway").replace(
      'if (oldVsn instanceof Tuple && oldVsn.at(0) === atom("down")) return state.count;',
      'if (oldVsn instanceof Tuple) throw new Error("no way back");',
    );
    assert.notEqual(noDowngrade, counterV2("oneway"));
    const noUpgrade = counterV2("refuses").replace("log([", 'throw new Error("no way up");\n  log([');
    const error = await rejection(
      h.code.upgrade({
        load: [
          { name: "oneway", source: noDowngrade },
          { name: "refuses", source: noUpgrade },
        ],
        update: [
          { process: oneway, module: "oneway" },
          { process: refuses, module: "refuses" },
        ],
      }),
    );
    assert.deepEqual([error.step, error.pid], ["changeCode", refuses]);
    assert.deepEqual(
      error.rollbackProblems.map((p) => [p.pid, p.step, p.killed, String(p.cause)]),
      [[oneway, "changeCode", true, "Error: no way back"]],
    );
    assert.match(error.message, /was not restored/);
    await waitFor(() => !h.rt.isAlive(oneway), "the process that could not go back to be killed");
    assert.deepEqual(serials(h.code, "oneway", "refuses"), [
      [1, undefined],
      [1, undefined],
    ]);
    assert.deepEqual(await call(h, refuses), ["v1", 0]);
  });

  test("a process that dies during the upgrade fails it: the others are rolled back", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.loadAll([
      { name: "killer", source: COUNTER_V1 },
      { name: "victim", source: COUNTER_V1 },
    ]);
    const killer = await startServer(h, "killer", 5);
    const victim = await startServer(h, "victim", 0);
    const killing = counterV2("killer")
      .replace('import { log } from "upgrade-kit";', 'import { log, kill } from "upgrade-kit";')
      .replace("log([", "if (!(oldVsn instanceof Tuple)) kill(extra);\n  log([");
    const error = await rejection(
      h.code.upgrade({
        load: [
          { name: "killer", source: killing },
          { name: "victim", source: counterV2("victim") },
        ],
        update: [
          { process: killer, module: "killer", extra: victim },
          { process: victim, module: "victim" },
        ],
      }),
    );
    assert.deepEqual([error.step, error.pid], ["changeCode", victim]);
    assert.ok(!h.rt.isAlive(victim));
    assert.deepEqual(error.rollbackProblems, []);
    assert.deepEqual(serials(h.code, "killer", "victim"), [
      [1, undefined],
      [1, undefined],
    ]);
    assert.deepEqual(await call(h, killer), ["v1", 5], "restored and resumed");
  });

  test("a plan with a module that fails to load changes nothing and suspends nothing", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.loadAll([
      { name: "good", source: COUNTER_V1 },
      { name: "bad", source: COUNTER_V1 },
    ]);
    const server = await startServer(h, "good", 7);
    const watcher = recorder(h.rt);
    const error = await rejection(
      h.code.upgrade({
        load: [
          { name: "good", source: counterV2("good") },
          { name: "bad", source: "throw new Error('bad does not load');" },
        ],
        update: [
          { process: watcher.pid, module: "bad" },
          { process: server, module: "good" },
        ],
      }),
    );
    assert.equal(error.step, "load");
    assert.equal((error.cause as CodeError).code, ErrorCodes.CODE_LOAD_FAILED);
    await assertNothingSent(h, watcher);
    assert.deepEqual(serials(h.code, "good", "bad"), [
      [1, undefined],
      [1, undefined],
    ]);
    assert.deepEqual(await call(h, server), ["v1", 7]);
    assert.deepEqual(h.log, []);
  });

  test("a process that is not running fails the plan before anything switches", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.load("good", { source: COUNTER_V1 });
    const watcher = recorder(h.rt);
    const dead = h.rt.spawn(async () => {});
    await waitFor(() => !h.rt.isAlive(dead), "the process to end");
    const plan = (process: Pid | string) =>
      h.code.upgrade({
        load: [{ name: "good", source: counterV2("good") }],
        update: [
          { process: watcher.pid, module: "good" },
          { process, module: "good" },
        ],
      });
    const unnamed = await rejection(plan("no_such_server"));
    assert.ok(unnamed instanceof UpgradeError);
    assert.deepEqual([unnamed.step, unnamed.process], ["find", "no_such_server"]);
    assert.ok(unnamed.cause instanceof ProcessError);
    assert.equal((unnamed.cause as ProcessError).code, ErrorCodes.PROC_NOT_REGISTERED);
    const gone = await rejection(plan(dead));
    assert.deepEqual([gone.step, gone.process], ["find", dead]);
    assert.equal((gone.cause as ProcessError).code, ErrorCodes.PROC_NOT_ALIVE);
    await assertNothingSent(h, watcher);
    assert.deepEqual(serials(h.code, "good"), [[1, undefined]]);
  });

  test("a process too busy to suspend in time fails the plan, and is not left suspended", TIMEOUT, async (t) => {
    const h = harness(t);
    const slowV1 = `import { enter, gate } from "upgrade-kit";
export function init(self, n) { return { state: n }; }
export async function handleCall(self, request, from, n) {
  if (request === "block") { enter(); await gate; }
  return { reply: ["v1", n], state: n + 1 };
}`;
    await h.code.loadAll([
      { name: "slow", source: slowV1 },
      { name: "quick", source: COUNTER_V1 },
    ]);
    const slow = await startServer(h, "slow", 0);
    const quick = await startServer(h, "quick", 0);
    const blocked = h.rt.run((self) => GenServer.call(self, slow, "block", { timeout: "infinity" }));
    await waitFor(() => h.kit.entered, "the slow server to block");
    const error = await rejection(
      h.code.upgrade(
        {
          load: [
            { name: "quick", source: counterV2("quick") },
            { name: "slow", source: counterV2("slow") },
          ],
          update: [
            { process: quick, module: "quick" },
            { process: slow, module: "slow" },
          ],
        },
        { timeout: 100 },
      ),
    );
    assert.deepEqual([error.step, error.pid], ["suspend", slow]);
    assert.ok(error.cause instanceof otter.ProcessExit);
    assert.deepEqual(await call(h, quick), ["v1", 0], "the process suspended before is resumed");
    assert.deepEqual(serials(h.code, "quick", "slow"), [
      [1, undefined],
      [1, undefined],
    ]);
    h.openGate();
    assert.deepEqual(await blocked, ["v1", 0]);
    assert.deepEqual(await call(h, slow), ["v1", 1], "it took the late suspend, then the resume sent after it");
  });

  test("the old versions are purged soft by default, hard when asked, or kept", TIMEOUT, async (t) => {
    const h = harness(t);
    const looper = (n: number) => `export const version = ${n};
export async function loop(self) { for (;;) await self.receive(); }`;
    for (const name of ["soft", "hard", "kept"]) {
      await h.code.load(name, { source: looper(1) });
      h.rt.spawn(h.code.current<{ loop: () => Promise<void> }>(name).loop);
    }
    const oldRunner = (name: string) => h.code.processesRunningOld(name);
    const soft = await h.code.upgrade({ load: [{ name: "soft", source: looper(2) }] });
    assert.deepEqual(soft.notPurged, ["soft"]);
    assert.equal(oldRunner("soft").length, 1, "soft purge kept the old version and its process");
    const hard = await h.code.upgrade({ load: [{ name: "hard", source: looper(2) }], purge: "hard" });
    assert.deepEqual(hard.notPurged, []);
    assert.equal(h.code.versions("hard").old, undefined, "hard purge dropped the old version");
    const kept = await h.code.upgrade({ load: [{ name: "kept", source: looper(2) }], purge: "none" });
    assert.deepEqual(kept.notPurged, []);
    assert.equal(h.code.versions("kept").old?.serial, 1);
  });

  test("a bad plan is refused before anything happens", TIMEOUT, async (t) => {
    const h = harness(t);
    await h.code.load("m", { source: COUNTER_V1 });
    const server = await startServer(h, "m", 0);
    const v2 = { name: "m", source: counterV2("m") };
    const codeOf = async (promise: Promise<unknown>) => (await rejection(promise)).code;
    assert.deepEqual(
      {
        notInLoad: await codeOf(h.code.upgrade({ load: [], update: [{ process: server, module: "m" }] })),
        notLoaded: await codeOf(
          h.code.upgrade({ load: [{ name: "new", source: COUNTER_V1 }], update: [{ process: server, module: "new" }] }),
        ),
        twice: await codeOf(
          h.code.upgrade({
            load: [v2],
            update: [
              { process: server, module: "m" },
              { process: server, module: "m" },
            ],
          }),
        ),
        badProcess: await codeOf(h.code.upgrade({ load: [v2], update: [{ process: 42 as never, module: "m" }] })),
        badPurge: await codeOf(h.code.upgrade({ load: [v2], purge: "sometimes" as never })),
        badTimeout: await codeOf(h.code.upgrade({ load: [v2] }, { timeout: -1 })),
        noLoad: await codeOf(h.code.upgrade({} as never)),
      },
      {
        notInLoad: ErrorCodes.CODE_BAD_ARGUMENT,
        notLoaded: ErrorCodes.CODE_NOT_LOADED,
        twice: ErrorCodes.CODE_BAD_ARGUMENT,
        badProcess: ErrorCodes.CODE_BAD_ARGUMENT,
        badPurge: ErrorCodes.CODE_BAD_ARGUMENT,
        badTimeout: ErrorCodes.CODE_BAD_ARGUMENT,
        noLoad: ErrorCodes.CODE_BAD_ARGUMENT,
      },
    );
    assert.deepEqual(serials(h.code, "m"), [[1, undefined]]);
    assert.deepEqual(await call(h, server), ["v1", 0]);
  });
});
