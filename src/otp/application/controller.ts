// The application controller of one runtime (OTP's application_controller): which applications are loaded and
// their env, which run, in what order and with what restart type, and what happens when one of them ends.
//
// It is a structure the runtime owns (one per Runtime, as the `{ global: … }` names are), not a process. OTP's
// controller is a process so that one mailbox orders every change and so that its death takes the node down. Here
// each change is one synchronous step on the one JS thread, reads need no message round trip (OTP reads env from
// its ets table too), a start or stop under way is shared by whoever asks for the same one meanwhile, and the
// node stops by an explicit step (`stopNode`). The masters are processes, as in OTP: they own the trees.
import { EXIT, NORMAL, type Runtime } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { type Pid, type Term, Tuple, tuple } from "../../term/types.ts";
import { type AnySpec, Master } from "./master.ts";
import { type ApplicationInfo, type ApplicationRestartType, type ApplicationResult, OK } from "./spec.ts";

const NOT_LOADED = atom("not_loaded");
const ALREADY_LOADED = atom("already_loaded");
const NOT_STARTED = atom("not_started");
const ALREADY_STARTED = atom("already_started");
const RUNNING = atom("running");
const INVALID_NAME = atom("invalid_name");
const INVALID_RESTART_TYPE = atom("invalid_restart_type");
const CIRCULAR_DEPENDENCIES = atom("circular_dependencies");
const NODE_STOPPING = atom("node_stopping");
const STOPPED = atom("stopped");
const APPLICATION_TERMINATED = atom("application_terminated");
const APPLICATION_START_FAILURE = atom("application_start_failure");
const RESTART_TYPES: ReadonlySet<string> = new Set(["permanent", "transient", "temporary"]);

/** A running application; `master` is undefined for a library application. */
interface Running {
  readonly name: string;
  readonly type: ApplicationRestartType;
  readonly master: Master | undefined;
}

export class Controller {
  private readonly loaded = new Map<string, AnySpec>();
  /** Env by application; it outlives neither `unload` nor the runtime, and may precede `load` (OTP's set_env). */
  private readonly env = new Map<string, Map<string, unknown>>();
  /** In start order. */
  private readonly running: Running[] = [];
  /** Starts under way, with their masters: a process of a starting application belongs to it already. */
  private readonly starting = new Map<
    string,
    { readonly master: Master; readonly started: Promise<ApplicationResult> }
  >();
  private readonly stopping = new Map<string, Promise<ApplicationResult>>();
  /** Set once the node stops; its promise settles with the reason after the runtime has shut down. */
  private halt: Promise<Term> | undefined;
  private readonly stopped: Promise<Term>;
  private resolveStopped!: (reason: Term) => void;

  constructor(private readonly rt: Runtime) {
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  load(spec: AnySpec, env: Readonly<Record<string, unknown>> | undefined): ApplicationResult {
    if (typeof spec?.name !== "string" || spec.name === "") return { error: tuple(INVALID_NAME, String(spec?.name)) };
    if (this.loaded.has(spec.name)) return { error: tuple(ALREADY_LOADED, atom(spec.name)) };
    this.loaded.set(spec.name, spec);
    // The spec's defaults, then the configuration: the latter wins, as sys.config wins over the .app file.
    const table = this.envOf(spec.name);
    for (const [key, value] of Object.entries(spec.env ?? {})) table.set(key, value);
    for (const [key, value] of Object.entries(env ?? {})) table.set(key, value);
    return OK;
  }

  unload(name: string): ApplicationResult {
    if (this.find(name) !== undefined || this.starting.has(name)) return { error: tuple(RUNNING, atom(name)) };
    if (!this.loaded.delete(name)) return { error: tuple(NOT_LOADED, atom(name)) };
    this.env.delete(name);
    return OK;
  }

  /** Starts `name`, whose dependencies must run already. A start under way is shared, as OTP shares it. */
  async start(name: string, type: ApplicationRestartType): Promise<ApplicationResult> {
    await this.stopping.get(name); // a stop under way ends first: the new tree may need the old one's names
    const pending = this.starting.get(name);
    if (pending !== undefined) return pending.started;
    if (this.halt !== undefined) return { error: NODE_STOPPING };
    if (!RESTART_TYPES.has(type)) return { error: tuple(INVALID_RESTART_TYPE, String(type)) };
    const spec = this.loaded.get(name);
    if (spec === undefined) return { error: tuple(NOT_LOADED, atom(name)) };
    if (this.find(name) !== undefined) return { error: tuple(ALREADY_STARTED, atom(name)) };
    for (const dep of spec.applications ?? []) {
      if (this.find(dep) === undefined) return { error: tuple(NOT_STARTED, atom(dep)) };
    }
    if (spec.start === undefined) {
      this.markStarted({ name, type, master: undefined }); // a library application: nothing to run
      return OK;
    }
    const master = new Master(this.rt, spec, "normal");
    const started = this.run(spec, master, type);
    this.starting.set(name, { master, started }); // before `run` gets past its first await, so before it deletes it
    return started;
  }

  private async run(spec: AnySpec, master: Master, type: ApplicationRestartType): Promise<ApplicationResult> {
    const name = spec.name;
    const started = await master.started;
    // Before the caller hears back: a start right after this one must find it running, not starting.
    this.starting.delete(name);
    if ("error" in started) {
      this.exitReport(name, started.error, type);
      if (type === "permanent" || (type === "transient" && !exitedNormally(started.error))) {
        void this.stopNode(tuple(APPLICATION_START_FAILURE, atom(name), started.error));
      }
      return started;
    }
    const entry: Running = { name, type, master };
    this.markStarted(entry);
    void master.exited.then((reason) => this.exited(entry, reason));
    return OK;
  }

  private markStarted(entry: Running): void {
    this.running.push(entry);
    // OTP's progress report, at info (below the default level, as in OTP).
    this.rt.logger.info(
      { report: { application: atom(entry.name), started_at: this.rt.node } },
      { domain: ["otp", "sasl"], what: "progress_report" },
    );
  }

  /** A master ended. Unless `stop` took its application out of `running` first, the restart type decides. */
  private exited(entry: Running, reason: Term): void {
    const index = this.running.indexOf(entry);
    if (index < 0) return;
    this.running.splice(index, 1);
    this.exitReport(entry.name, reason, entry.type);
    if (entry.type === "temporary" || (entry.type === "transient" && reason === NORMAL)) return;
    void this.stopNode(tuple(APPLICATION_TERMINATED, atom(entry.name), reason));
  }

  stop(name: string): Promise<ApplicationResult> {
    const pending = this.stopping.get(name);
    if (pending !== undefined) return pending;
    const entry = this.find(name);
    if (entry === undefined) return Promise.resolve({ error: tuple(NOT_STARTED, atom(name)) });
    // Out of `running` before the master goes, so that its exit is not taken for the application's end.
    this.running.splice(this.running.indexOf(entry), 1);
    const stopped = (async (): Promise<ApplicationResult> => {
      await entry.master?.stop();
      this.stopping.delete(name);
      this.exitReport(name, STOPPED, entry.type);
      return OK;
    })();
    this.stopping.set(name, stopped);
    return stopped;
  }

  /** Stops every running application, the last started first. */
  async stopAll(): Promise<void> {
    for (const entry of [...this.running].reverse()) await this.stop(entry.name);
  }

  /** Stops every application, last started first, then the runtime; settles `nodeStopped` with `reason`. */
  stopNode(reason: Term): Promise<Term> {
    if (this.halt === undefined) {
      this.halt = (async () => {
        await this.stopAll();
        this.rt.shutdown();
        this.resolveStopped(reason);
        return reason;
      })();
    }
    return this.halt;
  }

  /** Settles with the reason the node stopped for, once it has (never, if it is shut down some other way). */
  nodeStopped(): Promise<Term> {
    return this.stopped;
  }

  /**
   * Starts what `name` needs that does not run yet, each after its own needs, then `name`; resolves with the ones it
   * started. On an error it stops those, last started first, and starts none after (OTP's ensure_all_started).
   */
  async ensureAllStarted(
    name: string,
    type: ApplicationRestartType,
  ): Promise<{ readonly started: string[] } | { readonly error: Term }> {
    const plan = this.startOrder(name);
    if ("error" in plan) return plan;
    const started: string[] = [];
    for (const app of plan.order) {
      if (this.find(app) !== undefined) continue;
      const result = await this.start(app, type);
      if (!("error" in result)) started.push(app);
      // `already_started`: another caller started it meanwhile; it is left out, as OTP leaves it.
      else if (!equals(result.error, tuple(ALREADY_STARTED, atom(app)))) {
        for (const done of started.reverse()) await this.stop(done);
        return { error: tuple(atom(app), result.error) };
      }
    }
    return { started };
  }

  /**
   * `name` and the applications it needs, each after what it needs; the error names the application that
   * cannot be started (not loaded, or on a dependency cycle).
   */
  private startOrder(name: string): { order: string[] } | { error: Term } {
    const order: string[] = [];
    const done = new Set<string>();
    const path: string[] = [];
    const visit = (app: string): Term | undefined => {
      if (done.has(app)) return undefined;
      const at = path.indexOf(app);
      if (at >= 0) {
        const cycle = [...path.slice(at), app].map((a) => atom(a));
        return tuple(atom(app), tuple(CIRCULAR_DEPENDENCIES, cycle));
      }
      const spec = this.loaded.get(app);
      if (spec === undefined) return tuple(atom(app), tuple(NOT_LOADED, atom(app)));
      path.push(app);
      for (const dep of spec.applications ?? []) {
        const error = visit(dep);
        if (error !== undefined) return error;
      }
      path.pop();
      done.add(app);
      order.push(app);
      return undefined;
    };
    const error = visit(name);
    return error === undefined ? { order } : { error };
  }

  /** Most recently started first, as OTP lists them. */
  whichApplications(): ApplicationInfo[] {
    return [...this.running].reverse().map((entry) => info(this.loaded.get(entry.name)!));
  }

  loadedApplications(): ApplicationInfo[] {
    return [...this.loaded.values()].map(info);
  }

  /**
   * The top supervisor of running application `name` (OTP's application_master:get_child/1), or undefined for a
   * library application or one not running: the pid its `start` returned.
   */
  topSupervisor(name: string): Pid | undefined {
    return this.find(name)?.master?.top;
  }

  /** The application whose master is `leader`, running or starting (its `start` may ask too). */
  applicationOf(leader: Pid): string | undefined {
    const isLeader = (master: Master | undefined) => master?.pid !== undefined && equals(master.pid, leader);
    const running = this.running.find((entry) => isLeader(entry.master));
    if (running !== undefined) return running.name;
    for (const [name, { master }] of this.starting) if (isLeader(master)) return name;
    return undefined;
  }

  /** The env table of `name` (made empty if it has none). */
  envOf(name: string): Map<string, unknown> {
    let table = this.env.get(name);
    if (table === undefined) {
      table = new Map();
      this.env.set(name, table);
    }
    return table;
  }

  /** The env table of `name`, if it has one (reads make none). */
  envIfAny(name: string): Map<string, unknown> | undefined {
    return this.env.get(name);
  }

  private find(name: string): Running | undefined {
    return this.running.find((entry) => entry.name === name);
  }

  /** OTP's info_exited report, at notice as OTP's: printed by default, whether stopped or ended. */
  private exitReport(name: string, reason: Term, type: ApplicationRestartType): void {
    this.rt.logger.notice(
      { report: { application: atom(name), exited: reason, type: atom(type) } },
      { domain: ["otp"], what: "application_exited" },
    );
  }
}

function info(spec: AnySpec): ApplicationInfo {
  return { name: spec.name, description: spec.description ?? "", vsn: spec.vsn ?? "" };
}

/** Whether a start failed because `start` exited normally, `{{'EXIT', normal}, Call}`: not a transient's end. */
function exitedNormally(reason: Term): boolean {
  if (!(reason instanceof Tuple) || reason.size !== 2) return false;
  const exit = reason.at(0);
  return exit instanceof Tuple && exit.size === 2 && exit.at(0) === EXIT && exit.at(1) === NORMAL;
}

const controllers = new WeakMap<Runtime, Controller>();

/** The controller of `rt`. */
export function controllerOf(rt: Runtime): Controller {
  let controller = controllers.get(rt);
  if (controller === undefined) {
    controller = new Controller(rt);
    controllers.set(rt, controller);
  }
  return controller;
}
