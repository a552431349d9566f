// A BEAM node's connections: net_kernel:nodes_info/0 (type, and `in`/`out`, the packets through each connection),
// with bytes from inet:getstat/2 on each connection's port (erlang:system_info(dist_ctrl)); a connection that is
// no port (TLS, a custom carrier) has no byte counts. BEAM keeps no time of the last tick heard: null.
import { Atom, atom } from "../../term/atom.ts";
import { Port, type Term, Tuple } from "../../term/types.ts";
import type { ConnectionEntry } from "../protocol.ts";
import { type BeamRpc, numberOf, proplist } from "./beam-rpc.ts";

const BYTE_COUNTERS = [atom("recv_oct"), atom("send_oct")];

export async function beamConnections(rpc: BeamRpc): Promise<ConnectionEntry[]> {
  const [info, controls] = await Promise.all([
    rpc.call("net_kernel", "nodes_info", []),
    rpc.call("erlang", "system_info", [atom("dist_ctrl")]),
  ]);
  const ports = new Map<string, Port>();
  for (const [node, control] of pairs(controls)) if (control instanceof Port) ports.set(node, control);
  const nodes = info instanceof Tuple && Array.isArray(info.at(1)) ? pairs(info.at(1)) : [];
  const entries = await Promise.all(
    nodes.map(async ([node, details]): Promise<ConnectionEntry> => {
      const items = proplist(details);
      const bytes = await byteCounts(rpc, ports.get(node));
      return {
        node,
        kind: items.get("type") === atom("hidden") ? "hidden" : "visible",
        bytesIn: bytes?.get("recv_oct") ?? null,
        bytesOut: bytes?.get("send_oct") ?? null,
        messagesIn: numberOf(items.get("in")),
        messagesOut: numberOf(items.get("out")),
        lastHeardMs: null,
      };
    }),
  );
  return entries.sort((a, b) => (a.node < b.node ? -1 : 1));
}

/** The `{Node, Value}` pairs of a list, by node name. */
function pairs(term: Term | undefined): [string, Term][] {
  if (!Array.isArray(term)) return [];
  return term
    .filter((t): t is Tuple => t instanceof Tuple && t.size === 2 && t.at(0) instanceof Atom)
    .map((t) => [(t.at(0) as Atom).name, t.at(1)!]);
}

async function byteCounts(rpc: BeamRpc, port: Port | undefined): Promise<Map<string, number> | undefined> {
  if (port === undefined) return undefined;
  try {
    const answer = await rpc.call("inet", "getstat", [port, BYTE_COUNTERS]);
    if (!(answer instanceof Tuple) || answer.at(0) !== atom("ok")) return undefined;
    const counts = new Map<string, number>();
    for (const [key, value] of proplist(answer.at(1)!)) counts.set(key, numberOf(value) ?? 0);
    return counts;
  } catch {
    return undefined;
  }
}
