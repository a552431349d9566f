// OTP's reports through the logger, with the texts OTP 25 prints: a GenServer's terminate report (last message,
// state through formatStatus, reason, client), the unexpected-message warning, the supervisor's error reports
// (child_terminated, start_error, shutdown_error) and progress reports (at info only), and the gen_statem
// terminate report.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  type ChildSpec,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Process,
  type Runtime,
  SHUTDOWN,
  Supervisor,
  type Term,
  type Tuple,
  textHandler,
  tuple,
} from "../../src/index.ts";
import { logGenStatemTerminate } from "../../src/otp/reports.ts";
import { type Logged, runtime, waitFor } from "../support/runtime.ts";

const BOOM = atom("boom");
const STOP = atom("stop");
const CRASHY = atom("crashy");
const MY_SUP = atom("my_sup");

/** `<0.N.S>`: how a pid of the runtime under test prints. */
function text(pid: Pid): string {
  return `<0.${pid.id}.${pid.serial}>`;
}

/** A server whose state holds a secret its formatStatus hides; `boom` (a call) throws, `stop` (a cast) stops. */
const crashy: GenServerCallbacks<Term, undefined> = {
  init: () => ({ state: tuple(atom("state"), 0, "hunter2") }),
  handleCall(_self, request, _from, state) {
    if (request === BOOM) throw new Error("kaboom");
    return { reply: atom("ok"), state };
  },
  handleCast: (_self, _message, state) => ({ stop: atom("oops"), state }),
  formatStatus: ({ state }) => {
    const [tag, count] = (state as Tuple).elements;
    return { state: tuple(tag!, count!, "***") };
  },
};

const crashySpec: ChildSpec = {
  id: CRASHY,
  start: (self) => GenServer.startLink(self, crashy, undefined, { name: CRASHY }),
};

async function startSupervisor(rt: Runtime, children: ChildSpec[]): Promise<Pid> {
  const started = await Supervisor.start(rt, { init: () => ({ children }) }, undefined, { name: MY_SUP });
  assert.ok("pid" in started);
  return started.pid;
}

function what(logs: readonly Logged[], kind: string): Logged[] {
  return logs.filter((e) => e.meta.what === kind);
}

/** Calls `crashy` with `boom` from a process; resolves with that caller's pid once its call has failed. */
function callBoom(rt: Runtime): Promise<Pid> {
  return rt.run(async (self) => {
    await assert.rejects(GenServer.call(self, CRASHY, BOOM));
    return self.pid;
  });
}

describe("a crashing GenServer under a Supervisor", () => {
  test("its terminate report, the supervisor's child_terminated report, a crash report and, at info, progress", async (t) => {
    const { rt, logs } = runtime(t);
    rt.logger.setLevel("info");
    const out: string[] = [];
    rt.logger.addHandler("text", textHandler({ write: (entry) => out.push(entry) }));
    await startSupervisor(rt, [crashySpec]);
    const first = rt.whereis(CRASHY)!;
    const caller = await callBoom(rt);
    await waitFor(() => what(logs, "progress_report").length === 2, "the restart's progress report");
    const second = rt.whereis(CRASHY)!;
    assert.notEqual(second, first);

    const [terminate] = what(logs, "gen_server_terminate");
    assert.equal(terminate!.level, "error");
    assert.deepEqual(terminate!.meta.domain, ["otp"]);
    const lines = terminate!.text.split("\n");
    assert.equal(lines[0], "** Generic server crashy terminating");
    assert.equal(lines[1], "** Last message in was boom");
    assert.equal(lines[2], '** When Server state == {state,0,<<"***">>}', "the state as formatStatus shows it");
    assert.equal(lines[3], "** Reason for termination ==");
    assert.equal(lines[4], "** {{'Error',<<\"kaboom\">>},", "a JS error's stack goes one frame a line");
    assert.match(lines[5]!, /^ {4}\[<<"at \S*handleCall /);
    assert.match(lines[6]!, /^ {5}<<"at /);
    assert.equal(lines.at(-1), `** Client ${text(caller)} is alive`);

    const [childTerminated] = what(logs, "supervisor_report");
    assert.equal(childTerminated!.level, "error");
    assert.deepEqual(childTerminated!.meta.domain, ["otp", "sasl"]);
    const report = childTerminated!.text.split("\n");
    assert.equal(report[0], "    supervisor: {local,my_sup}");
    assert.equal(report[1], "    errorContext: child_terminated");
    assert.equal(report[2], "    reason: {{'Error',<<\"kaboom\">>},");
    assert.match(report[3]!, /^ {13}\[<<"at /);
    const offender = report.slice(report.findIndex((line) => line.startsWith("    offender: ")));
    assert.equal(offender[0], `    offender: [{pid,${text(first)}},`, "one element a line, as OTP's ~p breaks it");
    assert.equal(offender[1], "               {id,crashy},");
    assert.match(offender[2]!, /^ {15}\{start,#Fun<.*GenServer\.startLink.*>\},$/);
    assert.deepEqual(offender.slice(3), [
      "               {restart_type,permanent},",
      "               {significant,false},",
      "               {shutdown,5000},",
      "               {child_type,worker}]",
    ]);

    const progress = what(logs, "progress_report");
    assert.ok(progress.every((e) => e.level === "info"));
    assert.equal(progress[0]!.text.split("\n")[0], "    supervisor: {local,my_sup}");
    assert.deepEqual(progress[0]!.text.split("\n").slice(1, 3), [
      `    started: [{pid,${text(first)}},`,
      "              {id,crashy},",
    ]);
    assert.equal(progress[1]!.text.split("\n")[1], `    started: [{pid,${text(second)}},`);

    const [crash] = what(logs, "crash_report");
    assert.match(crash!.text, /\n {4}registered_name: crashy\n/);
    assert.match(
      crash!.text,
      /\n {4}exception exit: \{\{'Error',<<"kaboom">>\},\n/,
      "the server exits with the reason",
    );

    // The default handler's format: OTP's legacy titles.
    await waitFor(() => out.length === logs.length, "the text handler's entries");
    const titles = out.map((entry) => /^\n=([A-Z ]+)====/.exec(entry)?.[1]);
    for (const title of ["ERROR REPORT", "CRASH REPORT", "SUPERVISOR REPORT", "PROGRESS REPORT"]) {
      assert.ok(titles.includes(title), `${title} in ${titles.join(", ")}`);
    }
  });

  test("at the default level (notice), errors are logged and progress reports are not", async (t) => {
    const { rt, logs } = runtime(t);
    await startSupervisor(rt, [crashySpec]);
    const first = rt.whereis(CRASHY);
    await callBoom(rt);
    await waitFor(() => rt.whereis(CRASHY) !== undefined && rt.whereis(CRASHY) !== first, "the restart");
    await waitFor(() => what(logs, "supervisor_report").length === 1, "the supervisor report");
    await rt.idle();
    assert.equal(what(logs, "gen_server_terminate").length, 1);
    assert.deepEqual(what(logs, "progress_report"), []);
  });

  test("a cast that stops the server: the last message is the whole {'$gen_cast', Msg}, no client", async (t) => {
    const { rt, logs } = runtime(t);
    await startSupervisor(rt, [crashySpec]);
    GenServer.cast(rt, CRASHY, STOP);
    await waitFor(() => what(logs, "gen_server_terminate").length === 1, "the terminate report");
    const lines = what(logs, "gen_server_terminate")[0]!.text.split("\n");
    assert.equal(lines[1], "** Last message in was {'$gen_cast',stop}");
    assert.deepEqual(lines.slice(3), ["** Reason for termination ==", "** oops"]);
  });
});

describe("the terminate report", () => {
  test("none for normal, shutdown and {shutdown, _}; one for another reason given to stop, without a last message", async (t) => {
    const { rt, logs } = runtime(t);
    const quiet: GenServerCallbacks<null, undefined> = { init: () => ({ state: null }) };
    await rt.run(async (self) => {
      for (const reason of [atom("normal"), SHUTDOWN, tuple(SHUTDOWN, atom("done")), atom("bad")]) {
        const started = await GenServer.start(self, quiet, undefined);
        assert.ok("pid" in started);
        await GenServer.stop(self, started.pid, { reason }).catch(() => {});
      }
    });
    await waitFor(() => what(logs, "gen_server_terminate").length === 1, "one terminate report");
    await rt.idle();
    const reports = what(logs, "gen_server_terminate");
    assert.equal(reports.length, 1);
    assert.deepEqual(reports[0]!.text.split("\n").slice(1), [
      "** When Server state == null",
      "** Reason for termination ==",
      "** bad",
    ]);
  });

  test("a terminate that throws is reported with what it threw, even when the server stopped normally", async (t) => {
    const { rt, logs } = runtime(t);
    const failing: GenServerCallbacks<number, undefined> = {
      init: () => ({ state: 7 }),
      terminate() {
        throw new RangeError("cleanup failed");
      },
    };
    await rt.run(async (self) => {
      const started = await GenServer.start(self, failing, undefined);
      assert.ok("pid" in started);
      await GenServer.stop(self, started.pid).catch(() => {});
    });
    await waitFor(() => what(logs, "gen_server_terminate").length === 1, "the terminate report");
    const text = what(logs, "gen_server_terminate")[0]!.text;
    assert.match(text, /\*\* When Server state == 7\n/);
    assert.match(text, /\*\* \{\{'RangeError',<<"cleanup failed">>\},/);
  });
});

describe("the unexpected message", () => {
  test("a server without handleInfo logs a warning for a plain message, drops it and goes on", async (t) => {
    const { rt, logs } = runtime(t);
    const noInfo: GenServerCallbacks<null, undefined> = {
      init: () => ({ state: null }),
      handleCall: (_self, _request, _from, state) => ({ reply: atom("still_here"), state }),
    };
    const started = await GenServer.start(rt, noInfo, undefined);
    assert.ok("pid" in started);
    rt.send(started.pid, atom("hello"));
    await waitFor(() => what(logs, "gen_server_no_handle_info").length === 1, "the warning");
    const [warning] = what(logs, "gen_server_no_handle_info");
    assert.equal(warning!.level, "warning");
    assert.equal(warning!.text, `** Undefined handleInfo in ${text(started.pid)}\n** Unhandled message: hello`);
    assert.equal(await rt.run((self) => GenServer.call(self, started.pid, atom("ping"))), atom("still_here"));
  });
});

describe("supervisor error reports", () => {
  test("a child that fails to start is a start_error with the child's error and no pid", async (t) => {
    const { rt, logs } = runtime(t);
    const failing: GenServerCallbacks<null, undefined> = { init: () => ({ stop: atom("bad_config") }) };
    const started = await Supervisor.start(
      rt,
      { init: () => ({ children: [{ id: "db", start: (self) => GenServer.startLink(self, failing, undefined) }] }) },
      undefined,
      { name: MY_SUP },
    );
    assert.ok("error" in started);
    await waitFor(() => what(logs, "supervisor_report").length === 1, "the start_error report");
    const lines = what(logs, "supervisor_report")[0]!.text.split("\n");
    assert.deepEqual(lines.slice(0, 4), [
      "    supervisor: {local,my_sup}",
      "    errorContext: start_error",
      "    reason: bad_config",
      "    offender: [{pid,undefined},",
    ]);
    assert.equal(lines[4], '               {id,<<"db">>},');
  });

  test("a child killed after its shutdown time is a shutdown_error with reason killed", async (t) => {
    const { rt, clock, logs } = runtime(t);
    let stopping = false;
    const hanging: GenServerCallbacks<null, undefined> = {
      init(self) {
        self.setTrapExit(true);
        return { state: null };
      },
      terminate() {
        stopping = true;
        return new Promise<void>(() => {}); // never finishes
      },
    };
    const sup = await startSupervisor(rt, [
      { id: "slow", shutdown: 100, start: (self: Process) => GenServer.startLink(self, hanging, undefined) },
    ]);
    const terminated = rt.run((self) => Supervisor.terminateChild(self, sup, "slow"));
    await waitFor(() => stopping, "the child's terminate");
    clock.advance(100);
    assert.deepEqual(await terminated, { ok: true });
    await waitFor(() => what(logs, "supervisor_report").length === 1, "the shutdown_error report");
    const lines = what(logs, "supervisor_report")[0]!.text.split("\n");
    assert.equal(lines[1], "    errorContext: shutdown_error");
    assert.equal(lines[2], "    reason: killed");
    assert.match(lines.slice(3).join("\n"), /\{id,<<"slow">>\},\n[\s\S]*\{shutdown,100\},/);
  });
});

describe("the gen_statem terminate report", () => {
  test("OTP's State machine text: last event, state and data, class:reason, mode, postponed, client", async (t) => {
    const { rt, logs } = runtime(t);
    const gone = await rt.run(async (self) => self.pid);
    await rt.run(async (self) => {
      self.register(atom("door"));
      logGenStatemTerminate(self, {
        name: atom("door"),
        lastEvent: { type: atom("cast"), content: atom("open") },
        state: atom("locked"),
        data: tuple(atom("data"), 1),
        reason: atom("bad_code"),
        callbackMode: "state_functions",
        postponed: [tuple(atom("cast"), atom("knock"))],
        queued: [],
        client: gone,
      });
    });
    await waitFor(() => what(logs, "gen_statem_terminate").length === 1, "the report");
    assert.equal(
      what(logs, "gen_statem_terminate")[0]!.text,
      [
        "** State machine door terminating",
        "** Last event = {cast,open}",
        "** When server state  = {locked,{data,1}}",
        "** Reason for termination = exit:bad_code",
        "** Callback mode = state_functions",
        "** Postponed = [{cast,knock}]",
        `** Client ${text(gone)} is dead`,
      ].join("\n"),
    );
  });
});
