// DynamicSupervisor, after Elixir's DynamicSupervisorTest and the simple_one_for_one cases of OTP's supervisor_SUITE:
// starting children (ignore, errors, invalid specs, extra arguments, names), max_children, restart types, restart
// intensity and failed restarts, terminate_child, count/which_children, stopping its children in each shutdown mode,
// the parent's exit, and Otter's opt-in restart backoff. Time runs on the manual clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  type DynamicChildSpec,
  DynamicSupervisor,
  type DynamicSupervisorOptions,
  ErrorCodes,
  format,
  GenServer,
  type GenServerCallbacks,
  type LogEvent,
  NORMAL,
  type Pid,
  ProcessError,
  ProcessExit,
  type Runtime,
  SHUTDOWN,
  type Term,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, reasonOf, reportOf, runtime, waitFor } from "../support/runtime.ts";

const OK = atom("ok");
const CRASH = atom("crash");
const QUIT = atom("quit");
const UNDEFINED = atom("undefined");

/** What the workers of one test did, in order: "start a", "stop a", … */
type Journal = string[];

interface WorkerOptions {
  /** Trap exits, so a shutdown runs terminate (default true). */
  trap?: boolean;
  /** terminate never finishes: only a kill ends the worker. */
  hang?: boolean;
  /** terminate finishes when this settles. */
  gate?: Promise<void>;
}

/** A worker that journals its start (with its start arguments) and its terminate; `crash` and `quit` end it. */
function worker(journal: Journal, name: string, options: WorkerOptions): GenServerCallbacks<null, readonly Term[]> {
  return {
    init(self, args) {
      if (options.trap !== false) self.setTrapExit(true);
      journal.push([`start ${name}`, ...args.map((a) => format(a))].join(" "));
      return { state: null };
    },
    handleCall(_self, request) {
      if (request === CRASH) throw new ProcessExit(atom("crashed"));
      if (request === QUIT) return { stop: NORMAL, reply: OK, state: null };
      return { reply: OK, state: null };
    },
    terminate() {
      journal.push(`stop ${name}`);
      if (options.hang === true) return new Promise<void>(() => {});
      return options.gate;
    },
  };
}

function spec(journal: Journal, name: string, extra: Partial<DynamicChildSpec> & WorkerOptions = {}): DynamicChildSpec {
  const { trap, hang, gate, ...rest } = extra;
  return {
    start: (self, ...args) => GenServer.startLink(self, worker(journal, name, { trap, hang, gate }), args),
    ...rest,
  };
}

async function supervise(rt: Runtime, options?: DynamicSupervisorOptions): Promise<Pid> {
  const started = await DynamicSupervisor.start(rt, options);
  assert.ok("pid" in started, `the supervisor started: ${JSON.stringify(started)}`);
  return started.pid;
}

async function startChild(rt: Runtime, sup: Pid, child: DynamicChildSpec): Promise<Pid> {
  const started = await rt.run((self) => DynamicSupervisor.startChild(self, sup, child));
  assert.ok("pid" in started, `the child started: ${"error" in started ? format(started.error) : "ignored"}`);
  return started.pid;
}

/** The running children's pids. */
async function children(rt: Runtime, sup: Pid): Promise<Pid[]> {
  const which = await rt.run((self) => DynamicSupervisor.whichChildren(self, sup));
  return which.flatMap((c) => (typeof c.pid === "object" ? [c.pid] : []));
}

function count(rt: Runtime, sup: Pid) {
  return rt.run((self) => DynamicSupervisor.countChildren(self, sup));
}

/** Kills `pid` (an abnormal exit) and waits until the supervisor has dealt with it. */
async function kill(rt: Runtime, pid: Pid): Promise<void> {
  rt.exit(pid, atom("kill"));
  await waitFor(() => !rt.isAlive(pid), `${format(pid)} to exit`);
  await rt.idle();
}

/** Makes child `pid` exit normally (it stops itself) and waits until the supervisor has dealt with it. */
async function quit(rt: Runtime, pid: Pid): Promise<void> {
  await rt.run((self) => GenServer.call(self, pid, QUIT));
  await waitFor(() => !rt.isAlive(pid), `${format(pid)} to exit`);
  await rt.idle();
}

/** The reason `pid` exits with, once it does. */
function exitOf(rt: Runtime, pid: Pid): Promise<Term> {
  return rt.run(async (self) => reasonOf(await self.receive(downFor(self.monitor(pid)))));
}

interface SupervisorReport {
  readonly errorContext: string;
  readonly reason: Term;
}

/** The supervisor reports of one errorContext among `logs`. */
function reported(logs: readonly LogEvent[], errorContext: string): SupervisorReport[] {
  return logs
    .filter((event) => event.meta.what === "supervisor_report")
    .map((event) => reportOf<SupervisorReport>(event))
    .filter((report) => report.errorContext === errorContext);
}

describe("starting children", () => {
  test("starts with none; startChild starts them linked; whichChildren and countChildren describe them", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    assert.deepEqual(await count(rt, sup), { specs: 0, active: 0, supervisors: 0, workers: 0 });
    assert.deepEqual(await rt.run((self) => DynamicSupervisor.whichChildren(self, sup)), []);
    const a = await startChild(rt, sup, spec(journal, "a"));
    const inner = await startChild(rt, sup, {
      start: (self) => DynamicSupervisor.startLink(self),
      type: "supervisor",
    });
    const b = await startChild(rt, sup, spec(journal, "b", { id: "ignored" }));
    assert.deepEqual(journal, ["start a", "start b"]);
    assert.deepEqual(await count(rt, sup), { specs: 3, active: 3, supervisors: 1, workers: 2 });
    const which = await rt.run((self) => DynamicSupervisor.whichChildren(self, sup));
    assert.deepEqual(
      which.map((c) => [c.id, c.pid, c.type]),
      [
        [UNDEFINED, a, "worker"],
        [UNDEFINED, inner, "supervisor"],
        [UNDEFINED, b, "worker"],
      ],
    );
    assert.deepEqual(new Set(rt.processInfo(sup)!.links), new Set([a, inner, b]));
  });

  test("a start that says ignore is not kept; a failing, throwing or invalid start gives its error", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    await rt.run(async (self) => {
      assert.deepEqual(await DynamicSupervisor.startChild(self, sup, { start: () => ({ ignore: true }) }), {
        ignore: true,
      });
      const failed = await DynamicSupervisor.startChild(self, sup, { start: () => ({ error: atom("nope") }) });
      assert.ok("error" in failed);
      assertTerm(failed.error, atom("nope"));
      const threw = await DynamicSupervisor.startChild(self, sup, {
        start: () => {
          throw new Error("no start today");
        },
      });
      assert.deepEqual(threw, { error: "no start today" });
      const badRestart = await DynamicSupervisor.startChild(self, sup, {
        ...spec(journal, "x"),
        restart: "sometimes" as "permanent",
      });
      assert.ok("error" in badRestart);
      assertTerm(badRestart.error, atom("invalid_restart_type"));
      const significant = await DynamicSupervisor.startChild(self, sup, {
        ...spec(journal, "x"),
        restart: "transient",
        significant: true,
      });
      assert.ok("error" in significant);
      assertTerm(significant.error, atom("invalid_significant"));
    });
    assert.deepEqual(journal, [], "no invalid spec was started");
    assert.deepEqual(await count(rt, sup), { specs: 0, active: 0, supervisors: 0, workers: 0 });
  });

  test("extraArguments come first after self, on every restart too", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { extraArguments: [atom("pool"), 7] });
    const own = (self: Parameters<DynamicChildSpec["start"]>[0], ...extra: Term[]) =>
      GenServer.startLink(self, worker(journal, "a", {}), [...extra, "own"]);
    const a = await startChild(rt, sup, { start: own });
    await kill(rt, a);
    assert.deepEqual(journal, ['start a pool 7 <<"own">>', 'start a pool 7 <<"own">>']);
  });

  test("names: a local name and a global one; a taken name gives {already_started, Pid}", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const local = await supervise(rt, { name: atom("pools") });
    assert.equal(rt.whereis(atom("pools")), local);
    const global = await supervise(rt, { name: { global: "pools" } });
    await rt.run(async (self) => {
      const a = await DynamicSupervisor.startChild(self, atom("pools"), spec(journal, "a"));
      const b = await DynamicSupervisor.startChild(self, { global: "pools" }, spec(journal, "b"));
      assert.ok("pid" in a && "pid" in b);
      assert.deepEqual(await DynamicSupervisor.whichChildren(self, local).then((c) => c.map((x) => x.pid)), [a.pid]);
      assert.deepEqual(await DynamicSupervisor.whichChildren(self, global).then((c) => c.map((x) => x.pid)), [b.pid]);
    });
    const again = await DynamicSupervisor.start(rt, { name: atom("pools") });
    assert.ok("error" in again);
    assertTerm(again.error, tuple(atom("already_started"), local));
  });

  test("options it cannot run with are refused with PROC_BAD_ARG", async (t) => {
    const { rt } = runtime(t);
    const refused = (e: unknown) => e instanceof ProcessError && e.code === ErrorCodes.PROC_BAD_ARG;
    for (const options of [
      { strategy: "one_for_all" as "one_for_one" },
      { maxChildren: -1 },
      { intensity: 1.5 },
      { period: 0 },
      { backoff: { initial: 10, max: 5 } },
    ]) {
      await assert.rejects(DynamicSupervisor.start(rt, options), refused, JSON.stringify(options));
    }
    assert.equal(rt.processCount, 0, "nothing was spawned");
  });
});

describe("maxChildren", () => {
  test("startChild past maxChildren gives max_children; a stopped child makes room again", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { maxChildren: 2 });
    const a = await startChild(rt, sup, spec(journal, "a"));
    await startChild(rt, sup, spec(journal, "b"));
    await rt.run(async (self) => {
      assert.deepEqual(await DynamicSupervisor.startChild(self, sup, spec(journal, "c")), {
        error: atom("max_children"),
      });
      assert.deepEqual(await DynamicSupervisor.terminateChild(self, sup, a), { ok: true });
      const c = await DynamicSupervisor.startChild(self, sup, spec(journal, "c"));
      assert.ok("pid" in c);
    });
    assert.deepEqual(journal, ["start a", "start b", "stop a", "start c"]);
  });

  test("a child waiting for its restart still counts against maxChildren", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { maxChildren: 1, backoff: { initial: 100, max: 100, jitter: 0 } });
    await kill(rt, await startChild(rt, sup, spec(journal, "a")));
    assert.deepEqual(await count(rt, sup), { specs: 1, active: 0, supervisors: 0, workers: 1 });
    const refused = await rt.run((self) => DynamicSupervisor.startChild(self, sup, spec(journal, "b")));
    assert.deepEqual(refused, { error: atom("max_children") });
  });

  test("maxChildren 0 takes no child at all", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { maxChildren: 0 });
    const started = await rt.run((self) => DynamicSupervisor.startChild(self, sup, spec(journal, "a")));
    assert.deepEqual(started, { error: atom("max_children") });
    assert.deepEqual(journal, []);
  });
});

describe("restart types", () => {
  test("a normal exit: permanent restarts, transient and temporary are forgotten", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    const p = await startChild(rt, sup, spec(journal, "p", { restart: "permanent" }));
    const tr = await startChild(rt, sup, spec(journal, "t", { restart: "transient" }));
    const x = await startChild(rt, sup, spec(journal, "x", { restart: "temporary" }));
    journal.length = 0;
    for (const pid of [p, tr, x]) await quit(rt, pid);
    assert.deepEqual(journal, ["stop p", "start p", "stop t", "stop x"]);
    const running = await children(rt, sup);
    assert.equal(running.length, 1);
    assert.notEqual(running[0], p, "p runs under a new pid");
    assert.deepEqual(await count(rt, sup), { specs: 1, active: 1, supervisors: 0, workers: 1 });
  });

  test("{shutdown, Reason} is a clean exit: a transient child is not restarted, and it is not reported", async (t) => {
    const { rt, logs } = runtime(t);
    const sup = await supervise(rt);
    const transient = await startChild(rt, sup, {
      restart: "transient",
      start: (self) => ({
        pid: self.spawnLink(async (me) => {
          await me.receive();
          throw new ProcessExit(tuple(SHUTDOWN, atom("done")));
        }),
      }),
    });
    const exit = exitOf(rt, transient);
    rt.send(transient, atom("go"));
    assertTerm(await exit, tuple(SHUTDOWN, atom("done")));
    await rt.idle();
    assert.deepEqual(await count(rt, sup), { specs: 0, active: 0, supervisors: 0, workers: 0 });
    assert.equal(reported(logs, "child_terminated").length, 0);
  });

  test("an abnormal exit: permanent and transient restart, temporary is forgotten", async (t) => {
    const { rt, logs } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    const p = await startChild(rt, sup, spec(journal, "p", { restart: "permanent" }));
    const tr = await startChild(rt, sup, spec(journal, "t", { restart: "transient" }));
    const x = await startChild(rt, sup, spec(journal, "x", { restart: "temporary" }));
    journal.length = 0;
    for (const pid of [p, tr, x]) await kill(rt, pid);
    assert.deepEqual(journal, ["start p", "start t"]);
    assert.deepEqual(await count(rt, sup), { specs: 2, active: 2, supervisors: 0, workers: 2 });
    assert.equal(reported(logs, "child_terminated").length, 3, "each abnormal exit is reported");
  });
});

describe("restart intensity", () => {
  test("past 3 restarts in 5 s (the default), the supervisor stops its children and exits shutdown", async (t) => {
    const { rt, clock, logs } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    await startChild(rt, sup, spec(journal, "a"));
    const b = await startChild(rt, sup, spec(journal, "b", { restart: "temporary" }));
    const exit = exitOf(rt, sup);
    const a = async () => (await children(rt, sup)).find((pid) => pid !== b)!;
    for (let i = 0; i < 3; i++) {
      await kill(rt, await a());
      clock.advance(1000);
    }
    assert.ok(rt.isAlive(sup), "three restarts within five seconds are allowed");
    journal.length = 0;
    await kill(rt, await a());
    assertTerm(await exit, SHUTDOWN);
    assert.deepEqual(journal, ["stop b"]);
    const [shutdown] = reported(logs, "shutdown");
    assertTerm(shutdown?.reason, atom("reached_max_restart_intensity"));
  });

  test("restarts further apart than the period do not add up", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { intensity: 1, period: 5 });
    await startChild(rt, sup, spec(journal, "a"));
    for (let i = 0; i < 4; i++) {
      const [a] = await children(rt, sup);
      await kill(rt, a!);
      clock.advance(5000);
    }
    assert.ok(rt.isAlive(sup));
    assert.equal(journal.filter((line) => line === "start a").length, 5);
  });

  test("a restart that fails is tried again and counts as a restart; it may then succeed", async (t) => {
    const { rt, logs } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    let failures = 0;
    const flaky: DynamicChildSpec = {
      start: (self) => {
        if (failures > 0) {
          failures--;
          return { error: atom("not_yet") };
        }
        return GenServer.startLink(self, worker(journal, "f", {}), []);
      },
    };
    const first = await startChild(rt, sup, flaky);
    failures = 2; // the exit is one restart, the two failed starts two more: three, as many as allowed
    await kill(rt, first);
    await waitFor(() => journal.length === 2, "the third attempt to start");
    await rt.idle();
    assert.ok(rt.isAlive(sup));
    const [second] = await children(rt, sup);
    assert.ok(second !== undefined && second !== first && rt.isAlive(second));
    assert.equal(reported(logs, "start_error").length, 2);
  });

  test("a restart that keeps failing takes the supervisor past its intensity", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    let failing = false;
    const first = await startChild(rt, sup, {
      start: (self) => (failing ? { error: atom("broken") } : GenServer.startLink(self, worker(journal, "f", {}), [])),
    });
    const exit = exitOf(rt, sup);
    failing = true;
    rt.exit(first, atom("kill"));
    assertTerm(await exit, SHUTDOWN);
  });
});

describe("terminateChild", () => {
  test("stops the child with shutdown and forgets it, without a restart; an unknown pid is not_found", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt);
    const a = await startChild(rt, sup, spec(journal, "a"));
    const exit = exitOf(rt, a);
    await rt.run(async (self) => {
      assert.deepEqual(await DynamicSupervisor.terminateChild(self, sup, a), { ok: true });
      assert.equal(rt.isAlive(a), false);
      assert.deepEqual(await DynamicSupervisor.terminateChild(self, sup, a), { error: atom("not_found") });
      assert.deepEqual(await DynamicSupervisor.terminateChild(self, sup, self.pid), { error: atom("not_found") });
    });
    assertTerm(await exit, SHUTDOWN);
    await rt.idle();
    assert.deepEqual(journal, ["start a", "stop a"]);
    assert.deepEqual(await count(rt, sup), { specs: 0, active: 0, supervisors: 0, workers: 0 });
  });
});

describe("stopping", () => {
  test("every child is told at once: brutal_kill kills, a timeout kills one that hangs, infinity waits", async (t) => {
    const { rt, clock, logs } = runtime(t);
    const journal: Journal = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const sup = await supervise(rt);
    const pids = {
      quick: await startChild(rt, sup, spec(journal, "quick", { shutdown: 1000 })),
      slow: await startChild(rt, sup, spec(journal, "slow", { shutdown: 1000, hang: true })),
      brutal: await startChild(rt, sup, spec(journal, "brutal", { shutdown: "brutal_kill" })),
      patient: await startChild(rt, sup, spec(journal, "patient", { shutdown: "infinity", gate })),
    };
    const exits = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, exitOf(rt, pid)]));
    journal.length = 0;
    let stopped = false;
    const stopping = rt
      .run((self) => DynamicSupervisor.stop(self, sup))
      .then(() => {
        stopped = true;
      });
    await waitFor(() => journal.length === 3, "the children's terminates");
    assert.deepEqual(new Set(journal), new Set(["stop quick", "stop slow", "stop patient"]), "no time has passed");
    assertTerm(await exits.brutal, atom("killed"));
    assertTerm(await exits.quick, SHUTDOWN);
    clock.advance(999);
    await rt.idle();
    assert.ok(rt.isAlive(pids.slow));
    clock.advance(1);
    assertTerm(await exits.slow, atom("killed"));
    await rt.idle();
    assert.equal(stopped, false, "the infinity child is still stopping");
    assert.ok(rt.isAlive(sup));
    clock.advance(60_000);
    await rt.idle();
    assert.ok(rt.isAlive(pids.patient), "infinity is never cut short");
    open();
    await stopping;
    assertTerm(await exits.patient, SHUTDOWN);
    assert.equal(rt.isAlive(sup), false);
    const errors = reported(logs, "shutdown_error");
    assert.equal(errors.length, 1, "only the child that had to be killed is a shutdown error");
    assertTerm(errors[0]!.reason, atom("killed"));
  });

  test("a child that ends normally when told to stop is a shutdown_error only if it is permanent", async (t) => {
    const { rt, logs } = runtime(t);
    const sup = await supervise(rt);
    /** A plain process that, told to stop, ends normally instead of with `shutdown`. */
    const ownWay = (restart: "permanent" | "temporary"): DynamicChildSpec => ({
      restart,
      start: (self) => ({
        pid: self.spawnLink(async (me) => {
          me.setTrapExit(true);
          await me.receive();
        }),
      }),
    });
    const permanent = await startChild(rt, sup, ownWay("permanent"));
    await startChild(rt, sup, ownWay("temporary"));
    await rt.run((self) => DynamicSupervisor.stop(self, sup));
    await waitFor(() => reported(logs, "shutdown_error").length > 0, "the shutdown_error report");
    await rt.idle();
    const errors = logs.filter((e) => e.meta.what === "supervisor_report");
    assert.equal(errors.length, 1);
    assertTerm(reportOf<{ offender: { pid: Pid } }>(errors[0]!).offender.pid, permanent);
    assertTerm(reportOf<SupervisorReport>(errors[0]!).reason, NORMAL);
  });

  test("a child that ends with {shutdown, Reason} when told to stop is no shutdown_error, even if permanent", async (t) => {
    const { rt, logs } = runtime(t);
    const sup = await supervise(rt);
    const child = await startChild(rt, sup, {
      start: (self) => ({
        pid: self.spawnLink(async (me) => {
          me.setTrapExit(true);
          await me.receive();
          throw new ProcessExit(tuple(SHUTDOWN, atom("cleaned_up")));
        }),
      }),
    });
    const exit = exitOf(rt, child);
    await rt.run((self) => DynamicSupervisor.stop(self, sup));
    assertTerm(await exit, tuple(SHUTDOWN, atom("cleaned_up")));
    await rt.idle();
    assert.deepEqual(reported(logs, "shutdown_error"), []);
  });

  test("the parent's exit stops the supervisor, which stops its children first", async (t) => {
    const { rt } = runtime(t);
    const journal: Journal = [];
    let sup!: Pid;
    const parent = rt.spawn(async (self) => {
      const started = await DynamicSupervisor.startLink(self);
      assert.ok("pid" in started);
      sup = started.pid;
      await self.receive();
    });
    await waitFor(() => sup !== undefined, "the supervisor to start");
    const a = await startChild(rt, sup, spec(journal, "a"));
    const exits = [exitOf(rt, sup), exitOf(rt, a)];
    rt.exit(parent, atom("bye"));
    assertTerm(await exits[0], atom("bye"));
    assertTerm(await exits[1], SHUTDOWN);
    assert.deepEqual(journal, ["start a", "stop a"]);
  });
});

describe("backoff", () => {
  test("a restart waits, longer each time in a row, and starts over after a healthy run", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { intensity: 100, backoff: { initial: 100, max: 1000, jitter: 0, reset: 5000 } });
    await startChild(rt, sup, spec(journal, "a"));
    journal.length = 0;
    /** Kills the child; it is started again after exactly `wait` ms. */
    const crashAndWait = async (wait: number) => {
      const [a] = await children(rt, sup);
      await kill(rt, a!);
      assert.deepEqual(
        (await rt.run((self) => DynamicSupervisor.whichChildren(self, sup))).map((c) => c.pid),
        ["restarting"],
      );
      assert.deepEqual(await count(rt, sup), { specs: 1, active: 0, supervisors: 0, workers: 1 });
      clock.advance(wait - 1);
      await rt.idle();
      assert.deepEqual(journal, [], `not restarted before ${wait} ms`);
      clock.advance(1);
      await rt.idle();
      assert.deepEqual(journal, ["start a"], `restarted after ${wait} ms`);
      journal.length = 0;
    };
    await crashAndWait(100);
    await crashAndWait(200);
    await crashAndWait(400);
    clock.advance(5000);
    await crashAndWait(100);
  });

  test("terminateChild of a child waiting for its restart forgets it", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: Journal = [];
    const sup = await supervise(rt, { backoff: { initial: 100, max: 100, jitter: 0 } });
    const a = await startChild(rt, sup, spec(journal, "a"));
    await kill(rt, a);
    assert.deepEqual(await rt.run((self) => DynamicSupervisor.terminateChild(self, sup, a)), { ok: true });
    clock.advance(1000);
    await rt.idle();
    assert.deepEqual(journal, ["start a"]);
    assert.deepEqual(await count(rt, sup), { specs: 0, active: 0, supervisors: 0, workers: 0 });
  });
});
