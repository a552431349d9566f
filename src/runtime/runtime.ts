// The runtime: one node's processes, scheduler, registry, timers and signal routing, as an object (never a singleton).
//
// Two runtimes in one Node.js process share nothing. A pid whose node is this runtime's is looked up here;
// any other goes to the SignalTransport (DESIGN.md, "Layers": the runtime never knows the network exists).
// A node may run several schedulers, each a runtime on a thread of its own (SchedulerSeat): a pid or reference of
// another scheduler of this node goes to the transport too, and registered names are shared (NameDirectory).
import { ErrorCodes, ProcessError, ProcessExitError } from "../errors.ts";
import { Atom, atom } from "../term/atom.ts";
import { format, formatForPeople } from "../term/format.ts";
import { Pid, Ref, type Term } from "../term/types.ts";
import { Aliases, type AliasMode } from "./aliases.ts";
import { systemClock } from "./clock.ts";
import type {
  Clock,
  CodeTracker,
  DirtyRunner,
  LostConnection,
  NameDirectory,
  NodeKind,
  RegisteredName,
  SchedulerInquiries,
  SchedulerSeat,
  Signal,
  SignalSink,
  SignalTransport,
  SpawnReply,
  TimerTargets,
} from "./contracts.ts";
import { crashReport } from "./crash-report.ts";
import { Execution } from "./execution.ts";
import { type ProcessInfo, processInfo } from "./info.ts";
import { Logger, type LoggerOptions } from "./logger.ts";
import { Monitors } from "./monitors.ts";
import { NodeMonitors } from "./node-monitors.ts";
import {
  type AsyncBody,
  type Body,
  type Destination,
  Flag,
  type MonitorAlias,
  type Priority,
  Process,
  type ProcessSpawnOptions,
  type SpawnOptions,
  Status,
  withPriority,
} from "./process.ts";
import { ProcessTable } from "./process-table.ts";
import { NOCONNECTION, NORMAL, SHUTDOWN } from "./reasons.ts";
import { MAX_SCHEDULERS, RefMaker, schedulerOfRef } from "./refs.ts";
import { notRegistered, Registry } from "./registry.ts";
import { Scheduler } from "./scheduler.ts";
import { Signals } from "./signals.ts";
import { SpawnRequests } from "./spawn-requests.ts";
import { TimerWheel } from "./timer-wheel.ts";
import { Timers } from "./timers.ts";

export interface RuntimeOptions {
  /** The node name, e.g. "app@127.0.0.1" (default "nonode@nohost", Erlang's name for a node without distribution). */
  node?: string | Atom;
  /** The node's creation (default: a number unique to this runtime within the Node.js process). */
  creation?: number;
  /** Time source for timers and receive timeouts (default: the system clock; tests pass a ManualClock). */
  clock?: Clock;
  /**
   * The logger's level and handlers (default: level `notice`, OTP's default format on stderr), or one handler that
   * replaces the default one.
   */
  logger?: LoggerOptions;
  /** Carries signals to other nodes (default: none connected; remote links and monitors fire `noconnection`). */
  transport?: SignalTransport;
  /**
   * How long, in microseconds, the scheduler keeps the event loop turning after running processes, so a message
   * arriving meanwhile is taken at once instead of after the loop's wake-up from the kernel (BEAM's `+sbwt`;
   * default 100; 0 never busy-waits, to spare the CPU of an idle node).
   */
  busyWaitUs?: number;
  /** Runs dirty calls for processes (`self.dirty`): the node's dirty pools (default: none; calls are refused). */
  dirty?: DirtyRunner;
  /** Which of its node's schedulers this runtime is (default: the only one, `{ index: 0, count: 1 }`). */
  scheduler?: SchedulerSeat;
  /** The registered names shared by the node's schedulers (needed when `scheduler.count` > 1). */
  names?: NameDirectory;
}

/** A kind of node `nodes` lists: connected ones (NodeKind) or this node itself. */
export type NodesKind = NodeKind | "this";

/** spawn_request's answer when the node cannot spawn by module and function name. */
const NOTSUP = atom("notsup");
const NODES_KINDS = new Set<string>(["visible", "hidden", "connected", "this"]);

let lastCreation = 0;

export class Runtime implements SignalSink {
  readonly node: Atom;
  readonly creation: number;
  /** Which of its node's schedulers this runtime is. */
  readonly seat: SchedulerSeat;
  /** @internal */ readonly table: ProcessTable;
  /** @internal */ readonly registry: Registry;
  /** @internal The registered names shared with the node's other schedulers (none when this is its only one). */
  readonly names: NameDirectory | undefined;
  /** @internal */ readonly scheduler: Scheduler;
  /** @internal */ readonly wheel: TimerWheel;
  /** @internal */ readonly refs: RefMaker;
  /** @internal */ readonly aliases: Aliases;
  /** @internal */ readonly monitors = new Monitors();
  /** @internal */ readonly spawnRequests = new SpawnRequests(this);
  /** @internal */ readonly nodeMonitors: NodeMonitors;
  /** @internal */ readonly execution: Execution;
  /** @internal */ readonly signals: Signals;
  /** @internal */ transport: SignalTransport;
  /** @internal */ readonly dirty: DirtyRunner | undefined;
  /** The code server, once one is installed: it says which module version a spawned process runs. */
  private code: CodeTracker | undefined;
  /** How to ask the node's other schedulers about their processes (none: this is its only one). */
  private inquiries: SchedulerInquiries | undefined;
  /** @internal */ readonly timers: Timers;
  /** Where this runtime's crash reports and OTP's reports go, and `rt.logger.info(…)` from outside a process. */
  readonly logger: Logger;
  /** The time source of timers and timeouts; `now()` is in ms. */
  readonly clock: Clock;
  /** The sender of signals from outside any process (Erlang has init; this pid never runs code). */
  readonly rootPid: Pid;
  /**
   * The group leader of processes that have none of their own, as a remote spawn they make tells the other node:
   * a node's `user` I/O server once the node has started it, `rootPid` until then.
   */
  defaultGroupLeader: Pid;
  /** Local processes with links or monitors to each other node, so a lost node finds them. */
  private readonly remoteWatchers = new Map<Atom, Set<Process>>();
  private stopped = false;
  /** Messages through `sendFrom` so far (see `messagesSent`). */
  private sends = 0;

  constructor(options: RuntimeOptions = {}) {
    const node = options.node ?? "nonode@nohost";
    this.node = node instanceof Atom ? node : atom(node);
    this.creation = options.creation ?? ++lastCreation;
    this.seat = checkSeat(options.scheduler ?? { index: 0, count: 1 }, options.names);
    const { index, count, incarnation } = this.seat;
    this.names = options.names;
    this.registry = new Registry(options.names);
    this.table = new ProcessTable(this.node, this.creation, index, count, incarnation);
    this.refs = new RefMaker(this.node, this.creation, index);
    this.rootPid = new Pid(this.node, index, 0, this.creation);
    this.defaultGroupLeader = this.rootPid;
    this.aliases = new Aliases(this);
    this.execution = new Execution(this);
    this.signals = new Signals(this);
    this.nodeMonitors = new NodeMonitors(this);
    this.timers = new Timers(this);
    this.scheduler = new Scheduler((p) => this.execution.run(p), options.busyWaitUs);
    this.clock = options.clock ?? systemClock;
    this.wheel = new TimerWheel(this.clock, (timer) => {
      if (!this.execution.expire(timer)) this.timers.fire(timer);
    });
    this.logger = new Logger(this.clock, { localNode: this.node, localCreation: this.creation }, options.logger);
    this.transport = options.transport ?? new Unconnected(this);
    this.dirty = options.dirty;
  }

  /** Installs the code server that tells which module version each spawned process runs (see `code/`). */
  setCodeTracker(tracker: CodeTracker): void {
    this.code = tracker;
  }

  /** Installs the transport for other nodes (the distribution layer, once it is up). */
  setTransport(transport: SignalTransport): void {
    this.transport = transport;
  }

  /** Starts a process running `body` (a behaviour object or an async function); returns its pid. */
  spawn(body: Body, options?: SpawnOptions): Pid {
    return this.spawnProcess(body, options).pid;
  }

  /**
   * Runs `body` as a process and resolves with what it returns; rejects with a ProcessExitError (code
   * PROC_EXITED, `reason`) if it exits any other way. The way into the runtime from plain code and tests.
   */
  run<Result>(body: AsyncBody<Result>, options?: SpawnOptions): Promise<Result> {
    return new Promise((resolve, reject) => {
      const p = this.spawnProcess(body, options);
      p.extras().onExit = (reason, result) => {
        if (reason === NORMAL) resolve(result as Result);
        else reject(new ProcessExitError(`process ${format(p.pid)} exited: ${formatForPeople(reason)}`, reason));
      };
    });
  }

  /**
   * Sends `message` from outside any process (the sender is `rootPid`). Nothing can be suspended here: to a busy
   * connection the message is accepted all the same, so a caller that sends without bound bounds it itself.
   */
  send(to: Destination, message: Term): void {
    this.sendFrom(undefined, to, message);
  }

  /** Sends an exit signal from outside any process (the sender is `rootPid`). */
  exit(pid: Pid, reason: Term): void {
    this.exitFrom(this.rootPid, pid, reason, false);
  }

  /** Registers a process of this scheduler as `name` (a name is the node's: no scheduler may hold it twice). */
  register(name: Atom, pid: Pid): void {
    this.registry.register(name, this.isHere(pid) ? this.table.lookup(pid) : undefined);
  }

  unregister(name: Atom): void {
    this.registry.unregister(name);
  }

  /** Another scheduler freed `name`, held by `pid` of this one (NameDirectory.release): it is dropped here too. */
  nameFreed(name: Atom, pid: Pid): void {
    this.registry.freed(name, pid);
  }

  /**
   * Gives the name `name` of `from`, a process of this scheduler, to `to`, a process of this node (maybe of another
   * scheduler), in one step, so a send to the name never finds it free: how a migrating server's name follows it.
   * `to` then takes it with `adoptName` on its scheduler; until then the node's shared names hold it for `to` but no
   * scheduler's registry does, so `to`'s exit does not free it (`releaseHandedOverName` does; on a node of one
   * scheduler the name is free until `adoptName`). False when `from` does not hold `name` here.
   */
  handOverName(name: Atom, from: Pid, to: Pid): boolean {
    const p = this.isHere(from) ? this.table.lookup(from) : undefined;
    return p !== undefined && this.registry.handOver(name, p, to);
  }

  /**
   * `pid`, a live process of this scheduler, takes `name` after a `handOverName` to it (on a node of one scheduler:
   * if the name is free), so its exit frees it. False when the name is not its to take or it has a name already.
   */
  adoptName(name: Atom, pid: Pid): boolean {
    const p = this.isHere(pid) ? this.table.lookup(pid) : undefined;
    return p !== undefined && this.registry.adopt(name, p);
  }

  /** Frees `name`, handed over to `to` (`handOverName`), when `to` ended before it took the name with `adoptName`. */
  releaseHandedOverName(name: Atom, to: Pid): void {
    this.names?.release(name, to);
  }

  whereis(name: Atom): Pid | undefined {
    return this.registry.whereis(name)?.pid ?? this.registry.heldElsewhere(name);
  }

  registered(): Atom[] {
    return this.registry.registered();
  }

  /** Whether `pid` is a live process of this scheduler. */
  isAlive(pid: Pid): boolean {
    return this.isHere(pid) && this.table.lookup(pid) !== undefined;
  }

  /** Every live process of this scheduler. */
  processes(): Pid[] {
    return Array.from(this.table.all(), (p) => p.pid);
  }

  /**
   * Installs what takes signals from this node's other schedulers while this one runs processes (their rings
   * announce nothing to a busy thread): it runs between processes every few dozen reductions.
   */
  setSignalPoll(poll: () => void): void {
    this.scheduler.setPoll(poll);
  }

  /** Installs how this scheduler asks its node's other schedulers about their processes (see `nodeProcesses`). */
  setInquiries(inquiries: SchedulerInquiries): void {
    this.inquiries = inquiries;
  }

  /** Installs how this scheduler's timers hear of the end of processes of the node's other schedulers they aim at. */
  setTimerTargets(targets: TimerTargets): void {
    this.timers.setTargets(targets);
  }

  /** Scheduler `holder` holds timers aimed at `target`, a process of this scheduler (TimerTargets.watch). */
  timersAimedAt(target: Pid, holder: number): void {
    this.timers.aimedAt(target, holder);
  }

  /** `target`, a process of another scheduler that timers of this one aim at, has ended (TimerTargets.ended). */
  timerTargetEnded(target: Pid): void {
    this.timers.targetEnded(target);
  }

  /** Every live process of the node, of every scheduler (erlang:processes/0): this scheduler's first. */
  async nodeProcesses(): Promise<Pid[]> {
    const own = this.processes();
    return this.inquiries === undefined ? own : [...own, ...(await this.inquiries.processes())];
  }

  /** Snapshots of processes of this node on any scheduler, in the order of `pids`: undefined for a dead one. */
  async nodeProcessInfo(pids: readonly Pid[]): Promise<(ProcessInfo | undefined)[]> {
    const infos = pids.map((pid) => this.processInfo(pid));
    const elsewhere = this.inquiries === undefined ? [] : pids.filter((pid) => this.isElsewhereHere(pid));
    if (elsewhere.length === 0) return infos;
    const found = await this.inquiries!.processInfo(elsewhere);
    let next = 0;
    return pids.map((pid, i) => (this.isElsewhereHere(pid) ? found[next++] : infos[i]));
  }

  /** Whether `pid` is a live process of this node, on any scheduler (erlang:is_process_alive/1). */
  async nodeIsAlive(pid: Pid): Promise<boolean> {
    if (!this.isElsewhereHere(pid)) return this.isAlive(pid);
    return (await this.nodeProcessInfo([pid]))[0] !== undefined;
  }

  /** Whether `pid` is of this node but of another of its schedulers. */
  private isElsewhereHere(pid: Pid): boolean {
    return pid.node === this.node && !this.isHere(pid);
  }

  /** The live local processes running `code` (a module version, as the code tracker gave it at their spawn). */
  processesRunningCode(code: object): Pid[] {
    const found: Pid[] = [];
    for (const p of this.table.all()) if (p.extra?.code === code) found.push(p.pid);
    return found;
  }

  /** A snapshot of a live local process, or undefined. */
  processInfo(pid: Pid): ProcessInfo | undefined {
    const p = this.isHere(pid) ? this.table.lookup(pid) : undefined;
    return p === undefined ? undefined : processInfo(p, p === this.execution.current);
  }

  /** Erlang's group_leader(Leader, Pid) from outside any process (the sender is `rootPid`): see groupLeaderFrom. */
  setGroupLeader(pid: Pid, leader: Pid): boolean {
    return this.groupLeaderFrom(undefined, pid, leader);
  }

  get processCount(): number {
    return this.table.size;
  }

  /**
   * Messages sent so far: by local processes and from outside any process (to local or remote destinations), and
   * arrived from other nodes (for the observer's message rate).
   */
  get messagesSent(): number {
    return this.sends;
  }

  /** Processes queued to run now (BEAM's `statistics(run_queue)`). */
  get runQueueLength(): number {
    return this.scheduler.runnable;
  }

  makeRef(): Ref {
    return this.refs.make();
  }

  sendAfter(ms: number, to: Destination, message: Term): Ref {
    return this.timers.sendAfter(ms, to, message);
  }

  startTimer(ms: number, to: Destination, message: Term): Ref {
    return this.timers.startTimer(ms, to, message);
  }

  cancelTimer(ref: Ref): number | false {
    return this.timers.cancelTimer(ref);
  }

  readTimer(ref: Ref): number | false {
    return this.timers.readTimer(ref);
  }

  /** Resolves once no process is runnable (async bodies included): a test's "let everything settle". */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.scheduler.isIdle) return;
    }
  }

  /** Ends every process (reason `shutdown`), cancels every timer; later spawns fail with PROC_SHUTDOWN. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.scheduler.stop();
    for (const p of [...this.table.all()]) this.signals.terminate(p, SHUTDOWN, { selfInflicted: false });
    this.wheel.clear();
    this.timers.clear();
  }

  // SignalSink: what the transport calls.

  deliver(signal: Signal): void {
    this.signals.deliver(signal);
  }

  spawnReplied(reply: SpawnReply): void {
    this.spawnRequests.replied(reply);
  }

  nodeUp(node: Atom, hidden: boolean): void {
    this.nodeMonitors.nodeUp(node, hidden);
  }

  nodeDown(node: Atom, reason: Term, lost?: LostConnection): void {
    this.spawnRequests.nodeDown(node);
    const watchers = this.remoteWatchers.get(node);
    if (watchers !== undefined) {
      this.remoteWatchers.delete(node);
      this.signals.lost((of) => of.node === node, watchers, reason);
    }
    this.nodeMonitors.nodeDown(node, lost);
  }

  /**
   * Scheduler `index` of this node is gone (its thread died): for this scheduler's processes its pids are as on a
   * lost node. Links to them fire and monitors of them go DOWN with `reason`, links and monitors they held here are
   * dropped, spawn requests to it fail with `noconnection`, and timers aimed at its processes are cancelled.
   */
  schedulerDown(index: number, reason: Term): void {
    const { count } = this.seat;
    const ofIt = (of: Pid | RegisteredName) => of instanceof Pid && of.node === this.node && of.id % count === index;
    this.spawnRequests.schedulerDown(index);
    this.timers.schedulerDown(index);
    const watchers = this.remoteWatchers.get(this.node); // the other schedulers' pids are watched like a node's
    if (watchers !== undefined) this.signals.lost(ofIt, watchers, reason);
  }

  // Internal operations behind `self`.

  /** @internal */
  spawnProcess(body: Body, options: SpawnOptions | undefined): Process {
    if (this.stopped) throw new ProcessError(ErrorCodes.PROC_SHUTDOWN, "the runtime has been shut down");
    let flags = bodyFlags(body);
    if (options?.trapExit === true) flags |= Flag.TrapExit;
    if (options?.priority !== undefined) flags = withPriority(flags, checkPriority(options.priority));
    const name = options?.name;
    if (name !== undefined) this.registry.checkName(name);
    const pid = this.table.allocate();
    const p = new Process(this, pid, body, flags);
    if ((flags & Flag.Async) === 0) p.state = options?.arg;
    else if (this.code !== undefined) {
      const code = this.code.codeOf(body as AsyncBody<unknown>, this.execution.current?.extra?.code);
      if (code !== undefined) p.extras().code = code;
    }
    this.table.insert(p);
    if (name !== undefined) this.registry.register(name, p);
    this.scheduler.enqueue(p);
    return p;
  }

  /** @internal */
  spawnFrom(parent: Process, body: Body, options: ProcessSpawnOptions | undefined): Pid {
    if (parent.exited) {
      // The code of a process killed meanwhile runs on until its next await, but it spawns nothing.
      const pid = this.table.allocate();
      this.table.release(pid);
      return pid;
    }
    const p = this.spawnProcess(body, options);
    // Nothing runs between the spawn and the link: the pair is as atomic as Erlang's spawn_link.
    if (options?.link === true) this.signals.link(parent, p.pid);
    const leader = parent.extra?.groupLeader;
    if (leader !== undefined) p.extras().groupLeader = leader;
    return p.pid;
  }

  /** @internal */
  sendFrom(from: Process | undefined, to: Destination, message: Term): void {
    if (from !== undefined && from.status === Status.Exited) return; // a dead process's code sends nothing
    this.sends++;
    if (to instanceof Pid) {
      if (this.isHere(to)) {
        const p = this.table.lookup(to);
        if (p !== undefined) this.execution.deliverFrom(from, p, message);
        return;
      }
      this.sendRemote(from, { kind: "message", from: from?.pid ?? this.rootPid, to, message });
      return;
    }
    if (to instanceof Atom) {
      const p = this.registry.whereis(to);
      if (p !== undefined) this.execution.deliverFrom(from, p, message);
      else this.sendElsewhere(from, this.registry.heldElsewhere(to) ?? throwNotRegistered(to), message);
      return;
    }
    if (to instanceof Ref) {
      this.sendToAlias(from, to, message);
      return;
    }
    if (to.node === this.node) {
      const p = this.registry.whereis(to.name);
      if (p !== undefined) this.execution.deliverFrom(from, p, message);
      else {
        const pid = this.registry.heldElsewhere(to.name);
        if (pid !== undefined) this.sendElsewhere(from, pid, message); // a free name: dropped, as in Erlang
      }
      return;
    }
    this.sendRemote(from, { kind: "message", from: from?.pid ?? this.rootPid, to, message });
  }

  /** A message to a name another scheduler's process holds: it goes to that process, the name's holder now. */
  private sendElsewhere(from: Process | undefined, holder: Pid, message: Term): void {
    this.sendRemote(from, { kind: "message", from: from?.pid ?? this.rootPid, to: holder, message });
  }

  /**
   * Hands a message to the transport; a sender that finds the connection busy is suspended until it clears. A
   * send from outside any process cannot be suspended: it is accepted and counted like any other, and bounding
   * how much of it queues is the caller's part.
   */
  /** @internal */
  sendRemote(from: Process | undefined, signal: Signal): void {
    const busy = this.transport.send(signal);
    if (busy !== undefined && from !== undefined) this.execution.suspend(from, busy);
  }

  /**
   * @internal Erlang's group_leader(Leader, Pid). A process of this scheduler takes it at once: false if it is not
   * alive. One of another scheduler or node gets it as a signal, after what `from` sent it before (as the BEAM sends
   * one to a process of another node, and ignores it there for a process that is gone): true.
   */
  groupLeaderFrom(from: Process | undefined, pid: Pid, leader: Pid): boolean {
    if (from?.exited === true) return false; // the code of a process killed meanwhile changes nothing
    if (!this.isHere(pid)) {
      this.sendRemote(from, { kind: "group-leader", from: from?.pid ?? this.rootPid, to: pid, leader });
      return true;
    }
    const p = this.table.lookup(pid);
    if (p === undefined || p.exited) return false;
    p.extras().groupLeader = leader;
    return true;
  }

  /** @internal */
  exitFrom(from: Pid, to: Pid, reason: Term, link: boolean): void {
    this.signals.exit(from, to, reason, link);
  }

  /** @internal */
  linkFrom(p: Process, to: Pid): void {
    if (p.status !== Status.Exited) this.signals.link(p, to);
  }

  /** @internal */
  unlinkFrom(p: Process, to: Pid): void {
    this.signals.unlink(p, to);
  }

  /**
   * Nodes by kind (erlang:nodes/1): the connected `visible` ones (the default, erlang:nodes/0), the `hidden` ones,
   * both (`connected`), or `this` node; a list of kinds gives their union, this node first.
   */
  nodes(kinds: NodesKind | readonly NodesKind[] = "visible"): Atom[] {
    const wanted = new Set<NodesKind>(typeof kinds === "string" ? [kinds] : kinds);
    for (const kind of wanted) {
      if (!NODES_KINDS.has(kind)) throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `nodes: no kind ${String(kind)}`);
    }
    const visible = wanted.has("visible") || wanted.has("connected");
    const hidden = wanted.has("hidden") || wanted.has("connected");
    const others = visible || hidden ? (this.transport.nodes?.(connectedKind(visible, hidden)) ?? []) : [];
    return wanted.has("this") ? [this.node, ...others] : others;
  }

  /** @internal */
  monitorFrom(p: Process, target: Pid | Atom | RegisteredName, alias: MonitorAlias | undefined): Ref {
    if (p.status === Status.Exited) return this.refs.make();
    return this.signals.monitor(p, target, alias);
  }

  /** @internal */
  demonitorFrom(p: Process, ref: Ref, flush: boolean): boolean {
    return this.signals.demonitor(p, ref, flush);
  }

  /** @internal A new reference that also marks `p`'s queue (for `receive({ since })`). */
  markedRef(p: Process): Ref {
    const ref = this.refs.make();
    p.setMarker(ref);
    return ref;
  }

  /** @internal */
  aliasFor(p: Process, mode: AliasMode): Ref {
    const ref = this.markedRef(p);
    if (!p.exited) this.aliases.create(p, ref, mode);
    return ref;
  }

  /** @internal */
  setIdleTimeoutFor(p: Process, ms: number | undefined): void {
    if (ms !== undefined && (typeof ms !== "number" || !(ms >= 0))) {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `idle timeout must be a number ≥ 0, not ${ms}`);
    }
    if (ms !== undefined || p.extra !== null) p.extras().idleTimeout = ms;
  }

  /**
   * @internal Whether a pid or reference names this scheduler of this node (then a lookup here is the whole
   * truth); any other goes to the transport.
   */
  isHere(id: Pid | Ref): boolean {
    if (id.node !== this.node) return false;
    if (this.seat.count === 1) return true;
    return id instanceof Pid ? this.table.owns(id) : schedulerOfRef(id) === this.seat.index;
  }

  /** @internal The pid another scheduler's process registered as `name` holds, if any. */
  heldElsewhere(name: Atom): Pid | undefined {
    return this.registry.heldElsewhere(name);
  }

  /** @internal Notes that `p` links to or monitors something on `node`. */
  watchNode(node: Atom, p: Process): void {
    const set = this.remoteWatchers.get(node);
    if (set === undefined) this.remoteWatchers.set(node, new Set([p]));
    else set.add(p);
  }

  /** @internal Forgets `p` as a watcher of other nodes (it exited). */
  forgetWatcher(p: Process): void {
    for (const set of this.remoteWatchers.values()) set.delete(p);
  }

  /** @internal A process ends itself with an abnormal reason: the crash report (before its exit drops its queue). */
  logCrash(p: Process, reason: Term, error: unknown): void {
    if (!this.logger.allows("error")) return;
    this.logger.emit(p, "error", crashReport(p, reason, error), { domain: ["otp", "sasl"], what: "crash_report" });
  }

  private sendToAlias(from: Process | undefined, to: Ref, message: Term): void {
    if (!this.isHere(to)) {
      this.sendRemote(from, { kind: "alias-message", from: from?.pid ?? this.rootPid, to, message });
      return;
    }
    const target = this.aliases.route(to);
    if (target !== undefined) this.execution.deliver(target, message); // an inactive alias: dropped
  }
}

/** The transport while no distribution is up: remote messages are dropped, remote links and monitors fail. */
class Unconnected implements SignalTransport {
  constructor(private readonly sink: SignalSink) {}

  send(signal: Signal): undefined {
    if (signal.kind === "link") {
      const { from, to } = signal;
      queueMicrotask(() => this.sink.deliver({ kind: "exit", from: to, to: from, reason: NOCONNECTION, link: true }));
    } else if (signal.kind === "monitor") {
      const { from, to, ref } = signal;
      queueMicrotask(() => this.sink.deliver({ kind: "down", from: to, to: from, ref, reason: NOCONNECTION }));
    } else if (signal.kind === "spawn-request") {
      // Without distribution no node can be reached, and this one cannot spawn by module and function name.
      const { from: to, ref, node } = signal;
      const result = node === to.node ? NOTSUP : NOCONNECTION;
      queueMicrotask(() => this.sink.spawnReplied({ to, ref, result, link: false, monitor: false }));
    }
  }
}

/** The NodeKind that lists the visible connected nodes, the hidden ones, or both. */
function connectedKind(visible: boolean, hidden: boolean): NodeKind {
  return visible && hidden ? "connected" : visible ? "visible" : "hidden";
}

function bodyFlags(body: Body): number {
  if (typeof body === "function") return Flag.Async;
  if (typeof body === "object" && body !== null && typeof body.handleMessage === "function") return 0;
  throw new ProcessError(
    ErrorCodes.PROC_BAD_ARG,
    "a process body is an async function or an object with handleMessage",
  );
}

function checkSeat(seat: SchedulerSeat, names: NameDirectory | undefined): SchedulerSeat {
  const { index, count } = seat;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SCHEDULERS) {
    throw new RangeError(`a node has 1 to ${MAX_SCHEDULERS} schedulers, not ${count}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`scheduler index ${index} is not one of 0 … ${count - 1}`);
  }
  if (count > 1 && names === undefined) throw new RangeError("several schedulers need a shared NameDirectory");
  const incarnation = seat.incarnation ?? 0;
  if (!Number.isInteger(incarnation) || incarnation < 0) {
    throw new RangeError(`a scheduler's incarnation is an integer ≥ 0, not ${incarnation}`);
  }
  return { index, count, incarnation };
}

function throwNotRegistered(name: Atom): never {
  throw notRegistered(name);
}

function checkPriority(priority: Priority): Priority {
  if (priority === "low" || priority === "normal" || priority === "high") return priority;
  throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `priority must be low, normal or high, not ${String(priority)}`);
}
