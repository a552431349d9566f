// A pool worker thread: takes calls off its ring one at a time, runs them, writes the answers back, and spins
// for the next call before it parks.
//
// A function may return a promise (IO work): the worker awaits it before it takes the next call, so a worker runs
// one call at a time, as a BEAM dirty scheduler runs one job. Parking is Atomics.wait on WorkerState set to
// WORKER_PARKED; whoever gives the worker something to do (a call, a control message, stop) first makes it seen
// (the ring's head, ControlPosted, Stop), then sets WorkerState back to WORKER_RUNNING and notifies. The worker
// looks for work once more after it said it parks, so it cannot sleep through a wake-up between the two.
import { performance } from "node:perf_hooks";
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import { carriedError, describeThrown } from "./carried-error.ts";
import {
  CALL_ARGS_ON_PORT,
  CALL_TRANSFER_RESULT,
  channelViews,
  MAX_OUTSTANDING,
  Signal,
  Status,
  VALUE_ON_PORT,
  WORKER_PARKED,
  WORKER_RUNNING,
  Word,
} from "./channel.ts";
import { DOES_NOT_FIT, decodeValues, encodeValues } from "./codec.ts";
import type { LoadModule, WorkerAnswer, WorkerStart } from "./messages.ts";
import { RingConsumer, RingProducer } from "./ring.ts";

/** The most bytes a result takes in the ring; larger ones go by the port. */
const MAX_INLINE_RESULT = 16 * 1024;
const MAX_MICROS = 0x7fff_ffff;
/** Spinning looks for work this many times between two reads of the clock (a read costs 40 ns, a look 2). */
const SPIN_CLOCK_EVERY = 32;

const start = workerData as WorkerStart;
const views = channelViews(start.channel);
const { control, cancel } = views;
const signal = new Int32Array(start.signal);
const requests = new RingConsumer(views.requests);
const responses = new RingProducer(views.responses);
const bytes = views.requests.bytes;
const functions: ((...args: unknown[]) => unknown)[] = [];
/** Per function id whose module did not load here: the load's error, which a call to it fails with. */
const loadErrors: unknown[] = [];
let controlSeen = 0;
let taken = 0;

/**
 * Loads a module's functions; resolves with the error that stopped it, if any. A module that does not load leaves
 * the worker serving: calls to its functions fail with that error, the other modules' functions run.
 */
async function load(message: LoadModule): Promise<unknown> {
  try {
    const exports: Record<string, unknown> =
      "url" in message.source
        ? await import(message.source.url)
        : (await WebAssembly.instantiate(message.source.wasm, {})).exports;
    const loaded = message.names.map((name) => {
      const fn = exports[name];
      if (typeof fn !== "function") throw new TypeError(`the module does not export a function ${name}`);
      return fn as (...args: unknown[]) => unknown;
    });
    loaded.forEach((fn, i) => {
      functions[message.base + i] = fn;
    });
    return undefined;
  } catch (thrown) {
    const error = thrown ?? new Error("the module threw undefined while it loaded");
    for (let i = 0; i < message.names.length; i++) loadErrors[message.base + i] = error;
    return error;
  }
}

async function loadAnswering(message: LoadModule): Promise<void> {
  const error = await load(message);
  if (error === undefined) {
    start.controlPort.postMessage({ kind: "loaded", id: message.id } satisfies WorkerAnswer);
    return;
  }
  const failed = (thrown: unknown): WorkerAnswer => ({
    kind: "loadFailed",
    id: message.id,
    error: carriedError(thrown),
  });
  try {
    start.controlPort.postMessage(failed(error));
  } catch {
    // It does not clone (an object holding a function): its text does.
    start.controlPort.postMessage(failed(new Error(describeThrown(error))));
  }
}

async function drainControl(): Promise<void> {
  controlSeen = Atomics.load(control, Word.ControlPosted);
  for (let m = receiveMessageOnPort(start.controlPort); m !== undefined; m = receiveMessageOnPort(start.controlPort)) {
    await loadAnswering(m.message as LoadModule);
  }
}

/**
 * Writes an answer to the response ring (waiting for room if the main thread is behind), then signals it. `value`
 * is the result (Returned) or the error the port carries (Threw, NotLoaded); a result that cannot be carried back
 * answers BadResult instead.
 */
function answer(callId: number, status: number, value: unknown, micros: number, moveResult = false): void {
  let s = status;
  let length = 0;
  for (;;) {
    const room = responses.reserve(status === Status.Returned && !moveResult ? MAX_INLINE_RESULT : 0);
    if (room >= 0) {
      if (status === Status.Returned) {
        try {
          length = moveResult ? DOES_NOT_FIT : encodeValues([value], bytes, responses.reservedAt, room);
          if (length === DOES_NOT_FIT) {
            length = 0;
            start.dataPort.postMessage(value, moveResult ? buffersOf(value) : undefined);
            s = Status.Returned + VALUE_ON_PORT;
          }
        } catch (error) {
          // What structured clone refuses, or a getter that throws: the call fails; this worker goes on.
          length = 0;
          s = Status.BadResult;
          postError(error);
        }
      } else if (status === Status.Threw || status === Status.NotLoaded) {
        postError(value);
      }
      break;
    }
    // The ring is full: the main thread is collecting; give it a moment.
    Atomics.wait(control, Word.ResponseTail, Atomics.load(control, Word.ResponseTail), 1);
  }
  responses.commit(callId, s, Math.min(Math.round(micros), MAX_MICROS), length);
  // The main thread spinning sees the ring's head; a parked one waits on the pool's signal. Its flag goes up before
  // it looks at the rings one last time, and this looks at the flag after the head moved (both sequentially
  // consistent): one of the two sees the other.
  if (Atomics.load(signal, Signal.MainParked) !== 0) {
    Atomics.add(signal, Signal.Completions, 1);
    Atomics.notify(signal, Signal.Completions);
  }
}

/** The ArrayBuffers a result holds: itself, or its elements or values one level down (views' buffers too). */
function buffersOf(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const add = (v: unknown): void => {
    if (v instanceof ArrayBuffer) found.add(v);
    else if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) found.add(v.buffer);
  };
  add(value);
  if (Array.isArray(value)) value.forEach(add);
  else if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) Object.values(value).forEach(add);
  return [...found];
}

/** Posts a thrown value for the answer being written; one that does not clone goes as an Error with its text. */
function postError(thrown: unknown): void {
  try {
    start.dataPort.postMessage(carriedError(thrown));
  } catch {
    start.dataPort.postMessage(carriedError(new Error(describeThrown(thrown))));
  }
}

/**
 * Takes and runs the next call: true once it is answered, false when none waits, or a promise of its answer when
 * the function returned one (the only case that waits for the event loop).
 */
function runNext(): boolean | Promise<void> {
  const r = requests.take();
  if (r === undefined) return false;
  const callId = r.a;
  const fnId = r.b;
  const onPort = (r.c & CALL_ARGS_ON_PORT) !== 0;
  const moveResult = (r.c & CALL_TRANSFER_RESULT) !== 0;
  const args = onPort ? undefined : decodeValues(bytes, r.payloadAt, r.payloadLength);
  requests.release();
  const cancelAt = taken % MAX_OUTSTANDING;
  Atomics.store(control, Word.Taken, ++taken);
  const portArgs = onPort ? (receiveMessageOnPort(start.dataPort)?.message as unknown[]) : undefined;
  if (Atomics.load(cancel, cancelAt) === -callId) {
    answer(callId, Status.Cancelled, undefined, 0);
    return true;
  }
  const fn = functions[fnId];
  if (fn === undefined) {
    if (fnId in loadErrors) answer(callId, Status.NotLoaded, loadErrors[fnId], 0);
    else answer(callId, Status.UnknownFunction, undefined, 0);
    return true;
  }
  const t0 = performance.now();
  let value: unknown;
  try {
    value = fn(...(args ?? portArgs ?? []));
  } catch (error) {
    answer(callId, Status.Threw, error, microsSince(t0));
    return true;
  }
  if (typeof (value as PromiseLike<unknown> | undefined)?.then === "function") {
    return Promise.resolve(value).then(
      (settled) => answer(callId, Status.Returned, settled, microsSince(t0), moveResult),
      (error) => answer(callId, Status.Threw, error, microsSince(t0)),
    );
  }
  answer(callId, Status.Returned, value, microsSince(t0), moveResult);
  return true;
}

/** The µs since `t0`. */
function microsSince(t0: number): number {
  return (performance.now() - t0) * 1000;
}

/** Whether a call, a control message or the stop request waits for the worker. */
function hasWork(): boolean {
  return (
    requests.hasRecord ||
    Atomics.load(control, Word.ControlPosted) !== controlSeen ||
    Atomics.load(control, Word.Stop) !== 0
  );
}

/** Spins for work for spinMicros, then parks until the main thread wakes it. */
function waitForWork(): void {
  if (start.spinMicros > 0) {
    const until = performance.now() + start.spinMicros / 1000;
    do {
      for (let i = 0; i < SPIN_CLOCK_EVERY; i++) if (hasWork()) return;
    } while (performance.now() < until);
  }
  Atomics.store(control, Word.WorkerState, WORKER_PARKED);
  if (!hasWork()) Atomics.wait(control, Word.WorkerState, WORKER_PARKED);
  Atomics.store(control, Word.WorkerState, WORKER_RUNNING);
}

async function serve(): Promise<void> {
  for (const m of start.modules) await load(m);
  Atomics.store(control, Word.Ready, 1);
  for (;;) {
    if (Atomics.load(control, Word.Stop) !== 0) break;
    if (Atomics.load(control, Word.ControlPosted) !== controlSeen) await drainControl();
    const ran = runNext();
    if (ran === false) waitForWork();
    else if (ran !== true) await ran;
  }
  start.dataPort.close();
  start.controlPort.close();
}

await serve();
