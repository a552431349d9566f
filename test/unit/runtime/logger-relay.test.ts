// The logger's relay, as a scheduler's thread uses it toward its node's logger: the node's logger publishes its
// threshold to a shared word, which follows its primary level and its handlers' levels; the relaying logger sends
// at once (in the logging step, before any handler runs) every event that threshold lets through and nothing else;
// `relayed` hands an event to the node's handlers as its levels allow; and a report crosses with its fields and text.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { logRelay, type RelayedEvent, relayedEvent } from "../../../src/cluster/schedulers/log-relay.ts";
import {
  atom,
  equals,
  type LogEvent,
  type LogFormat,
  type LoggerOptions,
  type LogReport,
  logger,
  Pid,
  Runtime,
  tuple,
} from "../../../src/index.ts";
import { ManualClock } from "../../../src/testing/index.ts";

const NONE = -1;
const NOTICE = 5;
const INFO = 6;
const DEBUG = 7;

function runtime(t: { after(fn: () => void): void }, logger: LoggerOptions) {
  const rt = new Runtime({ clock: new ManualClock(), logger });
  t.after(() => rt.shutdown());
  return rt;
}

describe("the logger's relay", () => {
  test("the node's logger publishes its threshold: primary level and handlers' levels", (t) => {
    const rt = runtime(t, { handlers: {} });
    const word = new Int32Array(new SharedArrayBuffer(4));
    rt.logger.shareThreshold(word);
    assert.equal(word[0], NONE, "no handler: nothing would be taken");
    rt.logger.addHandler("h", () => {}, { level: "info" });
    assert.equal(word[0], NOTICE, "the primary level (notice) is below the handler's");
    rt.logger.setLevel("all");
    assert.equal(word[0], INFO, "the handler's level");
    rt.logger.setHandlerLevel("h", "all");
    assert.equal(word[0], DEBUG);
    rt.logger.removeHandler("h");
    assert.equal(word[0], NONE);
  });

  test("a relaying logger sends at once what the shared threshold lets through, and only that", (t) => {
    const threshold = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(threshold, 0, NOTICE);
    const sent: LogEvent[] = [];
    const rt = runtime(t, { handlers: {}, relay: { threshold, send: (event) => sent.push(event) } });
    rt.logger.info("dropped");
    rt.logger.warning("sent");
    assert.deepEqual(
      sent.map((e) => e.msg),
      ["sent"],
      "sent synchronously",
    );
    assert.equal(rt.logger.allows("info"), false);
    Atomics.store(threshold, 0, INFO);
    assert.equal(rt.logger.allows("info"), true, "the node's level, read at each call");
    rt.logger.info("now sent");
    assert.equal(sent.at(-1)?.msg, "now sent");
  });

  test("relayed events reach the node's handlers as their levels allow, a report with its fields and text", async (t) => {
    const got: { event: LogEvent; format: LogFormat }[] = [];
    const node = runtime(t, { handlers: { h: (event, format) => got.push({ event, format }) } });
    const crossing: RelayedEvent[] = [];
    const threshold = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(threshold, 0, DEBUG); // a relay that sends everything: the node's logger filters again
    const worker = runtime(t, { handlers: {}, relay: logRelay(threshold, (e) => crossing.push(e)) });
    const pid = new Pid(worker.node, 42, 0, worker.creation);
    await worker.run(async (self) => {
      logger(self).info("below the node's level");
      logger(self).error(
        { report: { who: pid, what: tuple(atom("a"), "b"), nested: { n: [1] } }, format: () => "rendered there" },
        { what: "test" },
      );
    });
    assert.equal(crossing.length, 2);
    for (const e of crossing) node.logger.relayed(relayedEvent(structuredClone(e))); // as it crosses threads
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(got.length, 1, "the info event is below the node's notice");
    const { event, format } = got[0]!;
    assert.equal(event.level, "error");
    assert.equal(event.meta.what, "test");
    const report = (event.msg as LogReport<{ who: Pid; what: unknown; nested: { n: number[] } }>).report;
    assert.ok(equals(report.who, pid));
    assert.ok(equals(report.what as never, tuple(atom("a"), "b")));
    assert.deepEqual(report.nested, { n: [1] });
    assert.equal(format.message(event), "rendered there");
  });
});
