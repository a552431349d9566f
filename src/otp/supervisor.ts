// Supervisor: OTP's supervisor, itself a GenServer. It starts its children in order, restarts them by its strategy
// when they exit, gives up (exits `shutdown`) past its restart intensity, and stops them in reverse order.
//
// API → what the supervisor does (as supervisor.erl's map):
//   Supervisor.startLink(self, callbacks, arg)  →  callbacks.init(self, arg): flags and child specs; starts them
//   startChild / terminateChild / restartChild / deleteChild / whichChildren / countChildren  →  calls it handles
//   a child's `{'EXIT', Pid, Reason}`  →  restart by strategy and restart type, within the intensity
//   its own exit (parent's shutdown, GenServer.stop)  →  children shut down, last started first
import { EXIT, isQuietExit, KILLED, NORMAL, type Process, type Runtime, SHUTDOWN } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { type Pid, type Term, Tuple, tuple } from "../term/types.ts";
import type { Timeout } from "./gen.ts";
import { GenServer, type GenServerCallbacks, type NoReplyResult } from "./gen-server.ts";
import type { ServerRef } from "./names.ts";
import { logSupervisorProgress, logSupervisorReport, type Offender } from "./reports.ts";
import type { StartOptions, StartResult } from "./start.ts";
import { Child, type ChildSpec, invalidSpec, offenderOf, shutdownChild, startChild } from "./supervisor/child.ts";
import { type Backoff, noteExit, RESTART_CHILD, RestartIntensity, restartLater } from "./supervisor/restarts.ts";

export type { Restart, Shutdown } from "./supervisor/child.ts";
export type { Backoff, ChildSpec };

export type Strategy = "one_for_one" | "one_for_all" | "rest_for_one";

export interface SupervisorFlags {
  /** Default `one_for_one`. */
  readonly strategy?: Strategy;
  /** Restarts allowed within `period` seconds (default 1 in 5). */
  readonly intensity?: number;
  readonly period?: number;
  /** Stop the supervisor when significant children exit: never (default), any of them, or all of them. */
  readonly autoShutdown?: "never" | "any_significant" | "all_significant";
  /** Beyond OTP, opt-in: wait before restarting a child that keeps failing. */
  readonly backoff?: Backoff;
}

export interface SupervisorCallbacks<Arg = undefined> {
  init(self: Process, arg: Arg): { flags?: SupervisorFlags; children: readonly ChildSpec[] } | { ignore: true };
}

/**
 * A row of `whichChildren`: the child's id, its pid (`restarting`, or undefined when not running), its type, and
 * (beyond OTP, for the observer) how many times the supervisor has restarted it.
 */
export interface ChildInfo {
  readonly id: Term;
  readonly pid: Pid | "restarting" | undefined;
  readonly type: "worker" | "supervisor";
  readonly restarts: number;
}

const OK = atom("ok");
const ERROR = atom("error");
const RUNNING = atom("running");
const RESTARTING = atom("restarting");
const NOT_FOUND = atom("not_found");
const ALREADY_PRESENT = atom("already_present");
const ALREADY_STARTED = atom("already_started");
const REACHED_MAX_RESTART_INTENSITY = atom("reached_max_restart_intensity");

/** A supervisor's state: its flags and its children in start order. */
class Supervision {
  readonly children: Child[] = [];
  readonly strategy: Strategy;
  readonly intensity: RestartIntensity;
  readonly autoShutdown: NonNullable<SupervisorFlags["autoShutdown"]>;
  readonly backoff: Backoff | undefined;

  constructor(flags: SupervisorFlags) {
    this.strategy = flags.strategy ?? "one_for_one";
    this.intensity = new RestartIntensity(flags.intensity ?? 1, (flags.period ?? 5) * 1000);
    this.autoShutdown = flags.autoShutdown ?? "never";
    this.backoff = flags.backoff;
  }

  find(id: Term): Child | undefined {
    return this.children.find((c) => equals(c.spec.id, id));
  }

  /** By term equality: an exit from another scheduler or node carries a pid decoded anew, not the one kept here. */
  byPid(pid: Pid): Child | undefined {
    return this.children.find((c) => c.pid !== undefined && equals(c.pid, pid));
  }
}

/** The calls the supervisor handles (its API's requests). */
type Request =
  | { readonly op: "start"; readonly spec: ChildSpec }
  | { readonly op: "terminate" | "restart" | "delete"; readonly id: Term }
  | { readonly op: "which" | "count" };

function supervisorServer<Arg>(callbacks: SupervisorCallbacks<Arg>): GenServerCallbacks<Supervision, Arg> {
  return {
    async init(self, arg) {
      self.setTrapExit(true);
      const spec = callbacks.init(self, arg);
      if ("ignore" in spec) return { ignore: true };
      const sup = new Supervision(spec.flags ?? {});
      for (const childSpec of spec.children) {
        const invalid = invalidSpec(childSpec);
        if (invalid !== undefined) return { stop: tuple(atom("start_spec"), invalid) };
        if (sup.find(childSpec.id) !== undefined)
          return { stop: tuple(atom("start_spec"), tuple(atom("duplicate_child_name"), childSpec.id)) };
        const child = new Child(childSpec);
        const started = await addChild(self, sup, child);
        if ("error" in started) {
          logSupervisorReport(self, "start_error", started.error, offenderOf(child));
          await shutdownAll(self, sup);
          return { stop: tuple(SHUTDOWN, tuple(atom("failed_to_start_child"), childSpec.id, started.error)) };
        }
      }
      return { state: sup };
    },

    async handleCall(self, request, _from, sup) {
      return { reply: await answer(self, sup, request as unknown as Request), state: sup };
    },

    async handleInfo(self, message, sup): Promise<NoReplyResult<Supervision>> {
      if (message instanceof Tuple && message.size === 3 && message.at(0) === EXIT) {
        const child = sup.byPid(message.at(1) as Pid);
        if (child !== undefined) return childExited(self, sup, child, message.at(2)!);
      } else if (message instanceof Tuple && message.size === 2 && message.at(0) === RESTART_CHILD) {
        const child = sup.find(message.at(1)!);
        if (child !== undefined && child.restarting !== undefined) {
          child.restarting = undefined;
          return restartByStrategy(self, sup, child);
        }
      }
      return { state: sup };
    },

    async terminate(self, _reason, sup) {
      await shutdownAll(self, sup);
    },
  };
}

/** A child exited on its own: restart it (and others, by strategy) if its restart type says so. */
async function childExited(
  self: Process,
  sup: Supervision,
  child: Child,
  reason: Term,
): Promise<NoReplyResult<Supervision>> {
  const pid = child.pid;
  child.pid = undefined;
  // As OTP: a permanent child's exit is reported whatever the reason, another child's only when abnormal.
  if (child.restart === "permanent" || !isQuietExit(reason)) {
    logSupervisorReport(self, "child_terminated", reason, offenderOf(child, pid));
  }
  const restart = child.restart === "permanent" || (child.restart === "transient" && !isQuietExit(reason));
  if (!restart) {
    if (child.restart === "temporary") sup.children.splice(sup.children.indexOf(child), 1);
    if (child.significant && shouldAutoShutdown(sup)) return { stop: SHUTDOWN, state: sup };
    return { state: sup };
  }
  if (!sup.intensity.add(self.runtime.clock.now())) return giveUp(self, sup, offenderOf(child, pid));
  if (sup.backoff !== undefined) {
    noteExit(child, sup.backoff, self.runtime.clock.now());
    restartLater(self, child, child.spec.id, sup.backoff);
    return { state: sup };
  }
  return restartByStrategy(self, sup, child);
}

function shouldAutoShutdown(sup: Supervision): boolean {
  if (sup.autoShutdown === "any_significant") return true;
  if (sup.autoShutdown === "all_significant") return !sup.children.some((c) => c.significant && c.pid !== undefined);
  return false;
}

/** Restarts `child` and, by the strategy, its siblings: none, all, or those started after it. */
async function restartByStrategy(self: Process, sup: Supervision, child: Child): Promise<NoReplyResult<Supervision>> {
  const index = sup.children.indexOf(child);
  const group =
    sup.strategy === "one_for_one"
      ? [child]
      : sup.strategy === "one_for_all"
        ? [...sup.children]
        : sup.children.slice(index);
  for (const other of [...group].reverse()) {
    if (other !== child && other.pid !== undefined) await doTerminate(self, other);
  }
  for (const member of group) {
    const started = await doStartChild(self, member);
    if ("pid" in started) member.restarts++;
    if ("error" in started) {
      // A restart that fails counts as another restart, tried again through the mailbox as OTP does.
      logSupervisorReport(self, "start_error", started.error, offenderOf(member));
      if (!sup.intensity.add(self.runtime.clock.now())) return giveUp(self, sup, offenderOf(member));
      restartLater(self, member, member.spec.id, undefined);
      return { state: sup };
    }
  }
  return { state: sup };
}

/** Past the restart intensity: the supervisor reports it and stops (OTP's reached_max_restart_intensity). */
function giveUp(self: Process, sup: Supervision, offender: Offender): NoReplyResult<Supervision> {
  logSupervisorReport(self, "shutdown", REACHED_MAX_RESTART_INTENSITY, offender);
  return { stop: SHUTDOWN, state: sup };
}

/** Shuts every running child down, the last started first. */
async function shutdownAll(self: Process, sup: Supervision): Promise<void> {
  for (const child of [...sup.children].reverse()) {
    if (child.pid !== undefined) await doTerminate(self, child);
  }
}

/** Starts `child`; a progress report says so (OTP's do_start_child). */
async function doStartChild(self: Process, child: Child): Promise<StartResult> {
  const started = await startChild(self, child);
  if ("pid" in started) logSupervisorProgress(self, offenderOf(child));
  return started;
}

/**
 * Shuts a running `child` down (OTP's do_terminate): an exit other than the one asked for (`killed` for brutal_kill,
 * else `shutdown`; `normal` too for a child that is not permanent) is a shutdown_error report.
 */
async function doTerminate(self: Process, child: Child): Promise<void> {
  const pid = child.pid;
  const reason = await shutdownChild(self, child);
  if (reason === (child.shutdown === "brutal_kill" ? KILLED : SHUTDOWN)) return;
  if (reason === NORMAL && child.restart !== "permanent") return;
  logSupervisorReport(self, "shutdown_error", reason, offenderOf(child, pid));
}

/** Starts a new child; it joins the children unless the start failed or a temporary child said ignore. */
async function addChild(self: Process, sup: Supervision, child: Child): Promise<StartResult> {
  const started = await doStartChild(self, child);
  if ("pid" in started || ("ignore" in started && child.restart !== "temporary")) sup.children.push(child);
  return started;
}

/** `{ok, Pid}`, or `{ok, undefined}` for a child whose start said ignore. */
function startedTerm(child: Child): Term {
  return tuple(OK, child.pid ?? atom("undefined"));
}

/** Handles one API call. */
async function answer(self: Process, sup: Supervision, request: Request): Promise<Term> {
  switch (request.op) {
    case "start": {
      const invalid = invalidSpec(request.spec);
      if (invalid !== undefined) return tuple(ERROR, invalid);
      const existing = sup.find(request.spec.id);
      if (existing !== undefined) {
        return tuple(ERROR, existing.pid !== undefined ? tuple(ALREADY_STARTED, existing.pid) : ALREADY_PRESENT);
      }
      const child = new Child(request.spec);
      const started = await addChild(self, sup, child);
      return "error" in started ? tuple(ERROR, started.error) : startedTerm(child);
    }
    case "terminate": {
      const child = sup.find(request.id);
      if (child === undefined) return tuple(ERROR, NOT_FOUND);
      if (child.pid !== undefined) await doTerminate(self, child);
      if (child.restarting !== undefined) self.runtime.cancelTimer(child.restarting);
      child.restarting = undefined;
      if (child.restart === "temporary") sup.children.splice(sup.children.indexOf(child), 1);
      return OK;
    }
    case "restart": {
      const child = sup.find(request.id);
      if (child === undefined) return tuple(ERROR, NOT_FOUND);
      if (child.pid !== undefined) return tuple(ERROR, RUNNING);
      if (child.restarting !== undefined) return tuple(ERROR, RESTARTING);
      const started = await doStartChild(self, child);
      return "error" in started ? tuple(ERROR, started.error) : startedTerm(child);
    }
    case "delete": {
      const child = sup.find(request.id);
      if (child === undefined) return tuple(ERROR, NOT_FOUND);
      if (child.pid !== undefined) return tuple(ERROR, RUNNING);
      if (child.restarting !== undefined) return tuple(ERROR, RESTARTING);
      sup.children.splice(sup.children.indexOf(child), 1);
      return OK;
    }
    case "which":
      return sup.children.map(
        (c): ChildInfo => ({
          id: c.spec.id,
          pid: c.restarting !== undefined ? "restarting" : c.pid,
          type: c.type,
          restarts: c.restarts,
        }),
      ) as unknown as Term;
    case "count": {
      const running = sup.children.filter((c) => c.pid !== undefined);
      return {
        specs: sup.children.length,
        active: running.length,
        supervisors: sup.children.filter((c) => c.type === "supervisor").length,
        workers: sup.children.filter((c) => c.type === "worker").length,
      } as unknown as Term;
    }
  }
}

type SupervisorStart = { readonly pid: Pid } | { readonly ignore: true } | { readonly error: Term };

async function supervisorCall(
  self: Process,
  sup: ServerRef,
  request: Request,
  timeout: Timeout = "infinity",
): Promise<Term> {
  return GenServer.call(self, sup, request as unknown as Term, { timeout });
}

function okPid(answer: Term): { pid: Pid | undefined } | { error: Term } {
  const [tag, value] = (answer as Tuple).elements;
  if (tag === OK) return { pid: value === atom("undefined") ? undefined : (value as Pid) };
  return { error: value! };
}

/** OTP's supervisor API. */
export const Supervisor = {
  startLink<Arg>(
    self: Process,
    callbacks: SupervisorCallbacks<Arg>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<SupervisorStart> {
    return GenServer.startLink(self, supervisorServer(callbacks), arg, options);
  },

  start<Arg>(
    from: Process | Runtime,
    callbacks: SupervisorCallbacks<Arg>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<SupervisorStart> {
    return GenServer.start(from, supervisorServer(callbacks), arg, options);
  },

  /** Adds and starts a child: its pid (undefined if its start said ignore) or the error. */
  async startChild(
    self: Process,
    sup: ServerRef,
    spec: ChildSpec,
  ): Promise<{ pid: Pid | undefined } | { error: Term }> {
    return okPid(await supervisorCall(self, sup, { op: "start", spec }));
  },

  /** Stops a child by id (its spec stays, unless it is temporary). */
  async terminateChild(self: Process, sup: ServerRef, id: Term): Promise<{ ok: true } | { error: Term }> {
    const answer = await supervisorCall(self, sup, { op: "terminate", id });
    return answer === OK ? { ok: true } : { error: (answer as Tuple).at(1)! };
  },

  /** Starts a stopped child again from its spec. */
  async restartChild(self: Process, sup: ServerRef, id: Term): Promise<{ pid: Pid | undefined } | { error: Term }> {
    return okPid(await supervisorCall(self, sup, { op: "restart", id }));
  },

  /** Removes a stopped child's spec. */
  async deleteChild(self: Process, sup: ServerRef, id: Term): Promise<{ ok: true } | { error: Term }> {
    const answer = await supervisorCall(self, sup, { op: "delete", id });
    return answer === OK ? { ok: true } : { error: (answer as Tuple).at(1)! };
  },

  /** The children, in start order. */
  async whichChildren(self: Process, sup: ServerRef): Promise<ChildInfo[]> {
    return (await supervisorCall(self, sup, { op: "which" })) as unknown as ChildInfo[];
  },

  async countChildren(
    self: Process,
    sup: ServerRef,
  ): Promise<{ specs: number; active: number; supervisors: number; workers: number }> {
    return (await supervisorCall(self, sup, { op: "count" })) as unknown as {
      specs: number;
      active: number;
      supervisors: number;
      workers: number;
    };
  },
};
