// Application: OTP's `application` module, the API to a runtime's application controller (load, start, stop,
// env) and the callbacks an application implements (its ApplicationSpec).
//
// API → callback (as application's map):
//   Application.start / ensureAllStarted     →  spec.start(self, "normal", args), in the application's new master
//   Application.stop / stopAll / stopNode    →  spec.prepStop(self, state), the tree's shutdown, spec.stop(self, state)
//   the top supervisor exits on its own      →  spec.prepStop, spec.stop; then the application's restart type decides
//
// Results are OTP's: `{ ok: true }` or `{ error: Reason }` with the reason term OTP gives:
//   load       {already_loaded, App}, {invalid_name, Name}
//   unload     {not_loaded, App}, {running, App}
//   start      {not_loaded, App} (unknown), {already_started, App}, {not_started, Dep} (a dependency not running),
//              {invalid_restart_type, T}, `node_stopping` (Otter's: the node is stopping), and from `start` itself
//              {Reason, {App, start, [normal, Args]}} when it returns { error: Reason },
//              {{'EXIT', normal}, {App, start, …}} when it exits normally,
//              {bad_return, {{App, start, …}, Returned}} when it returns anything else or throws ({'EXIT', Reason})
//   stop       {not_started, App}
//   ensureAllStarted  {App, Reason}, Reason one of start's or {circular_dependencies, [A, …, A]}
// (The application's name stands for OTP's callback module in `{App, start, …}`.)
import { NORMAL, type Process, type Runtime } from "../runtime/index.ts";
import type { Pid, Term } from "../term/types.ts";
import { controllerOf } from "./application/controller.ts";
import type {
  ApplicationInfo,
  ApplicationRestartType,
  ApplicationResult,
  ApplicationSpec,
} from "./application/spec.ts";

export type {
  ApplicationInfo,
  ApplicationRestartType,
  ApplicationResult,
  ApplicationSpec,
  ApplicationStart,
  ApplicationStartType,
} from "./application/spec.ts";

export interface ApplicationStartOptions {
  /** What the application's end does to the node (default `temporary`, as OTP's). */
  readonly type?: ApplicationRestartType;
}

/** OTP's application API, with the runtime (the node) first where OTP uses the local node implicitly. */
export const Application = {
  /**
   * Loads `spec`: its env becomes readable, and it can be started. `env` (the node's configuration, OTP's
   * sys.config) overrides the spec's defaults key by key.
   */
  load<State>(
    rt: Runtime,
    spec: ApplicationSpec<State>,
    options?: { env?: Readonly<Record<string, unknown>> },
  ): ApplicationResult {
    return controllerOf(rt).load(spec, options?.env);
  },

  /** Forgets a loaded application and its env; `{running, App}` while it runs. */
  unload(rt: Runtime, name: string): ApplicationResult {
    return controllerOf(rt).unload(name);
  },

  /**
   * Starts a loaded application whose dependencies run already (else `{not_started, Dep}`): a master process
   * runs its `start` and watches the tree it returns. A permanent application that fails to start stops the node,
   * as does a transient one unless its `start` exited normally.
   */
  start(rt: Runtime, name: string, options?: ApplicationStartOptions): Promise<ApplicationResult> {
    return controllerOf(rt).start(name, options?.type ?? "temporary");
  },

  /**
   * Starts `name` and, first, every application it needs that does not run yet, each after what it needs.
   * Resolves with the ones it started, in order; on an error (`{App, Reason}`, e.g. `{App, {not_loaded, App}}` or
   * `{App, {circular_dependencies, [App, …, App]}}`) it stops the ones it started and starts none after.
   */
  ensureAllStarted(
    rt: Runtime,
    name: string,
    options?: ApplicationStartOptions,
  ): Promise<{ readonly started: string[] } | { readonly error: Term }> {
    return controllerOf(rt).ensureAllStarted(name, options?.type ?? "temporary");
  },

  /** Stops a running application: its tree is shut down, then its `stop` runs. Only that application stops. */
  stop(rt: Runtime, name: string): Promise<ApplicationResult> {
    return controllerOf(rt).stop(name);
  },

  /** Stops every running application, the last started first (each as `stop` does); the node keeps running. */
  stopAll(rt: Runtime): Promise<void> {
    return controllerOf(rt).stopAll();
  },

  /**
   * The node's orderly end (OTP's init:stop): stops every application, last started first, then shuts the runtime
   * down, and settles `nodeStopped` with `reason` (default `normal`). Resolves with the reason the node stopped for
   * (an earlier one if it was already stopping).
   */
  stopNode(rt: Runtime, options?: { reason?: Term }): Promise<Term> {
    return controllerOf(rt).stopNode(options?.reason ?? NORMAL);
  },

  /**
   * Settles, after the runtime has shut down, with why the node stopped: the `stopNode` reason,
   * `{application_terminated, App, Reason}` when a permanent application ended, or
   * `{application_start_failure, App, Reason}` when it failed to start. A bare `rt.shutdown()` does not settle it.
   */
  nodeStopped(rt: Runtime): Promise<Term> {
    return controllerOf(rt).nodeStopped();
  },

  /** The running applications, the most recently started first (as OTP lists them). */
  whichApplications(rt: Runtime): ApplicationInfo[] {
    return controllerOf(rt).whichApplications();
  },

  /**
   * The top supervisor of running application `name` (what OTP's application_master:get_child/1 gives), or
   * undefined for a library application or one not running.
   */
  topSupervisor(rt: Runtime, name: string): Pid | undefined {
    return controllerOf(rt).topSupervisor(name);
  },

  /** The loaded applications, in load order. */
  loadedApplications(rt: Runtime): ApplicationInfo[] {
    return controllerOf(rt).loadedApplications();
  },

  /** The value of `key` in `app`'s env, or `defaultValue` when it has none. */
  getEnv(rt: Runtime, app: string, key: string, defaultValue?: unknown): unknown {
    const table = controllerOf(rt).envIfAny(app);
    return table?.has(key) === true ? table.get(key) : defaultValue;
  },

  /** `app`'s whole env, as an object. */
  getAllEnv(rt: Runtime, app: string): Record<string, unknown> {
    return Object.fromEntries(controllerOf(rt).envIfAny(app) ?? []);
  },

  /** Sets `key` in `app`'s env (loaded or not: a later `load` sets the keys its spec and configuration name). */
  setEnv(rt: Runtime, app: string, key: string, value: unknown): void {
    controllerOf(rt).envOf(app).set(key, value);
  },

  unsetEnv(rt: Runtime, app: string, key: string): void {
    controllerOf(rt).envIfAny(app)?.delete(key);
  },

  /** The running application `self` belongs to (it was spawned, at any depth, by that application's master). */
  getApplication(self: Process): string | undefined {
    const leader = self.groupLeader;
    return leader === undefined ? undefined : controllerOf(self.runtime).applicationOf(leader);
  },
};
