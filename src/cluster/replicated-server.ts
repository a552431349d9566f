// A replicated GenServer's two roles: the primary (the user's callbacks, wrapped so each change of state is
// shipped to every standby and acknowledged before the callback's reply goes out) and the standby (a process
// holding the last state shipped, which takes over when the primary ends abnormally or its node goes down).
//
// Why no reply is lost: the primary replies only after every live standby acknowledged the state that includes
// the call; a standby that does not acknowledge in time is dropped (and killed) so that it can never take over
// with an older state. Which standby takes over is fixed: the standbys are ranked (the order of the nodes given at
// start); a standby takes over once the primary and every standby ranked before it are down. The one taking over
// starts a new primary on its node with its state, tells the remaining standbys (before it exits, so they hear of
// the new primary before they see it go), and the new primary re-points the cluster name to itself.

import type { InitResult, NoReplyResult } from "../otp/gen-server.ts";
import { GenServer } from "../otp/gen-server.ts";
import { DOWN, isQuietExit, KILL, type Process } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import type { Pid, Ref, Term } from "../term/types.ts";
import { Tuple, tuple } from "../term/types.ts";
import type { RepointableRegistry } from "./migration-server.ts";
import type { AnyServerCallbacks, ServerSpec } from "./migration-spec.ts";

type MaybeAsync<T> = T | Promise<T>;

/** `{REPLICA, From, Seq, State}` primary → standby; `{ACK, Seq, Standby}` back; `{PEERS, Primary, Standbys}`. */
const REPLICA = atom("$otter_replica");
const ACK = atom("$otter_replica_ack");
const PEERS = atom("$otter_replica_peers");

/** How the primary reaches the standbys' nodes: starts one standby there (over erpc, in replicated.ts). */
export type StartStandby = (self: Process, node: Term, state: Term) => Promise<Pid>;

/** The init argument of a primary: a fresh start, or a standby taking over. Not terms: they never leave a node. */
export class FreshPrimary {
  constructor(
    readonly arg: unknown,
    readonly standbyNodes: readonly Term[],
  ) {}
}
export class TakeOver {
  constructor(
    readonly state: Term,
    readonly standbys: readonly Pid[],
    readonly previous: Pid,
  ) {}
}

interface Standby {
  readonly pid: Pid;
  readonly ref: Ref;
}

/** What a primary process knows beside its state. */
interface Primary {
  standbys: Standby[];
  seq: number;
}

const primaries = new WeakMap<Process, Primary>();

export interface ReplicationContext {
  readonly spec: ServerSpec;
  readonly name: { readonly registry: RepointableRegistry; readonly name: Term } | undefined;
  readonly startStandby: StartStandby;
  /** How long a standby may take to acknowledge a state before it is dropped. */
  readonly ackTimeoutMs: number;
}

/** `callbacks` as a replicated primary: every callback that yields a state ships it before anything else. */
export function primaryCallbacks(callbacks: AnyServerCallbacks, context: ReplicationContext): AnyServerCallbacks {
  const shipped = async <R extends NoReplyResult<unknown>>(self: Process, before: unknown, result: R): Promise<R> => {
    if ("state" in result && changed(before, result.state)) await replicate(self, result.state as Term, context);
    return result;
  };
  const after = <R extends NoReplyResult<unknown>>(self: Process, before: unknown, result: MaybeAsync<R>) =>
    result instanceof Promise ? result.then((r) => shipped(self, before, r)) : shipped(self, before, result);
  return {
    async init(self, start: FreshPrimary | TakeOver): Promise<InitResult<unknown>> {
      const primary: Primary = { standbys: [], seq: 0 };
      primaries.set(self, primary);
      if (start instanceof TakeOver) {
        for (const pid of start.standbys) primary.standbys.push({ pid, ref: self.monitor(pid) });
        if (context.name !== undefined) context.name.registry.repoint(context.name.name, start.previous, self.pid);
        await replicate(self, start.state, context);
        return { state: start.state };
      }
      const result = await callbacks.init(self, start.arg);
      if (!("state" in result)) return result;
      for (const node of start.standbyNodes) {
        try {
          const pid = await context.startStandby(self, node, result.state as Term);
          primary.standbys.push({ pid, ref: self.monitor(pid) });
        } catch (error) {
          for (const standby of primary.standbys) self.exit(standby.pid, KILL);
          return { stop: tuple(atom("standby_failed"), node, (error as Error).message ?? String(error)) };
        }
      }
      const pids = primary.standbys.map((s) => s.pid);
      for (const pid of pids) self.send(pid, tuple(PEERS, self.pid, pids));
      return result;
    },
    handleCall(self, request, from, state) {
      if (callbacks.handleCall === undefined) return { stop: tuple(atom("undef"), atom("handleCall")), state };
      return after(self, state, callbacks.handleCall(self, request, from, state));
    },
    handleCast(self, message, state) {
      if (callbacks.handleCast === undefined) return { stop: tuple(atom("undef"), atom("handleCast")), state };
      return after(self, state, callbacks.handleCast(self, message, state));
    },
    handleInfo(self, message, state) {
      if (isAck(message)) return { state }; // late: its standby was dropped already
      const primary = primaries.get(self)!;
      const standby = primary.standbys.find((s) => isDownOf(message, s.ref));
      if (standby !== undefined) {
        primary.standbys = primary.standbys.filter((s) => s !== standby);
        return { state };
      }
      if (callbacks.handleInfo === undefined) return { state };
      return after(self, state, callbacks.handleInfo(self, message, state));
    },
    handleContinue(self, continuation, state) {
      if (callbacks.handleContinue === undefined) return { stop: tuple(atom("undef"), atom("handleContinue")), state };
      return after(self, state, callbacks.handleContinue(self, continuation, state));
    },
    terminate(self, reason, state) {
      return callbacks.terminate?.(self, reason, state);
    },
    ...(callbacks.codeChange === undefined ? {} : { codeChange: callbacks.codeChange.bind(callbacks) }),
    ...(callbacks.formatStatus === undefined ? {} : { formatStatus: callbacks.formatStatus.bind(callbacks) }),
  };
}

/** A state worth shipping: another value, or an object (which may have been changed in place). */
function changed(before: unknown, after: unknown): boolean {
  return !Object.is(before, after) || (typeof after === "object" && after !== null);
}

/** Ships `state` to every standby and waits until each acknowledged it, went down, or was dropped for silence. */
async function replicate(self: Process, state: Term, context: ReplicationContext): Promise<void> {
  const primary = primaries.get(self)!;
  if (primary.standbys.length === 0) return;
  const seq = ++primary.seq;
  for (const standby of primary.standbys) self.send(standby.pid, tuple(REPLICA, self.pid, seq, state));
  const waiting = new Set(primary.standbys);
  const deadline = self.runtime.clock.now() + context.ackTimeoutMs;
  while (waiting.size > 0) {
    const timeout = Math.max(0, deadline - self.runtime.clock.now());
    const answer = await self.receive(
      (m) => (isAck(m) && (m as Tuple).at(1) === seq) || primary.standbys.some((s) => isDownOf(m, s.ref)),
      { timeout },
    );
    if (answer === undefined) {
      // Silent standbys are dropped and ended: one that missed a state must never take over.
      for (const standby of waiting) {
        self.demonitor(standby.ref, { flush: true });
        self.exit(standby.pid, KILL);
      }
      primary.standbys = primary.standbys.filter((s) => !waiting.has(s));
      return;
    }
    const from = (answer as Tuple).at(0) === ACK ? (answer as Tuple).at(2) : (answer as Tuple).at(3);
    const standby = [...waiting].find((s) => equals(s.pid, from!));
    if (standby === undefined) continue;
    waiting.delete(standby);
    if ((answer as Tuple).at(0) === DOWN) primary.standbys = primary.standbys.filter((s) => s !== standby);
  }
}

function isAck(m: Term): boolean {
  return m instanceof Tuple && m.size === 3 && m.at(0) === ACK;
}

function isDownOf(m: Term, ref: Ref): boolean {
  return m instanceof Tuple && m.size === 5 && m.at(0) === DOWN && equals(m.at(1)!, ref);
}

/** How a standby starts the primary that replaces the one that went down (on its own node). */
export type StartPrimary = (self: Process, takeOver: TakeOver) => Promise<Pid | undefined>;

/**
 * A standby's body: keeps the last state shipped, acknowledges each; when its primary ends cleanly it ends too;
 * when the primary ends otherwise and every standby ranked before it is down, it takes over.
 */
export function standbyBody(primary: Pid, state: Term, startPrimary: StartPrimary) {
  return async (self: Process): Promise<void> => {
    let current = primary;
    let primaryRef = self.monitor(primary);
    let primaryDown = false;
    /** Standbys ranked before this one, with their monitors; those down are removed. */
    let before: Standby[] = [];
    let after: Pid[] = [];
    for (;;) {
      if (primaryDown && before.length === 0) {
        const next = await startPrimary(self, new TakeOver(state, after, current));
        if (next !== undefined) for (const pid of after) self.send(pid, tuple(PEERS, next, after));
        return;
      }
      const m = await self.receive();
      if (!(m instanceof Tuple)) continue;
      const tag = m.at(0);
      if (tag === REPLICA) {
        state = m.at(3)!;
        self.send(m.at(1) as Pid, tuple(ACK, m.at(2)!, self.pid));
      } else if (tag === PEERS) {
        const newPrimary = m.at(1) as Pid;
        if (!equals(newPrimary, current)) {
          self.demonitor(primaryRef, { flush: true });
          current = newPrimary;
          primaryRef = self.monitor(current);
          primaryDown = false;
        }
        for (const s of before) self.demonitor(s.ref, { flush: true });
        const all = m.at(2) as Pid[];
        const rank = all.findIndex((p) => equals(p, self.pid));
        before = all.slice(0, rank).map((pid) => ({ pid, ref: self.monitor(pid) }));
        after = all.slice(rank + 1);
      } else if (tag === DOWN) {
        if (equals(m.at(1)!, primaryRef)) {
          if (isQuietExit(m.at(4)!)) return; // stopped on purpose: the replicated server is over
          primaryDown = true;
        } else {
          before = before.filter((s) => !equals(s.ref, m.at(1)!));
        }
      }
    }
  };
}

/** Starts the primary with `callbacks` for a standby taking over; undefined if it did not start. */
export async function startTakeOver(
  self: Process,
  callbacks: AnyServerCallbacks,
  context: ReplicationContext,
  takeOver: TakeOver,
): Promise<Pid | undefined> {
  const started = await GenServer.start(self, primaryCallbacks(callbacks, context), takeOver);
  if ("pid" in started) return started.pid;
  self.runtime.logger.error(
    `replication: standby ${format(self.pid)} could not take over: ${"error" in started ? format(started.error) : "ignore"}`,
  );
  return undefined;
}
