// The overview: the node's vital numbers as cards, and their recent past as live charts.
import { LiveChart } from "../chart.js";
import { fill, h, setText } from "../dom.js";
import * as fmt from "../format.js";

/** The cards: a test id, a label, the main value and a line below it, each from one sample. */
const CARDS = [
  { key: "uptime", label: "Uptime", value: (s) => fmt.duration(s.uptimeMs) },
  { key: "processes", label: "Processes", value: (s) => fmt.count(s.processCount) },
  {
    key: "memory",
    label: "Memory",
    value: (s) => fmt.bytes(s.memory.total),
    detail: (s) => `heap ${fmt.bytes(s.memory.heapUsed)}`,
  },
  { key: "run-queue", label: "Run queue", value: (s) => fmt.count(s.runQueue) },
  {
    key: "utilisation",
    label: "Event loop (busy)",
    value: (s) => fmt.percent(s.utilisation),
    detail: (s) =>
      s.loopDelay === null
        ? "no event loop"
        : `delay ${fmt.millis(s.loopDelay.meanMs)}, max ${fmt.millis(s.loopDelay.maxMs)}`,
  },
  {
    key: "messages",
    label: "Messages",
    value: (s) => fmt.rate(s.messagesPerSecond),
    detail: () => "sent, and arrived from other nodes",
  },
  {
    key: "dirty",
    label: "Dirty pools (busiest)",
    value: (s) => (s.dirty === null ? "—" : fmt.percent(Math.max(s.dirty.cpu.busy, s.dirty.io.busy))),
    detail: (s) =>
      s.dirty === null ? "none" : `cpu ${fmt.percent(s.dirty.cpu.busy)} · io ${fmt.percent(s.dirty.io.busy)}`,
  },
  { key: "nodes", label: "Connected nodes", value: (s) => fmt.count(s.connectedNodes) },
];

/** The charts: a test id, a title, its series and the row each sample gives. */
const CHARTS = [
  {
    testid: "chart-processes",
    title: "Processes",
    series: [{ label: "processes", color: "--chart-1" }],
    format: fmt.compact,
    row: (s) => [s.processCount],
  },
  {
    testid: "chart-memory",
    title: "Memory",
    series: [
      { label: "total (RSS)", color: "--chart-1" },
      { label: "heap used", color: "--chart-2" },
      { label: "processes", color: "--chart-3" },
    ],
    format: fmt.bytes,
    row: (s) => [s.memory.total, s.memory.heapUsed, s.memory.processes],
  },
  {
    testid: "chart-load",
    title: "Load",
    series: [
      { label: "event loop", color: "--chart-1" },
      { label: "dirty cpu", color: "--chart-2" },
      { label: "dirty io", color: "--chart-3" },
    ],
    format: (v) => `${Math.round(v * 100)} %`,
    max: 1,
    row: (s) => [s.utilisation, s.dirty?.cpu.busy ?? null, s.dirty?.io.busy ?? null],
  },
  {
    testid: "chart-delay",
    title: "Event-loop delay",
    series: [
      { label: "mean", color: "--chart-1" },
      { label: "max", color: "--chart-4" },
    ],
    format: fmt.millis,
    row: (s) => [s.loopDelay?.meanMs ?? null, s.loopDelay?.maxMs ?? null],
  },
  {
    testid: "chart-messages",
    title: "Messages per second",
    series: [{ label: "sent", color: "--chart-2" }],
    format: fmt.compact,
    row: (s) => [s.messagesPerSecond],
  },
  {
    testid: "chart-queues",
    title: "Queues",
    series: [
      { label: "run queue", color: "--chart-1" },
      { label: "dirty cpu", color: "--chart-2" },
      { label: "dirty io", color: "--chart-3" },
    ],
    format: fmt.compact,
    row: (s) => [s.runQueue, s.dirty?.cpu.queued ?? null, s.dirty?.io.queued ?? null],
  },
];

export function createOverview(section) {
  const values = new Map();
  const details = new Map();
  const cards = CARDS.map((card) => {
    const value = h("div", { class: "card-value", dataset: { testid: `stat-${card.key}` } }, "—");
    const detail = h("div", { class: "card-detail" }, card.detail ? "" : "\u00a0");
    values.set(card.key, value);
    details.set(card.key, detail);
    return h("div", { class: "card" }, h("div", { class: "card-label" }, card.label), value, detail);
  });
  const stamp = h("span", { class: "muted", dataset: { testid: "overview-time" } });
  const chartGrid = h("div", { class: "charts" });
  fill(
    section,
    h("div", { class: "section-head" }, h("h2", {}, "Overview"), stamp),
    h("div", { class: "cards" }, cards),
    chartGrid,
  );
  const charts = CHARTS.map((spec) => ({ spec, chart: new LiveChart(chartGrid, spec) }));
  const rowOf = (spec, sample) => [sample.time, ...spec.row(sample)];

  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    for (const { chart } of charts) chart.restyle();
  });

  return {
    /** A pushed overview: the history (on a new watch) replaces the charts' data; a lone sample extends it. */
    update({ sample, history }) {
      for (const card of CARDS) {
        setText(values.get(card.key), card.value(sample));
        if (card.detail) setText(details.get(card.key), card.detail(sample));
      }
      setText(stamp, `as of ${new Date(sample.time).toLocaleTimeString()}`);
      for (const { spec, chart } of charts) {
        if (history !== undefined) chart.replace([...history, sample].map((s) => rowOf(spec, s)));
        else chart.append(rowOf(spec, sample));
      }
    },
    /** Another node: its samples must not continue this one's lines. */
    reset() {
      for (const { chart } of charts) chart.replace([]);
    },
  };
}
