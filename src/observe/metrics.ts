// `/metrics`: this node in Prometheus's text exposition format (0.0.4), named by Prometheus's conventions (base
// units, `_total` for counters, `_ratio` for shares). Ratios and delays cover the time since the previous scrape
// (the first scrape starts the measuring); counters count from the node's start.
import { performance } from "node:perf_hooks";
import { LoadSampler } from "./load-sampler.ts";
import type { ObservedNode } from "./observed-node.ts";
import { ProcessMemory, poolLoad, processTotals } from "./views/local-overview.ts";

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [labels: Labels, value: number];

export class Metrics {
  private readonly sampler: LoadSampler;
  private readonly processMemory = new ProcessMemory();

  constructor(private readonly observed: ObservedNode) {
    this.sampler = new LoadSampler(observed.runtime);
  }

  /** Stops measuring the event loop (the observer is closing). */
  stop(): void {
    this.sampler.stop();
  }

  text(): string {
    const rt = this.observed.runtime;
    const load = this.sampler.sample();
    const out: string[] = [];
    const metric = (name: string, type: "gauge" | "counter", help: string, samples: readonly Sample[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${numberText(value)}`);
    };
    const one = (value: number | null | undefined): Sample[] => (value == null ? [] : [[{}, value]]);

    const processes = processTotals(this.observed);
    metric("otter_processes", "gauge", "Processes alive on this node, of every scheduler.", one(processes.count));
    metric(
      "otter_process_memory_bytes",
      "gauge",
      "Memory the processes hold, by the runtime's estimate.",
      one(this.processMemory.bytes(rt, processes.count)),
    );
    metric(
      "otter_run_queue_processes",
      "gauge",
      "Processes queued to run, on every scheduler.",
      one(processes.runQueue),
    );
    metric(
      "otter_messages_sent_total",
      "counter",
      "Messages sent by local processes or from outside any, and arrived from other nodes.",
      one(rt.messagesSent),
    );
    metric(
      "otter_event_loop_busy_seconds_total",
      "counter",
      "Time the event loop spent busy since the Node.js process started.",
      one(performance.eventLoopUtilization().active / 1000),
    );
    metric(
      "otter_event_loop_utilisation_ratio",
      "gauge",
      "Share of the time the event loop was busy since the previous scrape.",
      one(load.utilisation),
    );
    metric(
      "otter_event_loop_delay_mean_seconds",
      "gauge",
      "Mean event-loop delay since the previous scrape.",
      one(load.loopDelay === null ? null : load.loopDelay.meanMs / 1000),
    );
    metric(
      "otter_event_loop_delay_max_seconds",
      "gauge",
      "Longest event-loop delay since the previous scrape.",
      one(load.loopDelay === null ? null : load.loopDelay.maxMs / 1000),
    );
    this.dirty(metric);
    this.distribution(metric);
    metric(
      "process_resident_memory_bytes",
      "gauge",
      "Resident memory size of the Node.js process.",
      one(process.memoryUsage.rss()),
    );
    metric("otter_heap_used_bytes", "gauge", "JavaScript heap in use.", one(process.memoryUsage().heapUsed));
    metric("otter_uptime_seconds", "gauge", "Time since the Node.js process started.", one(process.uptime()));
    return `${out.join("\n")}\n`;
  }

  private dirty(metric: MetricWriter): void {
    const stats = this.observed.dirty?.stats();
    if (stats === undefined) return;
    const pools = [["cpu", stats.cpu] as const, ["io", stats.io] as const];
    metric(
      "otter_dirty_queued_calls",
      "gauge",
      "Dirty calls waiting for a worker.",
      pools.map(([pool, s]) => [{ pool }, poolLoad(s).queued]),
    );
    metric(
      "otter_dirty_busy_ratio",
      "gauge",
      "Share of a dirty pool's workers holding calls.",
      pools.map(([pool, s]) => [{ pool }, poolLoad(s).busy]),
    );
    metric(
      "otter_dirty_calls_total",
      "counter",
      "Dirty calls answered by a pool's workers.",
      pools.map(([pool, s]) => [{ pool }, s?.calls ?? 0]),
    );
  }

  private distribution(metric: MetricWriter): void {
    const rt = this.observed.runtime;
    const nodes = rt.nodes("connected");
    metric("otter_connected_nodes", "gauge", "Nodes connected to this one, visible and hidden.", [[{}, nodes.length]]);
    const stats = nodes.flatMap((node) => {
      const connection = this.observed.distribution?.connectionTo(node);
      return connection === undefined ? [] : [{ labels: { node: node.name }, stats: connection.stats }];
    });
    const counter = (name: string, help: string, key: keyof (typeof stats)[number]["stats"]) =>
      metric(
        name,
        "counter",
        help,
        stats.map(({ labels, stats }) => [labels, stats[key]] as const),
      );
    counter("otter_dist_bytes_in_total", "Bytes received from a connected node.", "bytesIn");
    counter("otter_dist_bytes_out_total", "Bytes sent to a connected node.", "bytesOut");
    counter("otter_dist_messages_in_total", "Messages received from a connected node.", "messagesIn");
    counter("otter_dist_messages_out_total", "Messages sent to a connected node.", "messagesOut");
  }
}

type MetricWriter = (name: string, type: "gauge" | "counter", help: string, samples: readonly Sample[]) => void;

/** `{a="x",b="y"}`, values escaped as the format says (backslash, double quote, newline). */
function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}
