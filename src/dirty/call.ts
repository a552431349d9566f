// One dirty call as the main thread tracks it: what to run, who waits for it, and how it ends.
import { performance } from "node:perf_hooks";
import { DirtyError, type ErrorCode, ErrorCodes } from "../errors.ts";
import type { DirtyCallOptions, DirtyCallOwner } from "../runtime/contracts.ts";
import type { WorkerSlot } from "./worker-slot.ts";

/** Who made a call (the runtime's contract): when it goes away, its calls that have not started are dropped. */
export type CallOwner = DirtyCallOwner;
/** A call's timeout, where it runs, and which buffers it moves instead of copying (the runtime's contract). */
export type CallOptions = DirtyCallOptions;

/** The longest delay setTimeout keeps (a longer one fires at once, with a warning). */
export const MAX_TIMEOUT_MS = 0x7fff_ffff;

/** What is wrong with `options`, as a DIRTY_BAD_OPTION error; undefined when nothing is. */
export function badCallOption(options: CallOptions): DirtyError | undefined {
  if (typeof options !== "object" || options === null) return badOption(`call options must be an object`, options);
  const { timeoutMs, where, transfer, transferResult } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    return badOption("timeoutMs must be a number of ms > 0 and < 2³¹", timeoutMs);
  }
  if (where !== undefined && where !== "inline" && where !== "dirty") {
    return badOption(`where must be "inline" or "dirty"`, where);
  }
  if (where === "inline" && timeoutMs !== undefined) {
    return new DirtyError(
      ErrorCodes.DIRTY_BAD_OPTION,
      `a call with timeoutMs cannot run inline: an inline call cannot be stopped`,
    );
  }
  if (transfer !== undefined && !Array.isArray(transfer)) return badOption("transfer must be an array", transfer);
  if (transferResult !== undefined && typeof transferResult !== "boolean") {
    return badOption("transferResult must be a boolean", transferResult);
  }
  return undefined;
}

/** A DIRTY_BAD_OPTION error: `problem`, and the value it was given. */
export function badOption(problem: string, value: unknown): DirtyError {
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  return new DirtyError(ErrorCodes.DIRTY_BAD_OPTION, `${problem}, not ${shown}`);
}

let lastCallId = 0;
/**
 * One call in this many is timed for the hand-off cost: two clock reads (~40 ns each on Node 20) on every call were
 * a tenth of a no-op round trip, and a moving average needs samples, not every call.
 */
const TIMED_EVERY = 8;

/** Positive and below 2³¹: ring words are signed 32-bit, and the cancel table stores the negation. */
function nextCallId(): number {
  lastCallId = lastCallId >= 0x7fff_fffe ? 1 : lastCallId + 1;
  return lastCallId;
}

export class DirtyCall {
  readonly id = nextCallId();
  /** Set when the call is settled: later answers and timers for it are ignored. */
  settled = false;
  /** When it was made (performance.now()), for the hand-off cost; NaN for the calls not timed (TIMED_EVERY). */
  readonly madeAt = this.id % TIMED_EVERY === 0 ? performance.now() : Number.NaN;
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
