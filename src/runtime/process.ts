// A process: its identity, mailbox, body and flags, and `self`, the API its body uses (send, receive, link …).
//
// The object is both the runtime's record and the body's context, so an idle behaviour process costs one object
// beside its pid and state. Fields marked @internal are the runtime's; a body uses the methods.
import type { Atom } from "../term/atom.ts";
import { ErlMap } from "../term/map.ts";
import type { Pid, Ref, Term } from "../term/types.ts";
import type { RegisteredName } from "./contracts.ts";
import { ProcessDirty } from "./dirty-calls.ts";
import { Mailbox, type Marker, type Match } from "./mailbox.ts";
import type { Monitor } from "./monitors.ts";
import type { MonitorNodesOptions } from "./node-monitors.ts";
import type { Runtime } from "./runtime.ts";
import type { SpawnRequestOptions } from "./spawn-requests.ts";
import type { Timer } from "./timer-wheel.ts";

export type Priority = "low" | "normal" | "high";

/**
 * A process body as an object: the cheap form (one shared object, per-process state only) that GenServer and
 * GenStatem build on. The runtime takes messages in arrival order and hands each to `handleMessage`.
 * A callback may return a promise; the process then takes no message until it settles (a `self.receive`
 * inside it still works). Throwing ends the process (`ProcessExit` for a chosen reason).
 */
export interface Behaviour<State = unknown, Arg = unknown> {
  /** Runs first, in the new process; returns the initial state (default: the spawn option `arg`). */
  init?(self: Process, arg: Arg): State | Promise<State>;
  /** Handles the next message; returns the next state. */
  handleMessage(self: Process, message: Term, state: State): State | Promise<State>;
  /** Called when the wait armed by `self.setIdleTimeout(ms)` passes without a message. */
  handleTimeout?(self: Process, state: State): State | Promise<State>;
  /** What `processInfo` shows as the current function (default: the object's constructor name). */
  readonly name?: string;
}

/** A process body as a function: `async (self) => { … await self.receive() … }`. Returning ends it normally. */
export type AsyncBody<Result = unknown> = (self: Process) => Promise<Result> | Result;

// biome-ignore lint/suspicious/noExplicitAny: a body of any state type can be spawned; its own type checks it.
export type Body = Behaviour<any, any> | AsyncBody;

/** Where a message can go: a pid, a registered name here, `{ name, node }`, or an alias. */
export type Destination = Pid | Atom | RegisteredName | Ref;

export interface SpawnOptions<Arg = unknown> {
  /** Passed to a behaviour's `init` (or used as its state). */
  arg?: Arg;
  /** Register the new process under this name (atomically: if taken, nothing is spawned). */
  name?: Atom;
  trapExit?: boolean;
  priority?: Priority;
}

/** Spawn options only a process can use: `link` ties the new process to the caller. */
export interface ProcessSpawnOptions<Arg = unknown> extends SpawnOptions<Arg> {
  link?: boolean;
}

/** How a monitor's ref doubles as an alias (see `monitor`). */
export type MonitorAlias = "explicitUnalias" | "demonitor" | "replyDemonitor";

export interface ReceiveOptions {
  /** Milliseconds to wait (0 polls); the receive then resolves to `undefined`. Default: wait forever. */
  timeout?: number | "infinity";
  /**
   * A reference this process made just before (makeRef, monitor, alias): only messages that arrived after
   * it are scanned, so a reply receive stays O(1) however long the queue is.
   */
  since?: Ref;
}

/** @internal Process status, as the scheduler sees it (the low bits of `flags`). */
export enum Status {
  /** Spawned, not started yet. */
  New = 0,
  /** Waiting for a message. */
  Idle = 1,
  /** Has work: queued to run, or running. */
  Ready = 2,
  /** A behaviour waiting for the promise its callback returned. */
  Busy = 3,
  Exited = 4,
}

const STATUS_BITS = 7;

/** @internal Flag bits, above the status bits. */
export enum Flag {
  Queued = 8,
  TrapExit = 16,
  Async = 32,
  PriorityLow = 64,
  PriorityHigh = 128,
  /** The idle timeout fired; `handleTimeout` is due. */
  TimeoutDue = 256,
  /** A plain `receive()` has its message (the oldest queued) and waits for the scheduler to resume it. */
  ReceiveDue = 512,
  /** It sent to a busy connection: it is not scheduled until the connection clears (execution.ts `suspend`). */
  Suspended = 1024,
}

/** What a pending receive's `result` holds until a message (or the timeout) completes it. */
export const NOT_READY: unique symbol = Symbol("not ready");

/** @internal Resolves a pending receive's promise. */
export type ResolveReceive = (value: Term | undefined) => void;

/** @internal A receive waiting for a matching message (a plain `receive()` needs only its ResolveReceive). */
export class PendingReceive {
  timer: Timer | null = null;
  /** The message (undefined: timed out) once the receive completed but the process was not resumed yet. */
  result: Term | undefined | typeof NOT_READY = NOT_READY;
  constructor(
    readonly match: Match | undefined,
    readonly resolve: ResolveReceive,
  ) {}
}

/** @internal What few processes use, kept out of the process object so an idle process stays small. */
export class ProcessExtra {
  links: Map<number | string, Pid> | undefined;
  /** The monitors this process holds, a list through the records (see monitors.ts). */
  monitors: Monitor | null = null;
  /** The monitors held on this process. */
  monitoredBy: Monitor | null = null;
  name: Atom | undefined;
  dictionary: ErlMap | undefined;
  aliases: Set<number | string> | undefined;
  idleTimeout: number | undefined;
  idleTimer: Timer | undefined;
  onExit: ((reason: Term, result: unknown) => void) | undefined;
  /** Called when the process exits: the dirty calls it is waiting for, which are then dropped. */
  exitWatchers: Set<() => void> | undefined;
  /** The module version whose code it runs (an async body from a loaded module; see CodeTracker). */
  code: object | undefined;
  /** Inherited at spawn; only processes of an OTP application have one (and links already gave them extras). */
  groupLeader: Pid | undefined;
  marker: Marker | null = null;
  waiting: PendingReceive | ResolveReceive | null = null;

  addLink(key: number | string, pid: Pid): void {
    if (this.links === undefined) this.links = new Map();
    this.links.set(key, pid);
  }

  addAlias(key: number | string): void {
    if (this.aliases === undefined) this.aliases = new Set();
    this.aliases.add(key);
  }
}

export class Process extends Mailbox {
  /** @internal Status (low bits, see `status`) and Flag bits. */
  flags: number;
  /**
   * @internal A behaviour's state. An async body keeps no state here, so for it the field holds the pending
   * receive (see `waiting`): one field fewer on every process.
   */
  state: unknown = null;
  /** @internal */ reductions = 0;
  /** @internal */ extra: ProcessExtra | null = null;

  /** @internal Use `runtime.spawn` or `self.spawn`. */
  constructor(
    /** The runtime this process lives in (a field: a per-runtime prototype would make call sites megamorphic). */
    readonly runtime: Runtime,
    readonly pid: Pid,
    /** @internal */ readonly body: Body,
    flags: number,
  ) {
    super();
    this.flags = flags; // status New is 0
  }

  /**
   * @internal The pending receive: its record, or just the resolve function of a plain `receive()`. An async body
   * keeps it in `state`; a behaviour (receiving inside an async callback, which is rare) in its extras.
   */
  get waiting(): PendingReceive | ResolveReceive | null {
    if ((this.flags & Flag.Async) !== 0) return this.state as PendingReceive | ResolveReceive | null;
    return this.extra === null ? null : this.extra.waiting;
  }

  set waiting(waiting: PendingReceive | ResolveReceive | null) {
    if ((this.flags & Flag.Async) !== 0) this.state = waiting;
    else if (waiting !== null || this.extra !== null) this.extras().waiting = waiting;
  }

  protected get marker(): Marker | null {
    return this.extra === null ? null : this.extra.marker;
  }

  protected set marker(marker: Marker | null) {
    this.extras().marker = marker;
  }

  /** @internal */
  get status(): Status {
    return this.flags & STATUS_BITS;
  }

  set status(status: Status) {
    this.flags = (this.flags & ~STATUS_BITS) | status;
  }

  /** @internal Whether the process has exited (a method, so a check after a call is not narrowed away). */
  get exited(): boolean {
    return this.status === Status.Exited;
  }

  /** @internal */
  extras(): ProcessExtra {
    if (this.extra === null) this.extra = new ProcessExtra();
    return this.extra;
  }

  /** Sends `message` (Erlang's `!`): to a dead pid or a lost alias it is dropped; to an unknown name it throws. */
  send(to: Destination, message: Term): void {
    this.runtime.sendFrom(this, to, message);
  }

  /**
   * Takes the oldest message `match` accepts (any message without one), waiting for it if none is queued.
   * With a `timeout`, resolves to `undefined` when it passes first (Erlang's `after`).
   */
  receive(): Promise<Term>;
  receive<T extends Term>(match: ((message: Term) => message is T) | undefined): Promise<T>;
  receive(match: Match | undefined): Promise<Term>;
  receive<T extends Term>(
    match: ((message: Term) => message is T) | undefined,
    options: ReceiveOptions,
  ): Promise<T | undefined>;
  receive(match: Match | undefined, options: ReceiveOptions): Promise<Term | undefined>;
  receive(match?: Match, options?: ReceiveOptions): Promise<Term | undefined> {
    return this.runtime.execution.receive(this, match, options);
  }

  /**
   * @internal `receive` for code that settles its own promise: `done` gets the message, or undefined when
   * `timeout` passes (see Execution.receiveInto).
   */
  receiveInto(match: Match, since: Ref | undefined, timeout: number | "infinity", done: ResolveReceive): void {
    this.runtime.execution.receiveInto(this, match, since, timeout, done);
  }

  /**
   * Lets every other runnable process run before this one goes on (Erlang's `erlang:yield/0`). An async body
   * cannot be preempted: a long loop awaits this now and then to keep the scheduler fair.
   */
  yield(): Promise<undefined> {
    return this.runtime.execution.yield(this);
  }

  spawn(body: Body, options?: ProcessSpawnOptions): Pid {
    return this.runtime.spawnFrom(this, body, options);
  }

  spawnLink(body: Body, options?: SpawnOptions): Pid {
    return this.runtime.spawnFrom(this, body, { ...options, link: true });
  }

  /**
   * The node's dirty pools, for this process: `await self.dirty.cpu(fn, ...args)` runs `fn` (an export of a module
   * loaded into the pools) on a worker thread and suspends only this process meanwhile.
   */
  get dirty(): ProcessDirty {
    return new ProcessDirty(this);
  }

  /** Spawns and monitors atomically (nothing runs in between); `ref` is the monitor's. */
  spawnMonitor(body: Body, options?: SpawnOptions): { pid: Pid; ref: Ref } {
    const pid = this.runtime.spawnFrom(this, body, options);
    return { pid, ref: this.runtime.monitorFrom(this, pid, undefined) };
  }

  /**
   * Asks `node` to spawn a process running `module:fn(...args)` (Erlang's spawn_request/5); returns the request id
   * at once. The answer comes as `{spawn_reply, ReqId, ok, Pid}` or `{spawn_reply, ReqId, error, Reason}` (see
   * the `reply` and `replyTag` options); `link` and `monitor` (ref = ReqId) take effect with the success message.
   * A node that cannot be reached answers `noconnection`. Throws a ProcessError PROC_BAD_ARG for bad arguments.
   */
  spawnRequest(node: Atom, module: Atom, fn: Atom, args: readonly Term[], options?: SpawnRequestOptions): Ref {
    return this.runtime.spawnRequests.request(this, node, module, fn, args, options);
  }

  /** Abandons a spawn request still waiting for its answer (spawn_request_abandon/1); false if there is none. */
  spawnRequestAbandon(ref: Ref): boolean {
    return this.runtime.spawnRequests.abandon(this, ref);
  }

  /**
   * Links to `pid`. A dead local `pid` gives `{'EXIT', Pid, noproc}` when trapping exits, else throws a
   * ProcessError PROC_NOT_ALIVE (Erlang's `error:noproc`). A pid on another node fails later, by signal.
   */
  link(pid: Pid): void {
    this.runtime.linkFrom(this, pid);
  }

  unlink(pid: Pid): void {
    this.runtime.unlinkFrom(this, pid);
  }

  /**
   * Monitors a process (by pid, registered name, or `{ name, node }`); its DOWN message carries the ref. With
   * `alias`, the ref is also an alias of this process (Erlang's `{alias, …}` monitor option): `demonitor` ends
   * it with the monitor, `replyDemonitor` also at the first message, `explicitUnalias` only by `unalias`.
   */
  monitor(target: Pid | Atom | RegisteredName, options?: { alias?: MonitorAlias }): Ref {
    return this.runtime.monitorFrom(this, target, options?.alias);
  }

  /**
   * Removes a monitor. `flush` also removes its DOWN message if one is queued. Returns whether the monitor
   * was still active (Erlang's `info` option); false also when `flush` removed a DOWN message.
   */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    return this.runtime.demonitorFrom(this, ref, options?.flush ?? false);
  }

  /**
   * Monitors the connection to `node` (erlang:monitor_node/2): when it goes down, or cannot be made, this process
   * gets `{nodedown, Node}`, once for each call. A node not connected is connected to. `flag` false removes one
   * such monitor. Monitors of this node itself do nothing.
   */
  monitorNode(node: Atom, flag = true): void {
    this.runtime.nodeMonitors.monitorNode(this, node, flag);
  }

  /**
   * Subscribes this process to node status changes (net_kernel:monitor_nodes/2): `{nodeup, Node}` when a visible
   * node connects and `{nodedown, Node}` when it disconnects; with options, `{nodeup, Node, Info}` and
   * `{nodedown, Node, Info}` (see MonitorNodesOptions). `flag` false ends every subscription made with the same
   * options. Subscriptions stack, and end with the process.
   */
  monitorNodes(flag: boolean, options?: MonitorNodesOptions): void {
    this.runtime.nodeMonitors.monitorNodes(this, flag, options);
  }

  /** Sends an exit signal (Erlang's `exit(Pid, Reason)`). To end this process, throw a `ProcessExit`. */
  exit(pid: Pid, reason: Term): void {
    if (!this.exited) this.runtime.exitFrom(this.pid, pid, reason, false);
  }

  get trapExit(): boolean {
    return (this.flags & Flag.TrapExit) !== 0;
  }

  /** Turns exit signals into `{'EXIT', From, Reason}` messages (except `kill`); returns the old setting. */
  setTrapExit(on: boolean): boolean {
    const was = this.trapExit;
    this.flags = on ? this.flags | Flag.TrapExit : this.flags & ~Flag.TrapExit;
    return was;
  }

  get priority(): Priority {
    return priorityOf(this.flags);
  }

  /** Returns the old priority. */
  setPriority(priority: Priority): Priority {
    const was = this.priority;
    this.flags = withPriority(this.flags, priority);
    return was;
  }

  /**
   * The group leader (Erlang's `group_leader()`): inherited from the spawning process, undefined for a process
   * spawned from outside any. OTP's application master makes itself the leader of its application's processes.
   */
  get groupLeader(): Pid | undefined {
    return this.extra?.groupLeader;
  }

  /**
   * Makes `leader` the group leader of `pid`, this process by default (Erlang's `group_leader(Leader, Pid)`). A
   * process of another scheduler or node takes it as a signal, after what this process sent it before: the answer is
   * then true. False when `pid` is a process of this scheduler that is not alive.
   */
  setGroupLeader(leader: Pid, pid: Pid = this.pid): boolean {
    if (pid === this.pid) {
      this.extras().groupLeader = leader;
      return true;
    }
    return this.runtime.groupLeaderFrom(this, pid, leader);
  }

  /** Registers this process under `name`. */
  register(name: Atom): void {
    this.runtime.register(name, this.pid);
  }

  /** A new unique reference; a receive with `{ since: ref }` skips the messages queued before it. */
  makeRef(): Ref {
    return this.runtime.markedRef(this);
  }

  /**
   * A new alias: a reference others can send to (`send(alias, msg)`) until `unalias`. With `reply: true`
   * it deactivates after the first message, as OTP's call replies use it.
   */
  alias(options?: { reply?: boolean }): Ref {
    return this.runtime.aliasFor(this, options?.reply === true ? "reply" : "explicit");
  }

  /** Deactivates an alias of this process; false if it was not active. */
  unalias(ref: Ref): boolean {
    return this.runtime.aliases.remove(this, ref);
  }

  /** The next wait for a message ends after `ms`, calling the behaviour's `handleTimeout` (undefined: never). */
  setIdleTimeout(ms: number | undefined): void {
    this.runtime.setIdleTimeoutFor(this, ms);
  }

  /** Process dictionary: stores `value` under `key`, returns the previous value. */
  put(key: Term, value: Term): Term | undefined {
    const extra = this.extras();
    extra.dictionary ??= new ErlMap();
    const old = extra.dictionary.get(key);
    extra.dictionary.set(key, value);
    return old;
  }

  get(key: Term): Term | undefined {
    return this.extra?.dictionary?.get(key);
  }

  erase(key: Term): Term | undefined {
    const dict = this.extra?.dictionary;
    if (dict === undefined) return undefined;
    const old = dict.get(key);
    dict.delete(key);
    return old;
  }

  /** The dictionary's keys. */
  getKeys(): Term[] {
    return [...(this.extra?.dictionary?.keys() ?? [])];
  }
}

/** @internal */
export function priorityOf(flags: number): Priority {
  return (flags & Flag.PriorityHigh) !== 0 ? "high" : (flags & Flag.PriorityLow) !== 0 ? "low" : "normal";
}

/** @internal */
export function withPriority(flags: number, priority: Priority): number {
  const cleared = flags & ~(Flag.PriorityHigh | Flag.PriorityLow);
  return priority === "high" ? cleared | Flag.PriorityHigh : priority === "low" ? cleared | Flag.PriorityLow : cleared;
}
