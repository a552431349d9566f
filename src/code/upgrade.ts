// Live upgrade of a running application: a plan (a small appup) applied as release_handler applies
// `{update, Mod, {advanced, Extra}}` — new versions staged while everything runs, the plan's processes suspended in
// order, one atomic switch, `codeChange` in each process, all resumed, old versions purged — and rolled back to
// the old versions and states if any step fails.
import { CodeError, ErrorCodes } from "../errors.ts";
import { DEFAULT_CALL_TIMEOUT, type Timeout } from "../otp/gen.ts";
import type { Runtime } from "../runtime/index.ts";
import type { Pid } from "../term/types.ts";
import type { CodeServer, LoadedModule, StagedLoad } from "./code-server.ts";
import { UpgradeError } from "./upgrade/error.ts";
import { type Migrated, Migration } from "./upgrade/migration.ts";
import { checkPlan, findTargets, type PurgeMode, type UpgradePlan } from "./upgrade/plan.ts";

export { type FailedAt, type RollbackProblem, UpgradeError, type UpgradeStep } from "./upgrade/error.ts";
export type { ProcessUpdate, PurgeMode, UpgradePlan } from "./upgrade/plan.ts";

export interface UpgradeOptions {
  /** The longest each sys call (a suspend, a codeChange, a resume) may take, ms (default 5000). */
  readonly timeout?: Timeout;
}

export interface UpgradeResult {
  /** The versions now current. */
  readonly modules: readonly LoadedModule[];
  /** The processes whose state the new versions took, in the plan's order. */
  readonly migrated: readonly Pid[];
  /** With a soft purge: the modules whose old version stays, because a process still runs it. */
  readonly notPurged: readonly string[];
  /**
   * Processes that were migrated but did not answer their resume (they died just after, or it timed out): the
   * upgrade stands, as every process had taken the new version by then.
   */
  readonly notResumed: readonly { readonly pid: Pid; readonly cause: unknown }[];
}

/**
 * Applies `plan` to the node of `code`. Steps: find the processes (a name nobody holds, a process not running,
 * fails here), stage the new versions (prepared and installed while everything runs on), suspend the processes in
 * order, commit (every module switches at once), `sys.changeCode` each process with its module's old version
 * identifier (the old version's exported `vsn`, else its serial number) and its `extra`, resume them all, purge.
 * A failed step rejects with an UpgradeError (CODE_UPGRADE_FAILED) naming it, after undoing what came before: the
 * staged versions are dropped, or (after the switch) the processes already migrated are code-changed with
 * `{down, OldVsn}` by the new version, the modules go back to their old versions, and every process is resumed.
 * A bad plan is CODE_BAD_ARGUMENT; a process to migrate whose module is not loaded, CODE_NOT_LOADED.
 */
export async function upgrade(
  code: CodeServer,
  rt: Runtime,
  plan: UpgradePlan,
  options: UpgradeOptions = {},
): Promise<UpgradeResult> {
  const { updates, purge } = checkPlan(plan, (module) => code.isLoaded(module) !== false);
  const timeout = checkTimeout(options.timeout ?? DEFAULT_CALL_TIMEOUT);
  const targets = await findTargets(rt, updates);
  let staged: StagedLoad;
  try {
    staged = await code.stage(plan.load);
  } catch (error) {
    throw new UpgradeError({ step: "load" }, error);
  }
  // The process starts after an await, so it never counts as running the code of a module that called `upgrade`
  // (a purge would kill it).
  let migrated: Migrated;
  try {
    migrated = await rt.run((self) => new Migration(self, code, staged, targets, timeout).run());
  } catch (error) {
    dropIfOpen(staged); // the process never ran, or was killed, before it committed or aborted
    throw error;
  }
  if (!migrated.ok) throw migrated.error;
  return {
    modules: staged.modules,
    migrated: targets.map((t) => t.pid),
    notPurged: await purgeOld(code, staged.modules, purge),
    notResumed: migrated.notResumed,
  };
}

function dropIfOpen(staged: StagedLoad): void {
  try {
    staged.abort();
  } catch {
    // already committed or aborted
  }
}

/** Purges the modules' old versions as `mode` says; the names of those a soft purge had to keep. */
async function purgeOld(code: CodeServer, modules: readonly LoadedModule[], mode: PurgeMode): Promise<string[]> {
  if (mode === "none") return [];
  if (mode === "hard") {
    await Promise.all(modules.map(({ name }) => code.purge(name)));
    return [];
  }
  const purged = await Promise.all(modules.map(({ name }) => code.softPurge(name)));
  return modules.filter((_, i) => !purged[i]).map(({ name }) => name);
}

function checkTimeout(timeout: Timeout): Timeout {
  if (timeout === "infinity" || (typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0)) {
    return timeout;
  }
  throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `timeout must be a number of ms or "infinity", not ${timeout}`);
}
