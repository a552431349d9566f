// One process of this node in detail: its process_info items, and its state through `sys.getState` when it is a
// behaviour that answers system messages (asked with a deadline; a plain async process is never sent one, so the
// observer leaves nothing in its queue).

import { sys } from "../../otp/sys.ts";
import type { RegisteredName, Runtime } from "../../runtime/index.ts";
import { Pid, tuple } from "../../term/types.ts";
import type { ProcessDetail } from "../protocol.ts";
import { BadRequest } from "../requests.ts";
import { type NodeIdentity, pidFromText, termText } from "../term-text.ts";
import { boundedCall } from "./bounded-call.ts";

/** The behaviours whose loop handles `{system, From, Request}` (their ProcessInfo.currentFunction). */
const SYSTEM_MESSAGE_LOOPS: ReadonlySet<string> = new Set(["gen_server", "gen_statem"]);
/** How long a process gets to answer `sys.getState`. */
export const STATE_TIMEOUT_MS = 500;

export async function localProcessDetail(rt: Runtime, pidText: string, at: NodeIdentity): Promise<ProcessDetail> {
  const pid = pidFromText(pidText, at);
  if (pid.node !== rt.node) throw new BadRequest(`${pidText} is a process of ${pid.node.name}, not of this node`);
  const shown = termText(pid, at);
  const [info] = await rt.nodeProcessInfo([pid]); // a process of any of the node's schedulers
  if (info === undefined) return { pid: shown, alive: false, info: {}, state: null };
  const state = SYSTEM_MESSAGE_LOOPS.has(info.currentFunction) ? await stateOf(rt, pid, at) : null;
  const list = (items: readonly (Pid | RegisteredName)[]) =>
    items.map((item) => termText(item instanceof Pid ? item : tuple(item.name, item.node), at));
  return {
    pid: shown,
    alive: await rt.nodeIsAlive(pid),
    info: {
      registered_name: info.registeredName?.name ?? null,
      current_function: info.currentFunction,
      status: info.status,
      message_queue_len: info.messageQueueLen,
      memory: info.memory,
      reductions: info.reductions,
      links: list(info.links),
      monitors: list(info.monitors),
      monitored_by: list(info.monitoredBy),
      trap_exit: info.trapExit,
      priority: info.priority,
      group_leader: info.groupLeader === undefined ? null : termText(info.groupLeader, at),
      dirty_calls_waiting: info.dirty.waiting,
      dirty_calls_inline: info.dirty.inline,
      dirty_calls_on_pools: info.dirty.dirty,
    },
    state,
  };
}

/** `sys.getState(pid)` as text, or null when it does not answer in time. */
async function stateOf(rt: Runtime, pid: Pid, at: NodeIdentity): Promise<string | null> {
  try {
    const state = await boundedCall(rt, STATE_TIMEOUT_MS * 2, "sys.getState", (self) =>
      sys.getState(self, pid, { timeout: STATE_TIMEOUT_MS }),
    );
    return termText(state, at);
  } catch {
    return null;
  }
}
