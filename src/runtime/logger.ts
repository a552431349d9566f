// The logger: OTP's `logger` for one runtime — eight levels, structured events, process metadata, pluggable handlers.
//
// An event is built where it is logged (level, time, message, metadata) and handed to the handlers after the
// current step, in a microtask: a handler never runs inside a process's code, and a handler that throws is removed
// (as OTP removes a failing handler) without hurting the process that logged. A call below the primary level
// returns after one comparison. Process metadata lives in a WeakMap made on first use: no field on any process.
//
// Handlers are the node's, as in OTP: on a node of several schedulers they are those of the main thread's logger,
// and the logger of each other scheduler's thread relays to it (LogRelay, which cluster/schedulers installs) every
// event the node's levels let through, whatever process logged it.
//
// API (OTP → Otter):
//   logger:info(Msg, Meta) from a process      →  logger(self).info(msg, meta)
//   the same from outside any process          →  rt.logger.info(msg, meta)
//   logger:set_primary_config(level, L)        →  rt.logger.setLevel(l)
//   logger:allow(Level, Module)                →  rt.logger.allows(level)
//   logger:add_handler / remove_handler        →  rt.logger.addHandler(id, handler, { level }) / removeHandler(id)
//   logger:set_handler_config(Id, level, L)    →  rt.logger.setHandlerLevel(id, l)
//   logger:set_process_metadata(M) and kin     →  logger(self).setProcessMetadata(m) / update… / get… / unset…
import { ErrorCodes, ProcessError } from "../errors.ts";
import type { Atom } from "../term/atom.ts";
import { formatForPeople, type TermTextOptions } from "../term/format.ts";
import { type Pid, Tuple } from "../term/types.ts";
import type { Clock } from "./contracts.ts";
import type { Process } from "./process.ts";

/** OTP's levels, the most severe first. */
export const LOG_LEVELS = ["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** A threshold: a level (it and everything more severe pass), `all`, or `none`. */
export type LogLevelSetting = LogLevel | "all" | "none";

const SEVERITY: Readonly<Record<LogLevelSetting, number>> = {
  none: -1,
  emergency: 0,
  alert: 1,
  critical: 2,
  error: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
  all: 7,
};

/**
 * A structured message (OTP's `{report, Report}`): its fields, and how to render them as text (OTP's `report_cb`).
 * Without `format`, the text is one `    key: value` line per field, as OTP prints a report without a `report_cb`.
 */
export interface LogReport<R extends object = object> {
  readonly report: R;
  /** Renders the report; `term` prints a value in Erlang syntax, as the handler's formatter does. */
  format?(report: R, term: (value: unknown) => string): string;
}

export type LogMessage = string | LogReport;

/** An event's metadata: what the logger adds, OTP's well-known keys, and anything the caller or process set. */
export interface LogMeta {
  /** The logging process (added for events logged from a process). */
  readonly pid?: Pid;
  /** Its registered name, if it has one. */
  readonly registeredName?: Atom;
  /** Where the event comes from, most general first: OTP's reports use `["otp"]` and `["otp", "sasl"]`. */
  readonly domain?: readonly string[];
  /** What kind of event this is, e.g. `crash_report`, `supervisor_report`, `gen_server_terminate`. */
  readonly what?: string;
  readonly [key: string]: unknown;
}

export interface LogEvent {
  readonly level: LogLevel;
  /** When it was logged, on the runtime's clock (`rt.clock.now()`, ms). */
  readonly time: number;
  /** When it was logged, wall-clock ms since the epoch (`Date.now()`). */
  readonly systemTime: number;
  readonly msg: LogMessage;
  readonly meta: LogMeta;
}

/** What a handler gets beside the event: this runtime's way to print terms and messages. */
export interface LogFormat {
  /** A value in Erlang syntax (this node's pids as `<0.42.0>`); a value that is no term, as Node inspects it. */
  term(value: unknown): string;
  /** The event's message as text: the string, or the report rendered. */
  message(event: LogEvent): string;
}

/** Receives the events its level lets through. One that throws, or returns a promise that rejects, is removed. */
export type LogHandler = (event: LogEvent, format: LogFormat) => void;

/**
 * How the logger of a scheduler's thread hands its events to its node's logger, on the main thread: OTP's handlers
 * are the node's, so every process's events reach them, whatever scheduler the process runs on.
 */
export interface LogRelay {
  /**
   * The node's logger's threshold (`Logger.shareThreshold`): one word of shared memory holding the severity an
   * event may have at most to reach one of its handlers (-1: none). Events it lets through are sent.
   */
  readonly threshold: Int32Array;
  /**
   * Takes an event at once, in the step that logged it, rather than after it as handlers do: an event logged just
   * before the thread dies is on its way by then.
   */
  send(event: LogEvent, format: LogFormat): void;
}

/** `RuntimeOptions.logger`: a handler replacing the default one, or the primary level and the handlers by id. */
export type LoggerOptions =
  | LogHandler
  | {
      /** Default `notice` (so progress reports, at `info`, are dropped, as in OTP). */
      readonly level?: LogLevelSetting;
      /** Default `{ default: textHandler() }`. */
      readonly handlers?: Readonly<Record<string, LogHandler>>;
      /** Where events also go, beside these handlers: the node's logger, for a scheduler's thread. */
      readonly relay?: LogRelay;
    };

interface Installed {
  readonly handler: LogHandler;
  threshold: number;
}

/** The eight level methods, shared by the runtime's logger and a process's view of it. */
abstract class LevelMethods {
  abstract log(level: LogLevel, msg: LogMessage, meta?: LogMeta): void;

  emergency(msg: LogMessage, meta?: LogMeta): void {
    this.log("emergency", msg, meta);
  }
  alert(msg: LogMessage, meta?: LogMeta): void {
    this.log("alert", msg, meta);
  }
  critical(msg: LogMessage, meta?: LogMeta): void {
    this.log("critical", msg, meta);
  }
  error(msg: LogMessage, meta?: LogMeta): void {
    this.log("error", msg, meta);
  }
  warning(msg: LogMessage, meta?: LogMeta): void {
    this.log("warning", msg, meta);
  }
  notice(msg: LogMessage, meta?: LogMeta): void {
    this.log("notice", msg, meta);
  }
  info(msg: LogMessage, meta?: LogMeta): void {
    this.log("info", msg, meta);
  }
  debug(msg: LogMessage, meta?: LogMeta): void {
    this.log("debug", msg, meta);
  }
}

/** One runtime's logger (`rt.logger`). Logging through it directly logs from outside any process. */
export class Logger extends LevelMethods {
  /** The primary level's severity. */
  private primary = SEVERITY.notice;
  /**
   * What a log call compares with: the primary level, lowered to the most verbose handler's level (`none` while
   * there is no handler), so that an event no handler would take costs one comparison and builds nothing.
   */
  private threshold = SEVERITY.none;
  private readonly handlers = new Map<string, Installed>();
  private processMetadata: WeakMap<Process, LogMeta> | undefined;
  private readonly formatter: LogFormat;
  private readonly relay: LogRelay | undefined = undefined;
  /** Where `threshold` is published for the node's other schedulers' relays (see `shareThreshold`). */
  private sharedThreshold: Int32Array | undefined;

  /** @internal Made by the Runtime. */
  constructor(
    private readonly clock: Clock,
    local: TermTextOptions,
    options: LoggerOptions | undefined,
  ) {
    super();
    const term = (value: unknown): string => formatForPeople(value, local);
    this.formatter = { term, message: (event) => messageText(event.msg, term) };
    if (typeof options === "function") {
      this.addHandler("default", options);
      return;
    }
    this.relay = options?.relay;
    if (options?.level !== undefined) this.setLevel(options.level);
    for (const [id, handler] of Object.entries(options?.handlers ?? { default: textHandler() })) {
      this.addHandler(id, handler);
    }
  }

  /** The primary level: events less severe are dropped before any handler sees them. */
  get level(): LogLevelSetting {
    return settingOf(this.primary);
  }

  setLevel(level: LogLevelSetting): void {
    this.primary = severityOf(level);
    this.updateThreshold();
  }

  /**
   * Whether an event at `level` would reach a handler: it passes the primary level and some handler's level. For
   * skipping the work of building an expensive report.
   */
  allows(level: LogLevel): boolean {
    const severity = SEVERITY[level];
    return (
      severity <= this.threshold || (this.relay !== undefined && severity <= Atomics.load(this.relay.threshold, 0))
    );
  }

  /** Logs from outside any process. */
  log(level: LogLevel, msg: LogMessage, meta?: LogMeta): void {
    if (this.allows(level)) this.emit(undefined, level, msg, meta);
  }

  /**
   * Keeps `word` (one Int32 of shared memory) holding this logger's threshold, now and after every change, for the
   * relays of the node's other schedulers (LogRelay.threshold).
   */
  shareThreshold(word: Int32Array): void {
    this.sharedThreshold = word;
    Atomics.store(word, 0, this.threshold);
  }

  /** @internal An event a process of another scheduler of this node logged (its relay's): to this logger's handlers. */
  relayed(event: LogEvent): void {
    if (SEVERITY[event.level] <= this.threshold) queueMicrotask(() => this.dispatch(event));
  }

  /** Adds a handler that gets events at `level` and above (default `all`); the id must be new. */
  addHandler(id: string, handler: LogHandler, options?: { level?: LogLevelSetting }): void {
    if (this.handlers.has(id)) throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `a log handler '${id}' exists already`);
    if (typeof handler !== "function") throw new ProcessError(ErrorCodes.PROC_BAD_ARG, "a log handler is a function");
    this.handlers.set(id, { handler, threshold: severityOf(options?.level ?? "all") });
    this.updateThreshold();
  }

  /** Removes a handler; false if there was none by that id. */
  removeHandler(id: string): boolean {
    const removed = this.handlers.delete(id);
    this.updateThreshold();
    return removed;
  }

  setHandlerLevel(id: string, level: LogLevelSetting): void {
    const installed = this.handlers.get(id);
    if (installed === undefined) throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `no log handler '${id}'`);
    installed.threshold = severityOf(level);
    this.updateThreshold();
  }

  private updateThreshold(): void {
    let mostVerbose = SEVERITY.none;
    for (const installed of this.handlers.values()) mostVerbose = Math.max(mostVerbose, installed.threshold);
    this.threshold = Math.min(this.primary, mostVerbose);
    if (this.sharedThreshold !== undefined) Atomics.store(this.sharedThreshold, 0, this.threshold);
  }

  /** @internal Logs an event of process `p` (undefined: from outside); the caller has checked `allows(level)`. */
  emit(p: Process | undefined, level: LogLevel, msg: LogMessage, meta: LogMeta | undefined): void {
    const event: LogEvent = {
      level,
      time: this.clock.now(),
      systemTime: Date.now(),
      msg,
      meta: p === undefined ? { ...meta } : this.processMeta(p, meta),
    };
    const severity = SEVERITY[level];
    if (this.relay !== undefined && severity <= Atomics.load(this.relay.threshold, 0)) {
      this.relay.send(event, this.formatter);
    }
    if (severity <= this.threshold) queueMicrotask(() => this.dispatch(event));
  }

  /** @internal Process `p`'s metadata (undefined if none was set). */
  getProcessMetadata(p: Process): LogMeta | undefined {
    return this.processMetadata?.get(p);
  }

  /** @internal Sets (replaces) or, with undefined, removes process `p`'s metadata. */
  setProcessMetadata(p: Process, meta: LogMeta | undefined): void {
    if (meta === undefined) {
      this.processMetadata?.delete(p);
      return;
    }
    this.processMetadata ??= new WeakMap();
    this.processMetadata.set(p, { ...meta });
  }

  private processMeta(p: Process, meta: LogMeta | undefined): LogMeta {
    const name = p.extra?.name;
    const own = this.processMetadata?.get(p);
    return name === undefined ? { pid: p.pid, ...own, ...meta } : { pid: p.pid, registeredName: name, ...own, ...meta };
  }

  private dispatch(event: LogEvent): void {
    const severity = SEVERITY[event.level];
    for (const [id, installed] of this.handlers) {
      if (severity > installed.threshold) continue;
      let returned: unknown;
      try {
        returned = installed.handler(event, this.formatter);
      } catch (error) {
        this.removeFailing(id, installed, error);
        continue;
      }
      // An async handler's rejection would otherwise be unhandled, which ends the Node.js process.
      if (isThenable(returned)) returned.then(undefined, (error: unknown) => this.removeFailing(id, installed, error));
    }
  }

  /** A failing handler must not take the runtime down, nor fail again on every event: OTP removes it too. */
  private removeFailing(id: string, installed: Installed, error: unknown): void {
    if (this.handlers.get(id) !== installed) return; // removed already, or replaced by a new handler of that id
    this.removeHandler(id);
    this.log("error", `removed failing log handler '${id}': ${String(error)}`, {
      domain: ["otp"],
      what: "removed_failing_handler",
      error,
    });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/** A process's view of its runtime's logger: logs with the process's pid and metadata. */
export class ProcessLogger extends LevelMethods {
  constructor(
    private readonly logger: Logger,
    private readonly self: Process,
  ) {
    super();
  }

  log(level: LogLevel, msg: LogMessage, meta?: LogMeta): void {
    if (this.logger.allows(level)) this.logger.emit(this.self, level, msg, meta);
  }

  /** Metadata added to every event this process logs (OTP's logger:set_process_metadata). */
  setProcessMetadata(meta: LogMeta): void {
    this.logger.setProcessMetadata(this.self, meta);
  }

  /** Merges `meta` into the process metadata (OTP's logger:update_process_metadata). */
  updateProcessMetadata(meta: LogMeta): void {
    this.logger.setProcessMetadata(this.self, { ...this.logger.getProcessMetadata(this.self), ...meta });
  }

  getProcessMetadata(): LogMeta | undefined {
    return this.logger.getProcessMetadata(this.self);
  }

  unsetProcessMetadata(): void {
    this.logger.setProcessMetadata(this.self, undefined);
  }
}

/** The logger as process `self` uses it: `logger(self).warning("disk low", { free })`. */
export function logger(self: Process): ProcessLogger {
  return new ProcessLogger(self.runtime.logger, self);
}

/**
 * The default handler: OTP's default format with its legacy header, e.g.
 * `=ERROR REPORT==== 3-Jan-2024::16:26:28.374 ===`, then the message. Writes to stderr unless given `write`.
 */
export function textHandler(options?: { write?: (text: string) => void }): LogHandler {
  const write = options?.write ?? ((text: string) => process.stderr.write(text));
  return (event, format) => {
    write(`\n=${title(event)}==== ${legacyTime(event.systemTime)} ===\n${format.message(event)}\n`);
  };
}

/**
 * One JSON object a line: `time` (ISO 8601, wall clock), `level`, `msg` (the text, a report rendered), the metadata
 * (`pid` as `"<0.42.0>"`; terms as Erlang text), and a report's fields under `report`. Writes to stderr unless
 * given `write`.
 */
export function jsonHandler(options?: { write?: (line: string) => void }): LogHandler {
  const write = options?.write ?? ((line: string) => process.stderr.write(line));
  return (event, format) => {
    const out: Record<string, unknown> = {
      time: new Date(event.systemTime).toISOString(),
      level: event.level,
      msg: format.message(event),
    };
    for (const [key, value] of Object.entries(event.meta)) {
      if (value !== undefined && !(key in out)) out[key] = jsonValue(value, format.term, JSON_DEPTH);
    }
    if (typeof event.msg !== "string") out.report = jsonValue(event.msg.report, format.term, JSON_DEPTH);
    write(`${JSON.stringify(out)}\n`);
  };
}

/** How deep the JSON handler follows plain objects and arrays before printing the rest as one value. */
const JSON_DEPTH = 8;

function jsonValue(value: unknown, term: (value: unknown) => string, depth: number): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (depth > 0 && Array.isArray(value)) return value.map((item) => jsonValue(item, term, depth - 1));
  if (depth > 0 && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = jsonValue(item, term, depth - 1);
    }
    return out;
  }
  return term(value);
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A message as text. A report without `format` gets OTP's default layout (logger:format_otp_report): one
 * `    key: value` line per field. A `format` that throws gets OTP's `REPORT_CB CRASH` line, so that one bad report
 * cannot fail (and so remove) the handler printing it.
 */
function messageText(msg: LogMessage, term: (value: unknown) => string): string {
  if (typeof msg === "string") return msg;
  try {
    return msg.format === undefined ? fieldLines(msg.report, term) : msg.format(msg.report, term);
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : term(error);
    return `REPORT_CB CRASH: ${term(msg.report)}; Reason: ${why}`;
  }
}

function fieldLines(report: object, term: (value: unknown) => string): string {
  return Object.entries(report)
    .map(([key, value]) => `    ${key}: ${term(value)}`)
    .join("\n");
}

/**
 * An exit reason as `term` prints it, except that a JS error's `{{Name, Message}, Stack}` gets one stack frame a
 * line (as OTP's pretty printer breaks a stacktrace), aligned for text that starts at `column`. For reports.
 */
export function formatReason(reason: unknown, column: number, term: (value: unknown) => string): string {
  const stack = reason instanceof Tuple && reason.size === 2 ? reason.at(1) : undefined;
  if (!Array.isArray(stack) || stack.length === 0 || !stack.every(isFrame)) return term(reason);
  const pad = " ".repeat(column + 1);
  return `{${term((reason as Tuple).at(0))},\n${pad}[${stack.map(term).join(`,\n${pad} `)}]}`;
}

/** A stack frame of a JS error's exit reason (see reasonFromThrown). */
function isFrame(frame: unknown): boolean {
  return typeof frame === "string" && frame.startsWith("at ");
}

/**
 * The legacy header titles of OTP's reports that do not take theirs from the level, by `what`. The application
 * exit report is logged at notice but titled as the `info_report` it was before OTP 21's logger.
 */
const TITLES: ReadonlyMap<unknown, string> = new Map([
  ["crash_report", "CRASH REPORT"],
  ["supervisor_report", "SUPERVISOR REPORT"],
  ["progress_report", "PROGRESS REPORT"],
  ["application_exited", "INFO REPORT"],
]);

/** OTP's legacy header title: the report's own (above), else from the level (`ERROR REPORT`, …). */
function title(event: LogEvent): string {
  return TITLES.get(event.meta.what) ?? `${event.level.toUpperCase()} REPORT`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Local time as OTP's legacy header prints it: `3-Jan-2024::04:05:06.007`, the day unpadded (OTP's `~w`), to the
 * millisecond (OTP prints microseconds; the clock here has none).
 */
function legacyTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  const millis = String(d.getMilliseconds()).padStart(3, "0");
  return `${d.getDate()}-${MONTHS[d.getMonth()]}-${d.getFullYear()}::${clock}.${millis}`;
}

function severityOf(level: LogLevelSetting): number {
  const severity = Object.hasOwn(SEVERITY, level) ? SEVERITY[level] : undefined;
  if (severity === undefined) {
    throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `log level must be one of ${LOG_LEVELS.join(", ")}, all or none`);
  }
  return severity;
}

function settingOf(threshold: number): LogLevelSetting {
  return threshold < 0 ? "none" : LOG_LEVELS[threshold]!;
}
