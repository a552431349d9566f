// The server side of a migration: GenServer callbacks wrapped around a migratable server's own, adding the move
// (ship the state, start at the target, commit, re-point the name) and the forwarding that follows it.
//
// The move runs inside the server, as the handling of one call, so nothing else is handled meanwhile: the
// server is suspended without `sys`, its state cannot change under the move, and what arrives waits in its queue.
// Order of a move (each step's failure leaves the server serving, its state and queue untouched):
//   1. the state must encode to ETF (checked with the encoder), else `not_migratable`;
//   2. the target starts the server with the state; the new process waits for a commit before handling
//      anything (and exits `{shutdown, migration_aborted}` if none comes in time);
//   3. commit; everything queued here is forwarded to the new process, in order, then the name is re-pointed
//      (forwarding before re-pointing keeps the order of what one sender on this node sends before and after);
//   4. for the grace period, whatever still arrives here is forwarded as it came (a call's `From` is kept, so the
//      new process replies to the caller directly); then this process exits `{shutdown, {migrated, NewPid}}`,
//      without running `terminate` (the server lives on in the new process, which runs it when it ends).

import { DistError, ErrorCodes, thrownMessage } from "../errors.ts";
import { GEN_CALL, GEN_CAST } from "../otp/gen.ts";
import type { InitResult, NoReplyResult } from "../otp/gen-server.ts";
import type { NameRegistry } from "../otp/names.ts";
import { type Process, reasonFromThrown, SHUTDOWN } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { encode } from "../term/etf/encode.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";
import type { AnyServerCallbacks, ServerSpec } from "./migration-spec.ts";

type MaybeAsync<T> = T | Promise<T>;

/** A registry that can move a name from one pid to another (ClusterNames). */
export interface RepointableRegistry extends NameRegistry {
  repoint(name: Term, from: Pid, to: Pid): boolean;
}

/** A migratable server's callbacks: a GenServer's, plus what runs in the new process after a move. */
export interface Migrated<State> {
  /** Runs in the new process once the move is committed, with the state shipped (default: keep it as it is). */
  migrated?(self: Process, state: State): MaybeAsync<NoReplyResult<State>>;
}

/** Where a moving server is started: a kind of target (a node now; a scheduler later) implements this. */
export interface MigrationPlacer {
  /** Starts `move.spec`'s server there with `move.state`, waiting for a commit from `move.from`; its pid. */
  start(self: Process, move: Move): Promise<Pid>;
}

/** What a target needs to start a moved server. */
export interface Move {
  readonly spec: ServerSpec;
  readonly state: Term;
  /** The name it is re-pointed to it under (the target's registry takes it over), if any. */
  readonly name: Term | undefined;
  readonly from: Pid;
  /** How long the new process waits for the commit. */
  readonly commitTimeoutMs: number;
}

/** The init argument of a server that was moved here (not a term: it never leaves its node). */
export class Resumed {
  constructor(
    readonly state: Term,
    readonly from: Pid,
    readonly commitTimeoutMs: number,
  ) {}
}

/** What a migratable server process knows beside its state. */
interface Movable {
  readonly spec: ServerSpec;
  readonly name: { readonly registry: RepointableRegistry; readonly name: Term } | undefined;
  /** Where everything goes once the server moved. */
  forwardTo: Pid | undefined;
}

const movables = new WeakMap<Process, Movable>();

export const MIGRATE = atom("$otter_migrate");
const MIGRATION = atom("$otter_migration");
const COMMIT = atom("commit");
const ABORT = atom("abort");
const GRACE_OVER = atom("grace_over");
const AWAIT_COMMIT = atom("$otter_await_commit");
const MIGRATED = atom("migrated");
const MIGRATION_ABORTED = atom("migration_aborted");
const OK = atom("ok");
const ERROR = atom("error");
const NOT_MIGRATABLE = atom("not_migratable");
const UNDEF = atom("undef");

/** Finds how to start a server at a target term (`Node`, or `{scheduler, N}` once schedulers can). */
export type PlacerFor = (target: Term) => MigrationPlacer | undefined;

/**
 * `callbacks` made migratable: `spec` names them on every node, `name` (a `via` name in a registry that can
 * re-point) follows the server when it moves.
 */
export function migratableCallbacks(
  spec: ServerSpec,
  callbacks: AnyServerCallbacks & Migrated<unknown>,
  name: Movable["name"],
  placerFor: PlacerFor,
): AnyServerCallbacks {
  const movable = (self: Process): Movable => movables.get(self)!;
  const wrapped: AnyServerCallbacks = {
    init(self, start: Resumed | { fresh: unknown }): MaybeAsync<InitResult<unknown>> {
      movables.set(self, { spec, name, forwardTo: undefined });
      if (start instanceof Resumed)
        return { state: start.state, continue: tuple(AWAIT_COMMIT, start.from, start.commitTimeoutMs) };
      return callbacks.init(self, start.fresh);
    },
    handleCall(self, request, from, state) {
      const to = movable(self).forwardTo;
      if (to !== undefined) {
        self.send(to, tuple(GEN_CALL, tuple(from.pid, from.tag), request));
        return { state };
      }
      if (request instanceof Tuple && request.at(0) === MIGRATE && request.size === 4) {
        return move(self, movable(self), request, state, placerFor);
      }
      if (callbacks.handleCall === undefined) return { stop: tuple(UNDEF, atom("handleCall")), state };
      return callbacks.handleCall(self, request, from, state);
    },
    handleCast(self, message, state) {
      const to = movable(self).forwardTo;
      if (to !== undefined) {
        self.send(to, tuple(GEN_CAST, message));
        return { state };
      }
      if (callbacks.handleCast === undefined) return { stop: tuple(UNDEF, atom("handleCast")), state };
      return callbacks.handleCast(self, message, state);
    },
    handleInfo(self, message, state) {
      const to = movable(self).forwardTo;
      if (to !== undefined) {
        if (isMigrationMessage(message, GRACE_OVER)) return { stop: tuple(SHUTDOWN, tuple(MIGRATED, to)), state };
        self.send(to, message);
        return { state };
      }
      if (callbacks.handleInfo === undefined) return { state }; // dropped, as a GenServer without handleInfo does
      return callbacks.handleInfo(self, message, state);
    },
    handleContinue(self, continuation, state) {
      if (continuation instanceof Tuple && continuation.at(0) === AWAIT_COMMIT) {
        return awaitCommit(self, continuation, state, callbacks);
      }
      if (callbacks.handleContinue === undefined) return { stop: tuple(UNDEF, atom("handleContinue")), state };
      return callbacks.handleContinue(self, continuation, state);
    },
    terminate(self, reason, state) {
      if (movable(self)?.forwardTo !== undefined) return; // moved: the new process runs terminate when it ends
      return callbacks.terminate?.(self, reason, state);
    },
  };
  if (callbacks.codeChange !== undefined) wrapped.codeChange = callbacks.codeChange.bind(callbacks);
  if (callbacks.formatStatus !== undefined) wrapped.formatStatus = callbacks.formatStatus.bind(callbacks);
  return wrapped;
}

/** The new process's first step: wait for the commit, then run `migrated`. */
async function awaitCommit(
  self: Process,
  continuation: Tuple,
  state: unknown,
  callbacks: Migrated<unknown>,
): Promise<NoReplyResult<unknown>> {
  const from = continuation.at(1) as Pid;
  const timeout = continuation.at(2) as number;
  const decision = await self.receive(
    (m) => (isMigrationMessage(m, COMMIT) || isMigrationMessage(m, ABORT)) && equals((m as Tuple).at(2)!, from),
    { timeout },
  );
  if (decision === undefined || (decision as Tuple).at(1) === ABORT) {
    return { stop: tuple(SHUTDOWN, MIGRATION_ABORTED), state };
  }
  return callbacks.migrated === undefined ? { state } : callbacks.migrated(self, state);
}

function isMigrationMessage(message: Term, what: Atom): boolean {
  return message instanceof Tuple && message.size === 3 && message.at(0) === MIGRATION && message.at(1) === what;
}

/** The move itself, in the server: `{'$otter_migrate', Target, GraceMs, TimeoutMs}` answered `{ok, NewPid}` or
 * `{error, Why}` (`{not_migratable, Text}` for a state that does not encode). */
async function move(
  self: Process,
  movable: Movable,
  request: Tuple,
  state: unknown,
  placerFor: PlacerFor,
): Promise<{ reply: Term; state: unknown }> {
  const [target, graceMs, timeoutMs] = [request.at(1)!, request.at(2) as number, request.at(3) as number];
  const refuse = (why: Term) => ({ reply: tuple(ERROR, why), state });
  try {
    encode(state as Term);
  } catch (error) {
    return refuse(tuple(NOT_MIGRATABLE, `its state does not encode to ETF: ${thrownMessage(error)}`));
  }
  const placer = placerFor(target);
  if (placer === undefined) return refuse(tuple(atom("bad_target"), target));
  const { name } = movable;
  if (name !== undefined && !isHolder(self, name)) return refuse(tuple(atom("name_moved"), name.name));
  let to: Pid;
  try {
    to = await placer.start(self, {
      spec: movable.spec,
      state: state as Term,
      name: name?.name,
      from: self.pid,
      commitTimeoutMs: timeoutMs,
    });
  } catch (error) {
    return refuse(tuple(atom("start_failed"), error instanceof DistError ? error.message : reasonFromThrown(error)));
  }
  self.send(to, tuple(MIGRATION, COMMIT, self.pid));
  for (;;) {
    const queued = await self.receive(undefined, { timeout: 0 });
    if (queued === undefined) break;
    self.send(to, queued);
  }
  // No await since the queue was found empty: the name moves before anything else can arrive here unforwarded.
  if (name !== undefined && !name.registry.repoint(name.name, self.pid, to)) {
    self.runtime.logger.warning(`migration: the name of ${self.pid} was taken during its move to ${to}`);
  }
  movable.forwardTo = to;
  self.runtime.sendAfter(graceMs, self.pid, tuple(MIGRATION, GRACE_OVER, self.pid));
  return { reply: tuple(OK, to), state };
}

function isHolder(self: Process, name: NonNullable<Movable["name"]>): boolean {
  const holder = name.registry.whereisName(name.name);
  return holder instanceof Pid && equals(holder, self.pid);
}

/** What `migrate` throws for an `{error, Why}` answer. */
export function moveError(why: Term, describe: (term: Term) => string): DistError {
  if (why instanceof Tuple && why.at(0) === NOT_MIGRATABLE) {
    return new DistError(ErrorCodes.CLUSTER_NOT_MIGRATABLE, `not migratable: ${describe(why.at(1)!)}`);
  }
  return new DistError(ErrorCodes.CLUSTER_MIGRATION_FAILED, `migration failed: ${describe(why)}`);
}
