// Introspection of one process: Erlang's process_info, as a snapshot object.
import type { Atom } from "../term/atom.ts";
import type { Pid } from "../term/types.ts";
import type { RegisteredName } from "./contracts.ts";
import { type DirtyCounts, dirtyCountsOf } from "./dirty-calls.ts";
import { monitorsOf, watchersOf } from "./monitors.ts";
import { type Behaviour, Flag, type Priority, type Process, priorityOf, Status } from "./process.ts";

export interface ProcessInfo {
  readonly pid: Pid;
  /**
   * `running`: its code is on the stack now, or it is an async body between two receives; `runnable`: queued to
   * run; `waiting`: for a message (or a behaviour callback's promise).
   */
  readonly status: "running" | "runnable" | "waiting" | "exiting";
  readonly messageQueueLen: number;
  readonly links: Pid[];
  /** What this process monitors: pids, or `{ name, node }` for monitors by name. */
  readonly monitors: (Pid | RegisteredName)[];
  /** Who monitors this process. */
  readonly monitoredBy: Pid[];
  /** An estimate in bytes of what the process holds (object, queue, links, monitors, dictionary). */
  readonly memory: number;
  /** Messages handled and resumptions so far (the runtime's unit of work). */
  readonly reductions: number;
  readonly registeredName: Atom | undefined;
  /** The behaviour's name, or the async body function's name. */
  readonly currentFunction: string;
  readonly trapExit: boolean;
  readonly priority: Priority;
  /** Inherited from the spawning process (see `Process.groupLeader`). */
  readonly groupLeader: Pid | undefined;
  /** Its dirty calls: those waiting on a pool, and how many ran inline and how many on a pool. */
  readonly dirty: DirtyCounts;
}

// Rough V8 sizes (pointer compression): the process object with its pid and table slot; one queued message
// node; a map entry holding a link or monitor; a dictionary entry; an async body's suspended frame and promise.
const PROCESS_BYTES = 120;
const MESSAGE_BYTES = 24;
const ENTRY_BYTES = 48;
const ASYNC_FRAME_BYTES = 400;

export function processInfo(p: Process, running: boolean): ProcessInfo {
  const extra = p.extra;
  const links = extra?.links === undefined ? [] : [...extra.links.values()];
  const monitors = monitorsOf(extra).map((m) => m.subject);
  const monitoredBy = watchersOf(extra).map((m) => m.watcher);
  const async = (p.flags & Flag.Async) !== 0;
  const queued = p.queueLength;
  const entries = links.length + monitors.length + monitoredBy.length + (extra?.dictionary?.size ?? 0);
  return {
    pid: p.pid,
    status: statusOf(p, running),
    messageQueueLen: queued,
    links,
    monitors,
    monitoredBy,
    memory:
      PROCESS_BYTES +
      queued * MESSAGE_BYTES +
      (extra === null ? 0 : ENTRY_BYTES * (entries + 1)) +
      (async ? ASYNC_FRAME_BYTES : 0),
    reductions: p.reductions,
    registeredName: extra?.name,
    currentFunction: async ? p.body.name || "anonymous" : behaviourName(p.body as Behaviour),
    trapExit: (p.flags & Flag.TrapExit) !== 0,
    priority: priorityOf(p.flags),
    groupLeader: extra?.groupLeader,
    dirty: dirtyCountsOf(p),
  };
}

function statusOf(p: Process, running: boolean): ProcessInfo["status"] {
  if (p.status === Status.Exited) return "exiting";
  if (running) return "running";
  if ((p.flags & Flag.Queued) !== 0 || p.status === Status.New) return "runnable";
  // An async body resumed from its receive runs as a microtask the scheduler cannot see: until it waits
  // again it counts as running (also while it awaits something other than a message).
  if (p.status === Status.Ready && (p.flags & Flag.Async) !== 0) return "running";
  return "waiting";
}

function behaviourName(b: Behaviour): string {
  if (b.name !== undefined) return b.name;
  const ctor = Object.getPrototypeOf(b)?.constructor?.name;
  return typeof ctor === "string" && ctor !== "Object" ? ctor : "behaviour";
}
