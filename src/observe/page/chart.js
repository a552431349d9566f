// A live line chart on uPlot: a rolling window of samples, coloured from the page's theme, resized with its box.
import { h } from "./dom.js";

/** Ten minutes at the default interval; older samples scroll off. */
const KEPT_SAMPLES = 600;
const HEIGHT = 140;

/** The x axis ticks whole seconds and minutes (its labels have no fractions of a second). */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** An x-axis tick (seconds since the epoch) as the time of day; the date is today's, not worth a line. */
function clockTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

/**
 * `series`: `[{ label, color }]` where color names a CSS variable (`--chart-1`); `format(value)` labels the y axis
 * and the legend. Rows are `[timeMs, value1, value2, …]`, a value null where the node cannot tell.
 */
export class LiveChart {
  constructor(parent, { title, testid, series, format, max }) {
    this.series = series;
    this.format = format;
    this.max = max;
    this.columns = [[], ...series.map(() => [])];
    this.plotBox = h("div", { class: "chart-plot" });
    this.element = h(
      "figure",
      { class: "chart", dataset: { testid, samples: "0" } },
      h("figcaption", {}, title),
      this.plotBox,
    );
    parent.append(this.element);
    this.plot = null;
    this.resizeObserver = new ResizeObserver(() => this.fitWidth());
    this.resizeObserver.observe(this.plotBox);
  }

  /** Starts over from `rows` (the history a watch begins with). */
  replace(rows) {
    this.columns = this.columns.map(() => []);
    for (const row of rows.slice(-KEPT_SAMPLES)) this.addRow(row);
    this.redraw();
  }

  append(row) {
    if (!this.addRow(row)) return;
    if (this.columns[0].length > KEPT_SAMPLES) for (const column of this.columns) column.shift();
    this.redraw();
  }

  /** Adds a row later than the last one; false for one the chart already has (the history may end with it). */
  addRow(row) {
    const times = this.columns[0];
    const time = row[0] / 1000; // uPlot's time scale counts seconds
    if (times.length > 0 && time <= times[times.length - 1]) return false;
    times.push(time);
    for (let i = 1; i < this.columns.length; i++) this.columns[i].push(row[i] ?? null);
    return true;
  }

  redraw() {
    this.element.dataset.samples = String(this.columns[0].length);
    if (this.plot === null) this.plot = this.create();
    else this.plot.setData(this.columns);
    this.showLatest(this.plot);
  }

  /** Without a cursor on the chart, the legend shows the latest values (uPlot's would show none). */
  showLatest(plot) {
    const last = this.columns[0].length - 1;
    if (last >= 0 && plot.cursor.idx == null) plot.setLegend({ idx: last });
  }

  /** Rebuilds the plot, e.g. when the colour scheme changes. */
  restyle() {
    this.plot?.destroy();
    this.plot = null;
    this.redraw();
  }

  fitWidth() {
    const width = this.plotBox.clientWidth;
    if (this.plot !== null && width > 0 && width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
  }

  create() {
    const style = getComputedStyle(document.documentElement);
    const color = (name) => style.getPropertyValue(name).trim();
    const axis = {
      stroke: color("--muted"),
      grid: { stroke: color("--grid"), width: 1 },
      ticks: { stroke: color("--grid"), width: 1 },
      font: "11px system-ui, sans-serif",
    };
    const format = this.format;
    const max = this.max;
    return new globalThis.uPlot(
      {
        width: Math.max(this.plotBox.clientWidth, 200),
        height: HEIGHT,
        cursor: { drag: { x: false, y: false } },
        hooks: { setCursor: [(plot) => this.showLatest(plot)] },
        legend: { live: true },
        scales: {
          // One sample has no span of time: show the minute before it rather than uPlot's guess of years.
          x: { time: true, range: (_plot, low, high) => (low === high ? [low - 60, high] : [low, high]) },
          y: { range: (_plot, _min, high) => [0, max ?? (high > 0 ? high * 1.15 : 1)] },
        },
        axes: [
          { ...axis, space: 70, incrs: TIME_STEPS, values: (_plot, ticks) => ticks.map(clockTime) },
          { ...axis, size: 64, values: (_plot, ticks) => ticks.map(format) },
        ],
        series: [
          { value: "{HH}:{mm}:{ss}" },
          ...this.series.map((s) => ({
            label: s.label,
            stroke: color(s.color),
            fill: `${color(s.color)}22`,
            width: 1.5,
            value: (_plot, value) => (value === null || value === undefined ? "—" : format(value)),
          })),
        ],
      },
      this.columns,
      this.plotBox,
    );
  }
}
