// What passes between a node's schedulers, as ring records: the runtime's signals and spawn replies, the
// distribution's news (a node up or down), a scheduler's requests to the one that holds the connections, and word of
// the end of processes that timers aim at. A record's first header word says which; its payload is the External Term
// Format of a tuple of its fields.
import type { LostConnection, RegisteredName, Signal, SpawnReply } from "../../runtime/index.ts";
import type { Atom } from "../../term/atom.ts";
import { decode, encode } from "../../term/etf/index.ts";
import { Pid, type Ref, type Term, Tuple, tuple } from "../../term/types.ts";

export type MeshRecord =
  | { readonly kind: "signal"; readonly signal: Signal }
  | { readonly kind: "spawn-reply"; readonly reply: SpawnReply }
  | { readonly kind: "node-up"; readonly node: Atom; readonly hidden: boolean }
  | { readonly kind: "node-down"; readonly node: Atom; readonly reason: Term; readonly lost?: LostConnection }
  /** Connect to `node` for a scheduler without connections; the answer is a `connected` with the same id. */
  | { readonly kind: "connect"; readonly node: Atom; readonly id: number }
  | { readonly kind: "connected"; readonly id: number; readonly up: boolean }
  /** A scheduler freed `name`, which `pid` of the receiving scheduler held (erlang:unregister/1 of any name). */
  | { readonly kind: "name-freed"; readonly name: Atom; readonly pid: Pid }
  /** A question about the receiver's processes (inquiries.ts); the answer is an `answer` with the same id. */
  | { readonly kind: "ask"; readonly id: number; readonly question: Term }
  | { readonly kind: "answer"; readonly id: number; readonly answer: Term }
  /** Scheduler `holder` holds timers aimed at `target`, of the receiver: it is to say when `target` ends. */
  | { readonly kind: "timer-watch"; readonly target: Pid; readonly holder: number }
  /** `target`, a process of the sender that the receiver's timers aim at, has ended. */
  | { readonly kind: "timer-target-ended"; readonly target: Pid };

enum Code {
  Message = 1,
  AliasMessage,
  Exit,
  LinkExit,
  Link,
  Unlink,
  Monitor,
  Demonitor,
  Down,
  SpawnRequest,
  SpawnReply,
  NodeUp,
  NodeDown,
  Connect,
  Connected,
  NameFreed,
  Ask,
  Answer,
  TimerWatch,
  TimerTargetEnded,
  GroupLeader,
}

const NONE: Term = [];

/** A record as its code and payload; binaries the payload carries are copied in. */
export function encodeRecord(record: MeshRecord): { code: number; payload: Buffer } {
  const [code, fields] = fieldsOf(record);
  return { code, payload: encode(fields) };
}

/**
 * The record of `code` whose payload is `bytes`. Binaries are copied out of a ring's bytes, which are reused;
 * with `views`, binaries of 64 bytes or more stay views of `bytes` (a blob of the record's own).
 */
export function decodeRecord(code: number, bytes: Uint8Array, views: boolean): MeshRecord {
  const f = (decode(bytes, views ? undefined : { viewThreshold: Number.POSITIVE_INFINITY }) as Tuple).elements;
  switch (code as Code) {
    case Code.Message:
      return signal({ kind: "message", from: f[0] as Pid, to: destination(f[1]!), message: f[2]! });
    case Code.AliasMessage:
      return signal({ kind: "alias-message", from: f[0] as Pid, to: f[1] as Ref, message: f[2]! });
    case Code.Exit:
    case Code.LinkExit:
      return signal({ kind: "exit", from: f[0] as Pid, to: f[1] as Pid, reason: f[2]!, link: code === Code.LinkExit });
    case Code.Link:
      return signal({ kind: "link", from: f[0] as Pid, to: f[1] as Pid });
    case Code.Unlink:
      return signal({ kind: "unlink", from: f[0] as Pid, to: f[1] as Pid });
    case Code.Monitor:
      return signal({ kind: "monitor", from: f[0] as Pid, to: destination(f[1]!), ref: f[2] as Ref });
    case Code.Demonitor:
      return signal({ kind: "demonitor", from: f[0] as Pid, to: destination(f[1]!), ref: f[2] as Ref });
    case Code.Down:
      return signal({ kind: "down", from: destination(f[0]!), to: f[1] as Pid, ref: f[2] as Ref, reason: f[3]! });
    case Code.GroupLeader:
      return signal({ kind: "group-leader", from: f[0] as Pid, to: f[1] as Pid, leader: f[2] as Pid });
    case Code.SpawnRequest: {
      const scheduler = f[8];
      return signal({
        kind: "spawn-request",
        from: f[0] as Pid,
        node: f[1] as Atom,
        ref: f[2] as Ref,
        groupLeader: f[3] as Pid,
        module: f[4] as Atom,
        function: f[5] as Atom,
        args: f[6] as Term[],
        options: f[7] as Term[],
        ...(typeof scheduler === "number" ? { scheduler } : {}),
      });
    }
    case Code.SpawnReply:
      return {
        kind: "spawn-reply",
        reply: {
          to: f[0] as Pid,
          ref: f[1] as Ref,
          result: f[2] as Pid | Atom,
          link: f[3] === true,
          monitor: f[4] === true,
        },
      };
    case Code.NodeUp:
      return { kind: "node-up", node: f[0] as Atom, hidden: f[1] === true };
    case Code.NodeDown: {
      const lost =
        f[2] instanceof Tuple ? { hidden: f[2].at(0) === true, nodedownReason: f[2].at(1) as Atom } : undefined;
      return { kind: "node-down", node: f[0] as Atom, reason: f[1]!, ...(lost === undefined ? {} : { lost }) };
    }
    case Code.Connect:
      return { kind: "connect", node: f[0] as Atom, id: f[1] as number };
    case Code.Connected:
      return { kind: "connected", id: f[0] as number, up: f[1] === true };
    case Code.NameFreed:
      return { kind: "name-freed", name: f[0] as Atom, pid: f[1] as Pid };
    case Code.Ask:
      return { kind: "ask", id: f[0] as number, question: f[1]! };
    case Code.Answer:
      return { kind: "answer", id: f[0] as number, answer: f[1]! };
    case Code.TimerWatch:
      return { kind: "timer-watch", target: f[0] as Pid, holder: f[1] as number };
    case Code.TimerTargetEnded:
      return { kind: "timer-target-ended", target: f[0] as Pid };
  }
  throw new RangeError(`no scheduler record has code ${code}`);
}

function fieldsOf(record: MeshRecord): [Code, Tuple] {
  switch (record.kind) {
    case "signal":
      return signalFields(record.signal);
    case "spawn-reply": {
      const { to, ref, result, link, monitor } = record.reply;
      return [Code.SpawnReply, tuple(to, ref, result, link, monitor)];
    }
    case "node-up":
      return [Code.NodeUp, tuple(record.node, record.hidden)];
    case "node-down": {
      const lost = record.lost === undefined ? NONE : tuple(record.lost.hidden, record.lost.nodedownReason);
      return [Code.NodeDown, tuple(record.node, record.reason, lost)];
    }
    case "connect":
      return [Code.Connect, tuple(record.node, record.id)];
    case "connected":
      return [Code.Connected, tuple(record.id, record.up)];
    case "name-freed":
      return [Code.NameFreed, tuple(record.name, record.pid)];
    case "ask":
      return [Code.Ask, tuple(record.id, record.question)];
    case "answer":
      return [Code.Answer, tuple(record.id, record.answer)];
    case "timer-watch":
      return [Code.TimerWatch, tuple(record.target, record.holder)];
    case "timer-target-ended":
      return [Code.TimerTargetEnded, tuple(record.target)];
  }
}

function signalFields(s: Signal): [Code, Tuple] {
  switch (s.kind) {
    case "message":
      return [Code.Message, tuple(s.from, destinationTerm(s.to), s.message)];
    case "alias-message":
      return [Code.AliasMessage, tuple(s.from, s.to, s.message)];
    case "exit":
      return [s.link ? Code.LinkExit : Code.Exit, tuple(s.from, s.to, s.reason)];
    case "link":
      return [Code.Link, tuple(s.from, s.to)];
    case "unlink":
      return [Code.Unlink, tuple(s.from, s.to)];
    case "monitor":
      return [Code.Monitor, tuple(s.from, destinationTerm(s.to), s.ref)];
    case "demonitor":
      return [Code.Demonitor, tuple(s.from, destinationTerm(s.to), s.ref)];
    case "down":
      return [Code.Down, tuple(destinationTerm(s.from), s.to, s.ref, s.reason)];
    case "group-leader":
      return [Code.GroupLeader, tuple(s.from, s.to, s.leader)];
    case "spawn-request":
      return [
        Code.SpawnRequest,
        tuple(
          s.from,
          s.node,
          s.ref,
          s.groupLeader,
          s.module,
          s.function,
          [...s.args],
          [...s.options],
          s.scheduler ?? NONE,
        ),
      ];
  }
}

function signal(s: Signal): MeshRecord {
  return { kind: "signal", signal: s };
}

function destinationTerm(to: Pid | RegisteredName): Term {
  return to instanceof Pid ? to : tuple(to.name, to.node);
}

function destination(term: Term): Pid | RegisteredName {
  if (term instanceof Pid) return term;
  const t = term as Tuple;
  return { name: t.at(0) as Atom, node: t.at(1) as Atom };
}
