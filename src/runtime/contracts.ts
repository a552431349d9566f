// The interfaces other layers plug into the runtime through: the remote signal transport and the clock.
// (Log handlers plug into the logger: see logger.ts.)
//
// The runtime never imports the distribution layer (DESIGN.md, "Layers"): a pid whose node is not ours is
// handed to a `SignalTransport`, which `dist/` implements and `node/` installs. Inbound, the transport
// calls `SignalSink.deliver` with the same `Signal` shapes. Ordering contract: signals from one process to
// another arrive in the order they were sent, so a transport must keep per-pair FIFO order.
import type { Atom } from "../term/atom.ts";
import type { Pid, Ref, Term } from "../term/types.ts";
import type { ProcessInfo } from "./info.ts";

/** A process addressed by registered name on a node: `{Name, Node}` in Erlang. */
export interface RegisteredName {
  readonly name: Atom;
  readonly node: Atom;
}

/**
 * Every signal that can pass between two processes (the Erlang reference manual, "Processes", "Signals").
 * `exit` with `link: true` is the signal a terminating process sends its links; without, it is `exit/2`.
 */
export type Signal =
  | { readonly kind: "message"; readonly from: Pid; readonly to: Pid | RegisteredName; readonly message: Term }
  | { readonly kind: "alias-message"; readonly from: Pid; readonly to: Ref; readonly message: Term }
  | { readonly kind: "exit"; readonly from: Pid; readonly to: Pid; readonly reason: Term; readonly link: boolean }
  | { readonly kind: "link"; readonly from: Pid; readonly to: Pid }
  | { readonly kind: "unlink"; readonly from: Pid; readonly to: Pid }
  | { readonly kind: "monitor"; readonly from: Pid; readonly to: Pid | RegisteredName; readonly ref: Ref }
  | { readonly kind: "demonitor"; readonly from: Pid; readonly to: Pid | RegisteredName; readonly ref: Ref }
  | {
      readonly kind: "down";
      readonly from: Pid | RegisteredName;
      readonly to: Pid;
      readonly ref: Ref;
      readonly reason: Term;
    }
  /** group_leader(Leader, Pid) for a process of another node or scheduler: `leader` becomes `to`'s group leader. */
  | { readonly kind: "group-leader"; readonly from: Pid; readonly to: Pid; readonly leader: Pid }
  | SpawnRequest;

/**
 * erlang:spawn_request to another node: run `module:function(args…)` there for `from`. Outbound only: a spawn
 * request from another node goes to the node's spawn handler (running M:F is no business of the runtime's), and
 * the answer comes back through `SignalSink.spawnReplied`.
 */
export interface SpawnRequest {
  readonly kind: "spawn-request";
  readonly from: Pid;
  /** The node to spawn on. */
  readonly node: Atom;
  /** The request id; also the monitor's ref when `options` has `monitor`. */
  readonly ref: Ref;
  /** The new process's group leader. */
  readonly groupLeader: Pid;
  readonly module: Atom;
  readonly function: Atom;
  readonly args: readonly Term[];
  /** Spawn options as erlang:spawn_opt takes them: `link`, `monitor`, and any the other node may understand. */
  readonly options: readonly Term[];
  /** The scheduler of `node` to spawn on, when the node runs several (see SchedulerSeat); default: any. */
  readonly scheduler?: number;
}

/** The answer to a SpawnRequest (SPAWN_REPLY): the new process, with the link and monitor set up over there. */
export interface SpawnReply {
  /** The requester. */
  readonly to: Pid;
  readonly ref: Ref;
  /** The new process, or why there is none (`badopt`, `notsup`, `noconnection`, `system_limit`, …). */
  readonly result: Pid | Atom;
  /** Whether the other node linked the new process to the requester. */
  readonly link: boolean;
  /** Whether the other node set up the requester's monitor (ref = the request id). */
  readonly monitor: boolean;
}

/**
 * Which connected nodes to list (erlang:nodes/1): `visible` ones (erlang:nodes/0), `hidden` ones (a connection is
 * hidden when either side is a hidden node), or both (`connected`).
 */
export type NodeKind = "visible" | "hidden" | "connected";

/** A connection that was up and went down, as net_kernel:monitor_nodes/2 reports it. */
export interface LostConnection {
  /** Whether the connection was hidden. */
  readonly hidden: boolean;
  /** Why it went, in net_kernel's words: `connection_closed`, `disconnect`, `net_tick_timeout`, … */
  readonly nodedownReason: Atom;
}

/** What a transport calls to hand the runtime a signal that arrived from another node, or a lost node. */
export interface SignalSink {
  /** Delivers one inbound signal; its `to` is a process of this node. */
  deliver(signal: Signal): void;
  /** The answer to a spawn request of a process of this node (or the transport's own: `noconnection`, `notsup`). */
  spawnReplied(reply: SpawnReply): void;
  /**
   * A connection to `node` is up (`hidden`: see NodeKind): called once `nodes` lists it and before any signal
   * that arrives over it (net_kernel:monitor_nodes/2's ordering guarantees).
   */
  nodeUp(node: Atom, hidden: boolean): void;
  /**
   * The connection to `node` is gone (or could not be made): every link to a process there fires an exit
   * signal and every monitor a DOWN message, both with `reason` (`noconnection` in Erlang), and every node monitor
   * (erlang:monitor_node/2) a `{nodedown, Node}` message. `lost` describes a connection that was up (nodeUp was
   * called for it); it is absent when an attempt to connect failed. Called once `nodes` no longer lists `node`
   * and after every signal that arrived over the connection.
   */
  nodeDown(node: Atom, reason: Term, lost?: LostConnection): void;
}

/**
 * Where a runtime sits among the schedulers of its node: scheduler `index` of `count`, each a runtime on a thread
 * of its own. The schedulers share the node's name and creation and divide its pids and references between them:
 * a pid's id is congruent to its scheduler's index modulo `count`, and a reference carries its scheduler's index.
 * A signal to a pid of another scheduler goes to the SignalTransport, like one to another node.
 */
export interface SchedulerSeat {
  readonly index: number;
  readonly count: number;
  /**
   * How many times this scheduler's thread was started again after it died (default 0). Its pids carry it, so a
   * pid of an earlier incarnation never names a process of this one (see ProcessTable).
   */
  readonly incarnation?: number;
}

/**
 * The registered names of a node whose schedulers share them (Erlang's register/2 is node-wide): each name held by
 * at most one pid, claimed and looked up atomically from any scheduler's thread.
 */
export interface NameDirectory {
  /** Gives `name` to `pid` unless some pid holds it already; returns whether it did. */
  claim(name: Atom, pid: Pid): boolean;
  /**
   * Frees `name` if `pid` holds it. When `pid` is another scheduler's process (erlang:unregister/1 of any name),
   * that scheduler's runtime is told (`Runtime.nameFreed`), so it drops the name from its registry too.
   */
  release(name: Atom, pid: Pid): void;
  /** Gives `name` from `from` to `to` in one step (never free between), if `from` holds it; returns whether it did. */
  transfer(name: Atom, from: Pid, to: Pid): boolean;
  /** The pid holding `name`, if any. */
  lookup(name: Atom): Pid | undefined;
  /** Every name held now. */
  names(): Atom[];
}

/**
 * The processes of a node's other schedulers (each scheduler's runtime sees only its own), asked for over the
 * node's mesh: what erlang:processes/0 and process_info/2 of any pid of the node need.
 */
export interface SchedulerInquiries {
  /** Every live process of the other schedulers. */
  processes(): Promise<Pid[]>;
  /** Snapshots of `pids` (of other schedulers of this node), in their order: undefined for one not alive. */
  processInfo(pids: readonly Pid[]): Promise<(ProcessInfo | undefined)[]>;
}

/**
 * How timers aimed at a process of another scheduler of the node learn of its end (erlang:start_timer/3: "the timer
 * is automatically canceled if the process referred to by the pid is not alive"). The timers live on the scheduler
 * that started them, the process's end is known on its own: as the BEAM's exiting process cancels the timers bound to
 * it on their schedulers, the process's scheduler is asked to `watch` it and says when it has `ended`.
 */
export interface TimerTargets {
  /** This scheduler holds timers aimed at `target`, a process of another scheduler: that one is to say when it ends. */
  watch(target: Pid): void;
  /**
   * `target`, a process of this scheduler that timers of scheduler `holder` aim at, has ended (or was not alive when
   * asked to be watched): `holder` is told, before any exit or DOWN signal of its end that goes there.
   */
  ended(target: Pid, holder: number): void;
}

/**
 * A connection whose output queue is over its limit (BEAM's busy distribution port, `+zdbbl`). The signal that
 * found it so was accepted and will go out in order; the runtime suspends the process that sent it (it runs no
 * further than its current step) until `whenClear` calls back.
 */
export interface BusyConnection {
  /** Calls `resume` once, when the queue has drained below the limit or the connection is gone. */
  whenClear(resume: () => void): void;
}

/** Carries signals to processes of other nodes. `dist/` implements it; the runtime owns one. */
export interface SignalTransport {
  /**
   * Sends one signal whose `to` lives on another node; may connect first. Never throws for a lost peer, never
   * drops a signal for being busy: it returns the busy connection instead (undefined when not busy).
   */
  send(signal: Signal): BusyConnection | undefined;
  /** The nodes connected now, of one kind (erlang:nodes/1); none when the transport does not say. */
  nodes?(kind: NodeKind): Atom[];
  /**
   * Connects to `node` unless it is connected (net_kernel:connect_node/1): resolves true once a connection is up,
   * false when none can be had, after calling the sink's `nodeDown(node, …)` for the failed attempt. Without it,
   * the runtime takes every other node to be unreachable.
   */
  connect?(node: Atom): Promise<boolean>;
}

/**
 * Whoever makes a dirty call: its calls not started when it goes are dropped. The pools watch it once for each call
 * they hold and stop watching when that call settles, so the owner can count its calls in flight from `watch`.
 */
export interface DirtyCallOwner {
  /** Runs `onGone` once the owner is gone (at once if it is already); the returned function stops watching. */
  watch(onGone: () => void): () => void;
  /** Hears where each of its calls went: run inline on the main thread, or handed to a pool. */
  dispatched?(where: "inline" | "dirty"): void;
}

/**
 * Where a dirty call runs: a pool of its kind, or inline when measured cheaper (`where` decides it instead). A bad
 * option fails the call with DIRTY_BAD_OPTION (a rejected promise, never a throw).
 */
export interface DirtyCallOptions {
  /**
   * Fails the call with DIRTY_TIMEOUT after this many ms (a number > 0 and < 2³¹); a worker still running it is
   * restarted. A call with a timeout always goes to a pool, however cheap: an inline call cannot be stopped, so
   * `where: "inline"` with a timeout is DIRTY_BAD_OPTION.
   */
  timeoutMs?: number;
  /** "inline": on the main thread (its module loaded with `mainThread`); "dirty": on a pool, however cheap. */
  where?: "inline" | "dirty";
  /**
   * ArrayBuffers among the arguments to move to the worker instead of copying them (they are detached here, as
   * with postMessage's transfer list). SharedArrayBuffer views are always shared, never copied.
   */
  transfer?: readonly ArrayBuffer[];
  /** Move the ArrayBuffers of the result (it, or its elements or values one level down) instead of copying them. */
  transferResult?: boolean;
}

/** A function a dirty call runs. */
// biome-ignore lint/suspicious/noExplicitAny: dirty functions take and return anything a worker can carry.
export type AnyFunction = (...args: any[]) => any;

/** What a dirty call of `F` resolves with. */
export type DirtyResult<F extends AnyFunction> = Promise<Awaited<ReturnType<F>>>;

/**
 * Runs functions off the event loop's thread for processes: the node's dirty pools (`dirty/` implements it), BEAM's
 * dirty CPU and dirty IO schedulers. `fn` must be an export of a module loaded into the pools.
 */
export interface DirtyRunner {
  call(
    kind: "cpu" | "io",
    fn: AnyFunction,
    args: readonly unknown[],
    options: DirtyCallOptions | undefined,
    owner: DirtyCallOwner,
  ): Promise<unknown>;
}

/**
 * What the runtime asks the code server (`code/` implements it) about the module code a process runs, so that
 * purging a module's old version can find the processes still running it (BEAM's check_process_code).
 */
export interface CodeTracker {
  /**
   * The module version (an opaque token) whose code an async body spawned now runs: `body`'s own module's if it
   * is a loaded module's function, else the version whose function is being called now, else `spawnerCode` (the
   * spawning process's). Undefined when it runs no loaded module's code.
   */
  codeOf(body: (...args: never[]) => unknown, spawnerCode: object | undefined): object | undefined;
}

/**
 * Time as the runtime sees it: a monotonic clock in milliseconds and one-shot alarms. The real clock uses
 * `performance.now()` and `setTimeout`; `otter/testing`'s ManualClock moves only when a test says so.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (fractions allowed). */
  now(): number;
  /** Calls `fire` once, at or after time `at` (same scale as `now`); returns a handle for `clearAlarm`. */
  setAlarm(at: number, fire: () => void): unknown;
  /** Cancels an alarm that has not fired; a no-op for one that has. */
  clearAlarm(handle: unknown): void;
  /**
   * Whether a pending alarm keeps the host alive (Node's ref/unref). The timer wheel leaves its alarm armed when
   * its last timer is cancelled (re-arming a Node timer for every call's timeout costs a fifth of a call), so it
   * lets go of the event loop meanwhile. Optional: a clock without it (a test clock) holds nothing open.
   */
  keepAlive?(handle: unknown, keep: boolean): void;
  /**
   * Whether a timer may take its start from a clock read a microtask after it was set, one read for every timer
   * set meanwhile (it fires no earlier, and microseconds later). True for the system clock, where a read costs
   * about 50 ns; unset for a test clock, where a timer counts from the instant it was set whatever the test does.
   */
  readonly batchReads?: boolean;
}
