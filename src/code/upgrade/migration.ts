// The part of a live upgrade that runs as a process, as release_handler evaluates an appup's
// `{update, Mod, {advanced, Extra}}`: suspend the plan's processes, switch to the staged versions, code-change each
// process, resume them all; or, when a step fails, undo the steps before it.
//
// Rollback follows OTP's downgrade of a (dynamic) module: a process is code-changed down with `{down, Vsn}` *before*
// its module goes back to the old version (systools_rc puts `{code_change, down, …}` ahead of the `load`), so the
// new version, which knows both states, turns its state back into the old one; `Vsn` is the version it goes back
// to, as release_handler_1 passes it.

import type { Timeout } from "../../otp/gen.ts";
import { sys } from "../../otp/sys.ts";
import { type Process, ProcessExit } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { type Pid, type Term, Tuple, tuple } from "../../term/types.ts";
import type { CodeServer, StagedLoad } from "../code-server.ts";
import { type FailedAt, type RollbackProblem, UpgradeError, type UpgradeStep } from "./error.ts";
import type { Target } from "./plan.ts";

const OK = atom("ok");
const ERROR = atom("error");
const DOWN = atom("down");
const TIMEOUT = atom("timeout");
const KILL = atom("kill");

/** How the process part of an upgrade ended. */
export type Migrated =
  | { readonly ok: true; readonly notResumed: readonly { readonly pid: Pid; readonly cause: unknown }[] }
  | { readonly ok: false; readonly error: UpgradeError };

/** The outcome of one sys call: its reply, or why it failed (and whether it was the timeout). */
type Answer =
  | { readonly ok: true; readonly reply: Term }
  | { readonly ok: false; readonly cause: unknown; readonly timedOut: boolean };

export class Migration {
  /** The processes suspended so far, in order. */
  private readonly suspended: Target[] = [];
  /** The processes whose state the new version took, in order. */
  private readonly migrated: Target[] = [];
  /** The processes the rollback killed: they are not resumed. */
  private readonly killed = new Set<Target>();
  private readonly problems: RollbackProblem[] = [];
  /** Each module's version identifier before the switch (its exported `vsn`, else its serial). */
  private readonly oldVsns = new Map<string, Term>();

  constructor(
    private readonly self: Process,
    private readonly code: CodeServer,
    private readonly staged: StagedLoad,
    private readonly targets: readonly Target[],
    private readonly timeout: Timeout,
  ) {}

  async run(): Promise<Migrated> {
    for (const target of this.targets) {
      const answer = await this.call(sys.suspend(this.self, target.pid, { timeout: this.timeout }));
      if (!answer.ok) {
        // Like release_handler: a process too busy to answer may take the suspend later; the resume sent now
        // (without waiting) comes after it in its queue, so it does not stay suspended.
        if (answer.timedOut) await this.call(sys.resume(this.self, target.pid, { timeout: 0 }));
        this.staged.abort();
        return this.failBeforeSwitch({ step: "suspend", ...where(target) }, answer.cause);
      }
      this.suspended.push(target);
    }
    try {
      // Read just before the switch: the versions the processes run until it.
      for (const target of this.targets) this.oldVsns.set(target.module, currentVsn(this.code, target.module));
    } catch (error) {
      this.staged.abort(); // a module was deleted meanwhile
      return this.failBeforeSwitch({ step: "commit" }, error);
    }
    let everywhere: Promise<void>;
    try {
      everywhere = this.staged.commit();
    } catch (error) {
      return this.failBeforeSwitch({ step: "commit" }, error); // commit closed the stage already
    }
    // The node's other schedulers switch once told: a process of theirs takes its codeChange from the new version.
    await everywhere;
    for (const target of this.targets) {
      const oldVsn = this.oldVsns.get(target.module)!;
      const answer = await this.changeCode(target, oldVsn);
      if (!answer.ok) {
        // A codeChange still running when the time ran out may yet change the state: it can no longer be known.
        if (answer.timedOut) this.kill(target, "changeCode", answer.cause);
        return this.failAfterSwitch("changeCode", target, answer.cause);
      }
      this.migrated.push(target);
    }
    const dead = await this.firstDead();
    if (dead !== undefined) {
      return this.failAfterSwitch("resume", dead, new ProcessExit(atom("noproc")));
    }
    // Every process runs the new version with its migrated state: from here on the upgrade stands.
    const notResumed: { pid: Pid; cause: unknown }[] = [];
    for (const target of [...this.suspended].reverse()) {
      const answer = await this.call(sys.resume(this.self, target.pid, { timeout: this.timeout }));
      if (!answer.ok) notResumed.push({ pid: target.pid, cause: answer.cause });
    }
    return { ok: true, notResumed };
  }

  private async failBeforeSwitch(at: FailedAt, cause: unknown): Promise<Migrated> {
    await this.resumeAll();
    return { ok: false, error: new UpgradeError(at, cause, this.problems) };
  }

  /**
   * Code-changes the migrated processes down (newest first), switches the modules back, resumes everyone; the
   * process `failed` at `step` is left alone if it died.
   */
  private async failAfterSwitch(step: UpgradeStep, failed: Target, cause: unknown): Promise<Migrated> {
    const gone = async (t: Target) => t === failed && !(await this.self.runtime.nodeIsAlive(t.pid));
    for (const target of [...this.migrated].reverse()) {
      if (await gone(target)) continue;
      const answer = await this.changeCode(target, tuple(DOWN, this.oldVsns.get(target.module)!));
      if (!answer.ok) {
        // Its state may be the new version's still, which the old code cannot read.
        if (await this.self.runtime.nodeIsAlive(target.pid)) this.kill(target, "changeCode", answer.cause);
        else this.problems.push({ pid: target.pid, step: "changeCode", cause: answer.cause, killed: false });
      }
    }
    for (const module of this.staged.modules) {
      if (!this.code.revert(module.name)) {
        // A module the plan brought in: before the plan there was none.
        this.code.delete(module.name);
        this.code.purge(module.name);
      }
    }
    await this.resumeAll(gone);
    return { ok: false, error: new UpgradeError({ step, ...where(failed) }, cause, this.problems) };
  }

  /** The first target that no longer runs (on any scheduler of the node), if any. */
  private async firstDead(): Promise<Target | undefined> {
    for (const target of this.targets) if (!(await this.self.runtime.nodeIsAlive(target.pid))) return target;
    return undefined;
  }

  /** Resumes every suspended process the rollback did not kill (nor `skip`), last suspended first. */
  private async resumeAll(skip: (target: Target) => Promise<boolean> = async () => false): Promise<void> {
    for (const target of [...this.suspended].reverse()) {
      if (this.killed.has(target) || (await skip(target))) continue;
      const answer = await this.call(sys.resume(this.self, target.pid, { timeout: this.timeout }));
      if (!answer.ok) this.problems.push({ pid: target.pid, step: "resume", cause: answer.cause, killed: false });
    }
  }

  /** `sys.changeCode`, its `{error, Reason}` reply a failure like an exit. */
  private async changeCode(target: Target, vsn: Term): Promise<Answer> {
    const answer = await this.call(
      sys.changeCode(this.self, target.pid, atom(target.module), vsn, target.extra, { timeout: this.timeout }),
    );
    if (!answer.ok || answer.reply === OK) return answer;
    const reply = answer.reply;
    const reason = reply instanceof Tuple && reply.size === 2 && reply.at(0) === ERROR ? reply.at(1)! : reply;
    return { ok: false, cause: reason, timedOut: false };
  }

  private kill(target: Target, step: RollbackProblem["step"], cause: unknown): void {
    this.self.exit(target.pid, KILL);
    this.killed.add(target);
    this.problems.push({ pid: target.pid, step, cause, killed: true });
  }

  /** A sys call's outcome (`ok` for the calls that resolve with nothing). */
  private async call(sent: Promise<unknown>): Promise<Answer> {
    try {
      return { ok: true, reply: ((await sent) ?? OK) as Term };
    } catch (cause) {
      return { ok: false, cause, timedOut: isTimeout(cause) };
    }
  }
}

/** Module `name`'s current version identifier: its exported `vsn`, else its serial number. */
function currentVsn(code: CodeServer, name: string): Term {
  const vsn = code.current(name).vsn;
  return vsn === undefined ? code.versions(name).current!.serial : (vsn as Term);
}

function where(target: Target): Omit<FailedAt, "step"> {
  return { process: target.process, pid: target.pid, module: target.module };
}

/** Whether a sys call's exit `{Reason, {sys, F, A}}` is its timeout. */
function isTimeout(error: unknown): boolean {
  return error instanceof ProcessExit && error.reason instanceof Tuple && error.reason.at(0) === TIMEOUT;
}
