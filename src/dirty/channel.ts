// The shared memory between the main thread and one pool worker: a ring of calls, a ring of answers, the words
// that say what the worker is doing, and the cancel table; plus the pool's completion signal, shared by all its
// workers. Both sides build their views from the same SharedArrayBuffers with these functions.
import type { RingPlace } from "./ring.ts";

/**
 * Word indexes of a channel's control array. The words the main thread writes, those the worker writes at every
 * call, and those written seldom sit 128 bytes apart (two cache lines, past the adjacent-line prefetch): with both threads spinning on one line,
 * every write by one side would cost the other a cache miss on each read, a microsecond a call.
 */
export const Word = {
  // Written by the main thread.
  RequestHead: 0,
  ResponseTail: 1,
  /** Control messages posted to the worker (module loads, stop); the worker drains its control port when it grows. */
  ControlPosted: 2,
  /** Set to ask the worker to stop once it has answered what it took. */
  Stop: 3,
  // Written by the worker.
  RequestTail: 32,
  ResponseHead: 33,
  /** Calls the worker has taken off the ring (started, or found cancelled). */
  Taken: 34,
  // Written seldom (at start, and when the worker parks), read at every call: a line of their own.
  /** Set by the worker once it has loaded its modules and takes calls. */
  Ready: 64,
  /**
   * WORKER_RUNNING, or WORKER_PARKED while the worker waits on this word: the main thread, after giving it work
   * (a call, a control message, Stop), sets it back to WORKER_RUNNING and notifies.
   */
  WorkerState: 65,
} as const;
const CONTROL_WORDS = 96;

export const WORKER_RUNNING = 0;
export const WORKER_PARKED = 1;

/** Calls a worker may hold at once (its ring's records and the one it runs): the cancel table's size. */
export const MAX_OUTSTANDING = 4096;
const RING_BYTES = 256 * 1024;

/** Request record words (after the payload length): call id, function id, flags. */
export const CALL_ARGS_ON_PORT = 1;
/** Request flag: the result's ArrayBuffers are to be moved to the main thread, not copied. */
export const CALL_TRANSFER_RESULT = 2;
/** Response record words: call id, status, execution time in µs (saturated). */
export const Status = {
  /** The payload (or the port message) is the result. */
  Returned: 0,
  /** The function threw; the port carries what it threw (as carried-error.ts has it). */
  Threw: 1,
  /** The call was cancelled before it started. */
  Cancelled: 2,
  /** No function has this id in the worker. */
  UnknownFunction: 3,
  /** The function ran, but its result cannot be carried back; the port carries why. */
  BadResult: 4,
  /** The function's module did not load in this worker; the port carries the load's error. */
  NotLoaded: 5,
} as const;
/** Added to a response's status when its value is on the port. */
export const VALUE_ON_PORT = 16;

/** Word indexes of a pool's signal array. */
export const Signal = {
  /** Answers written by any of the pool's workers (grows by one per answer). */
  Completions: 0,
  /** Set while the main thread waits for completions with Atomics.waitAsync (workers then notify); own line. */
  MainParked: 32,
} as const;

export interface ChannelViews {
  readonly control: Int32Array;
  /**
   * Per call, at its place in the request ring's order modulo MAX_OUTSTANDING (the worker's count of calls taken
   * before it): the negation of its id once cancelled; anything else (an older call's mark) lets it run. Written
   * only to cancel: a word written at every call would be one more cache line crossing between the threads. A
   * worker holds at most MAX_OUTSTANDING calls, so the calls it holds never share an entry, and ids do not repeat.
   */
  readonly cancel: Int32Array;
  readonly requests: RingPlace;
  readonly responses: RingPlace;
}

/** A new channel's memory. */
export function createChannelMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_WORDS * 4 + MAX_OUTSTANDING * 4 + 2 * RING_BYTES);
}

/** The views of a channel's memory (the same on both sides). */
export function channelViews(memory: SharedArrayBuffer): ChannelViews {
  const control = new Int32Array(memory, 0, CONTROL_WORDS);
  const cancel = new Int32Array(memory, CONTROL_WORDS * 4, MAX_OUTSTANDING);
  const bytes = new Uint8Array(memory);
  const requestsAt = CONTROL_WORDS * 4 + MAX_OUTSTANDING * 4;
  return {
    control,
    cancel,
    requests: {
      control,
      headAt: Word.RequestHead,
      tailAt: Word.RequestTail,
      bytes,
      dataAt: requestsAt,
      capacity: RING_BYTES,
    },
    responses: {
      control,
      headAt: Word.ResponseHead,
      tailAt: Word.ResponseTail,
      bytes,
      dataAt: requestsAt + RING_BYTES,
      capacity: RING_BYTES,
    },
  };
}

/** A pool's completion signal. */
export function createSignal(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(64 * 4));
}
