// One dirty call as the main thread tracks it: what to run, who waits for it, and how it ends.
import { performance } from "node:perf_hooks";
import { DirtyError, type ErrorCode } from "../errors.ts";
import type { DirtyCallOptions, DirtyCallOwner } from "../runtime/contracts.ts";
import type { WorkerSlot } from "./worker-slot.ts";

/** Who made a call (the runtime's contract): when it goes away, its calls that have not started are dropped. */
export type CallOwner = DirtyCallOwner;
/** A call's timeout, where it runs, and which buffers it moves instead of copying (the runtime's contract). */
export type CallOptions = DirtyCallOptions;

let lastCallId = 0;

/** Positive and below 2³¹: ring words are signed 32-bit, and the cancel table stores the negation. */
function nextCallId(): number {
  lastCallId = lastCallId >= 0x7fff_fffe ? 1 : lastCallId + 1;
  return lastCallId;
}

export class DirtyCall {
  readonly id = nextCallId();
  /** Set when the call is settled: later answers and timers for it are ignored. */
  settled = false;
  /** When it was made (performance.now()), for the hand-off cost. */
  readonly madeAt = performance.now();
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The worker holding the call, once it was given to one, and how many calls that worker held before it. */
  holder: WorkerSlot | undefined;
  ahead = 0;
  /** Its entry in its worker's cancel table (the call's place in that worker's ring order, modulo the size). */
  cancelAt = 0;
  stopWatching: (() => void) | undefined;

  constructor(
    readonly fnId: number,
    readonly args: readonly unknown[],
    private readonly resolveWith: (value: unknown) => void,
    private readonly rejectWith: (error: unknown) => void,
    readonly owner?: CallOwner,
    /** How its arguments and result travel: moved (transferred) rather than copied. */
    readonly moves: Pick<CallOptions, "transfer" | "transferResult"> = {},
  ) {}

  resolve(value: unknown): void {
    if (this.end()) this.resolveWith(value);
  }

  reject(error: unknown): void {
    if (this.end()) this.rejectWith(error);
  }

  /** Fails the call with a DirtyError of `code`. */
  fail(code: ErrorCode, message: string, cause?: unknown): void {
    this.reject(new DirtyError(code, message, cause === undefined ? undefined : { cause }));
  }

  private end(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopWatching?.();
    return true;
  }
}
