// Task: Elixir's Task, a process that runs one function and reports its result to the process that started it
// (the owner), and the ways the owner awaits, yields to, ignores or shuts down that result.
//
// API map (as Elixir's task.ex):
//   Task.async(self, fn)        →  spawn_link a task, monitor it with an alias (`demonitor` mode), send it
//                                  `{Owner, Alias}`; the task runs fn and sends `{Alias, Result}` to the alias
//   Task.await / awaitMany      →  `{Ref, Result}`, or the caller exits: with the task's reason on
//                                  `{'DOWN', Ref, process, Pid, Reason}`, with `timeout` when none comes in time
//   Task.yield / yieldMany      →  the same without failing: `{ ok }`, `{ exit }`, or undefined (nil; the
//                                  monitor stays, so it can be yielded to again)
//   Task.ignore                 →  unlink and demonitor: the alias dies with the monitor, so a late reply is dropped
//   Task.shutdown               →  unlink, `shutdown` (then `kill` after the timeout) or `kill`, then whatever came
//   Task.start / startLink      →  a task with no reply (fire and forget): `{ pid }`, a supervisor child's start
// Only the owner may await, yield, ignore or shut a task down (anyone else gets TASK_NOT_OWNER).
//
// Exits carry Elixir's reasons, `{Reason, {'Elixir.Task', Function, Args}}`, with the task as Elixir's struct.
import { ErrorCodes, ProcessError } from "../errors.ts";
import {
  DOWN,
  KILL,
  KILLED,
  NOCONNECTION,
  NOPROC,
  type Process,
  ProcessExit,
  type Runtime,
  SHUTDOWN,
} from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import { ErlMap } from "../term/map.ts";
import { TermMap } from "../term/term-map.ts";
import { type Pid, Ref, type Term, Tuple, tuple } from "../term/types.ts";
import { downReason, isDownOf, type Timeout, timeoutTerm } from "./gen.ts";
import type { Shutdown } from "./supervisor/child.ts";
import { callersOf, replyingTask, type SideEffectFn, silentTask, type TaskFn } from "./task/process.ts";

export type { SideEffectFn, TaskFn };

const ELIXIR_TASK = atom("Elixir.Task");
const TIMEOUT = atom("timeout");

/** The default timeout of await and yield, as Elixir's. */
const DEFAULT_TIMEOUT = 5000;

/**
 * A task the owner can await: the task's pid, the ref of the owner's monitor on it (also the alias the reply is
 * sent to, as `{Ref, Result}`), and the owner. `Result` types what it replies.
 */
export interface Task<Result extends Term = Term> {
  readonly pid: Pid;
  readonly ref: Ref;
  readonly owner: Pid;
  /** Only for the type checker: what the task replies. */
  readonly __result?: Result;
}

/** How a yield ended: the reply, the task's exit reason, or undefined (Elixir's nil: nothing yet). */
export type YieldResult<Result extends Term = Term> = { readonly ok: Result } | { readonly exit: Term } | undefined;

export interface YieldManyOptions {
  /** Default 5000 ms. */
  readonly timeout?: Timeout;
  /** Return once this many tasks have replied or exited (default: all of them); on_timeout does not apply then. */
  readonly limit?: number;
  /** What to do with the tasks that have not answered when the timeout passes: nothing (default), ignore, kill. */
  readonly onTimeout?: "nothing" | "ignore" | "kill_task";
}

/** Elixir's `%Task{}` as a term (for exit reasons): every Otter task runs a fun, so its mfa is `{erlang, apply, 2}`. */
export function taskTerm(task: Task): ErlMap {
  return new ErlMap([
    [atom("__struct__"), ELIXIR_TASK],
    [atom("mfa"), tuple(atom("erlang"), atom("apply"), 2)],
    [atom("owner"), task.owner],
    [atom("pid"), task.pid],
    [atom("ref"), task.ref],
  ]);
}

/**
 * The owner's half of starting a replying task: monitor it with an alias and tell it where to reply. The monitor
 * comes first, so however fast the task runs, its reply and its DOWN find the owner ready.
 */
export function ownTask<Result extends Term>(self: Process, pid: Pid): Task<Result> {
  const ref = self.monitor(pid, { alias: "demonitor" });
  self.send(pid, tuple(self.pid, ref));
  return { pid, ref, owner: self.pid };
}

function isReplyOf(message: Term, ref: Ref): boolean {
  return message instanceof Tuple && message.size === 2 && message.at(0) instanceof Ref && equals(message.at(0)!, ref);
}

/** The task's reply `{Ref, Result}` or its DOWN, whichever is first within `timeout`; undefined if neither came. */
async function answerOf(self: Process, ref: Ref, timeout: Timeout): Promise<Tuple | undefined> {
  return (await self.receive((m) => isReplyOf(m, ref) || isDownOf(m, ref), { since: ref, timeout })) as
    | Tuple
    | undefined;
}

/** The ref a task's reply or DOWN carries, if `message` is one of those. */
function taskRefOf(message: Term): Ref | undefined {
  if (!(message instanceof Tuple)) return undefined;
  const ref = message.size === 2 ? message.at(0) : message.size === 5 && message.at(0) === DOWN ? message.at(1) : null;
  return ref instanceof Ref ? ref : undefined;
}

/** The owner's exit from Task function `name` (Elixir's name, e.g. `await_many`), called with `args`. */
function taskExit(reason: Term, name: string, args: Term[]): ProcessExit {
  return new ProcessExit(tuple(reason, tuple(ELIXIR_TASK, atom(name), args)));
}

function checkOwner(self: Process, task: Task): void {
  if (!equals(task.owner, self.pid)) {
    throw new ProcessError(
      ErrorCodes.TASK_NOT_OWNER,
      `task ${format(taskTerm(task))} must be queried from the owner but was queried from ${format(self.pid)}`,
    );
  }
}

export function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== "function") {
    throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `${what} takes a function (self) => result, not ${typeof fn}`);
  }
}

function checkTimeout(timeout: unknown, what: string): Timeout {
  if (timeout === "infinity" || (typeof timeout === "number" && timeout >= 0)) return timeout;
  throw new ProcessError(
    ErrorCodes.PROC_BAD_ARG,
    `${what}: timeout must be a number ≥ 0 or "infinity", not ${timeout}`,
  );
}

/** A shutdown option as it was given, if it is one (`brutal_kill`, or a timeout); else PROC_BAD_ARG. */
export function checkShutdown(shutdown: unknown, what: string): Shutdown {
  if (shutdown === "brutal_kill") return shutdown;
  return checkTimeout(shutdown, what);
}

/** Milliseconds left until `deadline` on this runtime's clock (a yieldMany or awaitMany spans several receives). */
function remaining(self: Process, deadline: number): Timeout {
  return deadline === Number.POSITIVE_INFINITY ? "infinity" : Math.max(0, deadline - self.runtime.clock.now());
}

function deadlineOf(self: Process, timeout: Timeout): number {
  return timeout === "infinity" ? Number.POSITIVE_INFINITY : self.runtime.clock.now() + timeout;
}

/** Each distinct ref of `tasks` → the place of its first task (a task listed twice gets one answer). */
function refIndex(tasks: readonly Task[]): TermMap<number> {
  const index = new TermMap<number>();
  tasks.forEach((task, i) => {
    if (!index.has(task.ref)) index.set(task.ref, i);
  });
  return index;
}

/**
 * For awaitMany and yieldMany: the next reply or DOWN of a task in `index` whose place in `answered` is still
 * empty, with that place; undefined when `deadline` passes first.
 */
async function nextAnswer(
  self: Process,
  index: TermMap<number>,
  answered: readonly unknown[],
  deadline: number,
): Promise<{ readonly at: number; readonly message: Tuple } | undefined> {
  const placeOf = (m: Term): number | undefined => {
    const ref = taskRefOf(m);
    const at = ref === undefined ? undefined : index.get(ref);
    return at !== undefined && answered[at] === undefined ? at : undefined;
  };
  const message = (await self.receive((m) => placeOf(m) !== undefined, { timeout: remaining(self, deadline) })) as
    | Tuple
    | undefined;
  return message === undefined ? undefined : { at: placeOf(message)!, message };
}

/** How a shutdown is going: asked with `shutdown` or `kill`, or killed after the shutdown timeout. */
type ShutdownKind = "shutdown" | "brutal_kill" | "timeout_kill";

/** Whether the task ended the way the shutdown asked it to (so there is nothing to report). */
function endedAsAsked(reason: Term, kind: ShutdownKind): boolean {
  return kind === "brutal_kill" ? reason === KILLED : reason === SHUTDOWN;
}

/**
 * Elixir's shutdown_receive: stops the task, killing it if the shutdown timeout passes first, and waits for its
 * end. Resolves with the reply if it came (`{ ok }`), undefined if the task ended as asked, else the DOWN that
 * tells how it ended.
 */
async function shutdownReceive(self: Process, task: Task, how: Shutdown): Promise<YieldResult | Tuple> {
  const mon = self.monitor(task.pid);
  // Elixir spawns an enforcer that sends the exit if the owner dies between the unlink and the exit signal; here
  // nothing runs between the two calls, so the task cannot be left unlinked and running.
  self.unlink(task.pid);
  self.exit(task.pid, how === "brutal_kill" ? KILL : SHUTDOWN);
  let kind: ShutdownKind = how === "brutal_kill" ? "brutal_kill" : "shutdown";
  let timeout: Timeout = how === "brutal_kill" ? "infinity" : how;
  for (;;) {
    const down = (await self.receive((m) => isDownOf(m, mon), { since: mon, timeout })) as Tuple | undefined;
    if (down === undefined) {
      self.exit(task.pid, KILL);
      kind = "timeout_kill";
      timeout = "infinity";
      continue;
    }
    const reason = down.at(4)!;
    if (endedAsAsked(reason, kind)) {
      self.demonitor(task.ref, { flush: true });
      return flushReply(self, task);
    }
    if (reason === NOPROC) {
      // The task was gone before the monitor: its own DOWN (if still queued) tells how it ended.
      const ended = await flushNoproc(self, task, down, kind);
      return (await flushReply(self, task)) ?? ended;
    }
    self.demonitor(task.ref, { flush: true });
    return (await flushReply(self, task)) ?? down;
  }
}

/** A reply already queued: `{ ok }`, else undefined. */
async function flushReply(self: Process, task: Task): Promise<YieldResult> {
  const reply = (await self.receive((m) => isReplyOf(m, task.ref), { timeout: 0 })) as Tuple | undefined;
  return reply === undefined ? undefined : { ok: reply.at(1)! };
}

/** After a `noproc`: the task's own DOWN decides (undefined when it ended the way it was asked to). */
async function flushNoproc(self: Process, task: Task, noproc: Tuple, kind: ShutdownKind): Promise<Tuple | undefined> {
  const down = (await self.receive((m) => isDownOf(m, task.ref), { timeout: 0 })) as Tuple | undefined;
  if (down === undefined) {
    self.demonitor(task.ref, { flush: true });
    return noproc;
  }
  return endedAsAsked(down.at(4)!, kind) ? undefined : down;
}

/** Elixir's Task API, with `self` (the calling process, the owner) first. */
export const Task = {
  /**
   * Runs `fn` in a new process linked to and monitored by `self`; its result comes back as `{Ref, Result}` with
   * the task's `ref`. The owner must await (or yield, ignore, shut down) it. A task that crashes takes the owner
   * down through the link, unless the owner traps exits.
   */
  async<Result extends Term>(self: Process, fn: TaskFn<Result>): Task<Result> {
    checkFn(fn, "Task.async");
    const pid = self.spawn(replyingTask(self.pid, callersOf(self), fn, false), { link: true });
    return ownTask(self, pid);
  },

  /**
   * The task's result. If the task exits first, the caller exits with `{Reason, {'Elixir.Task', await, [Task,
   * Timeout]}}`; if none comes within `timeout` (default 5000 ms), with `{timeout, …}` (a linked task then dies
   * with the caller). Call it once per task.
   */
  async await<Result extends Term>(
    self: Process,
    task: Task<Result>,
    options?: { timeout?: Timeout },
  ): Promise<Result> {
    checkOwner(self, task);
    const timeout = checkTimeout(options?.timeout ?? DEFAULT_TIMEOUT, "Task.await");
    const message = await answerOf(self, task.ref, timeout);
    if (message === undefined) {
      self.demonitor(task.ref, { flush: true });
      throw taskExit(TIMEOUT, "await", [taskTerm(task), timeoutTerm(timeout)]);
    }
    if (message.size === 5) throw taskExit(downReason(message), "await", [taskTerm(task), timeoutTerm(timeout)]);
    self.demonitor(task.ref, { flush: true });
    return message.at(1) as Result;
  },

  /**
   * The results of `tasks`, in their order. The first task to exit, or the timeout (for all of them together),
   * exits the caller with `{Reason, {'Elixir.Task', await_many, [Tasks, Timeout]}}`, as `await` does.
   */
  async awaitMany<Result extends Term>(
    self: Process,
    tasks: readonly Task<Result>[],
    options?: { timeout?: Timeout },
  ): Promise<Result[]> {
    for (const task of tasks) checkOwner(self, task);
    const timeout = checkTimeout(options?.timeout ?? DEFAULT_TIMEOUT, "Task.awaitMany");
    const deadline = deadlineOf(self, timeout);
    const index = refIndex(tasks);
    const replies: Result[] = [];
    const exit = (reason: Term): ProcessExit => {
      for (const [ref, at] of index) if (replies[at] === undefined) self.demonitor(ref as Ref, { flush: true });
      return taskExit(reason, "await_many", [tasks.map(taskTerm), timeoutTerm(timeout)]);
    };
    for (let left = index.size; left > 0; left--) {
      const answer = await nextAnswer(self, index, replies, deadline);
      if (answer === undefined) throw exit(TIMEOUT);
      const { at, message } = answer;
      if (message.size === 5) throw exit(downReason(message));
      self.demonitor(message.at(0) as Ref, { flush: true });
      replies[at] = message.at(1) as Result;
    }
    return tasks.map((task) => replies[index.get(task.ref)!]!);
  },

  /**
   * Waits up to `timeout` (default 5000 ms) for the task: `{ ok: result }`, `{ exit: reason }` if it exited
   * (a linked task's crash still takes a caller that does not trap exits down), or undefined if neither came
   * in time; the monitor then stays, so the task can be yielded to again.
   */
  async yield<Result extends Term>(
    self: Process,
    task: Task<Result>,
    options?: { timeout?: Timeout },
  ): Promise<YieldResult<Result>> {
    checkOwner(self, task);
    const timeout = checkTimeout(options?.timeout ?? DEFAULT_TIMEOUT, "Task.yield");
    const message = await answerOf(self, task.ref, timeout);
    if (message === undefined) return undefined;
    if (message.size === 2) {
      self.demonitor(task.ref, { flush: true });
      return { ok: message.at(1) as Result };
    }
    if (message.at(4) === NOCONNECTION) {
      throw taskExit(downReason(message), "yield", [taskTerm(task), timeoutTerm(timeout)]);
    }
    return { exit: message.at(4)! };
  },

  /**
   * Yields to every task within one `timeout`: for each task, in the given order, what `yield` would give.
   * With `limit`, returns as soon as that many have answered. `onTimeout` says what happens to the tasks still
   * running when the timeout passes: `nothing` (default), `ignore` (as Task.ignore), `kill_task` (brutal kill).
   */
  async yieldMany<Result extends Term>(
    self: Process,
    tasks: readonly Task<Result>[],
    options?: YieldManyOptions,
  ): Promise<{ readonly task: Task<Result>; readonly result: YieldResult<Result> }[]> {
    for (const task of tasks) checkOwner(self, task);
    const timeout = checkTimeout(options?.timeout ?? DEFAULT_TIMEOUT, "Task.yieldMany");
    const onTimeout = options?.onTimeout ?? "nothing";
    if (onTimeout !== "nothing" && onTimeout !== "ignore" && onTimeout !== "kill_task") {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `Task.yieldMany: unknown onTimeout ${String(onTimeout)}`);
    }
    const limit = options?.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `Task.yieldMany: limit must be an integer ≥ 1, not ${limit}`);
    }
    const index = refIndex(tasks);
    const deadline = deadlineOf(self, timeout);
    const results: YieldResult<Result>[] = [];
    let timedOut = false;
    // Unlike Elixir, a limit above the number of tasks does not wait out the timeout once every task has answered.
    for (let left = Math.min(limit ?? index.size, index.size); left > 0; left--) {
      const answer = await nextAnswer(self, index, results, deadline);
      if (answer === undefined) {
        timedOut = true;
        break;
      }
      const { at, message } = answer;
      if (message.size === 2) {
        self.demonitor(message.at(0) as Ref, { flush: true });
        results[at] = { ok: message.at(1) as Result };
      } else if (message.at(4) === NOCONNECTION) {
        throw taskExit(downReason(message), "yield_many", [tasks.map(taskTerm), timeoutTerm(timeout)]);
      } else {
        results[at] = { exit: message.at(4)! };
      }
    }
    const out: { readonly task: Task<Result>; readonly result: YieldResult<Result> }[] = [];
    for (const task of tasks) {
      let result = results[index.get(task.ref)!];
      if (result === undefined && timedOut && onTimeout === "kill_task") {
        result = await Task.shutdown(self, task, { shutdown: "brutal_kill" });
      } else if (result === undefined && timedOut && onTimeout === "ignore") {
        result = await Task.ignore(self, task);
      }
      out.push({ task, result });
    }
    return out;
  },

  /**
   * Stops caring about the task: it runs on, unlinked, and its reply will be dropped. Returns what had already
   * come: `{ ok }`, `{ exit }`, or undefined.
   */
  async ignore<Result extends Term>(self: Process, task: Task<Result>): Promise<YieldResult<Result>> {
    checkOwner(self, task);
    const message = await answerOf(self, task.ref, 0);
    if (message !== undefined && message.size === 5) {
      if (message.at(4) === NOCONNECTION) throw taskExit(downReason(message), "ignore", [taskTerm(task)]);
      return { exit: message.at(4)! };
    }
    self.unlink(task.pid);
    self.demonitor(task.ref, { flush: true });
    return message === undefined ? undefined : { ok: message.at(1) as Result };
  },

  /**
   * Unlinks and stops the task: a `shutdown` exit, then `kill` if it is still running after `shutdown` ms
   * (default 5000; it only waits if the task traps exits), or `kill` at once with `brutal_kill`. Returns
   * `{ ok: result }` if the reply came meanwhile, `{ exit: reason }` if the task ended some other way than it
   * was asked to, else undefined. The task cannot be awaited afterwards.
   */
  async shutdown<Result extends Term>(
    self: Process,
    task: Task<Result>,
    options?: { shutdown?: Shutdown },
  ): Promise<YieldResult<Result>> {
    checkOwner(self, task);
    const how = checkShutdown(options?.shutdown ?? DEFAULT_TIMEOUT, "Task.shutdown");
    const ended = await shutdownReceive(self, task, how);
    if (!(ended instanceof Tuple)) return ended as YieldResult<Result>;
    if (ended.at(4) === NOCONNECTION) {
      throw taskExit(downReason(ended), "shutdown", [
        taskTerm(task),
        how === "brutal_kill" ? atom(how) : timeoutTerm(how),
      ]);
    }
    return { exit: ended.at(4)! };
  },

  /** Runs `fn` in a new process linked to nobody, for its side effects: `{ pid }`. From a process or from outside. */
  start(from: Process | Runtime, fn: SideEffectFn): { readonly pid: Pid } {
    checkFn(fn, "Task.start");
    return { pid: from.spawn(silentTask(callersOf(from), fn)) };
  },

  /** Runs `fn` in a new process linked to `self`, for its side effects: `{ pid }` (a supervisor child's start). */
  startLink(self: Process, fn: SideEffectFn): { readonly pid: Pid } {
    checkFn(fn, "Task.startLink");
    return { pid: self.spawn(silentTask(callersOf(self), fn), { link: true }) };
  },
};
