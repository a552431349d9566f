// What an application is (OTP's `.app` resource and its `mod` callback module, as one object), and the results the
// application API gives.
import type { Process } from "../../runtime/index.ts";
import type { Pid, Term } from "../../term/types.ts";

type MaybeAsync<T> = T | Promise<T>;

/**
 * What happens when a running application ends other than by `Application.stop` (OTP's restart types):
 * `temporary` is reported only; `transient` is reported if it ended `normal`, else as `permanent`; `permanent`
 * stops every other application, last started first, and then the node.
 */
export type ApplicationRestartType = "permanent" | "transient" | "temporary";

/** Why `start` is called. OTP also has `{takeover, Node}` and `{failover, Node}`, for distributed applications. */
export type ApplicationStartType = "normal";

/**
 * What `start` returns: the top supervisor's pid (and the state `prepStop`/`stop` get), or why it did not start.
 * A supervisor's start result fits as it is; its `ignore` fails the start (`{bad_return, {…, ignore}}`), as in OTP.
 */
export type ApplicationStart<State = unknown> =
  | { readonly pid: Pid; readonly state?: State }
  | { readonly error: Term }
  | { readonly ignore: true };

/**
 * An application: its resource keys (name, description, vsn, the applications it needs, its env) and, unless it
 * is a library application, its callbacks. All callbacks run in the application master, the process that owns
 * the application's tree; processes spawned from `start` belong to the application.
 */
export interface ApplicationSpec<State = unknown> {
  readonly name: string;
  readonly description?: string;
  readonly vsn?: string;
  /** Applications that must run before this one starts (OTP's `applications` key). */
  readonly applications?: readonly string[];
  /** Configuration defaults; the `env` given to `Application.load` overrides them, as sys.config does. */
  readonly env?: Readonly<Record<string, unknown>>;
  /** The argument `start` gets (the `Args` of OTP's `{mod, {Module, Args}}`); default `[]`. */
  readonly args?: Term;
  /**
   * Starts the application's top supervisor, linked to `self` (`Supervisor.startLink(self, …)`), and returns its
   * pid. Without `start`, the application is a library application: it carries env only.
   */
  start?(self: Process, type: ApplicationStartType, args: Term): MaybeAsync<ApplicationStart<State>>;
  /** Runs before the tree is shut down; returns the state `stop` gets. */
  prepStop?(self: Process, state: State): MaybeAsync<State>;
  /** Runs after the tree has exited, whether it was stopped or ended on its own. */
  stop?(self: Process, state: State): MaybeAsync<void>;
}

/** `ok`, or why not (an OTP reason term, e.g. `{not_started, Dep}`). */
export type ApplicationResult = { readonly ok: true } | { readonly error: Term };

/** A row of `whichApplications` and `loadedApplications` (OTP's `{Name, Description, Vsn}`). */
export interface ApplicationInfo {
  readonly name: string;
  readonly description: string;
  readonly vsn: string;
}

export const OK: ApplicationResult = { ok: true };
