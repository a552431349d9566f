// One process of a BEAM node in detail: process_info/2 for the items observer's process window shows, and
// sys:get_state/2 (with a short timeout) when it was started by proc_lib, the processes that answer system messages.
import { Atom, atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { type Term, Tuple, tuple } from "../../term/types.ts";
import type { ProcessDetail } from "../protocol.ts";
import { BadRequest } from "../requests.ts";
import { mfaText, pidFromText } from "../term-text.ts";
import { type BeamRpc, numberOf, proplist } from "./beam-rpc.ts";

const DETAIL_ITEMS = [
  "registered_name",
  "current_function",
  "initial_call",
  "status",
  "message_queue_len",
  "memory",
  "reductions",
  "links",
  "monitors",
  "monitored_by",
  "trap_exit",
  "priority",
  "group_leader",
  "total_heap_size",
  "heap_size",
  "stack_size",
  "dictionary",
];
const PROC_LIB_START = tuple(atom("proc_lib"), atom("init_p"), 5);
/** How long a process gets to answer sys:get_state. */
const STATE_TIMEOUT_MS = 500;

type InfoValue = ProcessDetail["info"][string];

export async function beamProcessDetail(rpc: BeamRpc, pidText: string): Promise<ProcessDetail> {
  const pid = pidFromText(pidText, rpc.identity);
  if (pid.node !== rpc.node)
    throw new BadRequest(`${pidText} is a process of ${pid.node.name}, not of ${rpc.node.name}`);
  const shown = rpc.text(pid);
  const answer = await rpc.call("erlang", "process_info", [pid, DETAIL_ITEMS.map((item) => atom(item))]);
  if (!Array.isArray(answer)) return { pid: shown, alive: false, info: {}, state: null };
  const items = proplist(answer);
  const info: Record<string, InfoValue> = {};
  for (const [key, value] of items) info[key] = infoValue(key, value, rpc);
  const initialCall = items.get("initial_call");
  const state = initialCall !== undefined && equals(initialCall, PROC_LIB_START) ? await stateOf(rpc, pid) : null;
  return { pid: shown, alive: true, info, state };
}

function infoValue(key: string, value: Term, rpc: BeamRpc): InfoValue {
  if (key === "registered_name") return value instanceof Atom ? value.name : null;
  if (key === "current_function" || key === "initial_call") return mfaText(value, rpc.identity);
  if (key === "links" || key === "monitored_by") return Array.isArray(value) ? value.map((v) => rpc.text(v)) : [];
  // monitors: `{process, Pid}` or `{process, {Name, Node}}` (and `{port, …}`): the monitored thing.
  if (key === "monitors") {
    return Array.isArray(value) ? value.map((m) => rpc.text(m instanceof Tuple && m.size === 2 ? m.at(1)! : m)) : [];
  }
  if (typeof value === "boolean") return value;
  return numberOf(value) ?? (value instanceof Atom ? value.name : rpc.text(value));
}

async function stateOf(rpc: BeamRpc, pid: Term): Promise<string | null> {
  try {
    return rpc.text(await rpc.call("sys", "get_state", [pid, STATE_TIMEOUT_MS], STATE_TIMEOUT_MS * 3));
  } catch {
    return null;
  }
}
