// A process's slice of reductions and the debt of a process that overran it: how a cooperative scheduler gets
// BEAM's preemptive fairness back.
//
// BEAM preempts a process after 4000 reductions. JavaScript cannot preempt a callback or an async body, so Otter
// counts what a run spent (a message handled, received or sent costs a reduction; a send costs more while the
// receiver's queue is long) and a process that spent more than its slice sits out one round of the run queue for
// every slice's worth it overran. That also throttles a producer that pays for its consumer's long queue.
import type { Process } from "./process.ts";

/** Reductions a process may spend in one run before the scheduler moves on (BEAM's slice is 4000). */
export const RUN_REDUCTIONS = 4000;

/** A send costs one more reduction for every 2^SEND_PENALTY_SHIFT messages in the receiver's queue. */
const SEND_PENALTY_SHIFT = 8;

/** What a send to `receiver` costs the sender, in reductions. */
export function sendCost(receiver: Process): number {
  return receiver.sendCost(SEND_PENALTY_SHIFT);
}

export class Slices {
  /**
   * The async process the scheduler resumed last, and the reductions at which its slice ends: until then, a
   * receive it makes that finds a message goes on at once instead of queueing behind every runnable process.
   */
  private owner: Process | undefined = undefined;
  private endsAt = 0;
  /** Reductions that processes spent beyond their slices and still owe. */
  private readonly debts = new Map<Process, number>();

  /** The scheduler resumes the async body of `p`: a new slice starts. */
  start(p: Process): void {
    this.owner = p;
    this.endsAt = p.reductions + RUN_REDUCTIONS;
  }

  /** Whether `p` is the async process running in its slice, with reductions left. */
  lasts(p: Process): boolean {
    return p === this.owner && p.reductions < this.endsAt;
  }

  /** `p` stops running (it waits, queues again or exits): what it spent beyond its slice becomes debt. */
  stop(p: Process): void {
    if (p !== this.owner) return;
    this.owner = undefined;
    this.overran(p, p.reductions - this.endsAt);
  }

  /** `p` spent `overrun` reductions beyond its slice. */
  overran(p: Process, overrun: number): void {
    if (overrun >= RUN_REDUCTIONS) this.debts.set(p, overrun);
  }

  /** Whether `p` sits this round out to pay off its debt (the caller queues it again behind the others). */
  paysDebt(p: Process): boolean {
    if (this.debts.size === 0) return false;
    const debt = this.debts.get(p);
    if (debt === undefined) return false;
    if (debt >= 2 * RUN_REDUCTIONS) this.debts.set(p, debt - RUN_REDUCTIONS);
    else this.debts.delete(p);
    return true;
  }

  /** `p` exited: it owes nothing. */
  forget(p: Process): void {
    if (p === this.owner) this.owner = undefined;
    if (this.debts.size !== 0) this.debts.delete(p);
  }
}
