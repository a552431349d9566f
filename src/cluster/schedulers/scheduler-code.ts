// Scheduler 0's side of the copies of the node's modules that the other schedulers keep (src/code/replica.ts):
// the code server's hook (CodeReplicas) carried out over the scheduler threads — versions shipped once into shared
// memory and staged, switched, purged and deleted on every running thread in the order the code server decided —
// and the node's modules as a thread that starts now must install them, with the loads staged meanwhile.

import type { ReplicaAnswer, ReplicaOp, ReplicaSnapshot } from "../../code/replica.ts";
import type { CodeReplicas, ReplicaStage, ReplicaVersion } from "../../code/replicas.ts";
import { type ShippedVersion, ship } from "../../code/shipped-version.ts";
import { TimeSlices } from "../../code/time-slices.ts";
import { CodeError, ErrorCodes } from "../../errors.ts";

/** The longest the main thread copies a version into shared memory before its event loop turns, ms. */
const SLICE_MS = 1;

/** Each running scheduler thread's answer to an operation (a thread that died before it answered gives none). */
export type ThreadAnswers = readonly { readonly scheduler: number; readonly answer: ReplicaAnswer }[];

interface Versions {
  current?: ShippedVersion;
  old?: ShippedVersion;
}

export class SchedulerCode implements CodeReplicas {
  /** Every module's versions as the code server has them, for the threads that start from now on. */
  private readonly modules = new Map<string, Versions>();
  /** The loads staged and neither committed nor aborted yet, by stage id. */
  private readonly stages = new Map<number, readonly ShippedVersion[]>();
  private lastStage = 0;

  /** `ask` posts an operation to every scheduler thread running now (none before they start). */
  constructor(private readonly ask: (op: ReplicaOp) => Promise<ThreadAnswers>) {}

  /** What a scheduler thread starting now installs before it takes any signal. */
  snapshot(): ReplicaSnapshot {
    return {
      modules: [...this.modules.values()].map((v) => ({ ...v })),
      stages: [...this.stages].map(([stage, versions]) => ({ stage, versions })),
    };
  }

  async stage(versions: readonly ReplicaVersion[]): Promise<ReplicaStage> {
    const slices = new TimeSlices(SLICE_MS);
    const shipped: ShippedVersion[] = [];
    for (const version of versions) shipped.push(await ship(version, slices));
    const stage = ++this.lastStage;
    this.stages.set(stage, shipped);
    const failed = (await this.ask({ op: "stage", stage, versions: shipped })).find((a) => a.answer.error);
    if (failed !== undefined) {
      this.abort(stage);
      const names = versions.map((v) => v.name).join(", ");
      throw new CodeError(
        ErrorCodes.CODE_LOAD_FAILED,
        `${names} failed to load on scheduler ${failed.scheduler}: ${failed.answer.error}`,
      );
    }
    return { commit: () => this.commit(stage), abort: () => this.abort(stage) };
  }

  async purge(name: string, serial: number): Promise<number> {
    const versions = this.modules.get(name);
    if (versions?.old?.serial === serial) delete versions.old;
    return count(await this.ask({ op: "purge", name, serial }));
  }

  async running(name: string, serial: number): Promise<number> {
    return count(await this.ask({ op: "running", name, serial }));
  }

  dropOld(name: string, serial: number): void {
    const versions = this.modules.get(name);
    if (versions?.old?.serial === serial) delete versions.old;
    this.tell({ op: "drop-old", name, serial });
  }

  delete(name: string): void {
    const versions = this.modules.get(name);
    if (versions?.current === undefined) return;
    versions.old = versions.current;
    delete versions.current;
    this.tell({ op: "delete", name });
  }

  revert(name: string): void {
    const versions = this.modules.get(name);
    if (versions?.old === undefined) return;
    versions.current = versions.old;
    delete versions.old;
    this.tell({ op: "revert", name });
  }

  private async commit(stage: number): Promise<void> {
    const shipped = this.stages.get(stage) ?? [];
    this.stages.delete(stage);
    for (const version of shipped) {
      const versions = this.modules.get(version.name) ?? {};
      this.modules.set(version.name, versions);
      if (versions.current !== undefined) versions.old = versions.current;
      versions.current = version;
    }
    await this.ask({ op: "commit", stage });
  }

  private abort(stage: number): void {
    if (!this.stages.delete(stage)) return;
    this.tell({ op: "abort", stage });
  }

  /** Posts `op` without waiting for the answers. */
  private tell(op: ReplicaOp): void {
    void this.ask(op);
  }
}

function count(answers: ThreadAnswers): number {
  return answers.reduce((sum, { answer }) => sum + (answer.count ?? 0), 0);
}
