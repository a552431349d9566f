// The generic part of every behaviour (OTP's gen.erl and proc_lib): starting a server and waiting for its init to
// acknowledge, the call protocol with its reply, and the exits a failed call raises in the caller.
//
// A call is OTP 25's, byte for byte: the caller monitors the server with an alias (`demonitor` mode, so the alias
// dies with the monitor), sends `{Label, {Self, [alias | Mref]}, Request}`, and waits for `{[alias | Mref], Reply}`
// sent to the alias, or the monitor's DOWN, scanning only messages newer than the monitor (the receive marker).
// A reply that comes after a timeout finds the alias gone and is dropped, so it never pollutes the caller's queue.
import {
  DOWN,
  EXIT,
  isQuietExit,
  NOCONNECTION,
  NOPROC,
  NORMAL,
  type Process,
  ProcessExit,
  type Runtime,
  reasonFromThrown,
} from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { ImproperList, Pid, Ref, type Term, Tuple, tuple } from "../term/types.ts";
import { resolve, type ServerRef, serverTerm } from "./names.ts";

export const GEN_CALL = atom("$gen_call");
export const GEN_CAST = atom("$gen_cast");
export const SYSTEM = atom("system");
const ALIAS = atom("alias");
const TIMEOUT = atom("timeout");
const NODEDOWN = atom("nodedown");
const CALL = atom("call");
const TERMINATE = atom("terminate");

/** Milliseconds, or `"infinity"`. */
export type Timeout = number | "infinity";

/** The default call timeout, as OTP's. */
export const DEFAULT_CALL_TIMEOUT = 5000;

/**
 * Who made a call: the caller's pid and the tag its reply must carry (`[alias | Ref]` from OTP 25 and Otter, a
 * plain ref from older nodes). `reply` needs nothing else; the pair crosses nodes as the tuple `{Pid, Tag}`.
 */
export interface From {
  readonly pid: Pid;
  readonly tag: Term;
}

/** Reads the `{Pid, Tag}` of a `$gen_call` or `system` message; undefined if it is not one. */
export function fromTerm(term: Term): From | undefined {
  if (!(term instanceof Tuple) || term.size !== 2) return undefined;
  const pid = term.at(0);
  return pid instanceof Pid ? { pid, tag: term.at(1)! } : undefined;
}

/** Sends `{'$gen_cast', message}` to `server` (gen_server:cast and gen_statem:cast); to no one there, it is dropped. */
export function cast(from: Process | Runtime, server: ServerRef, message: Term): void {
  const to = resolve("runtime" in from ? from.runtime : from, server);
  if (to !== undefined) from.send(to, tuple(GEN_CAST, message));
}

/** Sends `reply` to the caller `from` (to its alias when the tag carries one, as gen:reply does). */
export function reply(sender: Process | Runtime, from: From, reply: Term): void {
  const tag = from.tag;
  const to = tag instanceof ImproperList && tag.items[0] === ALIAS && tag.tail instanceof Ref ? tag.tail : from.pid;
  try {
    sender.send(to, tuple(tag, reply));
  } catch {
    // A reply to a caller that is gone is dropped, as `!` drops it.
  }
}

/** How a call ended other than with a reply: OTP's `{exit, Reason}` of gen:call, before the caller adds where. */
export class CallFailed {
  constructor(readonly reason: Term) {}
}

/**
 * Calls `server` with `{label, From, request}` and resolves with the reply; resolves with a CallFailed when the
 * server is not there (`noproc`), exits first (its exit reason), its node goes down (`{nodedown, Node}`) or
 * `timeout` passes (`timeout`).
 */
export function call(
  self: Process,
  server: ServerRef,
  label: Atom,
  request: Term,
  timeout: Timeout,
): Promise<Term | CallFailed> {
  return new Promise((resolve) => startCall(self, server, label, request, timeout, resolve));
}

/**
 * `call` that rejects with what `exit` makes of a CallFailed instead of resolving with it: the caller's exit
 * (`callExit`). One promise, settled from the receive itself.
 */
export function callOrExit(
  self: Process,
  server: ServerRef,
  label: Atom,
  request: Term,
  timeout: Timeout,
  exit: (failed: CallFailed) => unknown,
): Promise<Term> {
  return new Promise((resolve, reject) =>
    startCall(self, server, label, request, timeout, (answer) => {
      if (answer instanceof CallFailed) reject(exit(answer));
      else resolve(answer);
    }),
  );
}

function startCall(
  self: Process,
  server: ServerRef,
  label: Atom,
  request: Term,
  timeout: Timeout,
  settle: (answer: Term | CallFailed) => void,
): void {
  const to = resolve(self.runtime, server);
  if (to === undefined) {
    settle(new CallFailed(NOPROC));
    return;
  }
  const mref = self.monitor(to, { alias: "demonitor" });
  self.send(to, tuple(label, tuple(self.pid, new ImproperList([ALIAS], mref)), request));
  self.receiveInto(
    (m) => isReplyTo(m, mref) || isDownOf(m, mref),
    mref,
    timeout,
    (answer) => {
      if (answer === undefined) {
        self.demonitor(mref, { flush: true });
        settle(new CallFailed(TIMEOUT));
      } else if ((answer as Tuple).at(0) === DOWN) settle(new CallFailed(downReason(answer as Tuple)));
      else {
        self.demonitor(mref, { flush: true });
        settle((answer as Tuple).at(1)!);
      }
    },
  );
}

/** Whether `message` is the reply `{[alias | Mref], Reply}` to the call monitored by `mref`. */
export function isReplyTo(message: Term, mref: Ref): boolean {
  if (!(message instanceof Tuple) || message.size !== 2) return false;
  const tag = message.at(0);
  return tag instanceof ImproperList && tag.tail instanceof Ref && equals(tag.tail, mref);
}

/** The reason in a `{'DOWN', Ref, process, Pid | {Name, Node}, Reason}` as a caller reports it: a lost connection
 * is `{nodedown, Node}`, as gen:call and Elixir's Task say. */
export function downReason(down: Tuple): Term {
  const reason = down.at(4)!;
  if (reason !== NOCONNECTION) return reason;
  const who = down.at(3);
  return tuple(NODEDOWN, who instanceof Pid ? who.node : (who as Tuple).at(1)!);
}

/** Whether `message` is the DOWN of monitor `mref`. */
export function isDownOf(message: Term, mref: Ref): boolean {
  return message instanceof Tuple && message.size === 5 && message.at(0) === DOWN && equals(message.at(1)!, mref);
}

/** Whether `message` is an `{'EXIT', Pid, Reason}` from `pid` (a linked process, to one that traps exits). */
export function isExitFrom(message: Term, pid: Pid): boolean {
  return message instanceof Tuple && message.size === 3 && message.at(0) === EXIT && equals(message.at(1)!, pid);
}

/**
 * What a failed call does to the caller, as OTP's `gen_server:call`: it exits with
 * `{Reason, {Module, call, [Server, Request | Timeout]}}` (an exit the caller may catch).
 */
export function callExit(module: Atom, failed: CallFailed, server: ServerRef, args: readonly Term[]): ProcessExit {
  return new ProcessExit(tuple(failed.reason, tuple(module, CALL, [serverTerm(server), ...args])));
}

/**
 * Stops `server` with `reason` through the `{terminate, Reason}` system message (OTP's gen:stop): it runs its
 * behaviour's terminate and exits. Resolves when it is gone; exits the caller with `noproc`, `timeout`, or the
 * server's own exit reason if that differs from `reason`.
 */
export async function stop(
  self: Process,
  server: ServerRef,
  options?: { reason?: Term; timeout?: Timeout },
): Promise<void> {
  const reason = options?.reason ?? NORMAL;
  const answer = await call(self, server, SYSTEM, tuple(TERMINATE, reason), options?.timeout ?? "infinity");
  if (answer instanceof CallFailed && !equals(answer.reason, reason)) throw new ProcessExit(answer.reason);
}

/**
 * How every behaviour ends (gen_server's and gen_statem's `terminate` step): runs the `terminate` callback, if
 * there is one, and exits with `reason`, or with what the callback threw. An abnormal end, or a callback that
 * threw, is reported first through `report`, as OTP logs its terminate report before the process exits.
 */
export function terminateWith(
  reason: Term,
  callback: (() => void | Promise<void>) | undefined,
  report: (reason: Term) => void,
): Promise<never> | never {
  const exit = (why: Term, callbackThrew: boolean): never => {
    if (callbackThrew || !isQuietExit(why)) report(why);
    throw new ProcessExit(why);
  };
  if (callback === undefined) return exit(reason, false);
  let done: void | Promise<void>;
  try {
    done = callback();
  } catch (error) {
    return exit(reasonFromThrown(error), true);
  }
  if (done instanceof Promise) {
    return done.then(
      () => exit(reason, false),
      (error) => exit(reasonFromThrown(error), true),
    );
  }
  return exit(reason, false);
}

/** The timeout as OTP writes it in exit reasons. */
export function timeoutTerm(timeout: Timeout): Term {
  return timeout === "infinity" ? atom("infinity") : timeout;
}
