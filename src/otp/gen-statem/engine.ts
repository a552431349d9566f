import { asReasonTerm, type Process, ProcessExit, reasonFromThrown } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { type Pid, type Term, tuple } from "../../term/types.ts";
import { reply as genReply, terminateWith } from "../gen.ts";
import { logGenStatemTerminate } from "../reports.ts";
import type { Boot } from "../start.ts";
import type { Debug } from "../sys/debug.ts";
import { eventOf, StatemTimeouts, type TimeoutType } from "./timeouts.ts";
import type { Action, EnterEvent, GenStatemCallbacks, ReplyAction, StatemEvent, Transition } from "./types.ts";

type MaybeAsync<T> = T | Promise<T>;
// biome-ignore lint/suspicious/noExplicitAny: machines of every state, data and message type run in one engine.
export type AnyStatemCallbacks = GenStatemCallbacks<any, any, any, any, any, any>;
type AnyTransition = Transition<Term, unknown>;
type AnyAction = Action;

/** What the engine runs next: an event, or a state enter call. */
type Pending = StatemEvent | EnterEvent<Term>;

/** The machine is to stop with this reason (after its replies were sent). */
class Stopping {
  constructor(readonly reason: Term) {}
}

const BAD_RETURN = atom("bad_return_from_state_function");
const BAD_ACTION = atom("bad_action_from_state_function");
const BAD_ENTER_RETURN = atom("bad_state_enter_return_from_state_function");
const BAD_ENTER_ACTION = atom("bad_state_enter_action_from_state_function");
const UNDEF = atom("undef");

/** One running state machine: its state and data, queued and postponed events, and timeouts. */
export class Machine {
  state: Term = atom("undefined");
  data: unknown;
  /** Events to handle before the mailbox. */
  queue: Pending[] = [];
  /** Events postponed in the current state, oldest first. */
  postponed: StatemEvent[] = [];
  /** The event timeout a transition asked for, started when the queue runs dry. */
  eventTimeout: { readonly ms: number; readonly content: Term } | undefined;
  readonly timeouts: StatemTimeouts;
  /** sys debug options (statistics, trace), when switched on. */
  debug: Debug | undefined = undefined;

  constructor(
    self: Process,
    readonly callbacks: AnyStatemCallbacks,
    readonly parent: Pid,
    readonly name: Boot["name"],
  ) {
    this.timeouts = new StatemTimeouts(self.runtime, self.pid);
  }

  get stateEnter(): boolean {
    return this.callbacks.stateEnter === true;
  }
}

/**
 * Starts the machine in the state `init` chose: the first enter call (its old state is the state itself), the
 * init actions, then whatever they queued.
 */
export function begin(
  self: Process,
  m: Machine,
  state: Term,
  data: unknown,
  actions: readonly AnyAction[],
): MaybeAsync<Machine> {
  m.state = state;
  m.data = data;
  const outcome = settle(self, m, undefined, { repeatState: true, actions });
  return outcome instanceof Stopping ? terminate(self, m, outcome.reason) : drive(self, m, outcome);
}

/** Handles one event from the mailbox, and everything it queues. */
export function handle(self: Process, m: Machine, event: StatemEvent): MaybeAsync<Machine> {
  m.timeouts.cancel("timeout", undefined); // any event cancels the event timeout
  if (m.debug !== undefined) {
    const state = m.state; // the line is written later, after the state may have changed
    m.debug.received(self, (term) => `${eventText(event, term)} in state ${term(state)}`);
  }
  return drive(self, m, event);
}

/** Runs pending work until the queue is empty; then starts the event timeout if one was asked for. */
function drive(self: Process, m: Machine, first: Pending | undefined): MaybeAsync<Machine> {
  let pending = first;
  for (;;) {
    if (pending === undefined) {
      const timeout = m.eventTimeout;
      if (timeout === undefined) return m;
      m.eventTimeout = undefined;
      if (timeout.ms > 0) {
        m.timeouts.start("timeout", undefined, timeout.ms, timeout.content);
        return m;
      }
      pending = eventOf("timeout", undefined, timeout.content); // a zero event timeout fires at once
    }
    let result: MaybeAsync<AnyTransition>;
    try {
      result = invoke(self, m, pending);
    } catch (error) {
      return terminate(self, m, reasonFromThrown(error), pending);
    }
    if (result instanceof Promise) {
      const current = pending;
      return result.then(
        (r) => {
          const outcome = settle(self, m, current, r);
          return outcome instanceof Stopping ? terminate(self, m, outcome.reason, current) : drive(self, m, outcome);
        },
        (error) => terminate(self, m, reasonFromThrown(error), current),
      );
    }
    const outcome = settle(self, m, pending, result);
    if (outcome instanceof Stopping) return terminate(self, m, outcome.reason, pending);
    pending = outcome;
  }
}

/** Calls the state function (or handleEvent) for `pending`. */
function invoke(self: Process, m: Machine, pending: Pending): MaybeAsync<AnyTransition> {
  const callbacks = m.callbacks;
  if ("handleEvent" in callbacks) return callbacks.handleEvent(self, pending, m.state, m.data);
  const fn = callbacks.states[m.state as string];
  if (typeof fn !== "function") throw new ProcessExit(tuple(UNDEF, m.state)); // no function for this state
  return fn.call(callbacks.states, self, pending, m.data);
}

/**
 * Applies a callback's result for `pending` (undefined: the start), and returns what to run next: the head of
 * the queue, or a Stopping.
 */
function settle(
  self: Process,
  m: Machine,
  pending: Pending | undefined,
  result: unknown,
): Pending | Stopping | undefined {
  const entering = pending?.type === "enter";
  if (!isTransition(result)) return new Stopping(tuple(entering ? BAD_ENTER_RETURN : BAD_RETURN, asReasonTerm(result)));
  if ("data" in result && result.data !== undefined) m.data = result.data;
  if ("stop" in result) {
    for (const r of result.replies ?? []) replyTo(self, m, r);
    return new Stopping(result.stop);
  }
  if (!entering) m.eventTimeout = undefined; // each event cancels the event timeout; the enter call is no event

  const actions = result.actions ?? [];
  const inserted: StatemEvent[] = [];
  let postpone = false;
  for (const action of actions) {
    const bad = badAction(action, pending);
    if (bad !== undefined) return new Stopping(tuple(bad, asReasonTerm(action)));
    if (action.type === "reply") replyTo(self, m, action);
    else if (action.type === "postpone") postpone = true;
    else if (action.type === "next_event") inserted.push(action.event);
  }
  if (postpone) m.postponed.push(pending as StatemEvent);

  const oldState = m.state;
  let enter = m.stateEnter && (pending === undefined || "repeatState" in result);
  if ("nextState" in result && !equals(result.nextState, m.state)) {
    if (entering) return new Stopping(tuple(BAD_ENTER_RETURN, asReasonTerm(result)));
    m.state = result.nextState;
    const state = result.nextState;
    m.debug?.state(self, (term) => `transition to state ${term(state)}`);
    changedState(m);
    enter = m.stateEnter;
  }
  if (inserted.length > 0) m.queue.unshift(...inserted);
  if (enter) m.queue.unshift({ type: "enter", oldState: entering ? (pending as EnterEvent<Term>).oldState : oldState });

  for (const action of actions) {
    if (action.type === "timeout" || action.type === "state_timeout" || action.type === "generic_timeout") {
      applyTimeout(self, m, action);
    }
  }
  return m.queue.shift();
}

function replyTo(self: Process, m: Machine, action: ReplyAction): void {
  genReply(self, action.to, action.reply);
  m.debug?.sent(self, action.reply, action.to.pid);
}

/** How a trace line shows an event: `call get from <0.80.0>`, `cast bump`, `info hello`. */
function eventText(event: StatemEvent, term: (value: unknown) => string): string {
  const name = event.type === "generic_timeout" ? `{timeout,${term(event.name)}}` : event.type;
  return `${name} ${term(event.content)}${event.type === "call" ? ` from ${term(event.from.pid)}` : ""}`;
}

/** A state change: the state timeout ends, and postponed events come back first. */
function changedState(m: Machine): void {
  m.timeouts.cancel("state_timeout", undefined);
  if (m.queue.length > 0) m.queue = m.queue.filter((e) => e.type !== "state_timeout");
  if (m.postponed.length > 0) {
    m.queue.unshift(...m.postponed);
    m.postponed = [];
  }
}

type TimeoutAnyAction = Extract<AnyAction, { type: TimeoutType }>;

function applyTimeout(self: Process, m: Machine, action: TimeoutAnyAction): void {
  const name = action.type === "generic_timeout" ? action.name : undefined;
  const { time } = action;
  const content = action.content ?? (typeof time === "number" ? time : atom(time));
  if (action.type === "timeout") {
    const at = action.time; // an event timeout cannot be cancelled or updated: any event ends it anyway
    m.eventTimeout = at === "infinity" ? undefined : { ms: delay(self, at, action.abs), content };
    return;
  }
  if (time === "infinity" || time === "cancel") {
    m.timeouts.cancel(action.type, name);
    return;
  }
  if (time === "update") {
    if (!m.timeouts.update(action.type, name, content)) m.queue.push(eventOf(action.type, name, content));
    return;
  }
  const ms = delay(self, time, action.abs);
  if (ms > 0) m.timeouts.start(action.type, name, ms, content);
  else {
    m.timeouts.cancel(action.type, name);
    m.queue.push(eventOf(action.type, name, content)); // zero time: before anything not yet received
  }
}

function delay(self: Process, time: number, abs: boolean | undefined): number {
  return Math.max(0, abs === true ? time - self.runtime.clock.now() : time);
}

/** Why an action is not allowed here, or undefined. Enter calls may not postpone or insert events. */
function badAction(action: AnyAction, pending: Pending | undefined): Term | undefined {
  const known = typeof action === "object" && action !== null && ACTION_TYPES.has((action as { type: string }).type);
  const entering = pending?.type === "enter";
  if (!known) return entering ? BAD_ENTER_ACTION : BAD_ACTION;
  if (action.type === "postpone" && pending === undefined) return BAD_ACTION;
  if (entering && (action.type === "postpone" || action.type === "next_event")) return BAD_ENTER_ACTION;
  return undefined;
}

const ACTION_TYPES = new Set([
  "reply",
  "postpone",
  "next_event",
  "hibernate",
  "timeout",
  "state_timeout",
  "generic_timeout",
]);

function isTransition(result: unknown): result is AnyTransition {
  if (typeof result !== "object" || result === null) return false;
  return "nextState" in result || "keepState" in result || "repeatState" in result || "stop" in result;
}

/**
 * Calls `terminate` and exits with `reason` (or with what `terminate` threw). As OTP, an abnormal reason, or a
 * terminate that threw, is logged first: the terminate report, with the event being handled (`last`).
 */
export function terminate(self: Process, m: Machine, reason: Term, last?: Pending): Promise<never> | never {
  const running = m.timeouts.list(); // for the report: they stop now, with the machine
  m.timeouts.cancelAll();
  const callback = m.callbacks.terminate;
  return terminateWith(
    reason,
    callback === undefined ? undefined : () => callback.call(m.callbacks, self, reason, m.state, m.data),
    (why) => report(self, m, why, last, running),
  );
}

/** OTP's gen_statem terminate report. */
function report(self: Process, m: Machine, reason: Term, last: Pending | undefined, running: Pending[]): void {
  if (!self.runtime.logger.allows("error")) return; // nobody would read it: do not build it
  const format = m.callbacks.formatStatus;
  let shown: { state: unknown; data: unknown } = { state: m.state, data: m.data };
  try {
    if (format !== undefined) shown = format.call(m.callbacks, { ...shown, reason, postponed: m.postponed });
  } catch {
    shown = { state: "formatStatus crashed", data: undefined }; // as OTP shows a format_status that crashed
  }
  logGenStatemTerminate(self, {
    name: m.name,
    lastEvent: last === undefined ? undefined : eventTerms(last),
    state: shown.state,
    data: shown.data,
    reason,
    callbackMode: "handleEvent" in m.callbacks ? "handle_event_function" : "state_functions",
    queued: m.queue.map((e) => eventTuple(e)),
    postponed: m.postponed.map((e) => eventTuple(e)),
    timeouts: running.map((e) => eventTuple(e)),
    client: last?.type === "call" ? last.from.pid : undefined,
  });
}

/** An event as gen_statem names it: its type (`{call, From}`, `cast`, `{timeout, Name}` …) and content. */
function eventTerms(event: Pending): { type: Term; content: Term } {
  switch (event.type) {
    case "enter":
      return { type: atom("enter"), content: event.oldState };
    case "call":
      return { type: tuple(atom("call"), tuple(event.from.pid, event.from.tag)), content: event.content };
    case "generic_timeout":
      return { type: tuple(atom("timeout"), event.name), content: event.content };
    default:
      return { type: atom(event.type), content: event.content };
  }
}

function eventTuple(event: Pending): Term {
  const { type, content } = eventTerms(event);
  return tuple(type, content);
}
