// An upgrade plan (a small appup): the module versions it loads, the processes it migrates in order, and how it
// purges afterwards; checked, and its processes found, before anything is loaded.
import { CodeError, ErrorCodes, ProcessError } from "../../errors.ts";
import type { Runtime } from "../../runtime/index.ts";
import { Atom, atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { formatForPeople } from "../../term/format.ts";
import { Pid, type Term } from "../../term/types.ts";
import type { LoadSpec } from "../code-server.ts";
import { UpgradeError } from "./error.ts";

/** One process to migrate (OTP's `{update, Mod, {advanced, Extra}}`, for one process). */
export interface ProcessUpdate {
  /** The process: its pid, or the name it is registered under (an atom or a string). */
  readonly process: Pid | Atom | string;
  /** The module it runs, one the plan loads: its new version's `codeChange` migrates the process's state. */
  readonly module: string;
  /** What `codeChange` gets as `extra` (default `[]`). */
  readonly extra?: Term;
}

/** What to do with the old versions once every process runs the new ones. */
export type PurgeMode = "soft" | "hard" | "none";

export interface UpgradePlan {
  /** The new module versions, as `loadAll` takes them: they switch all at once. */
  readonly load: readonly (LoadSpec & { name: string })[];
  /** The processes to migrate, in order: suspended in this order, code-changed in this order. */
  readonly update?: readonly ProcessUpdate[];
  /**
   * Afterwards, the old versions are `soft` purged (kept while a process still runs one: the default), purged
   * `hard` (killing such processes), or left (`none`).
   */
  readonly purge?: PurgeMode;
}

/** A process of the plan, found. */
export interface Target {
  /** As the plan names it. */
  readonly process: Pid | Atom | string;
  readonly pid: Pid;
  readonly module: string;
  readonly extra: Term;
}

const PURGE_MODES: readonly unknown[] = ["soft", "hard", "none"];

/** Checks `plan`'s shape; CODE_BAD_ARGUMENT when it is wrong, CODE_NOT_LOADED for a module with nothing to upgrade. */
export function checkPlan(
  plan: UpgradePlan,
  isLoaded: (module: string) => boolean,
): { updates: readonly ProcessUpdate[]; purge: PurgeMode } {
  if (typeof plan !== "object" || plan === null || !Array.isArray(plan.load)) {
    throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, "an upgrade plan needs a `load` list of module versions");
  }
  const purge = plan.purge ?? "soft";
  if (!PURGE_MODES.includes(purge)) {
    throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `purge must be "soft", "hard" or "none", not ${String(purge)}`);
  }
  const updates = plan.update ?? [];
  if (!Array.isArray(updates)) {
    throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, "an upgrade plan's `update` must be a list");
  }
  const loaded = new Set(plan.load.map((spec) => spec?.name));
  for (const update of updates) {
    const process = update?.process;
    if (!(process instanceof Pid || process instanceof Atom || (typeof process === "string" && process !== ""))) {
      throw new CodeError(
        ErrorCodes.CODE_BAD_ARGUMENT,
        `an update names its process by pid or registered name, not ${formatForPeople(process)}`,
      );
    }
    if (!loaded.has(update.module)) {
      throw new CodeError(
        ErrorCodes.CODE_BAD_ARGUMENT,
        `the update of ${describe(process)} names module ${String(update.module)}, which the plan does not load`,
      );
    }
    if (!isLoaded(update.module)) {
      throw new CodeError(
        ErrorCodes.CODE_NOT_LOADED,
        `module ${update.module} is not loaded: there is no version to upgrade ${describe(process)} from`,
      );
    }
  }
  return { updates, purge };
}

/**
 * The live process of this node (of any of its schedulers) of each update, in order. Fails the upgrade at its
 * `find` step for a name nobody holds or a process that is not running here; CODE_BAD_ARGUMENT for a process named
 * twice.
 */
export async function findTargets(rt: Runtime, updates: readonly ProcessUpdate[]): Promise<Target[]> {
  const targets: Target[] = [];
  for (const { process, module, extra = [] } of updates) {
    const pid = process instanceof Pid ? process : rt.whereis(process instanceof Atom ? process : atom(process));
    if (pid === undefined || !(await rt.nodeIsAlive(pid))) {
      const cause =
        pid === undefined
          ? new ProcessError(ErrorCodes.PROC_NOT_REGISTERED, `no process is registered as ${describe(process)}`)
          : new ProcessError(ErrorCodes.PROC_NOT_ALIVE, `${describe(process)} is not a running local process`);
      throw new UpgradeError({ step: "find", process, module }, cause);
    }
    if (targets.some((t) => equals(t.pid, pid))) {
      throw new CodeError(
        ErrorCodes.CODE_BAD_ARGUMENT,
        `process ${formatForPeople(pid)} is named twice in one upgrade plan`,
      );
    }
    targets.push({ process, pid, module, extra });
  }
  return targets;
}

function describe(process: unknown): string {
  return typeof process === "string" ? process : formatForPeople(process);
}
