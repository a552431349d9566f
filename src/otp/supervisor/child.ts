// A supervisor's child: its spec (how to start it, when to restart it, how to shut it down) and the two things a
// supervisor does to its children, starting one and shutting them down (OTP's supervisor:do_start_child, shutdown
// and terminate_dynamic_children).
import { DOWN, KILL, type Process, SHUTDOWN } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { TermMap } from "../../term/term-map.ts";
import { type Pid, type Ref, type Term, Tuple } from "../../term/types.ts";
import { isExitFrom } from "../gen.ts";
import type { Offender } from "../reports.ts";
import type { StartResult } from "../start.ts";

/** When a child is restarted: always, after an abnormal exit only, or never. */
export type Restart = "permanent" | "transient" | "temporary";

/** How a child is stopped: killed at once, `shutdown` then killed after so many ms, or `shutdown` and wait. */
export type Shutdown = "brutal_kill" | number | "infinity";

export interface ChildSpec {
  /** Unique among the supervisor's children. */
  readonly id: Term;
  /**
   * Starts the child linked to the supervisor (`self`), e.g. `(self) => GenServer.startLink(self, cb, arg)`. A
   * DynamicSupervisor passes its `extraArguments` after `self` (Elixir prepends them to the child's arguments).
   */
  readonly start: (self: Process, ...extraArguments: Term[]) => StartResult | Promise<StartResult>;
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
  /** When it last started (the runtime clock's ms), to tell a healthy run from a failure in a row. */
  startedAt = 0;
  /** Times its supervisor started it again after an exit (by the strategy, this child's or a sibling's). */
  restarts = 0;
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

/**
 * Starts `child` (passing `extraArguments` after `self`) and records its pid and start time: how the start went (a
 * start function that throws gives what it threw).
 */
export async function startChild(
  self: Process,
  child: Child,
  extraArguments: readonly Term[] = [],
): Promise<StartResult> {
  let started: StartResult;
  try {
    started = await child.spec.start(self, ...extraArguments);
  } catch (error) {
    return { error: error instanceof Error ? String(error.message) : (error as Term) };
  }
  if ("pid" in started) {
    child.pid = started.pid;
    child.startedAt = self.runtime.clock.now();
  }
  return started;
}

/**
 * Stops a running child as its shutdown says and waits until it is gone; resolves with its exit reason. The
 * link is replaced by a monitor first, so the child's exit is not taken for a crash to restart.
 */
export async function shutdownChild(self: Process, child: Child): Promise<Term> {
  return (await shutdownChildren(self, [child]))[0]!;
}

/** A child told to stop, until its DOWN comes. */
interface Stopping {
  readonly index: number;
  readonly mref: Ref;
}

/**
 * Stops running children all at once, as OTP stops a dynamic supervisor's: each gets its exit signal (`kill` for
 * brutal_kill, else `shutdown`) before any is waited for, each one still there after its own shutdown time is
 * killed, and the call resolves when all are gone, with their exit reasons in the order of `children`.
 */
export async function shutdownChildren(self: Process, children: readonly Child[]): Promise<Term[]> {
  const reasons: Term[] = new Array(children.length);
  const stopping = new TermMap<Stopping>();
  const deadlines: { readonly at: number; readonly pid: Pid }[] = [];
  const clock = self.runtime.clock;
  // With one child, its monitor is the newest reference: the wait scans only what came after it (the receive
  // marker). With more, an earlier child's DOWN may come before a later monitor, so every wait scans the queue.
  let since: Ref | undefined;
  for (let index = 0; index < children.length; index++) {
    const child = children[index]!;
    const pid = child.pid!;
    child.pid = undefined;
    const mref = self.monitor(pid);
    self.unlink(pid);
    // An exit that arrived before the unlink is the answer already (the child was on its way out).
    const early = (await self.receive((m) => isExitFrom(m, pid), { timeout: 0 })) as Tuple | undefined;
    if (early !== undefined) {
      self.demonitor(mref, { flush: true });
      reasons[index] = early.at(2)!;
      continue;
    }
    self.exit(pid, child.shutdown === "brutal_kill" ? KILL : SHUTDOWN);
    stopping.set(pid, { index, mref });
    if (children.length === 1) since = mref;
    if (typeof child.shutdown === "number") deadlines.push({ at: clock.now() + child.shutdown, pid });
  }
  deadlines.sort((a, b) => a.at - b.at);
  let next = 0;
  const isDown = (m: Term): boolean => {
    if (!(m instanceof Tuple) || m.size !== 5 || m.at(0) !== DOWN) return false;
    const child = stopping.get(m.at(3)!);
    return child !== undefined && equals(child.mref, m.at(1)!);
  };
  while (stopping.size > 0) {
    while (next < deadlines.length && !stopping.has(deadlines[next]!.pid)) next++;
    const timeout = next < deadlines.length ? Math.max(0, Math.ceil(deadlines[next]!.at - clock.now())) : "infinity";
    const down = (await self.receive(isDown, { since, timeout })) as Tuple | undefined;
    if (down === undefined) {
      // Past its shutdown time: killed (its DOWN, `killed`, comes next).
      for (; next < deadlines.length && deadlines[next]!.at <= clock.now(); next++) {
        if (stopping.has(deadlines[next]!.pid)) self.exit(deadlines[next]!.pid, KILL);
      }
      continue;
    }
    const pid = down.at(3) as Pid;
    reasons[stopping.get(pid)!.index] = down.at(4)!;
    stopping.delete(pid);
  }
  return reasons;
}

/** The child as supervisor reports name it (OTP's offender); `pid` is the one it had when it exited. */
export function offenderOf(child: Child, pid: Pid | undefined = child.pid): Offender {
  const { spec, restart, shutdown, type, significant } = child;
  return { pid, id: spec.id, start: spec.start, restart, shutdown, type, significant };
}
