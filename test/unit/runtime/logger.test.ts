// The logger: OTP's eight levels with a primary level and per-handler levels, structured events on the runtime's
// clock, process metadata, the text and JSON-lines handlers, and a failing handler that is removed, not fatal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  ErrorCodes,
  jsonHandler,
  type LogEvent,
  type LogFormat,
  type LogHandler,
  logger,
  ProcessExit,
  Runtime,
  type RuntimeOptions,
  textHandler,
  tuple,
} from "../../../src/index.ts";
import { ManualClock } from "../../../src/testing/index.ts";
import { waitFor } from "../../support/runtime.ts";

/** A handler that keeps every event it gets, with its message as text. */
function collector(): { events: (LogEvent & { text: string })[]; handler: LogHandler } {
  const events: (LogEvent & { text: string })[] = [];
  return {
    events,
    handler: (event: LogEvent, format: LogFormat) => events.push({ ...event, text: format.message(event) }),
  };
}

/** A runtime on a manual clock, shut down after the test. */
function runtime(
  t: { after(fn: () => void): void },
  options: RuntimeOptions = {},
): { rt: Runtime; clock: ManualClock } {
  const clock = new ManualClock();
  const rt = new Runtime({ clock, ...options });
  t.after(() => rt.shutdown());
  return { rt, clock };
}

/** Lets queued handler calls run (they run in a microtask after the log call). */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("levels", () => {
  test("the primary level is notice by default: info and debug are dropped, notice and above pass", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: handler });
    assert.equal(rt.logger.level, "notice");
    for (const level of ["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"] as const) {
      rt.logger[level](`at ${level}`);
    }
    await settle();
    assert.deepEqual(
      events.map((e) => e.level),
      ["emergency", "alert", "critical", "error", "warning", "notice"],
    );
    assert.equal(rt.logger.allows("notice"), true);
    assert.equal(rt.logger.allows("info"), false);
  });

  test("the primary level can be changed at runtime, to a level, all or none", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: { level: "error", handlers: { collect: handler } } });
    rt.logger.warning("dropped");
    rt.logger.setLevel("debug");
    rt.logger.debug("passes");
    rt.logger.setLevel("none");
    rt.logger.emergency("dropped too");
    rt.logger.setLevel("all");
    assert.equal(rt.logger.level, "debug");
    rt.logger.debug("passes again");
    await settle();
    assert.deepEqual(
      events.map((e) => e.msg),
      ["passes", "passes again"],
    );
    assert.throws(() => rt.logger.setLevel("verbose" as never), { code: ErrorCodes.PROC_BAD_ARG });
  });

  test("each handler has its own level, below the primary one", async (t) => {
    const errors = collector();
    const everything = collector();
    const { rt } = runtime(t, { logger: { level: "info", handlers: {} } });
    rt.logger.addHandler("errors", errors.handler, { level: "error" });
    rt.logger.addHandler("everything", everything.handler);
    rt.logger.error("e");
    rt.logger.warning("w");
    rt.logger.info("i");
    rt.logger.debug("d"); // below the primary level: no handler sees it
    await settle();
    assert.deepEqual(
      errors.events.map((e) => e.msg),
      ["e"],
    );
    assert.deepEqual(
      everything.events.map((e) => e.msg),
      ["e", "w", "i"],
    );
    rt.logger.setHandlerLevel("errors", "warning");
    rt.logger.warning("w2");
    await settle();
    assert.deepEqual(
      errors.events.map((e) => e.msg),
      ["e", "w2"],
    );
  });

  test("an event no handler would take fails allows, so no report is built for it", (t) => {
    const errors = collector();
    const { rt } = runtime(t, { logger: { level: "all", handlers: {} } });
    assert.equal(rt.logger.allows("emergency"), false, "no handler at all");
    rt.logger.addHandler("errors", errors.handler, { level: "error" });
    assert.equal(rt.logger.allows("error"), true);
    assert.equal(rt.logger.allows("warning"), false, "below every handler's level");
    rt.logger.setHandlerLevel("errors", "debug");
    assert.equal(rt.logger.allows("debug"), true);
    rt.logger.setLevel("notice");
    assert.equal(rt.logger.allows("info"), false, "below the primary level");
    assert.equal(rt.logger.level, "notice");
    rt.logger.removeHandler("errors");
    assert.equal(rt.logger.allows("emergency"), false);
  });

  test("handlers are added and removed by id; an id is used once", async (t) => {
    const first = collector();
    const { rt } = runtime(t, { logger: { handlers: { first: first.handler } } });
    assert.throws(() => rt.logger.addHandler("first", first.handler), { code: ErrorCodes.PROC_BAD_ARG });
    assert.throws(() => rt.logger.setHandlerLevel("nope", "info"), { code: ErrorCodes.PROC_BAD_ARG });
    assert.equal(rt.logger.removeHandler("first"), true);
    assert.equal(rt.logger.removeHandler("first"), false);
    rt.logger.error("nobody listens");
    await settle();
    assert.deepEqual(first.events, []);
  });
});

describe("events", () => {
  test("an event has its level, the runtime clock's time, the wall time, the message and the metadata", async (t) => {
    const { events, handler } = collector();
    const { rt, clock } = runtime(t, { logger: handler });
    clock.advance(1234);
    const before = Date.now();
    rt.logger.warning("disk low", { free: 12, domain: ["app"] });
    await settle();
    const [event] = events;
    assert.equal(event!.level, "warning");
    assert.equal(event!.time, 1234, "the manual clock started at 0");
    assert.ok(event!.systemTime >= before && event!.systemTime <= Date.now());
    assert.equal(event!.msg, "disk low");
    assert.deepEqual(event!.meta, { free: 12, domain: ["app"] }, "from outside a process: no pid");
  });

  test("an event logged from a process carries its pid and registered name", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: handler });
    const pid = await rt.run(async (self) => {
      self.register(atom("worker"));
      logger(self).error("failed", { attempt: 3 });
      return self.pid;
    });
    await waitFor(() => events.length === 1, "the event");
    assert.deepEqual(events[0]!.meta, { pid, registeredName: atom("worker"), attempt: 3 });
  });

  test("a report without its own format prints OTP's indented key: value line per field, values in Erlang syntax", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: handler });
    rt.logger.error({ report: { reason: tuple(atom("badarg"), 1), count: 2 } });
    await settle();
    assert.equal(events[0]!.text, "    reason: {badarg,1}\n    count: 2");
  });

  test("a report whose format throws prints OTP's REPORT_CB CRASH line; the handler stays", async (t) => {
    const out: string[] = [];
    const { rt } = runtime(t, { logger: textHandler({ write: (text) => out.push(text) }) });
    rt.logger.error({
      report: { id: 7 },
      format() {
        throw new TypeError("no field x");
      },
    });
    rt.logger.error("next");
    await settle();
    assert.equal(out.length, 2);
    assert.match(out[0]!, /\nREPORT_CB CRASH: \{ id: 7 \}; Reason: TypeError: no field x\n$/);
    assert.match(out[1]!, /\nnext\n$/);
  });

  test("a log call below the level builds no event and calls no handler", async (t) => {
    let calls = 0;
    const { rt } = runtime(t, {
      logger: () => {
        calls++;
      },
    });
    const report = {
      report: {},
      format() {
        calls++;
        return "";
      },
    };
    await rt.run(async (self) => {
      logger(self).debug(report);
      logger(self).info(report);
    });
    await settle();
    assert.equal(calls, 0);
  });
});

describe("process metadata", () => {
  test("set, update, get and unset: it rides on every event the process logs, and only on those", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: handler });
    const pid = await rt.run(async (self) => {
      const log = logger(self);
      assert.equal(log.getProcessMetadata(), undefined);
      log.setProcessMetadata({ requestId: "r1", user: "ann" });
      log.error("one");
      log.updateProcessMetadata({ user: "bob", step: 2 });
      assert.deepEqual(log.getProcessMetadata(), { requestId: "r1", user: "bob", step: 2 });
      log.error("two", { step: 3 }); // the event's own metadata wins
      self.spawn(async (other) => logger(other).error("other process"));
      log.unsetProcessMetadata();
      log.error("three");
      return self.pid;
    });
    rt.logger.error("outside");
    await waitFor(() => events.length === 5, "five events");
    const byMsg = new Map(events.map((e) => [e.msg, e.meta]));
    assert.deepEqual(byMsg.get("one"), { pid, requestId: "r1", user: "ann" });
    assert.deepEqual(byMsg.get("two"), { pid, requestId: "r1", user: "bob", step: 3 });
    assert.deepEqual(Object.keys(byMsg.get("other process")!), ["pid"]);
    assert.deepEqual(byMsg.get("three"), { pid });
    assert.deepEqual(byMsg.get("outside"), {});
  });

  test("a process's metadata is on its crash report", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: handler });
    await assert.rejects(
      rt.run(async (self) => {
        logger(self).setProcessMetadata({ job: "import" });
        throw new ProcessExit(atom("bad_input"));
      }),
    );
    await waitFor(() => events.length === 1, "the crash report");
    assert.equal(events[0]!.meta.what, "crash_report");
    assert.equal(events[0]!.meta.job, "import");
  });
});

describe("handlers", () => {
  test("the JSON handler writes one JSON object a line: time, level, msg, pid as text, metadata as Erlang text", async (t) => {
    const lines: string[] = [];
    const { rt } = runtime(t, { logger: { handlers: { json: jsonHandler({ write: (line) => lines.push(line) }) } } });
    const pid = await rt.run(async (self) => {
      logger(self).warning("slow call", { server: atom("db"), took: 1200, key: tuple(atom("user"), 7), tag: "x" });
      return self.pid;
    });
    rt.logger.error({ report: { reason: atom("timeout"), target: pid } });
    await waitFor(() => lines.length === 2, "two lines");
    assert.ok(lines.every((line) => line.endsWith("\n") && !line.slice(0, -1).includes("\n")));
    const [warning, error] = lines.map((line) => JSON.parse(line));
    assert.equal(warning.level, "warning");
    assert.equal(warning.msg, "slow call");
    assert.ok(!Number.isNaN(Date.parse(warning.time)) && warning.time.endsWith("Z"), warning.time);
    assert.match(warning.pid, /^<0\.\d+\.0>$/);
    assert.equal(warning.server, "db");
    assert.equal(warning.took, 1200);
    assert.equal(warning.key, "{user,7}");
    assert.equal(warning.tag, "x");
    assert.equal(error.msg, `    reason: timeout\n    target: ${warning.pid}`);
    assert.deepEqual(error.report, { reason: "timeout", target: warning.pid });
  });

  test("the JSON handler renders a crash report's fields, its error as name, message and stack", async (t) => {
    const lines: string[] = [];
    const { rt } = runtime(t, { logger: jsonHandler({ write: (line) => lines.push(line) }) });
    await assert.rejects(
      rt.run(async function failing() {
        throw new TypeError("no such field");
      }),
    );
    await waitFor(() => lines.length === 1, "the crash report");
    const report = JSON.parse(lines[0]!);
    assert.equal(report.what, "crash_report");
    assert.deepEqual(report.domain, ["otp", "sasl"]);
    assert.equal(report.report.initialCall, "failing");
    assert.equal(report.report.class, "error");
    assert.equal(report.report.error.name, "TypeError");
    assert.equal(report.report.error.message, "no such field");
    assert.match(report.report.reason, /^\{\{'TypeError',<<"no such field">>\},\[/);
    assert.match(report.msg, /exception error: TypeError: no such field/);
  });

  test("the text handler prints OTP's legacy header, its title from the level or the report kind", async (t) => {
    const out: string[] = [];
    const { rt } = runtime(t, { logger: textHandler({ write: (text) => out.push(text) }) });
    rt.logger.warning("careful");
    await assert.rejects(
      rt.run(async () => {
        throw new ProcessExit(atom("oops"));
      }),
    );
    await waitFor(() => out.length === 2, "two entries");
    assert.match(out[0]!, /^\n=WARNING REPORT==== \d\d?-[A-Z][a-z]{2}-\d{4}::\d\d:\d\d:\d\d\.\d{3} ===\ncareful\n$/);
    assert.match(out[1]!, /^\n=CRASH REPORT==== .* ===\n {2}crasher:\n/);
    assert.match(out[1]!, /\n {4}exception exit: oops\n/);
  });

  test("a crash report shows what was thrown as OTP does: exception throw: Value, not the nocatch reason", async (t) => {
    const { events, handler } = collector();
    const { rt } = runtime(t, { logger: handler });
    await assert.rejects(
      rt.run(async () => {
        throw tuple(atom("oops"), 1);
      }),
    );
    await waitFor(() => events.length === 1, "the crash report");
    assert.match(events[0]!.text, /\n {4}exception throw: \{oops,1\}\n/);
  });

  test("the legacy header's time is local, the day unpadded as OTP's ~w prints it", () => {
    const out: string[] = [];
    const event: LogEvent = {
      level: "error",
      time: 0,
      systemTime: new Date(2024, 0, 3, 4, 5, 6, 7).getTime(),
      msg: "at dawn",
      meta: {},
    };
    const format: LogFormat = { term: String, message: (e) => String(e.msg) };
    textHandler({ write: (text) => out.push(text) })(event, format);
    assert.deepEqual(out, ["\n=ERROR REPORT==== 3-Jan-2024::04:05:06.007 ===\nat dawn\n"]);
  });

  test("a handler that throws is removed, the others go on and hear of it, the runtime keeps running", async (t) => {
    const { events, handler } = collector();
    let failing = 0;
    const { rt } = runtime(t, {
      logger: {
        handlers: {
          broken: () => {
            failing++;
            throw new Error("disk full");
          },
          collect: handler,
        },
      },
    });
    await rt.run(async (self) => logger(self).error("first"));
    await waitFor(() => events.length === 2, "the event and the removal notice");
    assert.equal(failing, 1);
    assert.equal(events[0]!.msg, "first");
    assert.equal(events[1]!.meta.what, "removed_failing_handler");
    assert.match(events[1]!.text, /broken.*disk full/);
    assert.equal(rt.logger.removeHandler("broken"), false, "already removed");
    rt.logger.error("second");
    assert.equal(await rt.run(async () => "still running"), "still running");
    await waitFor(() => events.length === 3, "the next event");
    assert.equal(failing, 1);
  });

  test("an async handler whose promise rejects is removed too, and the rejection is handled", async (t) => {
    const { events, handler } = collector();
    let failing = 0;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    t.after(() => process.off("unhandledRejection", onUnhandled));
    const { rt } = runtime(t, {
      logger: {
        handlers: {
          remote: async () => {
            failing++;
            throw new Error("connection refused");
          },
          collect: handler,
        },
      },
    });
    rt.logger.error("first");
    await waitFor(() => events.length === 2, "the event and the removal notice");
    assert.equal(events[1]!.meta.what, "removed_failing_handler");
    assert.match(events[1]!.text, /remote.*connection refused/);
    rt.logger.error("second");
    await waitFor(() => events.length === 3, "the next event");
    await settle();
    assert.equal(failing, 1);
    assert.deepEqual(unhandled, []);
  });
});
