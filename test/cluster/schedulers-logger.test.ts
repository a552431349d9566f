// The log events of processes on other schedulers reach the node's handlers (those of the main thread's logger), as
// OTP's handlers are the node's: crash and supervisor reports, reports with their fields as terms, the node's
// levels, the order events were logged in, and events logged just before a scheduler's thread dies.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  atom,
  equals,
  GenServer,
  type LogEvent,
  type LogFormat,
  type LogReport,
  type Pid,
  type Process,
  spawnRemote,
  type Term,
  type Tuple,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import { assertTerm, DEADLINE_MS, receiveWithin, startSchedulersNode, tagged } from "../fixtures/schedulers/harness.ts";

const LOGGING = new URL("../fixtures/schedulers/logging.ts", import.meta.url);

/** The events the node's handler got, and a way to wait for one. */
class Captured {
  readonly events: { event: LogEvent; format: LogFormat }[] = [];
  private readonly waiting = new Set<() => void>();

  readonly handler = (event: LogEvent, format: LogFormat): void => {
    this.events.push({ event, format });
    for (const wake of this.waiting) wake();
  };

  /** The first event `match` accepts, waiting up to DEADLINE_MS for it. */
  async next(match: (event: LogEvent) => boolean, what: string): Promise<{ event: LogEvent; format: LogFormat }> {
    const deadline = performance.now() + DEADLINE_MS;
    for (;;) {
      const found = this.events.find(({ event }) => match(event));
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) assert.fail(`no ${what} at the node's handler within ${DEADLINE_MS} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiting.add(wake);
      });
    }
  }
}

/** Spawns `sched_logging:fn(args…)` on scheduler 1. */
function loggingOn1(self: Process, fn: string, args: Term[] = []): Promise<Pid> {
  return spawnRemote(self, self.runtime.node, "sched_logging", fn, args, { scheduler: 1 });
}

/** An event of `what` logged by `pid`. */
function of(what: string, pid: Pid): (event: LogEvent) => boolean {
  return (event) => event.meta.what === what && event.meta.pid !== undefined && equals(event.meta.pid, pid);
}

function reportOf<R>(event: LogEvent): R {
  assert.notEqual(typeof event.msg, "string", "a report");
  return (event.msg as LogReport<R & object>).report;
}

function text(event: LogEvent): string {
  return typeof event.msg === "string" ? event.msg : "";
}

describe("log events of processes on another scheduler, at the node's handlers", () => {
  let node: OtterNode;
  const captured = new Captured();
  before(async () => {
    node = await startSchedulersNode("sched_log", 2, { runtime: { logger: { handlers: { test: captured.handler } } } });
    await node.schedulers.load("sched_logging", LOGGING);
  });
  after(() => node.stop());

  it("a process that crashes on scheduler 1 gives the node's handlers its crash report", async () => {
    const reason = tuple(atom("boom"), 1);
    const pid = await node.runtime.run((self) => loggingOn1(self, "crash", [reason]));
    const { event, format } = await captured.next(of("crash_report", pid), "crash report of the process on 1");
    assert.equal(event.level, "error");
    assert.deepEqual(event.meta.domain, ["otp", "sasl"]);
    const report = reportOf<{ pid: Pid; reason: Term }>(event);
    assertTerm(report.pid, pid);
    assertTerm(report.reason, reason);
    const shown = format.message(event);
    assert.match(shown, /^ {2}crasher:/);
    assert.ok(shown.includes(`    pid: ${format.term(pid)}`), shown);
    assert.ok(shown.includes("exception exit: {boom,1}"), shown);
    assert.ok(Math.abs(event.time - performance.now()) < 60_000, "its time on this thread's clock");
  });

  it("a supervisor on scheduler 1 reports its child's crash, and the child its terminate and crash reports", async () => {
    await node.runtime.run(async (self) => {
      const boss = await loggingOn1(self, "superviseCrasher", [self.pid]);
      const [, supervisor, child] = ((await receiveWithin(self, tagged("supervising"), "the supervisor")) as Tuple)
        .elements as [Term, Pid, Pid];
      GenServer.cast(self, child, atom("crash"));
      const { event } = await captured.next(of("supervisor_report", supervisor), "supervisor report");
      const report = reportOf<{ errorContext: string; reason: Term; offender: { pid: Pid; id: Term } }>(event);
      assert.equal(report.errorContext, "child_terminated");
      assertTerm(report.reason, atom("crashed"));
      assertTerm(report.offender.pid, child);
      await captured.next(of("gen_server_terminate", child), "the child's terminate report");
      await captured.next(of("crash_report", child), "the child's crash report");
      self.send(boss, atom("stop"));
    });
  });

  it("a report keeps its fields as terms, and its text as the logging scheduler rendered it", async () => {
    const pid = await node.runtime.run((self) => loggingOn1(self, "logReport"));
    const { event, format } = await captured.next(of("test_report", pid), "the report");
    assert.equal(event.level, "notice");
    assertTerm(event.meta.tag as Term, atom("custom"));
    const report = reportOf<{
      pid: Pid;
      where: Term;
      nested: { list: Term[] };
      error: Error;
      notATerm: unknown;
    }>(event);
    assertTerm(report.pid, pid);
    assertTerm(report.where, tuple(atom("scheduler"), 1));
    assert.equal(report.nested.list[1], "two");
    assertTerm(report.nested.list[2]!, atom("three"));
    assert.ok(report.error instanceof Error);
    assert.equal(report.error.name, "RangeError");
    assert.equal(report.error.message, "out of range");
    assert.equal(typeof report.notATerm, "string");
    assert.equal(format.message(event), `report of ${format.term(pid)} on scheduler 1`);
  });

  it("the node's levels decide: info from scheduler 1 is dropped at notice and reaches the handlers at info", async () => {
    const logged = (level: string, words: string, seq: number) =>
      node.runtime.run((self) => loggingOn1(self, "logText", [atom(level), words, seq]));
    const seq = (n: number) => (e: LogEvent) => e.meta.seq === n;
    await logged("info", "dropped", 1);
    await logged("notice", "kept", 2);
    await captured.next(seq(2), "the notice event");
    assert.equal(
      captured.events.some(({ event }) => event.meta.seq === 1),
      false,
      "the info event logged before it did not come",
    );
    node.runtime.logger.setLevel("info");
    try {
      await logged("info", "heard", 3);
      const { event } = await captured.next(seq(3), "the info event at level info");
      assert.equal(text(event), "heard");
    } finally {
      node.runtime.logger.setLevel("notice");
    }
  });

  it("events come in the order logged, those logged just before the thread dies included", async () => {
    const count = 50;
    const first = captured.events.length;
    await node.runtime.run((self) => loggingOn1(self, "logThenEndThread", [count]));
    await captured.next((e) => text(e) === `event ${count}`, "the last event before the thread died");
    const texts = captured.events
      .slice(first)
      .map(({ event }) => text(event))
      .filter((t) => t.startsWith("event "));
    assert.deepEqual(
      texts,
      Array.from({ length: count }, (_, i) => `event ${i + 1}`),
    );
  });
});
