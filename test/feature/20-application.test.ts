// Application, after OTP's application_SUITE where it applies to one node: load and unload, start order with
// dependencies and stop in reverse, ensureAllStarted, env (and env given at load over the spec's defaults), start
// failures, the three restart types when the top supervisor dies, the node's orderly stop, getApplication,
// the reports (as OTP prints them) and a prepStop or stop that throws.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Application,
  type ApplicationSpec,
  atom,
  EXIT,
  GenServer,
  type GenServerCallbacks,
  KILL,
  KILLED,
  type LogEvent,
  type LogReport,
  NORMAL,
  type Pid,
  ProcessExit,
  type Runtime,
  Supervisor,
  type Term,
  textHandler,
  tuple,
} from "../../src/index.ts";
import { assertTerm, runtime, waitFor, within } from "../support/runtime.ts";

/** What the applications of one test did, and the pids a test needs to reach into them. */
class World {
  /** "start a", "worker a up", "prep_stop a (a state)", "worker a down", "stop a (a state prepared)" … */
  readonly journal: string[] = [];
  /** Each application's top supervisor. */
  readonly tops = new Map<string, Pid>();
  /** Each application's worker, and a process it spawned unlinked (no supervisor owns it). */
  readonly workers = new Map<string, Pid>();
  readonly strays = new Map<string, Pid>();
  /** What getApplication said in each stray. */
  readonly strayApplications = new Map<string, string | undefined>();
}

/** The worker under an application's top supervisor: answers `application` with getApplication. */
function worker(world: World, app: string): GenServerCallbacks<null, undefined> {
  return {
    init(self) {
      self.setTrapExit(true);
      world.workers.set(app, self.pid);
      const stray = self.spawn(async (p) => {
        world.strayApplications.set(app, Application.getApplication(p));
        await p.receive();
      });
      world.strays.set(app, stray);
      world.journal.push(`worker ${app} up`);
      return { state: null };
    },
    handleCall(self, request) {
      if (request === atom("application"))
        return { reply: Application.getApplication(self) ?? atom("none"), state: null };
      return { reply: atom("ok"), state: null };
    },
    terminate() {
      world.journal.push(`worker ${app} down`);
    },
  };
}

/** An application whose start runs a supervisor with one worker; it journals its callbacks and state. */
function app(world: World, name: string, extra: Partial<ApplicationSpec<string>> = {}): ApplicationSpec<string> {
  return {
    name,
    description: `the ${name} application`,
    vsn: "1.0.0",
    async start(self) {
      world.journal.push(`start ${name}`);
      const started = await Supervisor.startLink(
        self,
        {
          init: () => ({
            children: [{ id: "worker", start: (p) => GenServer.startLink(p, worker(world, name), undefined) }],
          }),
        },
        undefined,
      );
      if (!("pid" in started)) return { error: atom("no_supervisor") };
      world.tops.set(name, started.pid);
      return { pid: started.pid, state: `${name} state` };
    },
    prepStop(_self, state) {
      world.journal.push(`prep_stop ${name} (${state})`);
      return `${state} prepared`;
    },
    stop(_self, state) {
      world.journal.push(`stop ${name} (${state})`);
    },
    ...extra,
  };
}

function load(rt: Runtime, ...specs: ApplicationSpec<string>[]): void {
  for (const spec of specs) assert.deepEqual(Application.load(rt, spec), { ok: true }, `load ${spec.name}`);
}

function running(rt: Runtime): string[] {
  return Application.whichApplications(rt).map((a) => a.name);
}

/** What the journal says when `Application.stop` (or the node's stop) stops each of `names`, in that order. */
function stopped(...names: string[]): string[] {
  return names.flatMap((name) => [
    `prep_stop ${name} (${name} state)`,
    `worker ${name} down`,
    `stop ${name} (${name} state prepared)`,
  ]);
}

type ExitReport = { application: Term; exited: Term; type: Term };

/** The `application_exited` reports logged so far (OTP's info_exited). */
function exitReports(logs: readonly LogEvent[]): ExitReport[] {
  return logs
    .filter((event) => event.meta.what === "application_exited")
    .map((event) => (event.msg as LogReport<ExitReport>).report);
}

const OK = { ok: true };

describe("loading", () => {
  test("load makes an application known; a second load is already_loaded; unload forgets it and its env", (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a", { env: { port: 80 } }));
    assert.deepEqual(Application.loadedApplications(rt), [
      { name: "a", description: "the a application", vsn: "1.0.0" },
    ]);
    assert.equal(Application.getEnv(rt, "a", "port"), 80);
    const again = Application.load(rt, app(world, "a"));
    assert.ok("error" in again);
    assertTerm(again.error, tuple(atom("already_loaded"), atom("a")));
    assert.deepEqual(Application.unload(rt, "a"), OK);
    assert.deepEqual(Application.loadedApplications(rt), []);
    assert.equal(Application.getEnv(rt, "a", "port"), undefined);
    const unloaded = Application.unload(rt, "a");
    assert.ok("error" in unloaded);
    assertTerm(unloaded.error, tuple(atom("not_loaded"), atom("a")));
    assert.deepEqual(world.journal, [], "loading starts nothing");
    const nameless = Application.load(rt, { name: "" });
    assert.ok("error" in nameless);
    assertTerm(nameless.error, tuple(atom("invalid_name"), ""));
  });

  test("an application that is not loaded does not start: {not_loaded, Name}", async (t) => {
    const { rt } = runtime(t);
    const result = await Application.start(rt, "nowhere");
    assert.ok("error" in result);
    assertTerm(result.error, tuple(atom("not_loaded"), atom("nowhere")));
  });

  test("a running application cannot be unloaded: {running, Name}", async (t) => {
    const { rt } = runtime(t);
    load(rt, app(new World(), "a"));
    assert.deepEqual(await Application.start(rt, "a"), OK);
    const refused = Application.unload(rt, "a");
    assert.ok("error" in refused);
    assertTerm(refused.error, tuple(atom("running"), atom("a")));
    assert.deepEqual(await Application.stop(rt, "a"), OK);
    assert.deepEqual(Application.unload(rt, "a"), OK);
  });
});

describe("starting and stopping", () => {
  test("start runs start in a master and returns once the tree runs; a second start is already_started", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"));
    assert.deepEqual(await Application.start(rt, "a"), OK);
    assert.deepEqual(world.journal, ["start a", "worker a up"]);
    assert.ok(rt.isAlive(world.tops.get("a")!));
    assert.deepEqual(Application.whichApplications(rt), [
      { name: "a", description: "the a application", vsn: "1.0.0" },
    ]);
    const again = await Application.start(rt, "a");
    assert.ok("error" in again);
    assertTerm(again.error, tuple(atom("already_started"), atom("a")));
    load(rt, app(world, "b"));
    const badType = await Application.start(rt, "b", { type: "sometimes" as "permanent" });
    assert.ok("error" in badType);
    assertTerm(badType.error, tuple(atom("invalid_restart_type"), "sometimes"));
  });

  test("two starts of one application at once share one start", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"));
    const both = await Promise.all([Application.start(rt, "a"), Application.start(rt, "a")]);
    assert.deepEqual(both, [OK, OK]);
    assert.deepEqual(world.journal, ["start a", "worker a up"]);
  });

  test("a dependency must run first ({not_started, Dep}); stopAll stops the last started first, with callbacks", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), app(world, "b", { applications: ["a"] }), app(world, "c", { applications: ["a", "b"] }));
    const early = await Application.start(rt, "b");
    assert.ok("error" in early);
    assertTerm(early.error, tuple(atom("not_started"), atom("a")));
    assert.deepEqual(world.journal, [], "b's start did not run");
    for (const name of ["a", "b", "c"]) assert.deepEqual(await Application.start(rt, name), OK, `start ${name}`);
    assert.deepEqual(running(rt), ["c", "b", "a"], "most recently started first, as OTP lists them");
    world.journal.length = 0;
    await Application.stopAll(rt);
    assert.deepEqual(world.journal, stopped("c", "b", "a"));
    assert.deepEqual(running(rt), []);
    assert.deepEqual(await Application.start(rt, "a"), OK, "the node itself keeps running");
  });

  test("stop stops only that application (tree, then stop callback) and reports it; a second stop is not_started", async (t) => {
    const { rt, logs } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), app(world, "b"));
    await Application.start(rt, "a");
    await Application.start(rt, "b");
    const aTop = world.tops.get("a")!;
    world.journal.length = 0;
    assert.deepEqual(await Application.stop(rt, "a"), OK);
    assert.deepEqual(world.journal, stopped("a"));
    assert.ok(!rt.isAlive(aTop));
    assert.ok(rt.isAlive(world.tops.get("b")!));
    assert.deepEqual(running(rt), ["b"]);
    assert.deepEqual(exitReports(logs), [{ application: atom("a"), exited: atom("stopped"), type: atom("temporary") }]);
    const again = await Application.stop(rt, "a");
    assert.ok("error" in again);
    assertTerm(again.error, tuple(atom("not_started"), atom("a")));
  });

  test("stopping a permanent application by stop affects neither the other applications nor the node", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), app(world, "b"));
    await Application.start(rt, "a", { type: "permanent" });
    await Application.start(rt, "b", { type: "permanent" });
    assert.deepEqual(await Application.stop(rt, "b"), OK);
    await rt.idle();
    assert.deepEqual(running(rt), ["a"]);
    assert.deepEqual(await Application.start(rt, "b"), OK, "the node is not stopping");
  });

  test("the reports print as OTP's: the start at info as a PROGRESS REPORT, the exit as an INFO REPORT", async (t) => {
    const { rt } = runtime(t);
    rt.logger.setLevel("info");
    const out: string[] = [];
    rt.logger.addHandler("text", textHandler({ write: (entry) => out.push(entry) }));
    load(rt, { name: "lib" });
    await Application.start(rt, "lib");
    await Application.stop(rt, "lib");
    await waitFor(() => out.length === 2, "two reports");
    const body = (entry: string) => entry.replace(/^\n=([A-Z ]+)==== .* ===\n/, "$1\n");
    assert.deepEqual(out.map(body), [
      "PROGRESS REPORT\n    application: lib\n    started_at: nonode@nohost\n",
      "INFO REPORT\n    application: lib\n    exited: stopped\n    type: temporary\n",
    ]);
  });

  test("a prepStop or stop that throws is reported as a shutdown_error; the application stops all the same", async (t) => {
    const { rt, logs } = runtime(t);
    const world = new World();
    load(
      rt,
      app(world, "a", {
        prepStop() {
          throw new Error("cannot drain");
        },
        stop() {
          throw new Error("cannot close");
        },
      }),
    );
    await Application.start(rt, "a");
    const top = world.tops.get("a")!;
    assert.deepEqual(await Application.stop(rt, "a"), OK);
    assert.ok(!rt.isAlive(top));
    assert.deepEqual(running(rt), []);
    await waitFor(() => logs.filter((e) => e.meta.what === "application_shutdown_error").length === 2, "two reports");
    const reports = logs.filter((e) => e.meta.what === "application_shutdown_error");
    assert.ok(reports.every((e) => e.level === "error"));
    assert.deepEqual(
      reports.map((e) => e.text.split("\n").slice(0, 2)),
      [
        ["    application: a", "    callback: prepStop"],
        ["    application: a", "    callback: stop"],
      ],
    );
    assert.match(reports[0]!.text, /\n {4}error_info: \{\{'Error',<<"cannot drain">>\},/);
  });

  test("stopping an application kills its processes that no supervisor owned", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"));
    await Application.start(rt, "a");
    const stray = world.strays.get("a")!;
    assert.ok(rt.isAlive(stray));
    await Application.stop(rt, "a");
    assert.ok(!rt.isAlive(stray));
  });

  test("a library application (no start) carries env, starts and stops without a process", async (t) => {
    const { rt } = runtime(t);
    const processes = rt.processCount;
    load(rt, { name: "lib", env: { size: 3 } });
    assert.deepEqual(await Application.start(rt, "lib"), OK);
    assert.deepEqual(running(rt), ["lib"]);
    assert.equal(rt.processCount, processes);
    assert.equal(Application.getEnv(rt, "lib", "size"), 3);
    assert.deepEqual(await Application.stop(rt, "lib"), OK);
    assert.deepEqual(running(rt), []);
  });
});

describe("ensureAllStarted", () => {
  test("starts what the application needs first, each after its own needs, and returns what it started", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(
      rt,
      app(world, "a"),
      app(world, "b", { applications: ["a"] }),
      app(world, "c", { applications: ["a"] }),
      app(world, "d", { applications: ["b", "c"] }),
    );
    assert.deepEqual(await Application.start(rt, "a"), OK);
    const result = await Application.ensureAllStarted(rt, "d", { type: "temporary" });
    assert.deepEqual(result, { started: ["b", "c", "d"] }, "a runs already: left out");
    assert.deepEqual(running(rt), ["d", "c", "b", "a"]);
    assert.deepEqual(await Application.ensureAllStarted(rt, "d"), { started: [] });
  });

  test("a dependency that is not loaded: {Dep, {not_loaded, Dep}}, and nothing starts", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), app(world, "b", { applications: ["a", "missing"] }));
    const result = await Application.ensureAllStarted(rt, "b");
    assert.ok("error" in result);
    assertTerm(result.error, tuple(atom("missing"), tuple(atom("not_loaded"), atom("missing"))));
    assert.deepEqual(world.journal, []);
  });

  test("a dependency cycle: {App, {circular_dependencies, Cycle}}, and nothing starts", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(
      rt,
      app(world, "a", { applications: ["b"] }),
      app(world, "b", { applications: ["c"] }),
      app(world, "c", { applications: ["a"] }),
    );
    const result = await Application.ensureAllStarted(rt, "a");
    assert.ok("error" in result);
    assertTerm(
      result.error,
      tuple(atom("a"), tuple(atom("circular_dependencies"), [atom("a"), atom("b"), atom("c"), atom("a")])),
    );
    assert.deepEqual(world.journal, []);
  });

  test("a start that fails midway: {App, Reason}, and the ones it started stop, last first", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(
      rt,
      app(world, "a"),
      app(world, "b", { applications: ["a"] }),
      app(world, "c", { applications: ["b"], start: () => ({ error: atom("no_disk") }) }),
    );
    const result = await Application.ensureAllStarted(rt, "c");
    assert.ok("error" in result);
    assertTerm(
      result.error,
      tuple(atom("c"), tuple(atom("no_disk"), tuple(atom("c"), atom("start"), [atom("normal"), []]))),
    );
    assert.deepEqual(world.journal, ["start a", "worker a up", "start b", "worker b up", ...stopped("b", "a")]);
    assert.deepEqual(running(rt), []);
  });
});

describe("env", () => {
  test("getEnv, setEnv, unsetEnv and getAllEnv; a default for a key that is not set", (t) => {
    const { rt } = runtime(t);
    load(rt, { name: "cfg", env: { port: 80, host: "localhost" } });
    assert.equal(Application.getEnv(rt, "cfg", "port"), 80);
    assert.equal(Application.getEnv(rt, "cfg", "missing"), undefined);
    assert.equal(Application.getEnv(rt, "cfg", "missing", 42), 42);
    Application.setEnv(rt, "cfg", "port", 8080);
    Application.setEnv(rt, "cfg", "handler", { path: "/" });
    assert.equal(Application.getEnv(rt, "cfg", "port", 1), 8080);
    Application.unsetEnv(rt, "cfg", "host");
    assert.deepEqual(Application.getAllEnv(rt, "cfg"), { port: 8080, handler: { path: "/" } });
    assert.deepEqual(Application.getAllEnv(rt, "nowhere"), {});
  });

  test("env given at load overrides the spec's defaults key by key, as sys.config does", (t) => {
    const { rt } = runtime(t);
    Application.setEnv(rt, "web", "early", true); // set before load: kept, as OTP's set_env
    Application.load(rt, { name: "web", env: { port: 80, host: "localhost" } }, { env: { port: 8443, tls: true } });
    assert.deepEqual(Application.getAllEnv(rt, "web"), { early: true, port: 8443, host: "localhost", tls: true });
  });

  test("the start callback and the application's processes read its env", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    let seen: unknown;
    load(rt, {
      ...app(world, "a", { env: { greeting: "hello" } }),
      start(self) {
        seen = Application.getEnv(self.runtime, Application.getApplication(self)!, "greeting");
        return Supervisor.startLink(self, { init: () => ({ children: [] }) }, undefined).then((s) =>
          "pid" in s ? { pid: s.pid } : { error: atom("no_supervisor") },
        );
      },
    });
    assert.deepEqual(await Application.start(rt, "a"), OK);
    assert.equal(seen, "hello");
  });
});

describe("start failures", () => {
  const call = (name: string) => tuple(atom(name), atom("start"), [atom("normal"), []]);

  async function failedStart(rt: Runtime, spec: ApplicationSpec): Promise<Term> {
    Application.load(rt, spec);
    const result = await Application.start(rt, spec.name);
    assert.ok("error" in result, `the start of ${spec.name} failed`);
    assert.deepEqual(running(rt), []);
    return result.error;
  }

  test("start returns an error: {Reason, {App, start, [normal, Args]}}", async (t) => {
    const { rt, logs } = runtime(t);
    const error = await failedStart(rt, { name: "a", start: () => ({ error: atom("no_port") }) });
    assertTerm(error, tuple(atom("no_port"), call("a")));
    await rt.idle();
    assert.equal(exitReports(logs).length, 1, "the failed start is reported");
  });

  test("start throws: {bad_return, {{App, start, …}, {'EXIT', Reason}}}; args are passed as given", async (t) => {
    const { rt } = runtime(t);
    const error = await failedStart(rt, {
      name: "a",
      args: [atom("x")],
      start: (_self, _type, args) => {
        throw new ProcessExit(tuple(atom("bad_args"), args));
      },
    });
    const badCall = tuple(atom("a"), atom("start"), [atom("normal"), [atom("x")]]);
    assertTerm(error, tuple(atom("bad_return"), tuple(badCall, tuple(EXIT, tuple(atom("bad_args"), [atom("x")])))));
  });

  test("start returns something else: {bad_return, {{App, start, …}, Returned}}", async (t) => {
    const { rt } = runtime(t);
    const undefinedReturn = await failedStart(rt, { name: "a", start: () => undefined as never });
    assertTerm(undefinedReturn, tuple(atom("bad_return"), tuple(call("a"), atom("undefined"))));
    const ignore = await failedStart(rt, { name: "b", start: () => ({ ignore: true }) }); // a supervisor's ignore
    assertTerm(ignore, tuple(atom("bad_return"), tuple(call("b"), atom("ignore"))));
  });

  test("start exits normally: {{'EXIT', normal}, {App, start, …}}", async (t) => {
    const { rt } = runtime(t);
    const error = await failedStart(rt, {
      name: "a",
      start: () => {
        throw new ProcessExit(NORMAL);
      },
    });
    assertTerm(error, tuple(tuple(EXIT, NORMAL), call("a")));
  });

  test("a transient application whose start exits normally fails to start; the node goes on", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), {
      name: "b",
      start: () => {
        throw new ProcessExit(NORMAL);
      },
    });
    const result = await Application.start(rt, "b", { type: "transient" });
    assert.ok("error" in result);
    assert.deepEqual(await Application.start(rt, "a"), OK, "the node did not start to stop");
  });

  test("a permanent application that fails to start stops the node: {application_start_failure, App, Reason}", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), { name: "b", start: () => ({ error: atom("no_port") }) });
    await Application.start(rt, "a", { type: "permanent" });
    const result = await Application.start(rt, "b", { type: "permanent" });
    assert.ok("error" in result);
    const reason = await within(Application.nodeStopped(rt), 2000, "the node to stop");
    assertTerm(reason, tuple(atom("application_start_failure"), atom("b"), tuple(atom("no_port"), call("b"))));
    assert.ok(world.journal.includes("stop a (a state prepared)"), "the other application stopped first");
    assert.equal(rt.processCount, 0);
  });
});

describe("restart types: the top supervisor dies", () => {
  /** The application callbacks in the journal (a killed tree's workers end in no set order with them). */
  function callbacks(world: World): string[] {
    return world.journal.filter((line) => !line.startsWith("worker"));
  }

  /** Starts a, b and c (c with `type`) and kills c's top supervisor. */
  async function killTop(rt: Runtime, world: World, type: "temporary" | "transient" | "permanent", reason: Term) {
    load(rt, app(world, "a"), app(world, "b"), app(world, "c"));
    for (const name of ["a", "b"]) await Application.start(rt, name, { type: "permanent" });
    await Application.start(rt, "c", { type });
    world.journal.length = 0;
    rt.exit(world.tops.get("c")!, reason);
  }

  test("temporary: the exit is reported, its stop callback runs; the other applications and the node go on", async (t) => {
    const { rt, logs } = runtime(t);
    const world = new World();
    await killTop(rt, world, "temporary", KILL);
    await waitFor(() => !running(rt).includes("c"), "c to end");
    await rt.idle();
    assert.deepEqual(callbacks(world), ["prep_stop c (c state)", "stop c (c state prepared)"]);
    assert.ok(world.journal.includes("worker c down"));
    assert.deepEqual(exitReports(logs), [{ application: atom("c"), exited: KILLED, type: atom("temporary") }]);
    assert.deepEqual(running(rt), ["b", "a"]);
    assert.ok(!rt.isAlive(world.strays.get("c")!), "c's stray went with it");
    assert.deepEqual(await Application.start(rt, "c"), OK, "it can be started again");
  });

  test("transient that ends normally: reported only", async (t) => {
    const { rt, logs } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), {
      ...app(world, "t"),
      start(self) {
        // A top process that ends normally when told to (a supervisor never does).
        const pid = self.spawnLink(async (p) => void (await p.receive()));
        world.tops.set("t", pid);
        return { pid };
      },
    });
    await Application.start(rt, "a", { type: "permanent" });
    await Application.start(rt, "t", { type: "transient" });
    rt.send(world.tops.get("t")!, atom("go"));
    await waitFor(() => !running(rt).includes("t"), "t to end");
    await rt.idle();
    assert.deepEqual(exitReports(logs), [{ application: atom("t"), exited: NORMAL, type: atom("transient") }]);
    assert.deepEqual(running(rt), ["a"]);
  });

  test("transient that ends abnormally: as permanent, the node stops", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    await killTop(rt, world, "transient", KILL);
    const reason = await within(Application.nodeStopped(rt), 2000, "the node to stop");
    assertTerm(reason, tuple(atom("application_terminated"), atom("c"), KILLED));
  });

  test("permanent: the others stop, last started first, with their callbacks; then the node stops", async (t) => {
    const { rt, logs } = runtime(t);
    const world = new World();
    await killTop(rt, world, "permanent", KILL);
    const reason = await within(Application.nodeStopped(rt), 2000, "the node to stop");
    assertTerm(reason, tuple(atom("application_terminated"), atom("c"), KILLED));
    assert.deepEqual(
      world.journal.filter((line) => line !== "worker c down"),
      ["prep_stop c (c state)", "stop c (c state prepared)", ...stopped("b", "a")],
    );
    assert.equal(rt.processCount, 0, "the runtime has shut down");
    assert.throws(() => rt.spawn(async () => {}), { code: "PROC_SHUTDOWN" });
    await rt.idle();
    assert.deepEqual(
      exitReports(logs).map((r) => [r.application, r.exited]),
      [
        [atom("c"), KILLED],
        [atom("b"), atom("stopped")],
        [atom("a"), atom("stopped")],
      ],
    );
  });
});

describe("the node's orderly stop", () => {
  test("stopNode stops the applications last started first, shuts down, and settles nodeStopped", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), app(world, "b", { applications: ["a"] }));
    assert.deepEqual(await Application.ensureAllStarted(rt, "b", { type: "permanent" }), { started: ["a", "b"] });
    world.journal.length = 0;
    const stopping = Application.stopNode(rt);
    const late = await Application.start(rt, "a");
    assert.ok("error" in late);
    assertTerm(late.error, atom("node_stopping"));
    assertTerm(await stopping, NORMAL);
    assertTerm(await Application.nodeStopped(rt), NORMAL);
    assert.deepEqual(world.journal, stopped("b", "a"));
    assert.equal(rt.processCount, 0);
  });
});

describe("getApplication", () => {
  test("a process of an application, at any depth, tells which it belongs to; others belong to none", async (t) => {
    const { rt } = runtime(t);
    const world = new World();
    load(rt, app(world, "a"), app(world, "b"));
    await Application.start(rt, "a");
    await Application.start(rt, "b");
    const answer = (name: string) =>
      rt.run((self) => GenServer.call(self, world.workers.get(name)!, atom("application")));
    assert.equal(await answer("a"), "a");
    assert.equal(await answer("b"), "b");
    await waitFor(() => world.strayApplications.size === 2, "the strays to ask");
    assert.deepEqual(Object.fromEntries(world.strayApplications), { a: "a", b: "b" });
    assert.equal(await rt.run(async (self) => Application.getApplication(self)), undefined);
  });
});
