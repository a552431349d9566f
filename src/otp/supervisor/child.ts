// A supervisor's child: its spec (how to start it, when to restart it, how to shut it down) and the two things a
// supervisor does to one child, starting it and shutting it down (OTP's supervisor:do_start_child and shutdown).
import { KILL, type Process, SHUTDOWN } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import type { Pid, Ref, Term, Tuple } from "../../term/types.ts";
import { isDownOf, isExitFrom } from "../gen.ts";
import type { StartResult } from "../start.ts";

/** When a child is restarted: always, after an abnormal exit only, or never. */
export type Restart = "permanent" | "transient" | "temporary";

/** How a child is stopped: killed at once, `shutdown` then killed after so many ms, or `shutdown` and wait. */
export type Shutdown = "brutal_kill" | number | "infinity";

export interface ChildSpec {
  /** Unique among the supervisor's children. */
  readonly id: Term;
  /** Starts the child linked to the supervisor (`self`), e.g. `(self) => GenServer.startLink(self, cb, arg)`. */
  readonly start: (self: Process) => StartResult | Promise<StartResult>;
  /** Default `permanent`. */
  readonly restart?: Restart;
  /** Default 5000 for a worker, `infinity` for a supervisor. */
  readonly shutdown?: Shutdown;
  /** Default `worker`. */
  readonly type?: "worker" | "supervisor";
  /** With `autoShutdown`, the exit of a significant child may stop the supervisor (it must not be permanent). */
  readonly significant?: boolean;
}

/** A child as the supervisor keeps it. */
export class Child {
  pid: Pid | undefined = undefined;
  /** Waiting for a delayed restart (backoff): the timer's ref. */
  restarting: Ref | undefined = undefined;
  /** Restarts in a row without a long enough healthy run (for backoff). */
  failures = 0;
  readonly restart: Restart;
  readonly shutdown: Shutdown;
  readonly type: "worker" | "supervisor";
  readonly significant: boolean;

  constructor(readonly spec: ChildSpec) {
    this.restart = spec.restart ?? "permanent";
    this.type = spec.type ?? "worker";
    this.shutdown = spec.shutdown ?? (this.type === "supervisor" ? "infinity" : 5000);
    this.significant = spec.significant ?? false;
  }
}

/** Why a spec is invalid (OTP's `{invalid_child_spec, …}` reasons), or undefined. */
export function invalidSpec(spec: ChildSpec): Term | undefined {
  if (typeof spec !== "object" || spec === null) return atom("invalid_child_spec");
  if (spec.id === undefined) return atom("missing_id");
  if (typeof spec.start !== "function") return atom("invalid_mfa");
  if (spec.restart !== undefined && !["permanent", "transient", "temporary"].includes(spec.restart)) {
    return atom("invalid_restart_type");
  }
  const shutdown = spec.shutdown;
  if (shutdown !== undefined && shutdown !== "brutal_kill" && shutdown !== "infinity") {
    if (typeof shutdown !== "number" || !(shutdown >= 0)) return atom("invalid_shutdown");
  }
  if (spec.type !== undefined && spec.type !== "worker" && spec.type !== "supervisor")
    return atom("invalid_child_type");
  if (spec.significant === true && (spec.restart ?? "permanent") === "permanent") return atom("invalid_significant");
  return undefined;
}

/** Starts `child` and records its pid: how the start went (a start function that throws gives what it threw). */
export async function startChild(self: Process, child: Child): Promise<StartResult> {
  let started: StartResult;
  try {
    started = await child.spec.start(self);
  } catch (error) {
    return { error: error instanceof Error ? String(error.message) : (error as Term) };
  }
  if ("pid" in started) child.pid = started.pid;
  return started;
}

/**
 * Stops a running child as its shutdown says and waits until it is gone; resolves with its exit reason. The
 * link is replaced by a monitor first, so the child's exit is not taken for a crash to restart.
 */
export async function shutdownChild(self: Process, child: Child): Promise<Term> {
  const pid = child.pid!;
  child.pid = undefined;
  const mref = self.monitor(pid);
  self.unlink(pid);
  // An exit that arrived before the unlink is the answer already (the child was on its way out).
  const early = (await self.receive((m) => isExitFrom(m, pid), { timeout: 0 })) as Tuple | undefined;
  if (early !== undefined) {
    self.demonitor(mref, { flush: true });
    return early.at(2)!;
  }
  if (child.shutdown === "brutal_kill") self.exit(pid, KILL);
  else self.exit(pid, SHUTDOWN);
  const timeout = child.shutdown === "brutal_kill" ? "infinity" : child.shutdown;
  const down = (await self.receive((m) => isDownOf(m, mref), { since: mref, timeout })) as Tuple | undefined;
  if (down !== undefined) return down.at(4)!;
  self.exit(pid, KILL); // it did not stop in time
  return ((await self.receive((m) => isDownOf(m, mref), { since: mref })) as Tuple).at(4)!;
}
