// What a page may do to a process, on any node it shows: kill it (an exit signal, `kill` unless another reason is
// typed) or send it a message, both typed in Erlang syntax. They go through the runtime's public API (`exit`,
// `send`) as any code does: to another node's process over the distribution, from this node's root pid. A process of
// this node may be on any of its schedulers: whether it lives is asked of the one it is on.
import { KILL, type Runtime } from "../runtime/index.ts";
import type { Action } from "./protocol.ts";
import { BadRequest } from "./requests.ts";
import { type NodeIdentity, pidFromText, termFromText } from "./term-text.ts";

export async function act(rt: Runtime, at: NodeIdentity, action: Action): Promise<void> {
  const pid = pidFromText(action.pid, at);
  if (pid.node !== at.node)
    throw new BadRequest(`${action.pid} is a process of ${pid.node.name}, not of ${at.node.name}`);
  if (pid.node === rt.node && !(await rt.nodeIsAlive(pid))) throw new BadRequest(`no process ${action.pid}`);
  if (action.kind === "kill") {
    rt.exit(pid, action.reason === undefined ? KILL : termFromText(action.reason, at, "exit reason"));
  } else {
    rt.send(pid, termFromText(action.message, at, "message"));
  }
}
