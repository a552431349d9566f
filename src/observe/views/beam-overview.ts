// One overview sample of a BEAM node, from its BIFs: process count, run queue, erlang:memory/0, uptime, connected
// nodes. What only an event loop has (utilisation, loop delay, message rate, dirty pools) is null.
import { atom } from "../../term/atom.ts";
import { Tuple } from "../../term/types.ts";
import type { OverviewSample } from "../protocol.ts";
import { type BeamRpc, numberOf, proplist } from "./beam-rpc.ts";

export async function beamOverview(rpc: BeamRpc): Promise<OverviewSample> {
  const [count, runQueue, memory, wallClock, nodes] = await Promise.all([
    rpc.call("erlang", "system_info", [atom("process_count")]),
    rpc.call("erlang", "statistics", [atom("run_queue")]),
    rpc.call("erlang", "memory", []),
    rpc.call("erlang", "statistics", [atom("wall_clock")]),
    rpc.call("erlang", "nodes", [atom("connected")]),
  ]);
  const bytes = proplist(memory);
  return {
    time: Date.now(),
    // statistics(wall_clock) is {Total, SinceLastCall}: the total is the time since the node started.
    uptimeMs: wallClock instanceof Tuple ? (numberOf(wallClock.at(0)) ?? 0) : 0,
    processCount: numberOf(count) ?? 0,
    runQueue: numberOf(runQueue),
    memory: {
      total: numberOf(bytes.get("total")) ?? 0,
      heapUsed: numberOf(bytes.get("processes")),
      processes: numberOf(bytes.get("processes_used")),
    },
    utilisation: null,
    loopDelay: null,
    messagesPerSecond: null,
    dirty: null,
    connectedNodes: Array.isArray(nodes) ? nodes.length : 0,
  };
}
