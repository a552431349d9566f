// A scheduler's copy of its node's modules (every scheduler but the main thread keeps one): the same current and
// old versions as the code server's, installed from the versions the main thread prepared and switched, purged
// and deleted only when the code server says so, in the order it said it; the processes of this scheduler that
// run each version; and the calls through a module's name that remote spawn and migration make here.
import { thrownMessage } from "../errors.ts";
import type { CodeTracker } from "../runtime/contracts.ts";
import type { Runtime } from "../runtime/index.ts";
import { type ImportModule, install } from "./install.ts";
import { setModules } from "./module-handle.ts";
import { ModuleTable } from "./module-table.ts";
import { ModuleVersion } from "./module-version.ts";
import { type ShippedVersion, unship } from "./shipped-version.ts";
import { DEFAULT_SLICE_MS, TimeSlices } from "./time-slices.ts";

/** What the code server tells a replica (see replicas.ts for what each means). */
export type ReplicaOp =
  | { readonly op: "stage"; readonly stage: number; readonly versions: readonly ShippedVersion[] }
  | { readonly op: "commit"; readonly stage: number }
  | { readonly op: "abort"; readonly stage: number }
  | { readonly op: "purge"; readonly name: string; readonly serial: number }
  | { readonly op: "running"; readonly name: string; readonly serial: number }
  | { readonly op: "drop-old"; readonly name: string; readonly serial: number }
  | { readonly op: "delete"; readonly name: string }
  | { readonly op: "revert"; readonly name: string };

/** A replica's answer: why a stage failed, or how many processes a purge killed or run a version. */
export interface ReplicaAnswer {
  readonly error?: string;
  readonly count?: number;
}

/** The node's modules when a scheduler's thread starts: each module's versions, and the loads staged now. */
export interface ReplicaSnapshot {
  readonly modules: readonly { readonly current?: ShippedVersion; readonly old?: ShippedVersion }[];
  readonly stages: readonly { readonly stage: number; readonly versions: readonly ShippedVersion[] }[];
}

export class CodeReplica implements CodeTracker {
  private readonly table = new ModuleTable();
  private readonly staged = new Map<number, ModuleVersion[]>();
  /** The operation applied last: each waits for the one before, so that they apply in the order they were sent. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runtime: Runtime,
    private readonly importModule: ImportModule,
  ) {
    runtime.setCodeTracker(this);
    setModules(runtime, (name) => this.table.entry(name)?.current);
  }

  /**
   * Installs the node's modules as `snapshot` has them; what failed to install here and why (a module whose top
   * level throws on this thread only, say), which this scheduler then does not have.
   */
  async start(snapshot: ReplicaSnapshot): Promise<{ name: string; error: string }[]> {
    const failed: { name: string; error: string }[] = [];
    for (const { current, old } of snapshot.modules) {
      const name = (current ?? old)!.name;
      try {
        if (old !== undefined) this.table.install(await this.build(old));
        if (current !== undefined) this.table.install(await this.build(current));
        else this.table.delete(name);
      } catch (error) {
        failed.push({ name, error: thrownMessage(error) });
      }
    }
    for (const { stage, versions } of snapshot.stages) {
      const { error } = await this.stage(stage, versions);
      if (error !== undefined) failed.push(...versions.map((v) => ({ name: v.name, error })));
    }
    return failed;
  }

  /** Applies `op` once every operation before it has been; resolves with its answer (never rejects). */
  apply(op: ReplicaOp): Promise<ReplicaAnswer> {
    const applied = this.last.then(() => this.applyNow(op));
    this.last = applied;
    return applied;
  }

  /** Export `fn` of module `name`'s current version, as a call through the module's name gets it; else undefined. */
  exported(name: string, fn: string): unknown {
    return this.table.entry(name)?.current?.exported(fn);
  }

  /** @internal CodeTracker: the version a process spawned now with `body` runs. */
  codeOf(body: (...args: never[]) => unknown, spawnerCode: object | undefined): object | undefined {
    return this.table.codeOf(body, spawnerCode);
  }

  private async applyNow(op: ReplicaOp): Promise<ReplicaAnswer> {
    switch (op.op) {
      case "stage":
        return this.stage(op.stage, op.versions);
      case "commit":
        for (const version of this.staged.get(op.stage) ?? []) this.table.install(version);
        this.staged.delete(op.stage);
        return {};
      case "abort":
        this.staged.delete(op.stage);
        return {};
      case "purge":
        return { count: this.purge(op.name, op.serial) };
      case "running": {
        const version = this.version(op.name, op.serial);
        return { count: version === undefined ? 0 : this.runtime.processesRunningCode(version).length };
      }
      case "drop-old":
        if (this.table.entry(op.name)?.old?.serial === op.serial) this.table.dropOld(op.name);
        return {};
      case "delete":
        this.table.delete(op.name);
        return {};
      case "revert":
        this.table.revert(op.name);
        return {};
    }
  }

  private async stage(stage: number, versions: readonly ShippedVersion[]): Promise<ReplicaAnswer> {
    try {
      const built: ModuleVersion[] = [];
      for (const version of versions) built.push(await this.build(version));
      this.staged.set(stage, built);
      return {};
    } catch (error) {
      return { error: thrownMessage(error) };
    }
  }

  /** Kills this scheduler's processes running module `name`'s old version `serial` and drops it; how many. */
  private purge(name: string, serial: number): number {
    return this.table.entry(name)?.old?.serial === serial ? this.table.purgeOld(name, this.runtime) : 0;
  }

  private version(name: string, serial: number): ModuleVersion | undefined {
    const entry = this.table.entry(name);
    return [entry?.current, entry?.old].find((v) => v?.serial === serial);
  }

  private async build(shipped: ShippedVersion): Promise<ModuleVersion> {
    const slices = new TimeSlices(DEFAULT_SLICE_MS);
    const { exports, functions } = await install(unship(shipped), this.importModule, slices);
    const version = new ModuleVersion(shipped.name, shipped.serial, shipped.filename, exports, Date.now());
    await this.table.registerFunctions(version, functions, slices);
    return version;
  }
}
