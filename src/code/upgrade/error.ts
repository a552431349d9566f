// The error a failed live upgrade rejects with: which step failed, for which process, and what the rollback could
// not restore.
import { CodeError, ErrorCodes } from "../../errors.ts";
import { ProcessExit } from "../../runtime/index.ts";
import type { Atom } from "../../term/atom.ts";
import { formatForPeople } from "../../term/format.ts";
import type { Pid } from "../../term/types.ts";

/**
 * The steps of an upgrade, in order: find the plan's processes, load (prepare and install) the new versions,
 * suspend the processes, commit (switch to the new versions), code-change each process, and resume them.
 */
export type UpgradeStep = "find" | "load" | "suspend" | "commit" | "changeCode" | "resume";

/** Steps whose failure leaves everything as it was: nothing had switched yet. */
const BEFORE_SWITCH: ReadonlySet<UpgradeStep> = new Set(["find", "load", "suspend", "commit"]);

/** A process the rollback could not put back on the old code and state, and why. */
export interface RollbackProblem {
  readonly pid: Pid;
  /** What failed for it: its downgrading codeChange, or its resume. */
  readonly step: "changeCode" | "resume";
  readonly cause: unknown;
  /** Whether the rollback killed it, because its state could no longer be known to fit the old code. */
  readonly killed: boolean;
}

/** Where an upgrade failed. */
export interface FailedAt {
  readonly step: UpgradeStep;
  /** The process as the plan named it (a pid or a registered name). */
  readonly process?: Pid | Atom | string;
  readonly pid?: Pid;
  readonly module?: string;
}

/**
 * A live upgrade that failed (CODE_UPGRADE_FAILED) and was undone: the modules are back on their old versions and
 * the processes on their old states, running, except those listed in `rollbackProblems`. `cause` is the original
 * error: the failed load, the sys call's exit, or the reason a codeChange gave.
 */
export class UpgradeError extends CodeError {
  readonly step: UpgradeStep;
  readonly process: Pid | Atom | string | undefined;
  readonly pid: Pid | undefined;
  readonly module: string | undefined;
  readonly rollbackProblems: readonly RollbackProblem[];

  constructor(at: FailedAt, cause: unknown, rollbackProblems: readonly RollbackProblem[] = []) {
    super(ErrorCodes.CODE_UPGRADE_FAILED, describe(at, cause, rollbackProblems), { cause });
    this.step = at.step;
    this.process = at.process;
    this.pid = at.pid;
    this.module = at.module;
    this.rollbackProblems = rollbackProblems;
  }
}

function describe(at: FailedAt, cause: unknown, problems: readonly RollbackProblem[]): string {
  const who = at.process === undefined ? "" : ` of ${name(at.process)}`;
  const module = at.module === undefined ? "" : ` (module ${at.module})`;
  const why =
    cause instanceof ProcessExit
      ? formatForPeople(cause.reason)
      : cause instanceof Error
        ? cause.message
        : typeof cause === "string"
          ? cause
          : formatForPeople(cause);
  const undone = BEFORE_SWITCH.has(at.step) ? "nothing was switched" : "rolled back to the old versions";
  const left = problems.map(
    (p) => `; ${formatForPeople(p.pid)} was not restored (its ${p.step} failed${p.killed ? ", so it was killed" : ""})`,
  );
  return `upgrade failed at its ${at.step} step${who}${module}: ${why}; ${undone}${left.join("")}`;
}

function name(process: Pid | Atom | string): string {
  return typeof process === "string" ? process : formatForPeople(process);
}
