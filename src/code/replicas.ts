// The other schedulers of a node as its code server sees them: each keeps a copy of the node's modules
// (replica.ts), and the code server drives them through this hook, which the node layer implements over its
// scheduler threads (src/cluster/schedulers/scheduler-code.ts). A node of one scheduler has none.
import type { PreparedLiteral } from "./literals/index.ts";
import type { PreparedModule } from "./prepared.ts";

/** A new module version as the main thread prepared it, for the other schedulers to install too. */
export interface ReplicaVersion {
  readonly name: string;
  readonly serial: number;
  readonly filename: string;
  readonly module: PreparedModule;
  readonly literals: Readonly<Record<string, PreparedLiteral>>;
}

export interface CodeReplicas {
  /**
   * Installs `versions` on every other scheduler without switching to them. Rejects with a CodeError
   * (CODE_LOAD_FAILED, naming the scheduler) when one could not, after every other has dropped its copy.
   */
  stage(versions: readonly ReplicaVersion[]): Promise<ReplicaStage>;
  /**
   * Module `name`'s old version `serial` goes: each scheduler kills its processes running it, then drops it.
   * Resolves with how many processes were killed (never rejects; a scheduler whose thread died counts none).
   */
  purge(name: string, serial: number): Promise<number>;
  /** How many processes of the other schedulers run module `name`'s version `serial` now (never rejects). */
  running(name: string, serial: number): Promise<number>;
  /** Module `name`'s old version `serial` goes, its processes left running (a soft purge that succeeded). */
  dropOld(name: string, serial: number): void;
  /** Module `name`'s current version becomes old (the code server's `delete`). */
  delete(name: string): void;
  /** Module `name`'s current version goes and its old one is current again (the code server's `revert`). */
  revert(name: string): void;
}

/** Versions staged on every other scheduler. */
export interface ReplicaStage {
  /** Switches every other scheduler to the staged versions; resolves once all have (never rejects). */
  commit(): Promise<void>;
  /** Drops the staged versions everywhere. */
  abort(): void;
}
