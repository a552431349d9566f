// Test helpers for the process runtime: a runtime per test (manual clock, collecting logger, shut down after the
// test), waiting for an event with a deadline, and small matchers for the messages OTP's suites look for.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import {
  _,
  atom,
  type Body,
  DOWN,
  EXIT,
  equals,
  format,
  type LogEvent,
  type LogFormat,
  type LogReport,
  type Match,
  Pid,
  ProcessExit,
  pattern,
  type Ref,
  Runtime,
  type RuntimeOptions,
  type Signal,
  type SignalTransport,
  type SpawnOptions,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { ManualClock } from "../../src/testing/index.ts";

export interface Harness {
  readonly rt: Runtime;
  /** The runtime's clock: time moves only when the test advances it (unless `realClock` was asked for). */
  readonly clock: ManualClock;
  /** Every event the runtime logged (at its level, `notice` unless the test sets another), in order. */
  readonly logs: Logged[];
}

/** A logged event with its message as text (what the default handler prints below the header). */
export type Logged = LogEvent & { readonly text: string };

export interface HarnessOptions extends Omit<RuntimeOptions, "clock" | "logger"> {
  /** Use the system clock instead of a ManualClock (only the scheduler's real-time bounds need it). */
  realClock?: boolean;
}

/** A fresh runtime for test `t`, shut down when the test ends, whatever its outcome. */
export function runtime(t: TestContext, options: HarnessOptions = {}): Harness {
  const { realClock = false, ...rest } = options;
  const clock = new ManualClock();
  const logs: Logged[] = [];
  const logger = (event: LogEvent, format: LogFormat) => logs.push({ ...event, text: format.message(event) });
  const rt = new Runtime({ ...rest, ...(realClock ? {} : { clock }), logger });
  t.after(() => rt.shutdown());
  return { rt, clock, logs };
}

/** The crash reports among `logs`. */
export function crashReports(logs: readonly Logged[]): Logged[] {
  return logs.filter((event) => event.meta.what === "crash_report");
}

/** The fields of a report event (its `msg`); fails if the event's message is plain text. */
export function reportOf<R extends object>(event: LogEvent): R {
  assert.ok(typeof event.msg !== "string", `expected a report, got the text ${String(event.msg)}`);
  return (event.msg as LogReport<R>).report;
}

/**
 * Resolves once `condition()` holds, checking after every event-loop turn; rejects after `deadlineMs` of real
 * time. The way to wait for something without sleeping for a fixed time.
 */
export async function waitFor(condition: () => boolean, what: string, deadlineMs = 2000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > deadlineMs) assert.fail(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Resolves once `progress()` has not moved for `turns` event-loop turns in a row (something stopped making
 * progress); rejects if that does not happen within `deadlineMs`.
 */
export async function stalled(progress: () => number, what: string, turns = 50, deadlineMs = 20_000): Promise<void> {
  let last = progress();
  let still = 0;
  await waitFor(
    () => {
      const now = progress();
      still = now === last ? still + 1 : 0;
      last = now;
      return still >= turns;
    },
    what,
    deadlineMs,
  );
}

/**
 * Asserts that something stops making progress while the rest of `rt` runs on: with another process of `rt`
 * running all along, waits until `progress()` stalls, then checks it stays put while that process takes 2000
 * more steps.
 */
export async function assertStuckWhileOthersRun(rt: Runtime, progress: () => number, what: string): Promise<void> {
  let laps = 0;
  let running = true;
  rt.spawn(async (self) => {
    while (running) {
      laps++;
      await self.yield();
    }
  });
  try {
    await stalled(progress, what);
    const stuckAt = progress();
    const lapsThen = laps;
    await waitFor(() => laps >= lapsThen + 2000, "another process to run on");
    assert.equal(progress(), stuckAt, `${what}: it moved on while the other process ran`);
  } finally {
    running = false;
  }
}

/** Resolves like `promise`, or rejects if it takes longer than `deadlineMs` of real time. */
export async function within<T>(promise: Promise<T>, deadlineMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)), deadlineMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts that `actual` is the term `expected` (Erlang's exact equality), printing both in Erlang syntax. */
export function assertTerm(actual: Term | undefined, expected: Term, message?: string): void {
  if (actual !== undefined && equals(actual, expected)) return;
  const got = actual === undefined ? "undefined" : format(actual);
  assert.fail(`${message === undefined ? "" : `${message}: `}expected ${format(expected)}, got ${got}`);
}

/** Asserts that `actual` is a tuple and returns its elements. */
export function elements(actual: Term | undefined): readonly Term[] {
  if (!(actual instanceof Tuple))
    assert.fail(`expected a tuple, got ${actual === undefined ? "undefined" : format(actual)}`);
  return actual.elements;
}

/** The reason of the ProcessExit `promise` rejects with (a failed call's exit, say); fails if it does not. */
export async function exitOf(promise: Promise<unknown>): Promise<Term> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProcessExit) return error.reason;
    throw error;
  }
  assert.fail("expected an exit");
}

/** Matches the DOWN message of monitor `ref`. */
export function downFor(ref: Ref): Match {
  return pattern(tuple(DOWN, ref, _, _, _));
}

/** Matches an `{'EXIT', From, _}` message from `from`. */
export function exitFrom(from: Pid): Match {
  return pattern(tuple(EXIT, from, _));
}

/** The reason of a DOWN or EXIT message (its last element). */
export function reasonOf(message: Term | undefined): Term {
  const items = elements(message);
  return items[items.length - 1]!;
}

export interface Watched {
  readonly pid: Pid;
  /** The reason the process exits with (from a monitor set up atomically with the spawn). */
  readonly exit: Promise<Term>;
}

/** Spawns `body` under a monitor (Erlang's spawn_monitor from a helper process) and reports how it ends. */
export async function spawnWatched(rt: Runtime, body: Body, options?: SpawnOptions): Promise<Watched> {
  let started!: (pid: Pid) => void;
  const pid = new Promise<Pid>((resolve) => {
    started = resolve;
  });
  const exit = rt.run(async (self) => {
    const { pid, ref } = self.spawnMonitor(body, options);
    started(pid);
    return reasonOf(await self.receive(downFor(ref)));
  });
  exit.catch(() => {}); // shut down before the process ended: the test did not ask, so do not report it
  return { pid: await pid, exit };
}

export interface Recorder {
  readonly pid: Pid;
  /** Every message the process took, in the order it took them. */
  readonly messages: Term[];
}

/** A behaviour process that records every message it gets (optionally trapping exits). */
export function recorder(rt: Runtime, options: SpawnOptions = {}): Recorder {
  const messages: Term[] = [];
  const pid = rt.spawn(
    {
      name: "recorder",
      handleMessage(_self, message) {
        messages.push(message);
      },
    },
    options,
  );
  return { pid, messages };
}

/** An async process that waits for any message and returns it (so a test can park a process). */
export function sleeper(rt: Runtime, options?: SpawnOptions): Pid {
  return rt.spawn(async function sleeper(self) {
    return await self.receive();
  }, options);
}

/** A transport that records what it is asked to send: a stand-in for the distribution layer. */
export class RecordingTransport implements SignalTransport {
  readonly sent: Signal[] = [];
  send(signal: Signal): undefined {
    this.sent.push(signal);
  }
}

/** The node `remotePid` lives on: one this runtime has never connected to. */
export const OTHER_NODE = "other@host";

/** A pid on OTHER_NODE. */
export function remotePid(id = 1): Pid {
  return new Pid(atom(OTHER_NODE), id, 0, 1);
}
