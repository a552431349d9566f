// OTP's reports: what gen_server, gen_statem and supervisor log when a server dies or a child starts or fails, with
// the texts OTP 25 prints (gen_server's and gen_statem's format_log, supervisor's report_error/report_progress).
//
// Each function logs one event through the logger of the process it is given (so the event carries its pid and
// process metadata) and builds nothing when the logger's level drops the event. An event's message is a report:
// its fields for handlers that want data (the JSON handler), and a `format` that prints OTP's text.
import { type LogLevel, type LogMeta, type LogReport, logger, type Process } from "../runtime/index.ts";
import { formatReason } from "../runtime/logger.ts";
import { Atom, atom } from "../term/atom.ts";
import { type Pid, type Term, tuple } from "../term/types.ts";
import type { ServerName } from "./names.ts";
import type { Restart, Shutdown } from "./supervisor/child.ts";

const OTP = ["otp"];
const SASL = ["otp", "sasl"];
const LOCAL = atom("local");

/** Logs `report` from `self` at `level` unless the level drops it; `build` runs only when it does not. */
function log<R extends object>(self: Process, level: LogLevel, meta: LogMeta, build: () => LogReport<R>): void {
  if (self.runtime.logger.allows(level)) logger(self).log(level, build(), meta);
}

/** A server as OTP names it in reports: its registered name (local, global or via), else its pid. */
function serverName(self: Process, name: ServerName | undefined): Term {
  if (name === undefined) return self.pid;
  if (name instanceof Atom) return name;
  return "global" in name ? name.global : name.name;
}

/** How a caller stood when its server died: OTP's client info (Otter has no stack of a waiting process to show). */
interface Client {
  readonly pid: Pid;
  /** Its registered name, or its pid. */
  readonly name: Term;
  readonly status: "alive" | "dead" | "remote";
}

function clientOf(self: Process, pid: Pid | undefined): Client | undefined {
  if (pid === undefined) return undefined;
  const rt = self.runtime;
  if (pid.node !== rt.node) return { pid, name: pid, status: "remote" };
  const info = rt.processInfo(pid);
  if (info === undefined) return { pid, name: pid, status: "dead" };
  return { pid, name: info.registeredName ?? pid, status: "alive" };
}

function clientLine(client: Client | undefined, term: (value: unknown) => string): string[] {
  if (client === undefined) return [];
  if (client.status === "remote") return [`** Client ${term(client.pid)} is remote on node ${term(client.pid.node)}`];
  return [`** Client ${term(client.name)} is ${client.status}`];
}

/** What `logGenServerTerminate` reports. */
export interface GenServerTerminate {
  /** The name the server registered under, if any (the report shows its pid otherwise). */
  readonly name: ServerName | undefined;
  /** What it was handling: a call's request, a cast as `{'$gen_cast', Msg}`, an info message; absent for none. */
  readonly lastMessage?: Term;
  readonly state: unknown;
  readonly reason: Term;
  /** The caller, when it was handling a call. */
  readonly client?: Pid;
  /** The server's formatStatus: how it wants its state (and the reason) shown. */
  readonly formatStatus?: (status: { state: unknown; reason?: Term }) => { state: unknown; reason?: Term };
}

interface GenServerTerminateReport {
  readonly name: Term;
  readonly lastMessage: Term | undefined;
  readonly state: unknown;
  readonly reason: Term;
  readonly client: Client | undefined;
}

/**
 * A GenServer stopped with an abnormal reason (or its terminate threw): OTP's
 * `** Generic server Name terminating` error report.
 */
export function logGenServerTerminate(self: Process, t: GenServerTerminate): void {
  log<GenServerTerminateReport>(self, "error", { domain: OTP, what: "gen_server_terminate" }, () => {
    const status = shownStatus(t.formatStatus, t.state, t.reason);
    return {
      report: {
        name: serverName(self, t.name),
        lastMessage: t.lastMessage,
        state: status.state,
        reason: status.reason ?? t.reason,
        client: clientOf(self, t.client),
      },
      format: (r, term) =>
        [
          `** Generic server ${term(r.name)} terminating`,
          ...(r.lastMessage === undefined ? [] : [`** Last message in was ${term(r.lastMessage)}`]),
          `** When Server state == ${term(r.state)}`,
          "** Reason for termination ==",
          `** ${formatReason(r.reason, 3, term)}`,
          ...clientLine(r.client, term),
        ].join("\n"),
    };
  });
}

/** The state as formatStatus shows it; if formatStatus throws, a note saying so (as OTP shows its crash). */
function shownStatus(
  formatStatus: GenServerTerminate["formatStatus"],
  state: unknown,
  reason: Term,
): { state: unknown; reason?: Term } {
  if (formatStatus === undefined) return { state };
  try {
    return formatStatus({ state, reason });
  } catch {
    return { state: "formatStatus crashed" };
  }
}

/** A GenServer without handleInfo got a message that is no call or cast: OTP's warning, and the message is dropped. */
export function logNoHandleInfo(self: Process, name: ServerName | undefined, message: Term): void {
  log<{ name: Term; message: Term }>(self, "warning", { domain: OTP, what: "gen_server_no_handle_info" }, () => ({
    report: { name: serverName(self, name), message },
    format: (r, term) => `** Undefined handleInfo in ${term(r.name)}\n** Unhandled message: ${term(r.message)}`,
  }));
}

/** What `logGenStatemTerminate` reports. */
export interface GenStatemTerminate {
  /** The name the machine registered under, if any (the report shows its pid otherwise). */
  readonly name: ServerName | undefined;
  /** The event it was handling: its type as a term (`{call, From}`, `cast`, `info`, `internal` …) and content. */
  readonly lastEvent?: { readonly type: Term; readonly content: Term };
  /** The state and the data, as the machine's formatStatus shows them (if it has one). */
  readonly state: unknown;
  readonly data: unknown;
  readonly reason: Term;
  /** OTP's class of the stop: `exit` for a stop result or an exit (the default), `error` for a thrown JS error. */
  readonly class?: "error" | "exit" | "throw";
  readonly callbackMode: "state_functions" | "handle_event_function";
  /** Events queued but not handled yet (`next_event` actions, received messages), each as `{Type, Content}`. */
  readonly queued?: readonly Term[];
  /** Postponed events, each as `{Type, Content}`. */
  readonly postponed?: readonly Term[];
  /** Running timeouts, each as `{Type, Content}` (OTP prints their count and list). */
  readonly timeouts?: readonly Term[];
  /** The caller, when it was handling a call. */
  readonly client?: Pid;
}

interface GenStatemTerminateReport extends Omit<GenStatemTerminate, "name" | "client"> {
  readonly name: Term;
  readonly client: Client | undefined;
}

/**
 * A GenStatem stopped with an abnormal reason (or its terminate threw): OTP's `** State machine Name terminating`
 * error report. Lines for what is absent or empty (last event, queue, postponed, timeouts, client) are left out.
 */
export function logGenStatemTerminate(self: Process, t: GenStatemTerminate): void {
  log<GenStatemTerminateReport>(self, "error", { domain: OTP, what: "gen_statem_terminate" }, () => ({
    report: { ...t, name: serverName(self, t.name), client: clientOf(self, t.client) },
    format: (r, term) => {
      const reason = `** Reason for termination = ${r.class ?? "exit"}:`;
      const lines = [`** State machine ${term(r.name)} terminating`];
      if (r.lastEvent !== undefined)
        lines.push(`** Last event = ${term(tuple(r.lastEvent.type, r.lastEvent.content))}`);
      lines.push(
        `** When server state  = {${term(r.state)},${term(r.data)}}`,
        `${reason}${formatReason(r.reason, reason.length, term)}`,
        `** Callback mode = ${r.callbackMode}`,
      );
      if (r.queued !== undefined && r.queued.length > 0) lines.push(`** Queued = ${term(r.queued)}`);
      if (r.postponed !== undefined && r.postponed.length > 0) lines.push(`** Postponed = ${term(r.postponed)}`);
      if (r.timeouts !== undefined && r.timeouts.length > 0)
        lines.push(`** Time-outs: ${term(tuple(r.timeouts.length, r.timeouts as Term[]))}`);
      return [...lines, ...clientLine(r.client, term)].join("\n");
    },
  }));
}

/** The child a supervisor report is about (OTP's offender, or the `started` list of a progress report). */
export interface Offender {
  /** Its pid (the one that exited, for a child that did); undefined when it has none. */
  readonly pid: Pid | undefined;
  readonly id: Term;
  /** Its start function (OTP's mfargs): shown as the first line of its source. */
  readonly start: (self: Process) => unknown;
  readonly restart: Restart;
  readonly shutdown: Shutdown;
  readonly type: "worker" | "supervisor";
  readonly significant: boolean;
}

/** An offender as a report holds it: its start function as text (a function is no data). */
interface OffenderReport extends Omit<Offender, "start"> {
  readonly start: string;
}

/** Why a supervisor reports an error: OTP's errorContext. */
export type SupervisorErrorContext = "child_terminated" | "start_error" | "shutdown_error" | "shutdown";

interface SupervisorReport {
  readonly supervisor: Term;
  readonly errorContext: SupervisorErrorContext;
  readonly reason: Term;
  readonly offender: OffenderReport;
}

/** A child exited, failed to start or to shut down, or the supervisor gives up: OTP's supervisor report. */
export function logSupervisorReport(
  self: Process,
  errorContext: SupervisorErrorContext,
  reason: Term,
  offender: Offender,
): void {
  log<SupervisorReport>(self, "error", { domain: SASL, what: "supervisor_report" }, () => ({
    report: { supervisor: supervisorName(self), errorContext, reason, offender: offenderReport(offender) },
    format: (r, term) =>
      [
        `    supervisor: ${term(r.supervisor)}`,
        `    errorContext: ${r.errorContext}`,
        `    reason: ${formatReason(r.reason, 12, term)}`,
        `    offender: ${offenderText(r.offender, 14, term)}`,
      ].join("\n"),
  }));
}

/** A supervisor started a child: OTP's progress report, at `info` (so dropped at the default level). */
export function logSupervisorProgress(self: Process, started: Offender): void {
  log<{ supervisor: Term; started: OffenderReport }>(self, "info", { domain: SASL, what: "progress_report" }, () => ({
    report: { supervisor: supervisorName(self), started: offenderReport(started) },
    format: (r, term) => `    supervisor: ${term(r.supervisor)}\n    started: ${offenderText(r.started, 13, term)}`,
  }));
}

/** `{local, Name}` for a registered supervisor, else its pid (OTP's `{Pid, Module}`: Otter has no module). */
function supervisorName(self: Process): Term {
  const name = self.runtime.processInfo(self.pid)?.registeredName;
  return name === undefined ? self.pid : tuple(LOCAL, name);
}

function offenderReport(o: Offender): OffenderReport {
  return { ...o, start: startText(o.start) };
}

/**
 * OTP's offender list, `[{pid,…},{id,…},{mfargs,…},…]` with `start` in place of mfargs, one element a line below
 * the `[` at `column` (the list never fits OTP's 80 columns, so its pretty printer always breaks it so).
 */
function offenderText(o: OffenderReport, column: number, term: (value: unknown) => string): string {
  const pid = o.pid === undefined ? "undefined" : term(o.pid);
  const items = [
    `{pid,${pid}}`,
    `{id,${term(o.id)}}`,
    `{start,${o.start}}`,
    `{restart_type,${o.restart}}`,
    `{significant,${o.significant}}`,
    `{shutdown,${o.shutdown}}`,
    `{child_type,${o.type}}`,
  ];
  return `[${items.join(`,\n${" ".repeat(column + 1)}`)}]`;
}

const START_TEXT_LIMIT = 60;

/** A start function as `#Fun<source>`: its source on one line, cut to a readable length. */
function startText(start: (self: Process) => unknown): string {
  const source = String(start).replace(/\s+/g, " ");
  return `#Fun<${source.length > START_TEXT_LIMIT ? `${source.slice(0, START_TEXT_LIMIT - 1)}…` : source}>`;
}
