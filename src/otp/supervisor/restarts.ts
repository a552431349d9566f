// How often a supervisor may restart (OTP's restart intensity: at most `intensity` restarts in any `period`
// seconds, else the supervisor gives up) and, beyond OTP as an opt-in, how long it waits before a restart
// (exponential backoff with jitter), and the `{RESTART_CHILD, Key}` message a supervisor sends itself for a restart
// that does not happen at once.
import type { Process } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { type Term, tuple } from "../../term/types.ts";
import type { Child } from "./child.ts";

/** The message a supervisor sends itself to restart a child later: `{RESTART_CHILD, Key}`. */
export const RESTART_CHILD = atom("$otter_restart_child");

/** Otter's opt-in: wait before restarting a child that keeps failing. */
export interface Backoff {
  /** The wait before the first restart in a row, in ms. */
  readonly initial: number;
  /** The longest wait, in ms. */
  readonly max: number;
  /** 0 to 1: each wait is scaled by a random factor in [1 - jitter, 1 + jitter]. Default 0.2. */
  readonly jitter?: number;
  /** A child that ran this long (ms) counts as healthy again: its next failure waits `initial`. Default `max`. */
  readonly reset?: number;
}

export class RestartIntensity {
  /** Times (ms) of the restarts within the current period, oldest first. */
  private readonly restarts: number[] = [];

  constructor(
    private readonly intensity: number,
    private readonly periodMs: number,
  ) {}

  /** Records a restart at `now`; false when that is one too many for the period (the supervisor gives up). */
  add(now: number): boolean {
    this.restarts.push(now);
    while (this.restarts.length > 0 && now - this.restarts[0]! >= this.periodMs) this.restarts.shift();
    return this.restarts.length <= this.intensity;
  }
}

/** The wait before restart number `failures` (1 for the first in a row). */
export function backoffDelay(backoff: Backoff, failures: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, failures - 1));
  const jitter = backoff.jitter ?? 0.2;
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
}

/** A child exited: if it ran long enough to count as healthy, its next restart waits `initial` again. */
export function noteExit(child: Child, backoff: Backoff | undefined, now: number): void {
  if (backoff !== undefined && now - child.startedAt >= (backoff.reset ?? backoff.max)) child.failures = 0;
}

/**
 * Restarts `child` (known to its supervisor by `key`) through the supervisor's mailbox: after the backoff's wait
 * when there is one, else at once — a message to itself, not a 0 ms timer, so a retry never waits for a clock (a
 * test's manual one) to move. `child.restarting` marks it until the message is handled.
 */
export function restartLater(self: Process, child: Child, key: Term, backoff: Backoff | undefined): void {
  const message = tuple(RESTART_CHILD, key);
  if (backoff !== undefined) {
    child.restarting = self.runtime.sendAfter(backoffDelay(backoff, ++child.failures), self.pid, message);
  } else {
    child.restarting = self.makeRef();
    self.send(self.pid, message);
  }
}
