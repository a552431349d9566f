// `/metrics`: every line is valid Prometheus text exposition (0.0.4) — HELP and TYPE before each family's samples,
// valid names, escaped labels, numeric values — and the values move with the node.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, type Runtime } from "../../../src/index.ts";
import { Metrics } from "../../../src/observe/metrics.ts";
import { observedRuntime } from "./support.ts";

interface Family {
  type: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

/** Parses the text format strictly: anything it does not expect fails the test. */
function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "the text ends with a line feed");
  const families = new Map<string, Family>();
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment;
      assert.match(name!, NAME);
      const family = families.get(name!) ?? { type: "", help: "", samples: [] };
      if (kind === "TYPE") {
        assert.ok(["counter", "gauge", "summary", "histogram", "untyped"].includes(rest!), `type ${rest}`);
        assert.equal(family.samples.length, 0, `TYPE ${name} before its samples`);
        family.type = rest!;
      } else family.help = rest!;
      families.set(name!, family);
      continue;
    }
    const sample = SAMPLE.exec(line);
    assert.ok(sample !== null, `a sample line: ${line}`);
    const [, name, , labelText, value] = sample;
    const family = families.get(name!);
    assert.ok(family !== undefined && family.type !== "", `HELP and TYPE before ${name}`);
    const labels: Record<string, string> = {};
    if (labelText !== undefined) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const match = LABEL.exec(labelText);
        assert.ok(match !== null, `labels of ${line}`);
        labels[match[1]!] = match[2]!;
      }
    }
    const number = Number(value);
    assert.ok(!Number.isNaN(number) || value === "NaN", `a number: ${value}`);
    if (family.type === "counter") assert.ok(name!.endsWith("_total"), `counter ${name} ends in _total`);
    family.samples.push({ labels, value: number });
  }
  return families;
}

function value(families: Map<string, Family>, name: string): number {
  const samples = families.get(name)?.samples;
  assert.ok(samples !== undefined && samples.length === 1, `one sample of ${name}`);
  return samples[0]!.value;
}

describe("/metrics", () => {
  const observed = observedRuntime();

  test("is Prometheus text, and its values move", async () => {
    const first = await fetch(`${observed.observer.url}metrics`);
    assert.equal(first.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const before = parseExposition(await first.text());
    for (const name of [
      "otter_processes",
      "otter_process_memory_bytes",
      "otter_messages_sent_total",
      "otter_event_loop_busy_seconds_total",
      "process_resident_memory_bytes",
      "otter_uptime_seconds",
    ]) {
      assert.ok(value(before, name) >= 0, name);
    }
    const sleepers = Array.from({ length: 20 }, () =>
      observed.rt.spawn(async (self) => {
        await self.receive((m) => m === atom("never"));
      }),
    );
    for (const pid of sleepers) for (let i = 0; i < 10; i++) observed.rt.send(pid, i);
    await observed.rt.idle();
    const later = parseExposition(await (await fetch(`${observed.observer.url}metrics`)).text());
    assert.equal(value(later, "otter_processes") - value(before, "otter_processes"), 20);
    assert.ok(value(later, "otter_messages_sent_total") - value(before, "otter_messages_sent_total") >= 200);
    assert.ok(value(later, "otter_process_memory_bytes") > value(before, "otter_process_memory_bytes"));
    assert.ok(value(later, "otter_uptime_seconds") > value(before, "otter_uptime_seconds"));
    const utilisation = value(later, "otter_event_loop_utilisation_ratio");
    assert.ok(utilisation >= 0 && utilisation <= 1, "since the previous scrape");
    // The delay is measured by a 10 ms timer: it has a figure once the timer has ticked since the last scrape.
    const deadline = performance.now() + 5000;
    let delays: Family | undefined;
    while (delays === undefined || delays.samples.length === 0) {
      assert.ok(performance.now() < deadline, "a loop delay within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
      delays = parseExposition(await (await fetch(`${observed.observer.url}metrics`)).text()).get(
        "otter_event_loop_delay_max_seconds",
      );
    }
    assert.ok(delays.samples[0]!.value >= 0);
  });

  test("a node's dirty pools and connections as labelled samples, label values escaped", () => {
    const node = {
      runtime: observed.rt,
      dirty: {
        stats: () => ({ cpu: { workers: 2, queued: 3, held: [1, 0], calls: 9 }, io: undefined }),
      },
      distribution: {
        connectionTo: () => ({ stats: { bytesIn: 10, bytesOut: 20, messagesIn: 1, messagesOut: 2 }, peerCreation: 1 }),
      },
    };
    // A runtime with "connected" nodes: the node list comes from the runtime, the stats from the distribution.
    const connected = Object.assign(Object.create(observed.rt) as Runtime, {
      nodes: () => [atom('we"ird\\node@host')],
    });
    const metrics = new Metrics({ ...node, runtime: connected });
    const families = parseExposition(metrics.text());
    metrics.stop();
    assert.deepEqual(families.get("otter_dirty_queued_calls")!.samples, [
      { labels: { pool: "cpu" }, value: 3 },
      { labels: { pool: "io" }, value: 0 },
    ]);
    assert.deepEqual(families.get("otter_dirty_busy_ratio")!.samples[0], { labels: { pool: "cpu" }, value: 0.5 });
    assert.deepEqual(families.get("otter_dist_bytes_out_total")!.samples, [
      { labels: { node: 'we\\"ird\\\\node@host' }, value: 20 },
    ]);
    assert.equal(value(families, "otter_connected_nodes"), 1);
  });
});
