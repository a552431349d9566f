// The real clock: monotonic time from `performance.now()` and one-shot alarms on Node's `setTimeout`.
// Imported, not the global: Node defines the global `performance` as a getter, which every use then calls.
import { performance } from "node:perf_hooks";
import type { Clock } from "./contracts.ts";

/** setTimeout's longest delay; a longer one would fire after 1 ms (with a TimeoutOverflowWarning). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** The handle `setAlarm` returns: its timeout is replaced when the alarm has to wait again. */
class Alarm {
  timeout: NodeJS.Timeout | undefined = undefined;
  /** Whether it keeps the process alive (see Clock.keepAlive). */
  kept = true;
  constructor(
    readonly at: number,
    readonly fire: () => void,
  ) {}
}

function delayUntil(at: number): number {
  return Math.min(MAX_TIMEOUT, Math.max(0, Math.ceil(at - performance.now())));
}

// libuv measures timeouts from its cached loop time, so a timeout may run a little before `at` by
// `performance.now()`; long alarms also run early at MAX_TIMEOUT. Either way, wait again for the rest.
function onTimeout(alarm: Alarm): void {
  if (performance.now() < alarm.at) {
    alarm.timeout = setTimeout(onTimeout, delayUntil(alarm.at), alarm);
    if (!alarm.kept) alarm.timeout.unref();
  } else alarm.fire();
}

export const systemClock: Clock = {
  now: () => performance.now(),
  batchReads: true,
  setAlarm(at: number, fire: () => void): unknown {
    const alarm = new Alarm(at, fire);
    alarm.timeout = setTimeout(onTimeout, delayUntil(at), alarm);
    return alarm;
  },
  clearAlarm(handle: unknown): void {
    clearTimeout((handle as Alarm).timeout);
  },
  keepAlive(handle: unknown, keep: boolean): void {
    const alarm = handle as Alarm;
    if (alarm.kept === keep) return;
    alarm.kept = keep;
    if (keep) alarm.timeout?.ref();
    else alarm.timeout?.unref();
  },
};
