// A node's code server (Erlang's `code`): the modules loaded into it, each with a current and an old version;
// loading (prepared off the main thread, installed in slices, switched atomically), purging, and the processes
// that still run a version's code.
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CodeError, ErrorCodes, thrownMessage } from "../errors.ts";
import type { CodeTracker } from "../runtime/contracts.ts";
import type { Runtime } from "../runtime/index.ts";
import type { Pid } from "../term/types.ts";
import { nodeImports } from "./imports.ts";
import { type ImportModule, install, type Namespace } from "./install.ts";
import { moduleHandle, setModules } from "./module-handle.ts";
import { ModuleTable } from "./module-table.ts";
import { ModuleVersion } from "./module-version.ts";
import type { PreparedAnswer } from "./prepare-messages.ts";
import { Preparer } from "./preparer.ts";
import type { CodeReplicas, ReplicaStage } from "./replicas.ts";
import { DEFAULT_SLICE_MS, TimeSlices } from "./time-slices.ts";
import { type UpgradeOptions, type UpgradePlan, type UpgradeResult, upgrade } from "./upgrade.ts";

export interface CodeServerOptions {
  /** Modules that loaded modules import by name as they are, e.g. `{ otter: … }` (the node gives Otter itself). */
  modules?: Readonly<Record<string, Namespace>>;
  /** Preparing worker threads (default 2). */
  workers?: number;
  /** The longest the main thread works on a load before the event loop turns, ms (default DEFAULT_SLICE_MS, 0.5). */
  sliceMs?: number;
  /** The size modules are cut into segments at, bytes (default 64 KiB). */
  segmentBytes?: number;
}

export interface LoadSpec {
  /** The module's file: a path (relative to the working directory) or a file URL. */
  path?: string | URL;
  /** The module's text instead of a file. */
  source?: string;
  /** With `source`: the file name it is known by (`which`, stack traces, relative imports); default `<name>.js`. */
  filename?: string;
  /** Transpile it from TypeScript first (default: when the file name ends in .ts, .mts or .cts). */
  typescript?: boolean;
  /** Refuses the new version by throwing (it is then not installed): e.g. that it exports the callbacks needed. */
  check?: (exports: Namespace) => void;
}

export interface LoadedModule {
  readonly name: string;
  /** 1 for a module's first version, one more for each load since. */
  readonly serial: number;
  readonly file: string;
}

export interface VersionInfo {
  readonly serial: number;
  readonly file: string;
  readonly loadedAt: number;
}

/** New module versions ready to switch to (see `CodeServer.stage`). */
export interface StagedLoad {
  readonly modules: readonly LoadedModule[];
  /**
   * Switches every staged module to its new version at once on this thread (throws CODE_NOT_PURGED if an old
   * version appeared); the node's other schedulers switch as they get word, and the promise resolves once all have
   * (it never rejects).
   */
  commit(): Promise<void>;
  /** Drops the staged versions. */
  abort(): void;
}

type LoadRequest = LoadSpec & { name: string; filename: string; typescript: boolean };

export class CodeServer implements CodeTracker {
  private readonly table = new ModuleTable();
  /** The node's other schedulers, which keep a copy of its modules (none on a node of one scheduler). */
  private replicas: CodeReplicas | undefined;
  private readonly preparer: Preparer;
  private readonly importModule: ImportModule;
  private readonly sliceMs: number;
  private readonly segmentBytes: number;
  /** Loads under way, by module name: a load of the same module waits for the one before. */
  private readonly locks = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly runtime: Runtime,
    options: CodeServerOptions = {},
  ) {
    this.sliceMs = positive("sliceMs", options.sliceMs ?? DEFAULT_SLICE_MS, true);
    this.segmentBytes = positive("segmentBytes", options.segmentBytes ?? 64 * 1024);
    this.preparer = new Preparer(positive("workers", options.workers ?? 2));
    this.importModule = nodeImports(options.modules ?? {});
    runtime.setCodeTracker(this);
    setModules(runtime, (name) => this.table.entry(name)?.current);
  }

  /**
   * Has the node's other schedulers keep a copy of its modules from now on (the node does this once, before any
   * load): each load is staged on them too, and purges, deletes and reverts apply there as well.
   */
  setReplicas(replicas: CodeReplicas): void {
    this.replicas = replicas;
  }

  /**
   * Loads a new version of module `name`: the current one becomes old. Rejects, leaving the current version serving,
   * with CODE_NOT_PURGED while an old version exists, CODE_BAD_MODULE for a file that cannot be read or is not a
   * module, CODE_LOAD_FAILED when its top-level code throws or `check` refuses it.
   */
  async load(name: string, spec: LoadSpec): Promise<LoadedModule> {
    const [loaded] = await this.loadAll([{ name, ...spec }]);
    return loaded!;
  }

  /**
   * Loads several modules at once: all switch to their new versions in one step, or, if any fails, none does.
   * Resolves once every scheduler of the node runs the new versions.
   */
  async loadAll(specs: readonly (LoadSpec & { name: string })[]): Promise<LoadedModule[]> {
    const staged = await this.stage(specs);
    await staged.commit();
    return [...staged.modules];
  }

  /**
   * Prepares and installs new versions of modules without switching to them (the slow part of a load, done while
   * everything runs on): `commit()` then switches them all in one synchronous step, or `abort()` drops them. Other
   * loads of these modules wait until one of the two is called. Fails as `loadAll` does, and with CODE_LOAD_FAILED
   * when another scheduler of the node could not install a version (none is then staged anywhere).
   */
  async stage(specs: readonly (LoadSpec & { name: string })[]): Promise<StagedLoad> {
    this.refuseIfStopped();
    const requests = specs.map((spec) => ({ ...spec, ...where(spec) }));
    const names = requests.map((r) => checkName(r.name));
    if (new Set(names).size !== names.length) {
      throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `a module is named twice in one load: ${names.join(", ")}`);
    }
    const release = await this.lock(names);
    let built: ModuleVersion[];
    let elsewhere: ReplicaStage | undefined;
    try {
      this.refuseNotPurged(names);
      ({ built, elsewhere } = await this.build(requests));
    } catch (error) {
      release();
      throw error;
    }
    let open = true;
    const close = () => {
      if (!open) throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, "this staged load was committed or aborted");
      open = false;
      release();
    };
    return {
      modules: built.map((v) => ({ name: v.module, serial: v.serial, file: v.file })),
      commit: () => {
        close();
        try {
          this.refuseIfStopped();
          this.refuseNotPurged(names);
        } catch (error) {
          elsewhere?.abort();
          throw error;
        }
        for (const version of built) this.table.install(version);
        return elsewhere?.commit() ?? Promise.resolve();
      },
      abort: () => {
        close();
        elsewhere?.abort();
      },
    };
  }

  /**
   * Drops module `name`'s current version and makes its old one current again: an upgrade's rollback. False when it
   * has no old version.
   */
  revert(name: string): boolean {
    if (!this.table.revert(name)) return false;
    this.replicas?.revert(name);
    return true;
  }

  /**
   * Upgrades the running application live (release_handler applying a small appup): stages `plan.load`, suspends
   * the processes of `plan.update` in order, switches, code-changes and resumes them, purges; rolls everything back
   * and rejects with an UpgradeError (CODE_UPGRADE_FAILED) if a step fails. See upgrade.ts.
   */
  upgrade(plan: UpgradePlan, options?: UpgradeOptions): Promise<UpgradeResult> {
    return upgrade(this, this.runtime, plan, options);
  }

  /**
   * Prepares (in the workers) and installs (in slices) each requested module, checked, as versions not yet current,
   * here and, at the same time, on the node's other schedulers.
   */
  private async build(
    requests: readonly LoadRequest[],
  ): Promise<{ built: ModuleVersion[]; elsewhere: ReplicaStage | undefined }> {
    const prepared = await Promise.all(
      requests.map((r) =>
        this.preparer.prepare({
          filename: r.filename,
          typescript: r.typescript,
          segmentBytes: this.segmentBytes,
          ...(r.source === undefined ? {} : { source: r.source }),
        }),
      ),
    );
    const serials = requests.map((r) => (this.table.entry(r.name)?.serial ?? 0) + 1);
    const elsewhere = this.replicas?.stage(
      requests.map((r, i) => ({ name: r.name, serial: serials[i]!, filename: r.filename, ...prepared[i]! })),
    );
    elsewhere?.catch(() => {}); // awaited below, once this thread's installs are done
    let built: ModuleVersion[];
    try {
      built = await this.installHere(requests, prepared, serials);
    } catch (error) {
      elsewhere?.then((stage) => stage.abort()).catch(() => {});
      throw error;
    }
    return { built, elsewhere: await elsewhere };
  }

  /** Installs the prepared modules on this thread (in slices), each checked, as versions not yet current. */
  private async installHere(
    requests: readonly LoadRequest[],
    prepared: readonly PreparedAnswer[],
    serials: readonly number[],
  ): Promise<ModuleVersion[]> {
    const slices = new TimeSlices(this.sliceMs);
    const built: ModuleVersion[] = [];
    for (const [i, r] of requests.entries()) {
      const { exports, functions } = await install(
        { ...prepared[i]!, filename: r.filename },
        this.importModule,
        slices,
      );
      runCheck(r.name, r.check, exports);
      const version = new ModuleVersion(r.name, serials[i]!, r.filename, exports, Date.now());
      await this.table.registerFunctions(version, functions, slices);
      built.push(version);
    }
    return built;
  }

  /** The file module `name`'s current version came from, or undefined when it is not loaded. */
  which(name: string): string | undefined {
    return this.table.entry(name)?.current?.file;
  }

  /** Module `name`'s file if it is loaded, else false (erl's `code:is_loaded/1`). */
  isLoaded(name: string): string | false {
    return this.which(name) ?? false;
  }

  /** Every module with a current version, and its file. */
  allLoaded(): { name: string; file: string }[] {
    const all: { name: string; file: string }[] = [];
    for (const [name, entry] of this.table.entries())
      if (entry.current !== undefined) all.push({ name, file: entry.current.file });
    return all;
  }

  /** Module `name`'s current and old versions. */
  versions(name: string): { current?: VersionInfo; old?: VersionInfo } {
    const entry = this.table.entry(name);
    return { ...info("current", entry?.current), ...info("old", entry?.old) };
  }

  /** The exports of module `name`'s current version now (a snapshot: a later load does not change it). */
  current<M = Namespace>(name: string): M {
    const version = this.table.entry(name)?.current;
    if (version === undefined) throw new CodeError(ErrorCodes.CODE_NOT_LOADED, `module ${name} is not loaded`);
    return version.exports as M;
  }

  /**
   * Module `name` called through its name: each property read gets the current version's export (Erlang's fully
   * qualified call), so a GenServer started with it runs new code from its next callback on. CODE_NOT_LOADED
   * when no version is current at the read.
   */
  module<M = Namespace>(name: string): M {
    checkName(name);
    return moduleHandle(name, () => this.table.entry(name)?.current) as M;
  }

  /** The processes of this thread (scheduler 0) running module `name`'s old version (erl's `check_process_code`). */
  processesRunningOld(name: string): Pid[] {
    const old = this.table.entry(name)?.old;
    return old === undefined ? [] : this.runtime.processesRunningCode(old);
  }

  /**
   * Removes module `name`'s old version, killing the processes that still run it first, on every scheduler of the
   * node. Resolves with true when it killed any (erl's `code:purge/1`); false when there was nothing to kill or no
   * old version. The version is gone here at once (a load may follow without waiting); the other schedulers kill
   * their processes running it as they get word, before the promise resolves.
   */
  purge(name: string): Promise<boolean> {
    const old = this.table.entry(name)?.old;
    if (old === undefined) return Promise.resolve(false);
    const here = this.table.purgeOld(name, this.runtime) > 0;
    return this.replicas === undefined
      ? Promise.resolve(here)
      : this.replicas.purge(name, old.serial).then((killed) => here || killed > 0);
  }

  /**
   * Removes module `name`'s old version unless a process of any scheduler of the node still runs it: resolves with
   * false then (erl's `code:soft_purge/1`). The other schedulers are asked first; the version goes everywhere only
   * if none runs it.
   */
  async softPurge(name: string): Promise<boolean> {
    const old = this.table.entry(name)?.old;
    if (old === undefined) return true;
    const runsHere = () => this.runtime.processesRunningCode(old).length > 0;
    if (runsHere()) return false;
    if (this.replicas !== undefined && (await this.replicas.running(name, old.serial)) > 0) return false;
    // While the others answered, the version may have been purged (then it is gone: done) or reverted to.
    if (this.table.entry(name)?.old !== old) return old.state === "gone";
    if (runsHere()) return false;
    this.table.dropOld(name);
    this.replicas?.dropOld(name, old.serial);
    return true;
  }

  /**
   * Makes module `name`'s current version old on every scheduler: calls through its name fail from now on,
   * processes running it go on. False when it is not loaded or an old version must be purged first (erl's
   * `code:delete/1`).
   */
  delete(name: string): boolean {
    if (!this.table.delete(name)) return false;
    this.replicas?.delete(name);
    return true;
  }

  /** @internal CodeTracker: the version a process spawned now with `body` runs. */
  codeOf(body: (...args: never[]) => unknown, spawnerCode: object | undefined): object | undefined {
    return this.table.codeOf(body, spawnerCode);
  }

  /** Ends the preparing workers; loads under way fail with CODE_STOPPED. Loaded modules stay usable. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.preparer.stop();
  }

  private refuseNotPurged(names: readonly string[]): void {
    for (const name of names) {
      if (this.table.entry(name)?.old !== undefined) {
        throw new CodeError(ErrorCodes.CODE_NOT_PURGED, `module ${name} has an old version: purge it first`);
      }
    }
  }

  private refuseIfStopped(): void {
    if (this.stopped) throw new CodeError(ErrorCodes.CODE_STOPPED, "the code server stopped");
  }

  /** Waits for the loads under way of any of `names`; resolves with the function that lets the next one go. */
  private async lock(names: readonly string[]): Promise<() => void> {
    const before = names.flatMap((n) => this.locks.get(n) ?? []);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const n of names) this.locks.set(n, held);
    await Promise.all(before);
    return () => {
      for (const n of names) if (this.locks.get(n) === held) this.locks.delete(n);
      release();
    };
  }
}

/** Starts a code server for `runtime` (its preparing workers start now, so that the first load does not wait). */
export function startCodeServer(runtime: Runtime, options?: CodeServerOptions): CodeServer {
  return new CodeServer(runtime, options);
}

/** Where a load's module comes from: its file name (absolute) and whether it is TypeScript. */
function where(spec: LoadSpec & { name: string }): { filename: string; typescript: boolean } {
  if ((spec.path === undefined) === (spec.source === undefined)) {
    throw new CodeError(
      ErrorCodes.CODE_BAD_ARGUMENT,
      `load ${spec.name} from a path or from source text (one of them)`,
    );
  }
  const given = spec.path ?? spec.filename ?? `${spec.name}.js`;
  const file = given instanceof URL || given.startsWith("file:") ? fileURLToPath(given) : given;
  const filename = isAbsolute(file) ? file : resolve(file);
  return { filename, typescript: spec.typescript ?? /\.[mc]?ts$/.test(filename) };
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `a module name must be a non-empty string, not ${String(name)}`);
  }
  return name;
}

function runCheck(name: string, check: LoadSpec["check"], exports: Namespace): void {
  if (check === undefined) return;
  try {
    check(exports);
  } catch (error) {
    const reason = thrownMessage(error);
    throw new CodeError(ErrorCodes.CODE_LOAD_FAILED, `module ${name} failed its check: ${reason}`, { cause: error });
  }
}

function info<K extends string>(key: K, v: ModuleVersion | undefined): { [P in K]?: VersionInfo } {
  return (v === undefined ? {} : { [key]: { serial: v.serial, file: v.file, loadedAt: v.loadedAt } }) as {
    [P in K]?: VersionInfo;
  };
}

/** `n` if it is > 0 and (unless `fractions`) a whole number; else CODE_BAD_ARGUMENT naming `option`. */
function positive(option: string, n: number, fractions = false): number {
  if (!(n > 0 && (fractions || Number.isSafeInteger(n)))) {
    throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `${option} must be a positive number, not ${n}`);
  }
  return n;
}
