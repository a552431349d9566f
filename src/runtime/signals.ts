// Exit signals, links and monitors, local and remote, as the Erlang reference manual's "Processes" chapter has them,
// and what happens when a process terminates.
//
// Local signals take effect at once, in the order they are sent, so signals between one pair of processes keep
// their order. Exits that a termination causes (links firing) go through one FIFO queue instead of recursion,
// so a chain of a million linked processes cannot overflow the stack.
import { ErrorCodes, ProcessError } from "../errors.ts";
import { Atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import { Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import type { RegisteredName, Signal } from "./contracts.ts";
import { Monitor, monitorsOf, watchersOf } from "./monitors.ts";
import { Flag, type MonitorAlias, type Process, Status } from "./process.ts";
import { DOWN, EXIT, isQuietExit, KILL, KILLED, NOPROC, NORMAL, PROCESS } from "./reasons.ts";
import { pidKey } from "./refs.ts";
import type { Runtime } from "./runtime.ts";

/** How a process came to terminate. */
export interface Termination {
  /** The async body's return value (passed to `run`'s caller). */
  result?: unknown;
  /** The JS error behind a crash. */
  error?: unknown;
  /** True when the process ended itself (returned, threw); false when a signal killed it. */
  selfInflicted: boolean;
}

interface QueuedExit {
  readonly to: Process;
  readonly from: Pid;
  readonly reason: Term;
  readonly link: boolean;
}

export class Signals {
  private readonly queue: QueuedExit[] = [];
  private draining = false;

  constructor(private readonly rt: Runtime) {}

  /** Sends an exit signal from `from` to `to` (`link`: the signal a terminating linked process sends). */
  exit(from: Pid, to: Pid, reason: Term, link: boolean): void {
    if (!this.rt.isHere(to)) {
      this.rt.transport.send({ kind: "exit", from, to, reason, link });
      return;
    }
    const target = this.rt.table.lookup(to);
    if (target === undefined) return;
    this.queue.push({ to: target, from, reason, link });
    this.drain();
  }

  /** Links `p` with `to` (a dead local `to`: see below). */
  link(p: Process, to: Pid): void {
    if (equals(to, p.pid)) return;
    const key = pidKey(to, this.rt.node);
    if (p.extra?.links?.has(key) === true) return;
    if (!this.rt.isHere(to)) {
      p.extras().addLink(key, to);
      this.rt.watchNode(to.node, p);
      this.rt.transport.send({ kind: "link", from: p.pid, to });
      return;
    }
    const target = this.rt.table.lookup(to);
    if (target === undefined) {
      // As erlang:link/1 does for a local pid: a trapping caller gets {'EXIT', Pid, noproc}; any other caller
      // gets the error at once (catchable; uncaught, the process exits with it).
      if ((p.flags & Flag.TrapExit) === 0) {
        throw new ProcessError(ErrorCodes.PROC_NOT_ALIVE, `link: no process ${format(to)}`);
      }
      this.rt.execution.deliver(p, tuple(EXIT, to, NOPROC));
      return;
    }
    p.extras().addLink(key, to);
    target.extras().addLink(pidKey(p.pid, this.rt.node), p.pid);
  }

  unlink(p: Process, to: Pid): void {
    const key = pidKey(to, this.rt.node);
    if (p.extra?.links?.delete(key) !== true) return;
    if (!this.rt.isHere(to)) {
      this.rt.transport.send({ kind: "unlink", from: p.pid, to });
      return;
    }
    this.rt.table.lookup(to)?.extra?.links?.delete(pidKey(p.pid, this.rt.node));
  }

  /**
   * Monitors a pid or a name; a target that does not exist gets its DOWN (`noproc`) at once. With `alias`, the
   * ref is also an alias of `p` (see Process.monitor).
   */
  monitor(p: Process, target: Pid | Atom | RegisteredName, alias: MonitorAlias | undefined): Ref {
    const ref = this.rt.markedRef(p);
    const key = this.rt.refs.key(ref);
    // An alias that outlives the monitor stands alone; the others are the monitor's own.
    if (alias === "explicitUnalias") this.rt.aliases.create(p, ref, "explicit");
    const tied = alias === "explicitUnalias" ? undefined : alias;
    const named = namedTarget(target, this.rt.node);
    const node = named === undefined ? (target as Pid).node : named.node;
    // A name another scheduler's process holds: its pid is kept, so that scheduler's loss finds the monitor.
    const holder = named === undefined || node !== this.rt.node ? undefined : this.rt.heldElsewhere(named.name);
    const elsewhere =
      named === undefined ? !this.rt.isHere(target as Pid) : node !== this.rt.node || holder !== undefined;
    if (elsewhere) {
      const pid = named === undefined ? (target as Pid) : holder;
      this.rt.monitors.add(new Monitor(ref, key, p.pid, p, undefined, pid, named, tied));
      this.rt.watchNode(node, p);
      this.rt.transport.send({ kind: "monitor", from: p.pid, to: named ?? (target as Pid), ref });
      return ref;
    }
    const process = named !== undefined ? this.rt.registry.whereis(named.name) : this.rt.table.lookup(target as Pid);
    if (process === undefined) {
      this.rt.execution.deliver(p, downMessage(ref, named ?? (target as Pid), NOPROC));
      return ref;
    }
    this.rt.monitors.add(new Monitor(ref, key, p.pid, p, process, process.pid, named, tied));
    return ref;
  }

  /** Removes the monitor `ref` of `p`; with `flush`, its DOWN message too. Returns whether it was active. */
  demonitor(p: Process, ref: Ref, flush: boolean): boolean {
    const monitor = this.rt.monitors.get(this.rt.refs.key(ref));
    const active = monitor !== undefined && monitor.owner === p;
    if (active) this.endMonitor(monitor);
    if (flush) p.takeMatching((m) => isDownFor(m, ref), undefined);
    return active;
  }

  /** The watcher ends a monitor: its record goes, and a target on another node is told. */
  endMonitor(monitor: Monitor): void {
    this.rt.monitors.remove(monitor);
    if (monitor.target === undefined) {
      this.rt.transport.send({ kind: "demonitor", from: monitor.watcher, to: monitor.subject, ref: monitor.ref });
    }
  }

  /** Ends a process: cancels its waits, frees its name and aliases, fires its links and monitors. */
  terminate(p: Process, reason: Term, how: Termination): void {
    if (p.status === Status.Exited) return;
    // The crash report reads the queue, links and dictionary that the cleanup below drops.
    if (how.selfInflicted && !isQuietExit(reason)) this.rt.logCrash(p, reason, how.error);
    p.status = Status.Exited;
    this.rt.execution.cancelWaits(p);
    this.rt.table.remove(p);
    // Before its exit and DOWN signals: who sees those finds its timers on other schedulers cancelled.
    this.rt.timers.exited(p);
    this.rt.nodeMonitors.forget(p);
    this.rt.spawnRequests.exited(p, reason);
    p.clearMailbox();
    p.state = null;
    const extra = p.extra;
    if (extra !== null) {
      if (extra.name !== undefined) this.rt.registry.remove(extra.name, p);
      this.rt.aliases.dropAll(p);
      extra.dictionary = undefined;
      this.rt.forgetWatcher(p);
      this.fireLinks(p, reason);
      this.dropMonitors(p);
      this.fireMonitors(p, reason);
      extra.onExit?.(reason, how.result);
      if (extra.exitWatchers !== undefined) {
        const watchers = extra.exitWatchers;
        extra.exitWatchers = undefined;
        for (const gone of watchers) gone();
      }
    }
  }

  /** An inbound signal from another node (the transport's `deliver`). */
  deliver(signal: Signal): void {
    switch (signal.kind) {
      case "message":
        this.rt.sendFrom(undefined, signal.to, signal.message);
        return;
      case "alias-message":
        this.rt.sendFrom(undefined, signal.to, signal.message);
        return;
      case "exit":
        this.exit(signal.from, signal.to, signal.reason, signal.link);
        return;
      case "link": {
        const target = this.rt.table.lookup(signal.to);
        if (target === undefined) {
          this.rt.transport.send({ kind: "exit", from: signal.to, to: signal.from, reason: NOPROC, link: true });
          return;
        }
        target.extras().addLink(pidKey(signal.from, this.rt.node), signal.from);
        this.rt.watchNode(signal.from.node, target);
        return;
      }
      case "unlink":
        this.rt.table.lookup(signal.to)?.extra?.links?.delete(pidKey(signal.from, this.rt.node));
        return;
      case "monitor":
        this.remoteMonitor(signal.from, signal.to, signal.ref);
        return;
      case "demonitor": {
        const monitor = this.rt.monitors.get(this.rt.refs.key(signal.ref));
        if (monitor?.owner === undefined && monitor?.target !== undefined && equals(monitor.watcher, signal.from)) {
          this.rt.monitors.remove(monitor);
        }
        return;
      }
      case "group-leader":
        this.rt.table.lookup(signal.to)?.setGroupLeader(signal.leader); // as on the BEAM, for a dead one: nothing
        return;
      case "down": {
        const monitor = this.rt.monitors.get(this.rt.refs.key(signal.ref));
        const watcher = monitor?.owner;
        if (watcher === undefined || monitor!.target !== undefined || !equals(watcher.pid, signal.to)) return;
        this.rt.monitors.remove(monitor!);
        this.rt.execution.deliver(watcher, downMessage(signal.ref, signal.from, signal.reason));
        return;
      }
    }
  }

  /**
   * The processes `gone` accepts are lost (their node's connection, or their scheduler's thread): links to them fire
   * and monitors of them go DOWN, with `reason`; their monitors of `watchers` are dropped.
   */
  lost(gone: (of: Pid | RegisteredName) => boolean, watchers: Iterable<Process>, reason: Term): void {
    // Every link and monitor over the lost connection goes before any signal fires: a process they end must send
    // no exit or DOWN back to that node (which would connect again).
    const exits: { p: Process; from: Pid }[] = [];
    const downs: { p: Process; monitor: Monitor }[] = [];
    for (const p of watchers) {
      const extra = p.extra;
      if (p.status === Status.Exited || extra === null) continue;
      for (const m of watchersOf(extra)) if (gone(m.watcher)) this.rt.monitors.remove(m);
      if (extra.links !== undefined) {
        for (const [key, pid] of [...extra.links]) {
          if (!gone(pid)) continue;
          extra.links.delete(key);
          exits.push({ p, from: pid });
        }
      }
      for (const m of monitorsOf(extra)) {
        if (m.target !== undefined || !gone(m.targetPid ?? m.name!)) continue;
        this.rt.monitors.remove(m);
        downs.push({ p, monitor: m });
      }
    }
    // The links are gone already, so their exits go as plain exit signals: with this reason, the same effect.
    for (const { p, from } of exits) this.queue.push({ to: p, from, reason, link: false });
    this.drain();
    for (const { p, monitor } of downs) {
      if (!p.exited) this.rt.execution.deliver(p, downMessage(monitor.ref, monitor.subject, reason));
    }
  }

  /** Applies queued exit signals in order, including those the terminations they cause send. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const s = this.queue[i]!;
        this.apply(s.to, s.from, s.reason, s.link);
      }
    } finally {
      this.queue.length = 0;
      this.draining = false;
    }
  }

  /** The receiving side of an exit signal (reference manual, "Receiving Exit Signals"). */
  private apply(to: Process, from: Pid, reason: Term, link: boolean): void {
    if (to.status === Status.Exited) return;
    if (link) {
      // A link exit signal for a link this side no longer has (unlinked meanwhile) is ignored.
      if (to.extra?.links?.delete(pidKey(from, this.rt.node)) !== true) return;
    } else if (reason === KILL) {
      this.terminate(to, KILLED, { selfInflicted: false });
      return;
    }
    if ((to.flags & Flag.TrapExit) !== 0) {
      this.rt.execution.deliver(to, tuple(EXIT, from, reason));
      return;
    }
    if (reason === NORMAL) {
      // `exit(self(), normal)` ends the caller; a normal exit signal from anyone else is ignored.
      if (!link && equals(from, to.pid)) this.terminate(to, NORMAL, { selfInflicted: true });
      return;
    }
    this.terminate(to, reason, { selfInflicted: false });
  }

  private fireLinks(p: Process, reason: Term): void {
    const links = p.extra!.links;
    if (links === undefined) return;
    p.extra!.links = undefined;
    for (const pid of links.values()) this.exit(p.pid, pid, reason, true);
  }

  /** The exiting process's own monitors of others are dropped. */
  private dropMonitors(p: Process): void {
    for (let m = p.extra!.monitors; m !== null; m = p.extra!.monitors) this.endMonitor(m);
  }

  /** Everyone monitoring the exiting process gets its DOWN message. */
  private fireMonitors(p: Process, reason: Term): void {
    for (let m = p.extra!.monitoredBy; m !== null; m = p.extra!.monitoredBy) {
      this.rt.monitors.remove(m);
      if (m.owner === undefined)
        this.rt.transport.send({ kind: "down", from: m.subject, to: m.watcher, ref: m.ref, reason });
      else this.rt.execution.deliver(m.owner, downMessage(m.ref, m.subject, reason));
    }
  }

  /** A process of another node monitors one of ours. */
  private remoteMonitor(watcher: Pid, to: Pid | RegisteredName, ref: Ref): void {
    const named = to instanceof Pid ? undefined : to;
    const target = to instanceof Pid ? this.rt.table.lookup(to) : this.rt.registry.whereis(to.name);
    if (target === undefined) {
      this.rt.transport.send({ kind: "down", from: to, to: watcher, ref, reason: NOPROC });
      return;
    }
    this.rt.monitors.add(
      new Monitor(ref, this.rt.refs.key(ref), watcher, undefined, target, target.pid, named, undefined),
    );
    this.rt.watchNode(watcher.node, target);
  }
}

/** A registered-name target as `{ name, node }`; undefined for a pid. */
function namedTarget(target: Pid | Atom | RegisteredName, node: Atom): RegisteredName | undefined {
  if (target instanceof Pid) return undefined;
  if (target instanceof Atom) return { name: target, node };
  return target;
}

/** `{'DOWN', Ref, process, PidOrName, Reason}`; a name appears as `{Name, Node}`. */
export function downMessage(ref: Ref, subject: Pid | RegisteredName, reason: Term): Tuple {
  const who = subject instanceof Pid ? subject : tuple(subject.name, subject.node);
  return tuple(DOWN, ref, PROCESS, who, reason);
}

function isDownFor(message: Term, ref: Ref): boolean {
  return message instanceof Tuple && message.size === 5 && message.at(0) === DOWN && equals(message.at(1)!, ref);
}
