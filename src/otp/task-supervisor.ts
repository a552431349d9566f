// TaskSupervisor: Elixir's Task.Supervisor, a DynamicSupervisor whose children are tasks, started for an owner that
// awaits them (async, asyncNolink) or for their side effects (startChild).
//
// API → what the DynamicSupervisor underneath does (as Elixir's task/supervisor.ex):
//   TaskSupervisor.start / startLink(from, options)   →  DynamicSupervisor.start / startLink (one_for_one)
//   async(self, sup, fn)        →  startChild: a temporary task linked to the supervisor that waits for its owner's
//                                  `{Owner, Alias}`; the owner links to it, monitors it with the alias, sends that
//   asyncNolink(self, sup, fn)  →  the same without the owner's link: a crash reaches the owner as its DOWN only
//   startChild(self, sup, fn)   →  startChild: a task with no reply (temporary unless `restart` says otherwise)
//   children(self, sup)         →  whichChildren, the pids
//   terminateChild(self, sup, pid)  →  terminateChild
// Replies and DOWNs are Task's (`{Ref, Result}`, `{'DOWN', Ref, process, Pid, Reason}`): await them with Task.
import { ErrorCodes, ProcessError } from "../errors.ts";
import type { Process, Runtime } from "../runtime/index.ts";
import { Pid, type Term } from "../term/types.ts";
import { DynamicSupervisor, type DynamicSupervisorOptions } from "./dynamic-supervisor.ts";
import type { ServerRef } from "./names.ts";
import type { StartResult } from "./start.ts";
import type { Restart, Shutdown } from "./supervisor/child.ts";
import { callersOf, replyingTask, type SideEffectFn, silentTask, type TaskFn } from "./task/process.ts";
import { checkFn, checkShutdown, ownTask, type Task } from "./task.ts";

/** Elixir's Task.Supervisor options: restart intensity, maxChildren, and the start options (name …). */
export type TaskSupervisorOptions = Omit<DynamicSupervisorOptions, "strategy" | "extraArguments" | "backoff">;

export interface TaskChildOptions {
  /** How the supervisor stops the task: default 5000 ms (then killed; it only waits if the task traps exits). */
  readonly shutdown?: Shutdown;
}

/** Starts an owned task under `sup`, linked to the caller or not, and makes the caller its owner. */
async function supervisedAsync<Result extends Term>(
  self: Process,
  sup: ServerRef,
  fn: TaskFn<Result>,
  link: boolean,
  options: TaskChildOptions | undefined,
): Promise<Task<Result>> {
  const what = link ? "TaskSupervisor.async" : "TaskSupervisor.asyncNolink";
  checkFn(fn, what);
  const owner = self.pid;
  const callers = callersOf(self);
  const started = await DynamicSupervisor.startChild(self, sup, {
    start: (supervisor) => ({ pid: supervisor.spawnLink(replyingTask(owner, callers, fn, true)) }),
    restart: "temporary",
    shutdown: checkShutdown(options?.shutdown ?? 5000, what),
  });
  // The spec is valid and its start cannot fail, so a start without a pid is the supervisor's max_children.
  if (!("pid" in started)) {
    throw new ProcessError(
      ErrorCodes.TASK_MAX_CHILDREN,
      "reached the maximum number of tasks for this task supervisor; how many may run at once is its " +
        "maxChildren option (TaskSupervisor.startLink)",
    );
  }
  if (link) self.link(started.pid);
  return ownTask(self, started.pid);
}

/** Elixir's Task.Supervisor API, with `self` (the calling process) first. */
export const TaskSupervisor = {
  /** Starts a task supervisor linked to nobody; from a process or from outside. */
  start(from: Process | Runtime, options?: TaskSupervisorOptions): Promise<StartResult> {
    return DynamicSupervisor.start(from, { ...options, strategy: "one_for_one" });
  },

  /** Starts a task supervisor linked to `self`, e.g. as a child in a supervision tree. */
  startLink(self: Process, options?: TaskSupervisorOptions): Promise<StartResult> {
    return DynamicSupervisor.startLink(self, { ...options, strategy: "one_for_one" });
  },

  /**
   * Runs `fn` in a task under `sup`, linked to the caller and owned by it (await it with Task.await): as
   * Task.async, but supervised. Throws TASK_MAX_CHILDREN if the supervisor has its `maxChildren` tasks.
   */
  async<Result extends Term>(
    self: Process,
    sup: ServerRef,
    fn: TaskFn<Result>,
    options?: TaskChildOptions,
  ): Promise<Task<Result>> {
    return supervisedAsync(self, sup, fn, true, options);
  },

  /**
   * As `async`, but not linked to the caller: a task that crashes does not take the caller down; its DOWN tells
   * (Task.yield gives `{ exit: reason }`, Task.await exits the caller with the reason).
   */
  asyncNolink<Result extends Term>(
    self: Process,
    sup: ServerRef,
    fn: TaskFn<Result>,
    options?: TaskChildOptions,
  ): Promise<Task<Result>> {
    return supervisedAsync(self, sup, fn, false, options);
  },

  /**
   * Runs `fn` under `sup` for its side effects, linked to the supervisor only: `{ pid }`, or `{ error }`
   * (`max_children`). `restart` (default temporary) says whether the supervisor runs it again after it exits.
   */
  async startChild(
    self: Process,
    sup: ServerRef,
    fn: SideEffectFn,
    options?: TaskChildOptions & { readonly restart?: Restart },
  ): Promise<StartResult> {
    checkFn(fn, "TaskSupervisor.startChild");
    const callers = callersOf(self);
    return DynamicSupervisor.startChild(self, sup, {
      start: (supervisor) => ({ pid: supervisor.spawnLink(silentTask(callers, fn)) }),
      restart: options?.restart ?? "temporary",
      shutdown: checkShutdown(options?.shutdown ?? 5000, "TaskSupervisor.startChild"),
    });
  },

  /** The pids of the running tasks. */
  async children(self: Process, sup: ServerRef): Promise<Pid[]> {
    const children = await DynamicSupervisor.whichChildren(self, sup);
    return children.flatMap((child) => (child.pid instanceof Pid ? [child.pid] : []));
  },

  /** Stops the task `pid` as its shutdown says: `{ ok: true }`, or `{ error: not_found }`. */
  terminateChild(self: Process, sup: ServerRef, pid: Pid): Promise<{ ok: true } | { error: Term }> {
    return DynamicSupervisor.terminateChild(self, sup, pid);
  },
};
