// The control messages of connected nodes (OTP 25–28) as one typed union, and their operation codes.
//
// One shape per signal, whatever wire form carried it: a SEND, SEND_SENDER or their _TT variants all arrive
// as `{ op: "send" }`; EXIT and PAYLOAD_EXIT (whose reason travels as the payload term) both as `{ op: "exit" }`.
// `token` is the seq_trace token of the _TT forms, absent otherwise.
import type { Atom } from "../../term/atom.ts";
import type { Pid, Ref, Term } from "../../term/types.ts";

/** The operation codes of control tuples (erl_dist_protocol.md; dist.h `DOP_*`). */
export const DOP = {
  LINK: 1,
  SEND: 2,
  EXIT: 3,
  UNLINK: 4,
  REG_SEND: 6,
  GROUP_LEADER: 7,
  EXIT2: 8,
  SEND_TT: 12,
  EXIT_TT: 13,
  REG_SEND_TT: 16,
  EXIT2_TT: 18,
  MONITOR_P: 19,
  DEMONITOR_P: 20,
  MONITOR_P_EXIT: 21,
  SEND_SENDER: 22,
  SEND_SENDER_TT: 23,
  PAYLOAD_EXIT: 24,
  PAYLOAD_EXIT_TT: 25,
  PAYLOAD_EXIT2: 26,
  PAYLOAD_EXIT2_TT: 27,
  PAYLOAD_MONITOR_P_EXIT: 28,
  SPAWN_REQUEST: 29,
  SPAWN_REQUEST_TT: 30,
  SPAWN_REPLY: 31,
  SPAWN_REPLY_TT: 32,
  ALIAS_SEND: 33,
  ALIAS_SEND_TT: 34,
  UNLINK_ID: 35,
  UNLINK_ID_ACK: 36,
  ALTACT_SIG_SEND: 37,
} as const;

/** The flag bits of ALTACT_SIG_SEND's second element (dist.h `ERTS_DOP_ALTACT_SIG_FLG_*`). */
export const ALTACT_FLAG = { PRIO: 1, TOKEN: 2, ALIAS: 4, NAME: 8, EXIT: 16 } as const;

/** `from` links to `to`. */
export interface LinkMessage {
  op: "link";
  from: Pid;
  to: Pid;
}

/** A message to a pid. `from` is the sender when the SEND_SENDER form carried it. */
export interface SendMessage {
  op: "send";
  to: Pid;
  message: Term;
  from?: Pid;
  token?: Term;
}

/** A message to a registered name on the receiving node. */
export interface RegSendMessage {
  op: "reg_send";
  from: Pid;
  to: Atom;
  message: Term;
  token?: Term;
}

/** `from`, linked to `to`, exited with `reason`. */
export interface ExitMessage {
  op: "exit";
  from: Pid;
  to: Pid;
  reason: Term;
  token?: Term;
}

/** `exit(To, Reason)` called by `from`. */
export interface Exit2Message {
  op: "exit2";
  from: Pid;
  to: Pid;
  reason: Term;
  token?: Term;
}

/** `group_leader(Leader, To)`: `leader` becomes the group leader of `to`. */
export interface GroupLeaderMessage {
  op: "group_leader";
  leader: Pid;
  to: Pid;
}

/** `from` monitors `to` (a pid, or a name registered on the receiving node) under `ref`. */
export interface MonitorMessage {
  op: "monitor";
  from: Pid;
  to: Pid | Atom;
  ref: Ref;
}

/** `from` drops the monitor `ref` of `to`. */
export interface DemonitorMessage {
  op: "demonitor";
  from: Pid;
  to: Pid | Atom;
  ref: Ref;
}

/** The process (or name) `from`, monitored by `to` under `ref`, went down with `reason`. */
export interface MonitorExitMessage {
  op: "monitor_exit";
  from: Pid | Atom;
  to: Pid;
  ref: Ref;
  reason: Term;
}

/** `spawn_request`: spawn `module:function(args…)` on the receiving node for `from`. */
export interface SpawnRequestMessage {
  op: "spawn_request";
  ref: Ref;
  from: Pid;
  groupLeader: Pid;
  module: Atom;
  function: Atom;
  arity: number;
  options: readonly Term[];
  args: readonly Term[];
  token?: Term;
}

/** The answer to a spawn request: the new pid, or an atom saying why not. `flags`: 1 = linked, 2 = monitored. */
export interface SpawnReplyMessage {
  op: "spawn_reply";
  ref: Ref;
  to: Pid;
  flags: number;
  result: Pid | Atom;
  token?: Term;
}

/** A message to a process alias (ALIAS_SEND; sent as ALTACT_SIG_SEND to peers with ALTACT_SIG). */
export interface AliasSendMessage {
  op: "alias_send";
  from: Pid;
  to: Ref;
  message: Term;
  token?: Term;
}

/** `from` unlinks from `to`; `id` (1 … 2^64−1) comes back in the acknowledgement. */
export interface UnlinkIdMessage {
  op: "unlink_id";
  id: bigint;
  from: Pid;
  to: Pid;
}

/** `from` acknowledges the UNLINK_ID `id` that `to` sent. */
export interface UnlinkIdAckMessage {
  op: "unlink_id_ack";
  id: bigint;
  from: Pid;
  to: Pid;
}

/**
 * OTP 28's alternative signal: a message (or, with `exit`, an exit signal whose reason is `payload`) to a pid,
 * a registered name or an alias, possibly with priority.
 */
export interface AltactSigSendMessage {
  op: "altact_sig_send";
  from: Pid;
  to: Pid | Atom | Ref;
  payload: Term;
  exit: boolean;
  priority: boolean;
  token?: Term;
}

export type ControlMessage =
  | LinkMessage
  | SendMessage
  | RegSendMessage
  | ExitMessage
  | Exit2Message
  | GroupLeaderMessage
  | MonitorMessage
  | DemonitorMessage
  | MonitorExitMessage
  | SpawnRequestMessage
  | SpawnReplyMessage
  | AliasSendMessage
  | UnlinkIdMessage
  | UnlinkIdAckMessage
  | AltactSigSendMessage;
