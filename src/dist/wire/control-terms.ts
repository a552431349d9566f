// Writing a control message as the control tuple (and payload term) OTP would send under the negotiated flags.
//
// The forms follow OTP's `erts_dsig_send_*` (dist.c): SEND_SENDER when DFLAG_SEND_SENDER was negotiated (and a
// sender is known), the PAYLOAD_ exit forms when DFLAG_EXIT_PAYLOAD was, ALIAS_SEND for messages to an alias
// (ALTACT_SIG_SEND when DFLAG_ALTACT_SIG was, as OTP 28 does), UNLINK_ID for unlinking (UNLINK is never sent).
// A _TT form is chosen when the message carries a seq_trace token.
import { Atom, atom } from "../../term/atom.ts";
import { Ref, type Term, Tuple } from "../../term/types.ts";
import { DFlag } from "../flags.ts";
import { ALTACT_FLAG, type AltactSigSendMessage, type ControlMessage, DOP } from "./control.ts";

/** The atom '' that fills the unused slot of SEND and REG_SEND. */
const EMPTY = atom("");

/** A control tuple and the term sent after it, if any. */
export interface ControlTerms {
  control: Tuple;
  payload?: Term;
}

/** The control tuple and payload for `msg` toward a peer with the negotiated `flags`. */
export function controlTerms(msg: ControlMessage, flags: bigint): ControlTerms {
  const exitPayload = (flags & DFlag.EXIT_PAYLOAD) !== 0n;
  switch (msg.op) {
    case "link":
      return { control: new Tuple([DOP.LINK, msg.from, msg.to]) };
    case "send": {
      const { token } = msg;
      if (msg.from !== undefined && (flags & DFlag.SEND_SENDER) !== 0n) {
        return traced(DOP.SEND_SENDER, DOP.SEND_SENDER_TT, [msg.from, msg.to], token, msg.message);
      }
      return traced(DOP.SEND, DOP.SEND_TT, [EMPTY, msg.to], token, msg.message);
    }
    case "reg_send":
      return traced(DOP.REG_SEND, DOP.REG_SEND_TT, [msg.from, EMPTY, msg.to], msg.token, msg.message);
    case "exit":
      if (exitPayload) return traced(DOP.PAYLOAD_EXIT, DOP.PAYLOAD_EXIT_TT, [msg.from, msg.to], msg.token, msg.reason);
      return inlineReason(DOP.EXIT, DOP.EXIT_TT, [msg.from, msg.to], msg.token, msg.reason);
    case "exit2":
      if (exitPayload)
        return traced(DOP.PAYLOAD_EXIT2, DOP.PAYLOAD_EXIT2_TT, [msg.from, msg.to], msg.token, msg.reason);
      return inlineReason(DOP.EXIT2, DOP.EXIT2_TT, [msg.from, msg.to], msg.token, msg.reason);
    case "group_leader":
      return { control: new Tuple([DOP.GROUP_LEADER, msg.leader, msg.to]) };
    case "monitor":
      return { control: new Tuple([DOP.MONITOR_P, msg.from, msg.to, msg.ref]) };
    case "demonitor":
      return { control: new Tuple([DOP.DEMONITOR_P, msg.from, msg.to, msg.ref]) };
    case "monitor_exit":
      if (exitPayload) {
        return { control: new Tuple([DOP.PAYLOAD_MONITOR_P_EXIT, msg.from, msg.to, msg.ref]), payload: msg.reason };
      }
      return { control: new Tuple([DOP.MONITOR_P_EXIT, msg.from, msg.to, msg.ref, msg.reason]) };
    case "spawn_request": {
      const mfa = new Tuple([msg.module, msg.function, msg.arity]);
      const fields = [msg.ref, msg.from, msg.groupLeader, mfa, msg.options];
      return traced(DOP.SPAWN_REQUEST, DOP.SPAWN_REQUEST_TT, fields, msg.token, msg.args);
    }
    case "spawn_reply":
      return traced(DOP.SPAWN_REPLY, DOP.SPAWN_REPLY_TT, [msg.ref, msg.to, msg.flags, msg.result], msg.token);
    case "alias_send":
      if ((flags & DFlag.ALTACT_SIG) !== 0n) {
        const { from, to, message, token } = msg;
        return altactTerms({ op: "altact_sig_send", from, to, payload: message, exit: false, priority: false, token });
      }
      return traced(DOP.ALIAS_SEND, DOP.ALIAS_SEND_TT, [msg.from, msg.to], msg.token, msg.message);
    case "unlink_id":
      return { control: new Tuple([DOP.UNLINK_ID, msg.id, msg.from, msg.to]) };
    case "unlink_id_ack":
      return { control: new Tuple([DOP.UNLINK_ID_ACK, msg.id, msg.from, msg.to]) };
    case "altact_sig_send":
      return altactTerms(msg);
  }
}

/** `{Op, Fields…}` or `{OpTT, Fields…, Token}`, then `payload` if given. */
function traced(op: number, opTT: number, fields: Term[], token: Term | undefined, payload?: Term): ControlTerms {
  const control = token === undefined ? new Tuple([op, ...fields]) : new Tuple([opTT, ...fields, token]);
  return payload === undefined ? { control } : { control, payload };
}

/** The old exit forms, reason inside the tuple after the token: `{Op, From, To[, Token], Reason}`. */
function inlineReason(op: number, opTT: number, fields: Term[], token: Term | undefined, reason: Term): ControlTerms {
  return {
    control: token === undefined ? new Tuple([op, ...fields, reason]) : new Tuple([opTT, ...fields, token, reason]),
  };
}

/** `{37, Flags, From, To[, Token]}` + payload, the flags saying what `to` is and what the signal is. */
function altactTerms(msg: AltactSigSendMessage): ControlTerms {
  let flags = 0;
  if (msg.to instanceof Ref) flags |= ALTACT_FLAG.ALIAS;
  else if (msg.to instanceof Atom) flags |= ALTACT_FLAG.NAME;
  if (msg.priority) flags |= ALTACT_FLAG.PRIO;
  if (msg.exit) flags |= ALTACT_FLAG.EXIT;
  if (msg.token !== undefined) flags |= ALTACT_FLAG.TOKEN;
  const fields: Term[] = [DOP.ALTACT_SIG_SEND, flags, msg.from, msg.to];
  if (msg.token !== undefined) fields.push(msg.token);
  return { control: new Tuple(fields), payload: msg.payload };
}
