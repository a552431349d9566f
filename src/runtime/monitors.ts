// The monitor table: every monitor this node takes part in, one record each, found by its reference, and each
// process's own monitors and watchers as lists threaded through the records.
//
// A monitor between two local processes is one record in one map: the watcher's list, the target's list and (for
// a gen call's `{alias, demonitor}`) the alias all point at it, so a call sets and deletes one map entry instead
// of three. The lists are circular and doubly linked, so adding and removing are O(1) without a map that empties
// and shrinks on every call (V8 rebuilds a Map's table when its last entry goes).
import type { Pid, Ref } from "../term/types.ts";
import type { RegisteredName } from "./contracts.ts";
import type { Process, ProcessExtra } from "./process.ts";

/** How a monitor's ref is also an alias of its watcher, ending with the monitor (`replyDemonitor`: or earlier). */
export type MonitorAliasMode = "demonitor" | "replyDemonitor";

export class Monitor {
  /** @internal The watcher's list (`ProcessExtra.monitors`). */ outPrev: Monitor = this;
  /** @internal */ outNext: Monitor = this;
  /** @internal The target's list (`ProcessExtra.monitoredBy`). */ inPrev: Monitor = this;
  /** @internal */ inNext: Monitor = this;

  constructor(
    readonly ref: Ref,
    /** The ref's key (`RefMaker.key`). */
    readonly key: number | string,
    readonly watcher: Pid,
    /** The watcher, when it is a process of this node. */
    readonly owner: Process | undefined,
    /** The target, when it is a process of this node. */
    readonly target: Process | undefined,
    /** The target's pid; undefined only for a name on another node. */
    readonly targetPid: Pid | undefined,
    /** Set when monitoring by registered name: the DOWN message names `{Name, Node}`. */
    readonly name: RegisteredName | undefined,
    readonly alias: MonitorAliasMode | undefined,
  ) {}

  /** What the DOWN message names: `{Name, Node}` or the pid. */
  get subject(): Pid | RegisteredName {
    return this.name ?? this.targetPid!;
  }
}

export class Monitors {
  private readonly byKey = new Map<number | string, Monitor>();
  private aliases = 0;

  /** Monitors whose ref is also an alias (part of `Aliases.size`). */
  get aliasCount(): number {
    return this.aliases;
  }

  get(key: number | string): Monitor | undefined {
    return this.byKey.get(key);
  }

  add(m: Monitor): void {
    this.byKey.set(m.key, m);
    if (m.alias !== undefined) this.aliases++;
    if (m.owner !== undefined) {
      const extra = m.owner.extras();
      const head = extra.monitors;
      if (head === null) extra.monitors = m;
      else {
        m.outPrev = head.outPrev;
        m.outNext = head;
        head.outPrev.outNext = m;
        head.outPrev = m;
      }
    }
    if (m.target !== undefined) {
      const extra = m.target.extras();
      const head = extra.monitoredBy;
      if (head === null) extra.monitoredBy = m;
      else {
        m.inPrev = head.inPrev;
        m.inNext = head;
        head.inPrev.inNext = m;
        head.inPrev = m;
      }
    }
  }

  /** Takes `m` out of the table and both lists; false if it was not in the table. */
  remove(m: Monitor): boolean {
    if (!this.byKey.delete(m.key)) return false;
    if (m.alias !== undefined) this.aliases--;
    if (m.owner !== undefined) {
      const extra = m.owner.extra!;
      if (m.outNext === m) extra.monitors = null;
      else {
        if (extra.monitors === m) extra.monitors = m.outNext;
        m.outPrev.outNext = m.outNext;
        m.outNext.outPrev = m.outPrev;
      }
    }
    if (m.target !== undefined) {
      const extra = m.target.extra!;
      if (m.inNext === m) extra.monitoredBy = null;
      else {
        if (extra.monitoredBy === m) extra.monitoredBy = m.inNext;
        m.inPrev.inNext = m.inNext;
        m.inNext.inPrev = m.inPrev;
      }
    }
    return true;
  }
}

/** The monitors a process holds on others, oldest first (a copy: safe to remove from while walking it). */
export function monitorsOf(extra: ProcessExtra | null): Monitor[] {
  const all: Monitor[] = [];
  const head = extra?.monitors ?? null;
  if (head === null) return all;
  let m = head;
  do {
    all.push(m);
    m = m.outNext;
  } while (m !== head);
  return all;
}

/** The monitors others hold on a process, oldest first (a copy, as `monitorsOf`). */
export function watchersOf(extra: ProcessExtra | null): Monitor[] {
  const all: Monitor[] = [];
  const head = extra?.monitoredBy ?? null;
  if (head === null) return all;
  let m = head;
  do {
    all.push(m);
    m = m.inNext;
  } while (m !== head);
  return all;
}
