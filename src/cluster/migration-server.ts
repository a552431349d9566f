// The server side of a migration: GenServer callbacks wrapped around a migratable server's own, adding the move
// (prepare a process at the target, ship the state, hand over) and the forwarding that follows it.
//
// A move has two halves, and the server is suspended only during the second:
//   1. Prepare, while the server serves on: the `MIGRATE` call is answered later; the server asks the target (a
//      node, or a scheduler of this node) to spawn `otter_migration:prepare` (migration-target.ts), which finds the
//      server's code there and starts a process that waits for the state. Its answer, `prepared` or `refused`, or
//      the spawn's failure, comes back as a message. A slow or failing target costs callers nothing.
//   2. Switch, as the handling of that one answer, so nothing else is handled meanwhile and the state cannot change
//      under it: the state must encode to ETF; it goes to the waiting process in one message, and everything queued
//      here follows it at once, in order, without waiting for an answer (a copy of each is kept); that process runs
//      `migrated` and answers `took` before it handles any of them; then the name follows (forwarding first keeps
//      the order of what one sender of this scheduler sends before and after). Until `took`, any failure (the new
//      process refused, died or did not answer in time) leaves the server serving here with its state, and the
//      kept copies are queued here again ahead of what came since; the waiting process is killed (known to nobody).
//   3. For the grace period, whatever still arrives at the old pid is forwarded as it came (a call's `From` is kept,
//      so the new process replies to the caller directly); then the old pid exits `{shutdown, {migrated, NewPid}}`,
//      without running `terminate` (the server lives on in the new process, which runs it when it ends). If the new
//      process ends first, the old pid stops forwarding and exits at once, the same way.

import { DistError, ErrorCodes, thrownMessage } from "../errors.ts";
import { type From, GEN_CALL, GEN_CAST, isDownOf, reply } from "../otp/gen.ts";
import type { InitResult, NoReplyResult } from "../otp/gen-server.ts";
import type { NameRegistry } from "../otp/names.ts";
import { isSpawnReply, KILL, type Process, SHUTDOWN } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { encode } from "../term/etf/encode.ts";
import { format } from "../term/format.ts";
import { Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import type { AnyServerCallbacks, ServerSpec } from "./migration-spec.ts";

type MaybeAsync<T> = T | Promise<T>;

/** A registry that can move a name from one pid to another (ClusterNames). */
export interface RepointableRegistry extends NameRegistry {
  repoint(name: Term, from: Pid, to: Pid): boolean;
}

/** A migratable server's callbacks: a GenServer's, plus what runs in the new process after a move. */
export interface Migrated<State> {
  /**
   * Runs in the new process with the state shipped, before the move is committed (default: keep the state as it
   * is). If it fails or stops, the move fails and the server runs on where it was.
   */
  migrated?(self: Process, state: State): MaybeAsync<NoReplyResult<State>>;
}

/** The name that follows a server: a local atom name, or a `via` name in a registry that re-points. */
export type MovableName = Atom | { readonly registry: RepointableRegistry; readonly name: Term } | undefined;

/** The init argument of a process waiting for a moving server's state (not a term: it never leaves its node). */
export class Awaiting {
  constructor(
    readonly server: Pid,
    readonly tag: Ref,
    readonly timeoutMs: number,
  ) {}
}

/** A move between its two halves: prepared at the target, not switched yet. */
interface PendingMove {
  readonly tag: Ref;
  /** The spawn request of `otter_migration:prepare` (also its monitor). */
  readonly request: Ref;
  readonly caller: From;
  readonly graceMs: number;
  readonly timeoutMs: number;
  readonly timer: Ref;
  /** Whether the target is a scheduler of this node (a local name is handed over) rather than another node. */
  readonly sameNode: boolean;
}

/** What a migratable server process knows beside its state. */
interface Movable {
  readonly spec: ServerSpec;
  readonly name: MovableName;
  pending: PendingMove | undefined;
  /** Where everything goes once the server moved, and the monitor on it. */
  forwardTo: Pid | undefined;
  watch: Ref | undefined;
}

/**
 * By the server process's own pid object, which `runtime.whereis` gives back for a name held on this scheduler (so
 * the old pid holding a name is found by it, see `takeName`).
 */
const movables = new WeakMap<Pid, Movable>();

export const MIGRATE = atom("$otter_migrate");
/** The module every node or scheduler that receives moved servers offers, and its function. */
export const MIGRATION_MODULE = atom("otter_migration");
export const PREPARE = atom("prepare");
export const MIGRATION = atom("$otter_migration");
export const PREPARED = atom("prepared");
export const REFUSED = atom("refused");
const PREPARE_TIMEOUT = atom("prepare_timeout");
const STATE = atom("state");
const TOOK = atom("took");
export const SUSPENDED = atom("suspended");
const NAMED = atom("named");
const GRACE_OVER = atom("grace_over");
const AWAIT_STATE = atom("$otter_await_state");
const MIGRATED = atom("migrated");
const MIGRATION_ABORTED = atom("migration_aborted");
const SCHEDULER = atom("scheduler");
const OK = atom("ok");
const ERROR = atom("error");
const TIMEOUT = atom("timeout");
const NOT_MIGRATABLE = atom("not_migratable");
const START_FAILED = atom("start_failed");
const UNDEF = atom("undef");
/** How the name travels in a prepare request: `{local, Atom}`, `{via, Name}` or `undefined`. */
const LOCAL = atom("local");
const VIA = atom("via");
const NO_NAME = atom("undefined");

/**
 * `callbacks` made migratable: `spec` names them on every node and scheduler, `name` (a local atom name, or a
 * `via` name in a registry that can re-point) follows the server when it moves.
 */
export function migratableCallbacks(
  spec: ServerSpec,
  callbacks: AnyServerCallbacks & Migrated<unknown>,
  name: MovableName,
): AnyServerCallbacks {
  const movable = (self: Process): Movable => movables.get(self.pid)!;
  const wrapped: AnyServerCallbacks = {
    init(self, start: Awaiting | { fresh: unknown }): MaybeAsync<InitResult<unknown>> {
      movables.set(self.pid, { spec, name, pending: undefined, forwardTo: undefined, watch: undefined });
      if (start instanceof Awaiting) {
        return { state: undefined, continue: tuple(AWAIT_STATE, start.server, start.tag, start.timeoutMs) };
      }
      return callbacks.init(self, start.fresh);
    },
    handleCall(self, request, from, state) {
      const moving = movable(self);
      if (moving.forwardTo !== undefined) {
        self.send(moving.forwardTo, tuple(GEN_CALL, tuple(from.pid, from.tag), request));
        return { state };
      }
      if (request instanceof Tuple && request.at(0) === MIGRATE && request.size === 4) {
        const answer = beginMove(self, moving, request, from, state);
        return answer === undefined ? { state } : { reply: answer, state };
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
      const moving = movable(self);
      const handled = moveMessage(self, moving, message, state);
      if (handled !== undefined) return handled;
      if (moving.forwardTo !== undefined) {
        self.send(moving.forwardTo, message);
        return { state };
      }
      if (callbacks.handleInfo === undefined) return { state }; // dropped, as a GenServer without handleInfo does
      return callbacks.handleInfo(self, message, state);
    },
    handleContinue(self, continuation, state) {
      if (continuation instanceof Tuple && continuation.at(0) === AWAIT_STATE) {
        return awaitState(self, continuation, callbacks);
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

/** Whether `pid` is the old pid of a server of `spec` that moved on and forwards (it may hand its name on). */
export function isForwarderOf(pid: Pid, spec: ServerSpec): boolean {
  const moving = movables.get(pid);
  return moving?.forwardTo !== undefined && moving.spec.module === spec.module && moving.spec.fn === spec.fn;
}

/**
 * The first half, for `{'$otter_migrate', Target, GraceMs, TimeoutMs}`: asks the target to prepare. Returns the
 * reply at once when there is nothing to wait for (`{ok, Self}` for the place it runs, `{error, Why}`), else
 * undefined: the reply comes when the move ends.
 */
function beginMove(self: Process, moving: Movable, request: Tuple, caller: From, state: unknown): Term | undefined {
  const [target, graceMs, timeoutMs] = [request.at(1)!, request.at(2) as number, request.at(3) as number];
  const place = placeOf(self, target);
  if (place === undefined) return tuple(ERROR, tuple(atom("bad_target"), target));
  if (place === "here") return tuple(OK, self.pid);
  if (moving.pending !== undefined) return tuple(ERROR, atom("already_moving"));
  const notEncodable = encodingError(state);
  if (notEncodable !== undefined) return tuple(ERROR, tuple(NOT_MIGRATABLE, notEncodable));
  const { name } = moving;
  const via = name !== undefined && !(name instanceof Atom) ? name : undefined;
  // A `via` registry object lives on one thread: a server named in one moves between nodes, not schedulers.
  if (via !== undefined && place.scheduler !== undefined) return tuple(ERROR, tuple(atom("via_name"), via.name));
  if (via !== undefined && !isHolder(self, via)) return tuple(ERROR, tuple(atom("name_moved"), via.name));
  const tag = self.makeRef();
  const nameTerm = name === undefined ? NO_NAME : name instanceof Atom ? tuple(LOCAL, name) : tuple(VIA, name.name);
  const args = [self.pid, tag, atom(moving.spec.module), atom(moving.spec.fn), nameTerm, timeoutMs];
  const options = place.scheduler === undefined ? {} : { scheduler: place.scheduler };
  const requestId = self.spawnRequest(place.node, MIGRATION_MODULE, PREPARE, args, {
    ...options,
    monitor: true,
    reply: "error_only",
  });
  const timer = self.runtime.sendAfter(timeoutMs, self.pid, tuple(MIGRATION, PREPARE_TIMEOUT, tag));
  const sameNode = place.node === self.runtime.node;
  moving.pending = { tag, request: requestId, caller, graceMs, timeoutMs, timer, sameNode };
  return undefined;
}

/** Where a target term points: a node (and maybe a scheduler of it), "here" (where the server runs), or nowhere. */
function placeOf(self: Process, target: Term): { node: Atom; scheduler?: number } | "here" | undefined {
  const { node, seat } = self.runtime;
  if (target instanceof Atom) return target === node ? "here" : { node: target };
  if (!(target instanceof Tuple && target.size === 2 && target.at(0) === SCHEDULER)) return undefined;
  const index = target.at(1);
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= seat.count) return undefined;
  return index === seat.index ? "here" : { node, scheduler: index };
}

/**
 * The server's own migration messages and the answers to its prepare request; undefined for any other message.
 * While a move is pending the server serves as usual: these come between its other messages.
 */
function moveMessage(
  self: Process,
  moving: Movable,
  message: Term,
  state: unknown,
): MaybeAsync<NoReplyResult<unknown>> | undefined {
  const pending = moving.pending;
  if (pending !== undefined && isSpawnReply(message, pending.request)) {
    return failMove(self, moving, tuple(START_FAILED, message.at(3)!), state);
  }
  if (pending !== undefined && isDownOf(message, pending.request)) {
    return failMove(self, moving, tuple(START_FAILED, (message as Tuple).at(4)!), state);
  }
  if (moving.watch !== undefined && isDownOf(message, moving.watch)) return newProcessEnded(self, moving, state);
  if (!(message instanceof Tuple && message.size >= 3 && message.at(0) === MIGRATION)) return undefined;
  const [kind, tag] = [message.at(1), message.at(2)!];
  const ours = pending !== undefined && equals(tag, pending.tag);
  if (kind === PREPARED && message.size === 4) {
    if (ours) return switchOver(self, moving, message.at(3) as Pid, state);
    self.exit(message.at(3) as Pid, KILL); // prepared for a move that failed meanwhile: known to nobody
    return { state };
  }
  if (kind === REFUSED && message.size === 4) return ours ? failMove(self, moving, message.at(3)!, state) : { state };
  if (kind === PREPARE_TIMEOUT) return ours ? failMove(self, moving, tuple(START_FAILED, TIMEOUT), state) : { state };
  if (kind === GRACE_OVER && moving.forwardTo !== undefined && equals(tag, self.pid)) {
    return { stop: tuple(SHUTDOWN, tuple(MIGRATED, moving.forwardTo)), state };
  }
  if (kind === NAMED && message.size === 4 && moving.forwardTo === undefined) {
    takeName(self, moving, message.at(3) as Pid);
    return { state };
  }
  return undefined;
}

/** Ends the pending move: its timer and prepare request are dropped; the caller of `migrate` gets `answer`. */
function endMove(self: Process, moving: Movable, answer: Term): PendingMove {
  const pending = moving.pending!;
  moving.pending = undefined;
  self.runtime.cancelTimer(pending.timer);
  if (!self.spawnRequestAbandon(pending.request)) self.demonitor(pending.request, { flush: true });
  reply(self, pending.caller, answer);
  return pending;
}

function failMove(self: Process, moving: Movable, why: Term, state: unknown): NoReplyResult<unknown> {
  endMove(self, moving, tuple(ERROR, why));
  return { state };
}

/**
 * The second half: the state goes to the prepared process `to`, and right behind it everything queued here and
 * whatever comes until it answers `took`, each kept: if it ends before it took the state, it handled none of
 * them, and they are handled here again, first. Once it took the state, the name follows.
 */
async function switchOver(self: Process, moving: Movable, to: Pid, state: unknown): Promise<NoReplyResult<unknown>> {
  const { tag, timeoutMs } = moving.pending!;
  const notEncodable = encodingError(state);
  const via = moving.name !== undefined && !(moving.name instanceof Atom) ? moving.name : undefined;
  const why =
    notEncodable !== undefined
      ? tuple(NOT_MIGRATABLE, notEncodable)
      : via !== undefined && !isHolder(self, via)
        ? tuple(atom("name_moved"), via.name)
        : undefined;
  if (why !== undefined) {
    self.exit(to, KILL); // known to nobody
    return failMove(self, moving, why, state);
  }
  const suspendedAt = wallClockMs();
  const watch = self.monitor(to);
  self.send(to, tuple(MIGRATION, STATE, tag, state as Term));
  const forwarded: Term[] = [];
  const isAnswer = (m: Term) => isMigrationMessage(m, TOOK, tag) || isDownOf(m, watch);
  let answer = await relayUntil(self, to, forwarded, isAnswer, self.runtime.clock.now() + timeoutMs);
  if (answer === undefined) {
    // No answer in time: it is killed, and its DOWN says it never took the state — unless `took` comes first.
    self.exit(to, KILL);
    answer = await relayUntil(self, to, forwarded, isAnswer, Number.POSITIVE_INFINITY);
  }
  if (isDownOf(answer!, watch)) {
    await handleAgain(self, forwarded);
    return failMove(self, moving, tuple(START_FAILED, (answer as Tuple).at(4)!), state);
  }
  // No await since the last message was forwarded: the name moves before anything else can arrive here
  // unforwarded, and the new process hears of it before anyone hears of the new process.
  moveName(self, moving, to, tag, moving.pending!.sameNode);
  const suspended = tuple(SUSPENDED, suspendedAt, wallClockMs() - suspendedAt);
  const { graceMs } = endMove(self, moving, tuple(OK, to, suspended));
  moving.forwardTo = to;
  moving.watch = watch;
  self.runtime.sendAfter(graceMs, self.pid, tuple(MIGRATION, GRACE_OVER, self.pid));
  return { state };
}

/** Forwards to `to` (keeping each in `forwarded`) every message until one `isAnswer` takes, or `deadline` passes. */
async function relayUntil(
  self: Process,
  to: Pid,
  forwarded: Term[],
  isAnswer: (message: Term) => boolean,
  deadline: number,
): Promise<Term | undefined> {
  for (;;) {
    const timeout =
      deadline === Number.POSITIVE_INFINITY ? "infinity" : Math.max(0, deadline - self.runtime.clock.now());
    const message = await self.receive(undefined, { timeout });
    if (message === undefined || isAnswer(message)) return message;
    self.send(to, message);
    forwarded.push(message);
  }
}

/**
 * The move failed after messages were forwarded, unhandled: they go back to the server's queue in their order,
 * ahead of what came since (all of it is taken and queued again behind them, with no await in between).
 */
async function handleAgain(self: Process, forwarded: Term[]): Promise<void> {
  if (forwarded.length === 0) return;
  for (;;) {
    const queued = await self.receive(undefined, { timeout: 0 });
    if (queued === undefined) break;
    forwarded.push(queued);
  }
  for (const message of forwarded) self.send(self.pid, message);
}

/**
 * The name follows the server to `to`, which hears `named` after everything forwarded. A `via` name is re-pointed
 * here (and by the new process in its node's copy, which may not have heard yet). A local atom name on this node
 * (another scheduler) is handed over in one step, so a send to it never finds it free; the new process then takes
 * it into its scheduler's registry. On another node the old pid keeps it for the grace period and the new process
 * registers it there if it is free (see migration.ts).
 */
function moveName(self: Process, moving: Movable, to: Pid, tag: Ref, sameNode: boolean): void {
  const { name } = moving;
  if (name === undefined) return;
  if (name instanceof Atom) {
    if (sameNode && !self.runtime.handOverName(name, self.pid, to)) {
      self.runtime.logger.warning(`migration: ${self.pid} did not hold ${format(name)} when it moved to ${to}`);
    }
  } else if (!name.registry.repoint(name.name, self.pid, to)) {
    self.runtime.logger.warning(`migration: the name of ${self.pid} was taken during its move to ${to}`);
  }
  self.send(to, tuple(MIGRATION, NAMED, tag, self.pid));
}

/** In the new process, at `named` from the old pid `from`: its name, taken here. */
function takeName(self: Process, moving: Movable, from: Pid): void {
  const { name } = moving;
  if (name === undefined) return;
  if (!(name instanceof Atom)) {
    name.registry.repoint(name.name, from, self.pid);
    return;
  }
  const runtime = self.runtime;
  if (runtime.adoptName(name, self.pid)) return;
  const holder = runtime.whereis(name);
  // The old pid of an earlier move of this server, back here within its grace period: it hands the name back.
  if (holder !== undefined && isForwarderOf(holder, moving.spec) && runtime.handOverName(name, holder, self.pid)) {
    if (runtime.adoptName(name, self.pid)) return;
  }
  try {
    self.register(name);
  } catch (error) {
    self.runtime.logger.warning(
      `migration: ${self.pid} runs without its name ${format(name)}: ${thrownMessage(error)}`,
    );
  }
}

/** The old pid, forwarding: the new process ended before the grace period did; there is nothing left to forward to. */
function newProcessEnded(self: Process, moving: Movable, state: unknown): NoReplyResult<unknown> {
  const to = moving.forwardTo!;
  // A name handed over on this node that the new process had not taken into its registry yet is freed here.
  if (moving.name instanceof Atom) self.runtime.releaseHandedOverName(moving.name, to);
  return { stop: tuple(SHUTDOWN, tuple(MIGRATED, to)), state };
}

/** The new process's first step: wait for the state, run `migrated`, then tell the old pid it took over. */
async function awaitState(
  self: Process,
  continuation: Tuple,
  callbacks: Migrated<unknown>,
): Promise<NoReplyResult<unknown>> {
  const [server, tag, timeout] = [continuation.at(1) as Pid, continuation.at(2) as Ref, continuation.at(3) as number];
  const shipped = await self.receive((m) => isMigrationMessage(m, STATE, tag), { timeout });
  if (shipped === undefined) return { stop: tuple(SHUTDOWN, MIGRATION_ABORTED), state: undefined };
  const state = (shipped as Tuple).at(3)!;
  const result = callbacks.migrated === undefined ? { state } : await callbacks.migrated(self, state);
  if (!("stop" in result)) self.send(server, tuple(MIGRATION, TOOK, tag));
  return result;
}

/** Milliseconds since the epoch, to the µs: comparable between the threads and processes of one host. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

function isMigrationMessage(message: Term, what: Atom, tag: Ref): boolean {
  return (
    message instanceof Tuple && message.at(0) === MIGRATION && message.at(1) === what && equals(message.at(2)!, tag)
  );
}

function encodingError(state: unknown): string | undefined {
  try {
    encode(state as Term);
    return undefined;
  } catch (error) {
    return `its state does not encode to ETF: ${thrownMessage(error)}`;
  }
}

function isHolder(self: Process, name: { readonly registry: RepointableRegistry; readonly name: Term }): boolean {
  const holder = name.registry.whereisName(name.name);
  return holder instanceof Pid && equals(holder, self.pid);
}

/** The name a prepare request carries, as the new process keeps it (`via` names in `registry`, if any). */
export function movableNameOf(term: Term, registry: RepointableRegistry | undefined): MovableName | "no_registry" {
  if (term instanceof Tuple && term.at(0) === LOCAL && term.at(1) instanceof Atom) return term.at(1) as Atom;
  if (term instanceof Tuple && term.at(0) === VIA) {
    return registry === undefined ? "no_registry" : { registry, name: term.at(1)! };
  }
  return undefined;
}

/** What `migrate` throws for an `{error, Why}` answer. */
export function moveError(why: Term): DistError {
  if (why instanceof Tuple && why.at(0) === NOT_MIGRATABLE) {
    return new DistError(ErrorCodes.CLUSTER_NOT_MIGRATABLE, `not migratable: ${format(why.at(1)!)}`);
  }
  return new DistError(ErrorCodes.CLUSTER_MIGRATION_FAILED, `migration failed: ${format(why)}`);
}
