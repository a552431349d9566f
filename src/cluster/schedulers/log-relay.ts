// A scheduler's thread's log events on their way to the node's logger on the main thread, as OTP's handlers are
// the node's: the relay its runtime's logger sends them to, what they are while they cross (a message between
// threads), and the event the node's handlers get.
//
// A report's `format` is a function, which cannot cross: the logging thread renders the text, where the function
// is, and the event on the main thread carries the report's fields with a `format` that gives that text. The fields
// and the metadata cross as data: terms in the External Term Format (pids stay pids), plain objects and arrays
// field by field, JS errors as their name, message and stack; anything else as the text the logging thread printed.

import type { LogEvent, LogFormat, LogLevel, LogMeta, LogRelay } from "../../runtime/logger.ts";
import { decode, encode } from "../../term/etf/index.ts";
import type { Term } from "../../term/types.ts";

/** A value of a relayed event as it crosses; every object is wrapped, so no field name can pass for a tag. */
type Crossing =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | { readonly term: Uint8Array }
  | { readonly list: Crossing[] }
  | { readonly fields: [string, Crossing][] }
  | { readonly error: { readonly name: string; readonly message: string; readonly stack: string | undefined } }
  | { readonly text: string };

/** A log event between threads. */
export interface RelayedEvent {
  readonly level: LogLevel;
  /** When it was logged: `performance.timeOrigin` plus the logging thread's clock, the same instant on any thread. */
  readonly at: number;
  readonly systemTime: number;
  /** The message: a string, or a report's fields and its text. */
  readonly msg: string | { readonly report: Crossing; readonly text: string };
  readonly meta: Crossing;
}

/** How deep plain objects and arrays are followed before the rest crosses as text (reports are shallow). */
const DEPTH = 16;

/** The relay of a scheduler's thread: `post` takes each event the node's logger (its `threshold`) would take. */
export function logRelay(threshold: Int32Array, post: (event: RelayedEvent) => void): LogRelay {
  return {
    threshold,
    send(event, format) {
      const { msg } = event;
      post({
        level: event.level,
        at: performance.timeOrigin + event.time,
        systemTime: event.systemTime,
        msg:
          typeof msg === "string" ? msg : { report: crossing(msg.report, format, DEPTH), text: format.message(event) },
        meta: crossing(event.meta, format, DEPTH),
      });
    },
  };
}

/** The event a relayed one is on this thread (its time on this thread's `performance.now()`). */
export function relayedEvent(relayed: RelayedEvent): LogEvent {
  const { msg } = relayed;
  return {
    level: relayed.level,
    time: relayed.at - performance.timeOrigin,
    systemTime: relayed.systemTime,
    msg: typeof msg === "string" ? msg : { report: arrived(msg.report) as object, format: () => msg.text },
    meta: arrived(relayed.meta) as LogMeta,
  };
}

function crossing(value: unknown, format: LogFormat, depth: number): Crossing {
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (typeof value !== "object" || value === null) return value as string | number | boolean | bigint | undefined;
  if (value instanceof Error) return { error: { name: value.name, message: value.message, stack: value.stack } };
  if (depth > 0 && Array.isArray(value)) return { list: value.map((item) => crossing(item, format, depth - 1)) };
  if (depth > 0 && isPlainObject(value)) {
    return { fields: Object.entries(value).map(([key, item]) => [key, crossing(item, format, depth - 1)]) };
  }
  try {
    return { term: encode(value as Term) };
  } catch {
    return { text: format.term(value) }; // no term (a JS Map, a class instance): as the logging thread prints it
  }
}

function arrived(value: Crossing): unknown {
  if (typeof value !== "object" || value === null) return value;
  if ("term" in value) return decode(value.term);
  if ("list" in value) return value.list.map(arrived);
  if ("fields" in value) return Object.fromEntries(value.fields.map(([key, item]) => [key, arrived(item)]));
  if ("error" in value) {
    const error = new Error(value.error.message);
    error.name = value.error.name;
    error.stack = value.error.stack;
    return error;
  }
  return value.text;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
