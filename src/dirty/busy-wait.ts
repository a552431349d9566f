// How long a dirty pool's threads spin before they park: BEAM's `+sbwt` settings, as microseconds.
import { DirtyError, ErrorCodes } from "../errors.ts";

/** A named setting, like erl's `+sbwt none|very_short|short|medium|long|very_long`, or microseconds. */
export type BusyWait = "none" | "very_short" | "short" | "medium" | "long" | "very_long" | number;

const NAMED: Record<string, number> = {
  none: 0,
  very_short: 5,
  short: 20,
  medium: 100,
  long: 1_000,
  very_long: 10_000,
};

export const DEFAULT_BUSY_WAIT: BusyWait = "medium";

/** The microseconds `setting` stands for; DIRTY_BAD_OPTION for anything else. */
export function busyWaitMicros(setting: BusyWait = DEFAULT_BUSY_WAIT): number {
  const us = typeof setting === "number" ? setting : NAMED[setting];
  if (us === undefined || !Number.isFinite(us) || us < 0) {
    throw new DirtyError(
      ErrorCodes.DIRTY_BAD_OPTION,
      `busyWait must be one of ${Object.keys(NAMED).join(", ")} or microseconds ≥ 0, not ${String(setting)}`,
    );
  }
  return us;
}
