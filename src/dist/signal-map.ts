// The runtime's signals (runtime/contracts.ts) as distribution control messages, and back.
//
// Outbound, a signal becomes the control message OTP 25 sends for it (the wire codec picks SEND_SENDER, the
// PAYLOAD_* forms and ALIAS_SEND from the negotiated flags). Inbound, a control message becomes the signal the
// runtime applies; the ones that are not signals between two processes (spawn requests and replies, group
// leaders, unlink acknowledgements) are left to the caller, a SPAWN_REPLY as the runtime's SpawnReply.
import type { RegisteredName, Signal, SpawnReply } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { Pid, Ref, type Term, Tuple, tuple } from "../term/types.ts";
import type { ControlMessage, SpawnReplyMessage } from "./wire/control.ts";

/** SPAWN_REPLY's flag bits: the link, the monitor were set up. */
const LINKED = 1;
const MONITORED = 2;

const SCHEDULER = atom("scheduler");

/**
 * spawn_opt's `{scheduler, N}` for scheduler `index` of the other node: BEAM numbers its schedulers from 1 (0 there
 * means any), Otter from 0.
 */
export function schedulerOption(index: number): Tuple {
  return tuple(SCHEDULER, index + 1);
}

/**
 * The scheduler index a spawn request's options ask for: `{scheduler, N}` with N in 1 … count gives N − 1; none or
 * N = 0 gives "any"; anything else under the `scheduler` key is a bad option (spawn_opt's badopt). The other options
 * come back without it.
 */
export function requestedScheduler(
  options: readonly Term[],
  count: number,
): { scheduler: number | "any" | "badopt"; rest: Term[] } {
  let scheduler: number | "any" | "badopt" = "any";
  const rest: Term[] = [];
  for (const option of options) {
    if (!(option instanceof Tuple && option.size === 2 && option.at(0) === SCHEDULER)) rest.push(option);
    else {
      const n = option.at(1);
      if (n === 0) scheduler = "any";
      else scheduler = typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= count ? n - 1 : "badopt";
    }
  }
  return { scheduler, rest };
}

/** Makes the ids of UNLINK_ID (1 … 2^64 − 1). */
export class UnlinkIds {
  private last = 0n;

  next(): bigint {
    this.last = this.last === 0xffff_ffff_ffff_ffffn ? 1n : this.last + 1n;
    return this.last;
  }
}

/** The control message for a signal to another node. */
export function controlOf(signal: Signal, unlinkIds: UnlinkIds): ControlMessage {
  switch (signal.kind) {
    case "message":
      return signal.to instanceof Pid
        ? { op: "send", from: signal.from, to: signal.to, message: signal.message }
        : { op: "reg_send", from: signal.from, to: signal.to.name, message: signal.message };
    case "alias-message":
      return { op: "alias_send", from: signal.from, to: signal.to, message: signal.message };
    case "exit":
      return { op: signal.link ? "exit" : "exit2", from: signal.from, to: signal.to, reason: signal.reason };
    case "link":
      return { op: "link", from: signal.from, to: signal.to };
    case "unlink":
      return { op: "unlink_id", id: unlinkIds.next(), from: signal.from, to: signal.to };
    case "monitor":
      return { op: "monitor", from: signal.from, to: targetOf(signal.to), ref: signal.ref };
    case "demonitor":
      return { op: "demonitor", from: signal.from, to: targetOf(signal.to), ref: signal.ref };
    case "down":
      return { op: "monitor_exit", from: targetOf(signal.from), to: signal.to, ref: signal.ref, reason: signal.reason };
    case "group-leader":
      return { op: "group_leader", leader: signal.leader, to: signal.to };
    case "spawn-request":
      return {
        op: "spawn_request",
        ref: signal.ref,
        from: signal.from,
        groupLeader: signal.groupLeader,
        module: signal.module,
        function: signal.function,
        arity: signal.args.length,
        options:
          signal.scheduler === undefined ? signal.options : [...signal.options, schedulerOption(signal.scheduler)],
        args: signal.args,
      };
  }
}

/** A SPAWN_REPLY as the runtime takes it. */
export function spawnReplyOf(message: SpawnReplyMessage): SpawnReply {
  const { to, ref, result, flags } = message;
  return { to, ref, result, link: (flags & LINKED) !== 0, monitor: (flags & MONITORED) !== 0 };
}

/** The SPAWN_REPLY for a runtime's SpawnReply (the answer to a request from another node). */
export function spawnReplyMessage(reply: SpawnReply): SpawnReplyMessage {
  const { to, ref, result, link, monitor } = reply;
  return { op: "spawn_reply", to, ref, result, flags: (link ? LINKED : 0) | (monitor ? MONITORED : 0) };
}

/**
 * The signal a control message from `peer` stands for, for a process of node `self`; undefined for the control
 * messages that are no such signal.
 */
export function signalOf(message: ControlMessage, self: Atom, peer: Atom, unknownSender: Pid): Signal | undefined {
  switch (message.op) {
    case "send":
      return { kind: "message", from: message.from ?? unknownSender, to: message.to, message: message.message };
    case "reg_send":
      return { kind: "message", from: message.from, to: { name: message.to, node: self }, message: message.message };
    case "alias_send":
      return { kind: "alias-message", from: message.from, to: message.to, message: message.message };
    case "exit":
      return { kind: "exit", from: message.from, to: message.to, reason: message.reason, link: true };
    case "exit2":
      return { kind: "exit", from: message.from, to: message.to, reason: message.reason, link: false };
    case "link":
      return { kind: "link", from: message.from, to: message.to };
    case "unlink_id":
      return { kind: "unlink", from: message.from, to: message.to };
    case "monitor":
      return { kind: "monitor", from: message.from, to: nameOn(message.to, self), ref: message.ref };
    case "demonitor":
      return { kind: "demonitor", from: message.from, to: nameOn(message.to, self), ref: message.ref };
    case "monitor_exit":
      return {
        kind: "down",
        from: nameOn(message.from, peer),
        to: message.to,
        ref: message.ref,
        reason: message.reason,
      };
    case "altact_sig_send": {
      const to = message.to;
      if (message.exit) {
        return to instanceof Pid
          ? { kind: "exit", from: message.from, to, reason: message.payload, link: false }
          : undefined;
      }
      if (to instanceof Pid) return { kind: "message", from: message.from, to, message: message.payload };
      if (to instanceof Ref) return { kind: "alias-message", from: message.from, to, message: message.payload };
      return { kind: "message", from: message.from, to: { name: to, node: self }, message: message.payload };
    }
    default:
      return undefined;
  }
}

function targetOf(to: Pid | RegisteredName): Pid | Atom {
  return to instanceof Pid ? to : to.name;
}

function nameOn(to: Pid | Atom, node: Atom): Pid | RegisteredName {
  return to instanceof Pid ? to : { name: to, node };
}
