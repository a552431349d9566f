// DynamicSupervisor: Elixir's DynamicSupervisor (OTP's simple_one_for_one), itself a GenServer. It starts with no
// children and is given them one at a time; it restarts each by its restart type (one_for_one), gives up (exits
// `shutdown`) past its restart intensity, and when it stops, tells all its children to stop at once.
//
// API → what the supervisor does (as Elixir's dynamic_supervisor.ex):
//   DynamicSupervisor.start / startLink(self, options)  →  init: traps exits; no children yet
//   startChild(self, sup, spec)  →  spec.start(self, ...extraArguments), unless maxChildren are there already
//   terminateChild(self, sup, pid)  →  that child stopped as its spec's shutdown says, and forgotten
//   whichChildren / countChildren  →  the children as they are
//   a child's `{'EXIT', Pid, Reason}`  →  restarted by its restart type, within the intensity (with backoff: later)
//   DynamicSupervisor.stop, its parent's exit  →  every child told to stop at once, each killed after its own
//     shutdown time, all waited for (as OTP's terminate_dynamic_children: children of one kind have no order)
import { ErrorCodes, ProcessError } from "../errors.ts";
import { EXIT, isQuietExit, KILLED, NORMAL, type Process, type Runtime, SHUTDOWN } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { TermMap } from "../term/term-map.ts";
import { type Pid, type Term, Tuple } from "../term/types.ts";
import type { Timeout } from "./gen.ts";
import { GenServer, type GenServerCallbacks, type NoReplyResult } from "./gen-server.ts";
import type { ServerRef } from "./names.ts";
import { logSupervisorReport } from "./reports.ts";
import type { StartOptions, StartResult } from "./start.ts";
import {
  Child,
  type ChildSpec,
  invalidSpec,
  offenderOf,
  shutdownChild,
  shutdownChildren,
  startChild,
} from "./supervisor/child.ts";
import { type Backoff, noteExit, RESTART_CHILD, RestartIntensity, restartLater } from "./supervisor/restarts.ts";
import type { ChildInfo } from "./supervisor.ts";

/** What a DynamicSupervisor is started with (besides its name, init timeout and priority). */
export interface DynamicSupervisorFlags {
  /** The only strategy there is (Elixir's too); default `one_for_one`. */
  readonly strategy?: "one_for_one";
  /** Restarts allowed within `period` seconds (default 3 in 5, as Elixir's); one more and the supervisor exits. */
  readonly intensity?: number;
  readonly period?: number;
  /** The most children at once (default `infinity`); `startChild` past it gives `{ error: max_children }`. */
  readonly maxChildren?: number | "infinity";
  /** Passed to every child's start function after `self` (Elixir's `extra_arguments`), restarts included. */
  readonly extraArguments?: readonly Term[];
  /** Beyond OTP, opt-in, as the Supervisor's: wait before restarting a child that keeps failing. */
  readonly backoff?: Backoff;
}

export interface DynamicSupervisorOptions extends DynamicSupervisorFlags, StartOptions {}

/** A child spec without an id (a dynamic supervisor's children are told apart by pid; an id given is ignored). */
export type DynamicChildSpec = Omit<ChildSpec, "id"> & { readonly id?: Term };

export interface ChildCounts {
  /** Every child, running or waiting to be restarted. */
  readonly specs: number;
  /** The running ones. */
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

const UNDEFINED = atom("undefined");
const NOT_FOUND = atom("not_found");
const MAX_CHILDREN = atom("max_children");
const INVALID_SIGNIFICANT = atom("invalid_significant");
const REACHED_MAX_RESTART_INTENSITY = atom("reached_max_restart_intensity");

/** A dynamic supervisor's state: its flags and its children. */
class DynamicSupervision {
  /**
   * The children by pid: a running child's own, or for one waiting to be restarted the pid it last had (Elixir
   * keeps `{restarting, Child}` under the old pid the same way, so `terminateChild` can still name it).
   */
  readonly children = new TermMap<Child>();
  readonly intensity: RestartIntensity;

  constructor(
    readonly maxChildren: number,
    readonly extraArguments: readonly Term[],
    readonly backoff: Backoff | undefined,
    intensity: number,
    period: number,
  ) {
    this.intensity = new RestartIntensity(intensity, period * 1000);
  }
}

/** The calls the supervisor handles (its API's requests). */
type Request =
  | { readonly op: "start"; readonly spec: DynamicChildSpec }
  | { readonly op: "terminate"; readonly pid: Pid }
  | { readonly op: "which" | "count" };

function dynamicSupervisorServer(flags: DynamicSupervisorFlags): GenServerCallbacks<DynamicSupervision, undefined> {
  return {
    init(self) {
      self.setTrapExit(true);
      const maxChildren = flags.maxChildren ?? "infinity";
      return {
        state: new DynamicSupervision(
          maxChildren === "infinity" ? Number.POSITIVE_INFINITY : maxChildren,
          flags.extraArguments ?? [],
          flags.backoff,
          flags.intensity ?? 3,
          flags.period ?? 5,
        ),
      };
    },

    async handleCall(self, request, _from, sup) {
      return { reply: (await answer(self, sup, request as unknown as Request)) as unknown as Term, state: sup };
    },

    async handleInfo(self, message, sup): Promise<NoReplyResult<DynamicSupervision>> {
      if (message instanceof Tuple && message.size === 3 && message.at(0) === EXIT) {
        const pid = message.at(1)!;
        const child = sup.children.get(pid);
        if (child?.pid !== undefined) return childExited(self, sup, pid as Pid, child, message.at(2)!);
      } else if (message instanceof Tuple && message.size === 2 && message.at(0) === RESTART_CHILD) {
        const child = sup.children.get(message.at(1)!);
        if (child?.restarting !== undefined) return startAgain(self, sup, message.at(1) as Pid, child);
      }
      return { state: sup };
    },

    async terminate(self, _reason, sup) {
      const running: Child[] = [];
      for (const child of sup.children.values()) {
        if (child.restarting !== undefined) self.runtime.cancelTimer(child.restarting);
        if (child.pid !== undefined) running.push(child);
      }
      const pids = running.map((child) => child.pid!);
      const reasons = await shutdownChildren(self, running);
      for (let i = 0; i < running.length; i++) reportShutdownError(self, running[i]!, pids[i]!, reasons[i]!);
    },
  };
}

/** A child exited on its own: restart it if its restart type says so. */
async function childExited(
  self: Process,
  sup: DynamicSupervision,
  pid: Pid,
  child: Child,
  reason: Term,
): Promise<NoReplyResult<DynamicSupervision>> {
  child.pid = undefined;
  // As OTP and Elixir: a permanent child's exit is reported whatever the reason, another child's only when abnormal.
  if (child.restart === "permanent" || !isQuietExit(reason)) {
    logSupervisorReport(self, "child_terminated", reason, offenderOf(child, pid));
  }
  const restarts = child.restart === "permanent" || (child.restart === "transient" && !isQuietExit(reason));
  if (!restarts) {
    sup.children.delete(pid);
    return { state: sup };
  }
  noteExit(child, sup.backoff, self.runtime.clock.now());
  return restart(self, sup, pid, child, false);
}

/**
 * A restart of the child under `key` is due: it counts against the intensity (one too many and the supervisor
 * exits `shutdown`), then the child starts again now, or through the mailbox after the backoff's wait, or (a
 * `retry` after a failed start, as OTP and Elixir do it) through the mailbox at once.
 */
async function restart(
  self: Process,
  sup: DynamicSupervision,
  key: Pid,
  child: Child,
  retry: boolean,
): Promise<NoReplyResult<DynamicSupervision>> {
  if (!sup.intensity.add(self.runtime.clock.now())) {
    logSupervisorReport(self, "shutdown", REACHED_MAX_RESTART_INTENSITY, offenderOf(child, key));
    sup.children.delete(key);
    return { stop: SHUTDOWN, state: sup };
  }
  if (sup.backoff === undefined && !retry) return startAgain(self, sup, key, child);
  restartLater(self, child, key, sup.backoff);
  return { state: sup };
}

/** Starts the child under `key` again; it then goes under its new pid (an ignore forgets it, a failure retries). */
async function startAgain(
  self: Process,
  sup: DynamicSupervision,
  key: Pid,
  child: Child,
): Promise<NoReplyResult<DynamicSupervision>> {
  child.restarting = undefined;
  const started = await startChild(self, child, sup.extraArguments);
  if ("error" in started) {
    logSupervisorReport(self, "start_error", started.error, offenderOf(child, key));
    return restart(self, sup, key, child, true);
  }
  sup.children.delete(key);
  if ("pid" in started) {
    child.restarts++;
    sup.children.set(started.pid, child);
  }
  return { state: sup };
}

/** Handles one API call. */
async function answer(
  self: Process,
  sup: DynamicSupervision,
  request: Request,
): Promise<StartResult | { ok: true } | { error: Term } | ChildInfo[] | ChildCounts> {
  switch (request.op) {
    case "start": {
      const spec: ChildSpec = { ...request.spec, id: UNDEFINED };
      const invalid = spec.significant === true ? INVALID_SIGNIFICANT : invalidSpec(spec);
      if (invalid !== undefined) return { error: invalid };
      if (sup.children.size >= sup.maxChildren) return { error: MAX_CHILDREN };
      const child = new Child(spec);
      const started = await startChild(self, child, sup.extraArguments);
      if ("pid" in started) sup.children.set(started.pid, child);
      return started;
    }
    case "terminate": {
      const child = sup.children.get(request.pid);
      if (child === undefined) return { error: NOT_FOUND };
      sup.children.delete(request.pid);
      if (child.restarting !== undefined) self.runtime.cancelTimer(child.restarting);
      if (child.pid !== undefined) reportShutdownError(self, child, request.pid, await shutdownChild(self, child));
      return { ok: true };
    }
    case "which":
      return Array.from(sup.children.values(), (c) => ({
        id: UNDEFINED,
        pid: c.restarting !== undefined ? "restarting" : c.pid,
        type: c.type,
        restarts: c.restarts,
      }));
    case "count": {
      let active = 0;
      let supervisors = 0;
      for (const child of sup.children.values()) {
        if (child.pid !== undefined) active++;
        if (child.type === "supervisor") supervisors++;
      }
      return { specs: sup.children.size, active, supervisors, workers: sup.children.size - supervisors };
    }
  }
}

/**
 * A shutdown_error report for a child that did not end as it was told to, by Elixir's rule (wait_child): `killed`
 * for brutal_kill, else `shutdown` or `{shutdown, _}`; one that is not permanent may also have ended `normal` on its
 * own meanwhile. (A static Supervisor is stricter: it takes only the exact reason it sent.)
 */
function reportShutdownError(self: Process, child: Child, pid: Pid, reason: Term): void {
  if (child.shutdown === "brutal_kill" ? reason === KILLED : reason !== NORMAL && isQuietExit(reason)) return;
  if (reason === NORMAL && child.restart !== "permanent") return;
  logSupervisorReport(self, "shutdown_error", reason, offenderOf(child, pid));
}

/** Throws a ProcessError (PROC_BAD_ARG) unless the flags are ones a DynamicSupervisor can run with. */
function checkFlags(flags: DynamicSupervisorFlags): void {
  const bad = (what: string, value: unknown): never => {
    throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `DynamicSupervisor: ${what}, not ${String(value)}`);
  };
  const { strategy, intensity, period, maxChildren, extraArguments, backoff } = flags;
  if (strategy !== undefined && strategy !== "one_for_one") bad("the strategy is one_for_one", strategy);
  if (intensity !== undefined && !(Number.isInteger(intensity) && intensity >= 0)) {
    bad("intensity is an integer ≥ 0", intensity);
  }
  if (period !== undefined && !(typeof period === "number" && period > 0)) bad("period is a number > 0", period);
  if (maxChildren !== undefined && maxChildren !== "infinity" && !(Number.isInteger(maxChildren) && maxChildren >= 0)) {
    bad("maxChildren is an integer ≥ 0 or infinity", maxChildren);
  }
  if (extraArguments !== undefined && !Array.isArray(extraArguments)) bad("extraArguments is an array", extraArguments);
  if (backoff !== undefined && !(backoff.initial >= 0 && backoff.max >= backoff.initial)) {
    bad("backoff has 0 ≤ initial ≤ max", `${backoff.initial}..${backoff.max}`);
  }
}

async function call<R>(self: Process, sup: ServerRef, request: Request): Promise<R> {
  return (await GenServer.call(self, sup, request as unknown as Term, { timeout: "infinity" })) as unknown as R;
}

/** Elixir's DynamicSupervisor API, with `self` (the calling process) first. */
export const DynamicSupervisor = {
  /** Starts a supervisor not linked to anyone; from a process or from outside (a Runtime). */
  async start(from: Process | Runtime, options: DynamicSupervisorOptions = {}): Promise<StartResult> {
    checkFlags(options);
    return GenServer.start(from, dynamicSupervisorServer(options), undefined, options);
  },

  /** Starts a supervisor linked to `self` (its parent: when `self` exits, it stops its children and exits too). */
  async startLink(self: Process, options: DynamicSupervisorOptions = {}): Promise<StartResult> {
    checkFlags(options);
    return GenServer.startLink(self, dynamicSupervisorServer(options), undefined, options);
  },

  /**
   * Starts a child from `spec` (its start function gets `self`, then the supervisor's `extraArguments`): its pid,
   * `{ ignore: true }` (not kept), or the error: the start's own, an invalid spec's reason, or `max_children`.
   */
  startChild(self: Process, sup: ServerRef, spec: DynamicChildSpec): Promise<StartResult> {
    return call(self, sup, { op: "start", spec });
  },

  /** Stops the child `pid` as its shutdown says; it is not restarted. `{ error: not_found }` for no such child. */
  terminateChild(self: Process, sup: ServerRef, pid: Pid): Promise<{ ok: true } | { error: Term }> {
    return call(self, sup, { op: "terminate", pid });
  },

  /** The children (their id is always `undefined`, as OTP's; a pid of `restarting` waits for its restart). */
  whichChildren(self: Process, sup: ServerRef): Promise<ChildInfo[]> {
    return call(self, sup, { op: "which" });
  },

  countChildren(self: Process, sup: ServerRef): Promise<ChildCounts> {
    return call(self, sup, { op: "count" });
  },

  /** Stops the supervisor (its children first) with `reason` (default `normal`); resolves when it is gone. */
  stop(self: Process, sup: ServerRef, options?: { reason?: Term; timeout?: Timeout }): Promise<void> {
    return GenServer.stop(self, sup, options);
  },
};
