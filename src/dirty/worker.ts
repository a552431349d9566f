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
let controlSeen = 0;
let taken = 0;

async function load(message: LoadModule): Promise<void> {
  const exports: Record<string, unknown> =
    "url" in message.source
      ? await import(message.source.url)
      : (await WebAssembly.instantiate(message.source.wasm, {})).exports;
  message.names.forEach((name, i) => {
    const fn = exports[name];
    if (typeof fn !== "function") throw new TypeError(`the module does not export a function ${name}`);
    functions[message.base + i] = fn as (...args: unknown[]) => unknown;
  });
}

async function loadAnswering(message: LoadModule): Promise<void> {
  let answer: WorkerAnswer;
  try {
    await load(message);
    answer = { kind: "loaded", id: message.id };
  } catch (error) {
    answer = { kind: "loadFailed", id: message.id, error };
  }
  start.controlPort.postMessage(answer);
}

async function drainControl(): Promise<void> {
  controlSeen = Atomics.load(control, Word.ControlPosted);
  for (let m = receiveMessageOnPort(start.controlPort); m !== undefined; m = receiveMessageOnPort(start.controlPort)) {
    await loadAnswering(m.message as LoadModule);
  }
}

/** Writes an answer to the response ring (waiting for room if the main thread is behind), then signals it. */
function answer(callId: number, status: number, value: unknown, micros: number, moveResult = false): void {
  let s = status;
  let length = 0;
  for (;;) {
    const room = responses.reserve(status === Status.Returned && !moveResult ? MAX_INLINE_RESULT : 0);
    if (room >= 0) {
      if (status === Status.Returned) {
        length = moveResult ? DOES_NOT_FIT : encodeValues([value], bytes, responses.reservedAt, room);
        if (length === DOES_NOT_FIT) {
          length = 0;
          s = postValue(value, moveResult ? buffersOf(value) : undefined);
        }
      } else if (status === Status.Threw) {
        postThrown(value);
      }
      break;
    }
    // The ring is full: the main thread is collecting; give it a moment.
    Atomics.wait(control, Word.ResponseTail, Atomics.load(control, Word.ResponseTail), 1);
  }
  responses.commit(callId, s, Math.min(Math.round(micros), MAX_MICROS), length);
  Atomics.add(signal, Signal.Completions, 1);
  if (Atomics.load(signal, Signal.MainParked) !== 0) Atomics.notify(signal, Signal.Completions);
}

/** Sends a result the ring cannot carry by structured clone; a result that cannot be cloned is a throw. */
function postValue(value: unknown, transfer: ArrayBuffer[] | undefined): number {
  try {
    start.dataPort.postMessage(value, transfer);
    return Status.Returned + VALUE_ON_PORT;
  } catch (error) {
    postThrown(error);
    return Status.Threw;
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

function postThrown(thrown: unknown): void {
  try {
    start.dataPort.postMessage(thrown);
  } catch {
    start.dataPort.postMessage(new Error(String(thrown)));
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
  if (Atomics.load(cancel, cancelAt) !== callId) {
    answer(callId, Status.Cancelled, undefined, 0);
    return true;
  }
  const fn = functions[fnId];
  if (fn === undefined) {
    answer(callId, Status.UnknownFunction, undefined, 0);
    return true;
  }
  const t0 = performance.now();
  let value: unknown;
  try {
    value = fn(...(args ?? portArgs ?? []));
  } catch (error) {
    answer(callId, Status.Threw, error, (performance.now() - t0) * 1000);
    return true;
  }
  if (typeof (value as PromiseLike<unknown> | undefined)?.then === "function") {
    return Promise.resolve(value).then(
      (settled) => answer(callId, Status.Returned, settled, (performance.now() - t0) * 1000, moveResult),
      (error) => answer(callId, Status.Threw, error, (performance.now() - t0) * 1000),
    );
  }
  answer(callId, Status.Returned, value, (performance.now() - t0) * 1000, moveResult);
  return true;
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
