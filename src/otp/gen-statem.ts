// GenStatem: OTP's gen_statem, its receive loop and API; the transition rules are gen-statem/engine.ts.
//
// API → callback (as gen_statem's map):
//   GenStatem.start / startLink / startMonitor  →  init(self, arg): first state, data, actions
//   GenStatem.call / cast, any other message     →  a `call` / `cast` / `info` event
//   timeouts and `next_event` actions            →  `timeout` / `state_timeout` / `generic_timeout` / `internal`
//   each event  →  states[state](self, event, data)        (state functions mode)
//               or handleEvent(self, event, state, data)   (handle-event mode)
//   a state change, with `stateEnter: true`      →  the same callback with an `enter` event
//   GenStatem.stop, a `stop` result, a crash, the parent's exit while trapping  →  terminate(self, reason, state, data)
//   sys.changeCode  →  codeChange(oldVsn, state, data, extra);  sys.getStatus  →  formatStatus(status)
import {
  asReasonTerm,
  type Behaviour,
  EXIT,
  NORMAL,
  type Process,
  ProcessExit,
  type Runtime,
  reasonFromThrown,
} from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import {
  callExit,
  callOrExit,
  type From,
  fromTerm,
  GEN_CALL,
  GEN_CAST,
  cast as genCast,
  reply as genReply,
  stop as genStop,
  SYSTEM,
  type Timeout,
  timeoutTerm,
} from "./gen.ts";
import type { CallOf, CastOf, GenServerRef, ReplyOf, TypedStart } from "./gen-server.ts";
import { type AnyStatemCallbacks, begin, handle, Machine, terminate } from "./gen-statem/engine.ts";
import type { GenStatemCallbacks, StatemEvent, StatemInitResult } from "./gen-statem/types.ts";
import type { ServerRef } from "./names.ts";
import { type Boot, initAck, initFail, initIgnore, registerName, type StartOptions, startServer } from "./start.ts";
import { handleSystemMessage, type SystemHooks } from "./sys.ts";

export type {
  Action,
  EnterEvent,
  GenStatemCallbacks,
  HandleEventCallbacks,
  ReplyAction,
  StateFunction,
  StateFunctionCallbacks,
  StatemEvent,
  StatemInitResult,
  StatemStatus,
  Transition,
} from "./gen-statem/types.ts";

const GEN_STATEM = atom("gen_statem");
const TIMEOUT = atom("timeout");
const BAD_RETURN_FROM_INIT = atom("bad_return_from_init");

type MaybeAsync<T> = T | Promise<T>;

/**
 * A state machine's pid, typed by what it accepts. It speaks the gen_server call protocol (as in OTP, where
 * gen_server:call reaches a gen_statem), so it carries the same brand.
 */
export type GenStatemRef<Call extends Term = Term, Cast extends Term = Term, Reply extends Term = Term> = GenServerRef<
  Call,
  Cast,
  Reply
>;

/** The loop: one shared runtime behaviour for every GenStatem process. */
const loop: Behaviour<Machine, Boot<{ callbacks: AnyStatemCallbacks; arg: unknown }>> = {
  name: "gen_statem",
  init(self, boot) {
    if (!registerName(self, boot)) throw new ProcessExit(NORMAL);
    const m = new Machine(self, boot.arg.callbacks, boot.parent ?? self.pid, boot.name);
    let result: MaybeAsync<StatemInitResult<Term, unknown>>;
    try {
      result = m.callbacks.init(self, boot.arg.arg);
    } catch (error) {
      return initFail(self, boot, reasonFromThrown(error));
    }
    const started = (r: StatemInitResult<Term, unknown>): MaybeAsync<Machine> => {
      if (typeof r === "object" && r !== null) {
        if ("ignore" in r && r.ignore === true) return initIgnore(self, boot);
        if ("stop" in r) return initFail(self, boot, r.stop);
        if ("state" in r) {
          initAck(self, boot);
          return begin(self, m, r.state, r.data, r.actions ?? []);
        }
      }
      return initFail(self, boot, tuple(BAD_RETURN_FROM_INIT, asReasonTerm(r)));
    };
    return result instanceof Promise
      ? result.then(started, (error) => initFail(self, boot, reasonFromThrown(error)))
      : started(result);
  },
  handleMessage(self, message, m) {
    const event = eventFrom(self, m, message);
    if (event === undefined) return m;
    if (event instanceof Tuple) return system(self, m, event);
    return handle(self, m, event);
  },
};

/**
 * The event a message is, or a system message / parent EXIT tuple for `system`; undefined for a message to
 * drop (a cancelled timeout's).
 */
function eventFrom(self: Process, m: Machine, message: Term): StatemEvent | Tuple | undefined {
  if (!(message instanceof Tuple)) return { type: "info", content: message };
  const tag = message.at(0);
  if (tag === GEN_CALL && message.size === 3) {
    const from = fromTerm(message.at(1)!);
    if (from !== undefined) return { type: "call", from, content: message.at(2)! };
  } else if (tag === GEN_CAST && message.size === 2) {
    return { type: "cast", content: message.at(1)! };
  } else if (tag === TIMEOUT && message.size === 3) {
    const fired = m.timeouts.fired(message.at(1) as Ref);
    if (fired === "stale") return undefined;
    if (fired !== undefined) return fired;
  } else if (tag === SYSTEM && message.size === 3 && fromTerm(message.at(1)!) !== undefined) {
    return message;
  } else if (tag === EXIT && message.size === 3 && message.at(1) === m.parent && self.trapExit) {
    return message;
  }
  return { type: "info", content: message };
}

/** A system message, or the parent's exit (which a trapping machine terminates on, with the parent's reason). */
function system(self: Process, m: Machine, message: Tuple): MaybeAsync<Machine> {
  if (message.at(0) === EXIT) return terminate(self, m, message.at(2)!);
  return handleSystemMessage(self, m, fromTerm(message.at(1)!)!, message.at(2)!, systemHooks);
}

const systemHooks: SystemHooks<Machine> = {
  getState: (m) => tuple(m.state, m.data as Term),
  setState: (m, replaced) => {
    if (!(replaced instanceof Tuple) || replaced.size !== 2) throw new Error("a GenStatem's state is {State, Data}");
    m.state = replaced.at(0)!;
    m.data = replaced.at(1);
  },
  codeChange: async (m, oldVsn, extra) => {
    const codeChange = m.callbacks.codeChange;
    if (codeChange === undefined) return;
    const changed = await codeChange.call(m.callbacks, oldVsn, m.state, m.data, extra);
    m.state = changed.state;
    m.data = changed.data;
  },
  statusState: (m) => {
    const format = m.callbacks.formatStatus;
    if (format === undefined) return tuple(m.state, m.data as Term);
    const shown = format.call(m.callbacks, { state: m.state, data: m.data, postponed: m.postponed });
    return tuple(shown.state as Term, shown.data as Term);
  },
  terminate: (self, m, reason) => terminate(self, m, reason),
  module: GEN_STATEM,
  parent: (m) => m.parent,
};

/** OTP's gen_statem API, with `self` (the calling process) first where OTP uses the caller implicitly. */
export const GenStatem = {
  /** Starts a machine not linked to anyone; from a process or from outside (a Runtime). */
  start<State extends Term, Data, Arg, Call extends Term, Cast extends Term, Reply extends Term>(
    from: Process | Runtime,
    callbacks: GenStatemCallbacks<State, Data, Arg, Call, Cast, Reply>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<TypedStart<Call, Cast, Reply>> {
    return startServer(from, loop, { callbacks: callbacks as AnyStatemCallbacks, arg }, "nolink", options) as never;
  },

  /** Starts a machine linked to `self` (its parent). */
  startLink<State extends Term, Data, Arg, Call extends Term, Cast extends Term, Reply extends Term>(
    self: Process,
    callbacks: GenStatemCallbacks<State, Data, Arg, Call, Cast, Reply>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<TypedStart<Call, Cast, Reply>> {
    return startServer(self, loop, { callbacks: callbacks as AnyStatemCallbacks, arg }, "link", options) as never;
  },

  /** Starts a machine monitored by `self`: on success, the monitor's ref comes with the pid. */
  startMonitor<State extends Term, Data, Arg, Call extends Term, Cast extends Term, Reply extends Term>(
    self: Process,
    callbacks: GenStatemCallbacks<State, Data, Arg, Call, Cast, Reply>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<
    | { readonly pid: GenStatemRef<Call, Cast, Reply>; readonly ref: Ref }
    | { readonly ignore: true }
    | { readonly error: Term }
  > {
    return startServer(self, loop, { callbacks: callbacks as AnyStatemCallbacks, arg }, "monitor", options) as never;
  },

  /**
   * Sends `request` as a `call` event and waits for the reply (default: forever, as gen_statem). If the machine
   * is not there, exits, or does not answer in time, the caller exits with
   * `{Reason, {gen_statem, call, [Server, Request, Timeout]}}`.
   */
  call<S extends ServerRef>(
    self: Process,
    server: S,
    request: CallOf<S>,
    options?: { timeout?: Timeout },
  ): Promise<ReplyOf<S>> {
    const timeout = options?.timeout ?? "infinity";
    return callOrExit(self, server, GEN_CALL, request, timeout, (failed) =>
      callExit(GEN_STATEM, failed, server, [request, timeoutTerm(timeout)]),
    ) as Promise<ReplyOf<S>>;
  },

  /** Sends `message` as a `cast` event; never fails. */
  cast<S extends ServerRef>(from: Process | Runtime, server: S, message: CastOf<S>): void {
    genCast(from, server, message);
  },

  /** Replies to a call outside a transition's actions. */
  reply(self: Process | Runtime, from: From, reply: Term): void {
    genReply(self, from, reply);
  },

  /** Stops the machine with `reason` (default `normal`): it runs `terminate` and exits. */
  stop(self: Process, server: ServerRef, options?: { reason?: Term; timeout?: Timeout }): Promise<void> {
    return genStop(self, server, options);
  },
};
