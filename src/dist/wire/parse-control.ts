// Reading a received control tuple (and the payload term after it) into a typed control message.
//
// Every field is checked as OTP's `erts_net_message` checks it (dist.c): the arity of each form exactly, pids
// where pids go, refs, atoms, integer ranges. Anything else is a DIST_PROTOCOL error, on which OTP drops the
// connection, so no half-valid message ever reaches a process. Checks that need to know the nodes (a `from`
// of the peer, a `to` of this node) are left to whoever routes the message.
//
// UNLINK (op 4) is refused: OTP 26 made the new link protocol (UNLINK_ID) mandatory and treats UNLINK as an
// invalid message; NODE_LINK (5) and unknown ops are refused as well.
import { DistError, ErrorCodes } from "../../errors.ts";
import { Atom, atom } from "../../term/atom.ts";
import { Pid, Ref, type Term, Tuple } from "../../term/types.ts";
import { ALTACT_FLAG, type ControlMessage, DOP } from "./control.ts";

const TRUE = atom("true");
const FALSE = atom("false");
const MAX_U64 = 0xffff_ffff_ffff_ffffn;
/** SPAWN_REPLY flags must be below this (dist.c). */
const SPAWN_REPLY_FLAGS_LIMIT = 1 << 27;

/** The typed message of control tuple `control`, with `payload` the term that followed it (if any). */
export function parseControl(control: Term, payload: Term | undefined): ControlMessage {
  if (!(control instanceof Tuple) || control.size === 0) fail("the control message is not a non-empty tuple");
  const e = control.elements;
  const op = e[0];
  switch (op) {
    case DOP.LINK:
      arity(e, 3, "LINK");
      none(payload, "LINK");
      return { op: "link", from: pid(e[1], "LINK from"), to: pid(e[2], "LINK to") };
    case DOP.SEND:
    case DOP.SEND_TT:
    case DOP.SEND_SENDER:
    case DOP.SEND_SENDER_TT: {
      const traced = op === DOP.SEND_TT || op === DOP.SEND_SENDER_TT;
      arity(e, traced ? 4 : 3, "SEND");
      return {
        op: "send",
        to: pid(e[2], "SEND to"),
        message: need(payload, "SEND"),
        from: op === DOP.SEND_SENDER || op === DOP.SEND_SENDER_TT ? pid(e[1], "SEND_SENDER from") : undefined,
        token: traced ? e[3] : undefined,
      };
    }
    case DOP.REG_SEND:
    case DOP.REG_SEND_TT: {
      const traced = op === DOP.REG_SEND_TT;
      arity(e, traced ? 5 : 4, "REG_SEND");
      return {
        op: "reg_send",
        from: pid(e[1], "REG_SEND from"),
        to: atomOf(e[3], "REG_SEND to"),
        message: need(payload, "REG_SEND"),
        token: traced ? e[4] : undefined,
      };
    }
    case DOP.EXIT:
    case DOP.EXIT_TT:
    case DOP.PAYLOAD_EXIT:
    case DOP.PAYLOAD_EXIT_TT: {
      const form = {
        traced: op === DOP.EXIT_TT || op === DOP.PAYLOAD_EXIT_TT,
        reasonInPayload: op >= DOP.PAYLOAD_EXIT,
      };
      return { op: "exit", ...exitFields(e, payload, form, "EXIT") };
    }
    case DOP.EXIT2:
    case DOP.EXIT2_TT:
    case DOP.PAYLOAD_EXIT2:
    case DOP.PAYLOAD_EXIT2_TT: {
      const form = {
        traced: op === DOP.EXIT2_TT || op === DOP.PAYLOAD_EXIT2_TT,
        reasonInPayload: op >= DOP.PAYLOAD_EXIT2,
      };
      return { op: "exit2", ...exitFields(e, payload, form, "EXIT2") };
    }
    case DOP.GROUP_LEADER:
      arity(e, 3, "GROUP_LEADER");
      none(payload, "GROUP_LEADER");
      return { op: "group_leader", leader: pid(e[1], "GROUP_LEADER leader"), to: pid(e[2], "GROUP_LEADER to") };
    case DOP.MONITOR_P:
    case DOP.DEMONITOR_P: {
      const name = op === DOP.MONITOR_P ? "MONITOR_P" : "DEMONITOR_P";
      arity(e, 4, name);
      none(payload, name);
      return {
        op: op === DOP.MONITOR_P ? "monitor" : "demonitor",
        from: pid(e[1], `${name} from`),
        to: pidOrAtom(e[2], `${name} to`),
        ref: ref(e[3], `${name} ref`),
      };
    }
    case DOP.MONITOR_P_EXIT:
      arity(e, 5, "MONITOR_P_EXIT");
      none(payload, "MONITOR_P_EXIT");
      return monitorExit(e, e[4]);
    case DOP.PAYLOAD_MONITOR_P_EXIT:
      arity(e, 4, "PAYLOAD_MONITOR_P_EXIT");
      return monitorExit(e, need(payload, "PAYLOAD_MONITOR_P_EXIT"));
    case DOP.SPAWN_REQUEST:
    case DOP.SPAWN_REQUEST_TT:
      return spawnRequest(e, payload, op === DOP.SPAWN_REQUEST_TT);
    case DOP.SPAWN_REPLY:
    case DOP.SPAWN_REPLY_TT: {
      const traced = op === DOP.SPAWN_REPLY_TT;
      arity(e, traced ? 6 : 5, "SPAWN_REPLY");
      none(payload, "SPAWN_REPLY");
      const flags = e[3];
      if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0 || flags >= SPAWN_REPLY_FLAGS_LIMIT) {
        fail("SPAWN_REPLY flags are not an integer in 0..2^27-1");
      }
      return {
        op: "spawn_reply",
        ref: ref(e[1], "SPAWN_REPLY ref"),
        to: pid(e[2], "SPAWN_REPLY to"),
        flags,
        result: pidOrAtom(e[4], "SPAWN_REPLY result"),
        token: traced ? e[5] : undefined,
      };
    }
    case DOP.ALIAS_SEND:
    case DOP.ALIAS_SEND_TT: {
      const traced = op === DOP.ALIAS_SEND_TT;
      arity(e, traced ? 4 : 3, "ALIAS_SEND");
      return {
        op: "alias_send",
        from: pid(e[1], "ALIAS_SEND from"),
        to: ref(e[2], "ALIAS_SEND alias"),
        message: need(payload, "ALIAS_SEND"),
        token: traced ? e[3] : undefined,
      };
    }
    case DOP.UNLINK_ID:
    case DOP.UNLINK_ID_ACK: {
      const name = op === DOP.UNLINK_ID ? "UNLINK_ID" : "UNLINK_ID_ACK";
      arity(e, 4, name);
      none(payload, name);
      return {
        op: op === DOP.UNLINK_ID ? "unlink_id" : "unlink_id_ack",
        // OTP refuses id 0 in UNLINK_ID only; an acknowledgement just echoes what it got.
        id: u64(e[1], op === DOP.UNLINK_ID ? 1n : 0n, `${name} id`),
        from: pid(e[2], `${name} from`),
        to: pid(e[3], `${name} to`),
      };
    }
    case DOP.ALTACT_SIG_SEND:
      return altactSigSend(e, payload);
    case DOP.UNLINK:
      return fail("UNLINK (op 4) is not supported since OTP 26; the peer must use UNLINK_ID");
    default:
      return fail(`unknown operation ${typeof op === "number" ? op : "(not an integer)"}`);
  }
}

/**
 * EXIT or EXIT2 in any of its four forms: `{Op, From, To[, Token], Reason}`, or (the PAYLOAD_ forms)
 * `{Op, From, To[, Token]}` followed by Reason.
 */
function exitFields(
  e: readonly Term[],
  payload: Term | undefined,
  form: { traced: boolean; reasonInPayload: boolean },
  name: string,
): { from: Pid; to: Pid; reason: Term; token: Term | undefined } {
  const size = 3 + (form.traced ? 1 : 0) + (form.reasonInPayload ? 0 : 1);
  arity(e, size, name);
  let reason: Term;
  if (form.reasonInPayload) reason = need(payload, name);
  else {
    none(payload, name);
    reason = e[size - 1]!;
  }
  return {
    from: pid(e[1], `${name} from`),
    to: pid(e[2], `${name} to`),
    reason,
    token: form.traced ? e[3] : undefined,
  };
}

function monitorExit(e: readonly Term[], reason: Term): ControlMessage {
  return {
    op: "monitor_exit",
    from: pidOrAtom(e[1], "MONITOR_P_EXIT from"),
    to: pid(e[2], "MONITOR_P_EXIT to"),
    ref: ref(e[3], "MONITOR_P_EXIT ref"),
    reason,
  };
}

/** `{29, ReqId, From, GroupLeader, {M, F, Arity}, OptList[, Token]}` + ArgList. */
function spawnRequest(e: readonly Term[], payload: Term | undefined, traced: boolean): ControlMessage {
  arity(e, traced ? 7 : 6, "SPAWN_REQUEST");
  const mfa = e[4];
  if (!(mfa instanceof Tuple) || mfa.size !== 3) fail("SPAWN_REQUEST entry point is not {M, F, Arity}");
  const arityOf = mfa.elements[2];
  if (typeof arityOf !== "number" || !Number.isSafeInteger(arityOf) || arityOf < 0) {
    fail("SPAWN_REQUEST arity is not a non-negative integer");
  }
  return {
    op: "spawn_request",
    ref: ref(e[1], "SPAWN_REQUEST ref"),
    from: pid(e[2], "SPAWN_REQUEST from"),
    groupLeader: pid(e[3], "SPAWN_REQUEST group leader"),
    module: atomOf(mfa.elements[0], "SPAWN_REQUEST module"),
    function: atomOf(mfa.elements[1], "SPAWN_REQUEST function"),
    arity: arityOf,
    options: properList(e[5], "SPAWN_REQUEST options"),
    args: properList(need(payload, "SPAWN_REQUEST"), "SPAWN_REQUEST arguments"),
    token: traced ? e[6] : undefined,
  };
}

/**
 * `{37, Flags, From, To[, Token, …]}` + payload. The tuple may grow in later releases, so only a minimum arity
 * is checked; of Flags (an integer of any size) only the low byte means anything yet.
 */
function altactSigSend(e: readonly Term[], payload: Term | undefined): ControlMessage {
  if (e.length < 4) fail(`ALTACT_SIG_SEND has ${e.length} elements, not at least 4`);
  const flagsTerm = e[1];
  let flags: number;
  if (typeof flagsTerm === "number" && Number.isInteger(flagsTerm) && flagsTerm >= 0) flags = flagsTerm % 256;
  else if (typeof flagsTerm === "bigint" && flagsTerm >= 0n) flags = Number(flagsTerm & 0xffn);
  else return fail("ALTACT_SIG_SEND flags are not a non-negative integer");
  const traced = (flags & ALTACT_FLAG.TOKEN) !== 0;
  if (traced && e.length < 5) fail("ALTACT_SIG_SEND with the token flag has no token");
  const target = e[3];
  let to: Pid | Atom | Ref;
  if ((flags & ALTACT_FLAG.ALIAS) !== 0) {
    if ((flags & ALTACT_FLAG.NAME) !== 0) fail("ALTACT_SIG_SEND has both the alias and the name flag");
    to = ref(target, "ALTACT_SIG_SEND alias");
  } else if ((flags & ALTACT_FLAG.NAME) !== 0) to = atomOf(target, "ALTACT_SIG_SEND name");
  else to = pid(target, "ALTACT_SIG_SEND to");
  return {
    op: "altact_sig_send",
    from: pid(e[2], "ALTACT_SIG_SEND from"),
    to,
    payload: need(payload, "ALTACT_SIG_SEND"),
    exit: (flags & ALTACT_FLAG.EXIT) !== 0,
    priority: (flags & ALTACT_FLAG.PRIO) !== 0,
    token: traced ? e[4] : undefined,
  };
}

function fail(message: string): never {
  throw new DistError(ErrorCodes.DIST_PROTOCOL, `invalid control message: ${message}`);
}

function arity(e: readonly Term[], n: number, name: string): void {
  if (e.length !== n) fail(`${name} has ${e.length} elements, not ${n}`);
}

function need(payload: Term | undefined, name: string): Term {
  if (payload === undefined) fail(`${name} has no payload term after the control tuple`);
  return payload;
}

function none(payload: Term | undefined, name: string): void {
  if (payload !== undefined) fail(`${name} takes no payload, but a term follows the control tuple`);
}

function pid(t: Term | undefined, what: string): Pid {
  if (t instanceof Pid) return t;
  return fail(`${what} is not a pid`);
}

function ref(t: Term | undefined, what: string): Ref {
  if (t instanceof Ref) return t;
  return fail(`${what} is not a reference`);
}

/** An atom field; `true` and `false`, which decode as booleans, are atoms here. */
function atomOf(t: Term | undefined, what: string): Atom {
  if (t instanceof Atom) return t;
  if (t === true) return TRUE;
  if (t === false) return FALSE;
  return fail(`${what} is not an atom`);
}

function pidOrAtom(t: Term | undefined, what: string): Pid | Atom {
  return t instanceof Pid ? t : atomOf(t, `${what} (neither a pid nor an atom)`);
}

function properList(t: Term, what: string): readonly Term[] {
  if (Array.isArray(t)) return t as readonly Term[];
  return fail(`${what} are not a proper list`);
}

/** An integer in min..2^64-1, as OTP's `term_to_Uint64` reads it. */
function u64(t: Term | undefined, min: bigint, what: string): bigint {
  const v = typeof t === "number" && Number.isInteger(t) ? BigInt(t) : typeof t === "bigint" ? t : undefined;
  if (v === undefined || v < min || v > MAX_U64) fail(`${what} is not an integer in ${min}..2^64-1`);
  return v;
}
