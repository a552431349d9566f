// GenServer: OTP's gen_server, the receive loop and callback dispatch only; starting, naming and the call protocol
// are gen.ts, start.ts and names.ts.
//
// API → callback (as gen_server's map):
//   GenServer.start / startLink / startMonitor  →  init(self, arg)
//   GenServer.call                              →  handleCall(self, request, from, state)
//   GenServer.cast                              →  handleCast(self, message, state)
//   any other message, a `timeout`              →  handleInfo(self, message, state)
//   a result with `continue`                    →  handleContinue(self, continuation, state)
//   GenServer.stop, a `stop` result, a crash, the parent's exit while trapping  →  terminate(self, reason, state)
//   sys.changeCode                              →  codeChange(oldVsn, state, extra)
//   sys.getStatus                               →  formatStatus(status)
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
import { type Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import {
  callExit,
  callOrExit,
  DEFAULT_CALL_TIMEOUT,
  type From,
  fromTerm,
  GEN_CALL,
  GEN_CAST,
  cast as genCast,
  reply as genReply,
  stop as genStop,
  SYSTEM,
  type Timeout,
  terminateWith,
  timeoutTerm,
} from "./gen.ts";
import { abcast, multiCall } from "./multi-call.ts";
import type { ServerRef } from "./names.ts";
import { logGenServerTerminate, logNoHandleInfo } from "./reports.ts";
import { type Boot, initAck, initFail, initIgnore, registerName, type StartOptions, startServer } from "./start.ts";
import type { Debug } from "./sys/debug.ts";
import { handleSystemMessage, type SystemHooks } from "./sys.ts";

const GEN_SERVER = atom("gen_server");
const TIMEOUT = atom("timeout");
const BAD_RETURN_VALUE = atom("bad_return_value");
const CONTINUE = atom("continue");

/** What may follow a callback: a timeout for the next wait, hibernation, or a `handleContinue` first. */
export interface Next {
  /** No message within this many ms: `handleInfo(self, 'timeout', state)`. */
  readonly timeout?: Timeout;
  /** Accepted for OTP's sake; a waiting Otter process is already as small as it gets. */
  readonly hibernate?: boolean;
  /** Runs `handleContinue` with this before the next message. */
  readonly continue?: Term;
}

export type InitResult<State> =
  | ({ readonly state: State } & Next)
  | { readonly ignore: true }
  | { readonly stop: Term };
export type NoReplyResult<State> = ({ readonly state: State } & Next) | { readonly stop: Term; readonly state: State };
export type CallResult<State, Reply> =
  | ({ readonly reply: Reply; readonly state: State } & Next)
  | NoReplyResult<State>
  | { readonly stop: Term; readonly reply: Reply; readonly state: State };

type MaybeAsync<T> = T | Promise<T>;

/** The callbacks of a server. `Call`, `Cast` and `Reply` type what `call`/`cast` may send to it. */
export interface GenServerCallbacks<
  State,
  Arg = undefined,
  Call extends Term = Term,
  Cast extends Term = Term,
  Reply extends Term = Term,
> {
  init(self: Process, arg: Arg): MaybeAsync<InitResult<State>>;
  handleCall?(self: Process, request: Call, from: From, state: State): MaybeAsync<CallResult<State, Reply>>;
  handleCast?(self: Process, message: Cast, state: State): MaybeAsync<NoReplyResult<State>>;
  handleInfo?(self: Process, message: Term, state: State): MaybeAsync<NoReplyResult<State>>;
  handleContinue?(self: Process, continuation: Term, state: State): MaybeAsync<NoReplyResult<State>>;
  terminate?(self: Process, reason: Term, state: State): MaybeAsync<void>;
  codeChange?(oldVsn: Term, state: State, extra: Term): MaybeAsync<State>;
  formatStatus?(status: { state: State; reason?: Term }): { state: unknown; reason?: Term };
}

/**
 * A server's pid, typed by what it accepts: `call` and `cast` on it check the request, message and reply types.
 * (The brand exists only for the type checker.)
 */
export type GenServerRef<Call extends Term = Term, Cast extends Term = Term, Reply extends Term = Term> = Pid & {
  readonly __genServer?: { call: Call; cast: Cast; reply: Reply };
};

/** The types a server reference was branded with (nothing for a plain pid or name). */
type Brand<S> = S extends { readonly __genServer?: infer B } ? NonNullable<B> : never;
/** What `call` may send to `S`, `cast` may send to it, and what its calls reply. Any term when unbranded. */
export type CallOf<S> = [Brand<S>] extends [{ call: infer C extends Term }] ? C : Term;
export type CastOf<S> = [Brand<S>] extends [{ cast: infer C extends Term }] ? C : Term;
export type ReplyOf<S> = [Brand<S>] extends [{ reply: infer R extends Term }] ? R : Term;

// biome-ignore lint/suspicious/noExplicitAny: servers of every state and message type run in the one loop.
type AnyCallbacks = GenServerCallbacks<any, any, any, any, any>;

/** One running server's data (the runtime behaviour's state). */
class Server {
  /** sys debug options (statistics, trace), when switched on. */
  debug: Debug | undefined = undefined;

  constructor(
    readonly callbacks: AnyCallbacks,
    public state: unknown,
    readonly parent: Pid,
    readonly name: Boot["name"],
  ) {}
}

/** The loop: one shared runtime behaviour for every GenServer process. */
const loop: Behaviour<Server, Boot<{ callbacks: AnyCallbacks; arg: unknown }>> = {
  name: "gen_server",
  init(self, boot) {
    if (!registerName(self, boot)) throw new ProcessExit(NORMAL);
    const server = new Server(boot.arg.callbacks, undefined, boot.parent ?? self.pid, boot.name);
    let result: MaybeAsync<InitResult<unknown>>;
    try {
      result = server.callbacks.init(self, boot.arg.arg);
    } catch (error) {
      return initFail(self, boot, reasonFromThrown(error));
    }
    const started = (r: InitResult<unknown>): Server | Promise<Server> => {
      if ("ignore" in r && r.ignore === true) return initIgnore(self, boot);
      if ("stop" in r) return initFail(self, boot, r.stop);
      if (!("state" in r)) return initFail(self, boot, tuple(BAD_RETURN_VALUE, asReasonTerm(r)));
      initAck(self, boot);
      server.state = r.state;
      return next(self, server, r);
    };
    return result instanceof Promise
      ? result.then(started, (error) => initFail(self, boot, reasonFromThrown(error)))
      : started(result);
  },
  handleMessage(self, message, server) {
    return dispatch(self, server, message);
  },
  handleTimeout(self, server) {
    return step(self, server, "handleInfo", TIMEOUT, undefined);
  },
};

function dispatch(self: Process, server: Server, message: Term): MaybeAsync<Server> {
  if (message instanceof Tuple) {
    const tag = message.at(0);
    if (tag === GEN_CALL && message.size === 3) {
      const from = fromTerm(message.at(1)!);
      if (from !== undefined) return step(self, server, "handleCall", message.at(2)!, from);
    } else if (tag === GEN_CAST && message.size === 2) {
      return step(self, server, "handleCast", message.at(1)!, undefined);
    } else if (tag === SYSTEM && message.size === 3) {
      const from = fromTerm(message.at(1)!);
      if (from !== undefined) return handleSystemMessage(self, server, from, message.at(2)!, systemHooks);
    } else if (tag === EXIT && message.size === 3 && message.at(1) === server.parent && self.trapExit) {
      // The parent's exit reaches a trapping server as a message: it terminates with the parent's reason.
      return stop(self, server, message.at(2)!, { last: message, from: undefined });
    }
  }
  return step(self, server, "handleInfo", message, undefined);
}

type Callback = "handleCall" | "handleCast" | "handleInfo" | "handleContinue";

/** Runs one callback and what its result asks for. */
function step(
  self: Process,
  server: Server,
  callback: Callback,
  message: Term,
  from: From | undefined,
): MaybeAsync<Server> {
  const callbacks = server.callbacks;
  if (server.debug !== undefined && callback !== "handleContinue") traceIn(self, server.debug, callback, message, from);
  let result: MaybeAsync<CallResult<unknown, Term>>;
  try {
    const fn = callbacks[callback];
    if (fn === undefined) return missingCallback(self, server, callback, message, from);
    result =
      callback === "handleCall"
        ? callbacks.handleCall!(self, message, from!, server.state)
        : (fn as (self: Process, m: Term, s: unknown) => MaybeAsync<CallResult<unknown, Term>>).call(
            callbacks,
            self,
            message,
            server.state,
          );
  } catch (error) {
    return stop(self, server, reasonFromThrown(error), handling(callback, message, from));
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => after(self, server, r, callback, message, from),
      (error) => stop(self, server, reasonFromThrown(error), handling(callback, message, from)),
    );
  }
  return after(self, server, result, callback, message, from);
}

/** Applies a callback's result: reply, new state, stop, continue, timeout. */
function after(
  self: Process,
  server: Server,
  result: CallResult<unknown, Term>,
  callback: Callback,
  message: Term,
  from: From | undefined,
): MaybeAsync<Server> {
  if (typeof result !== "object" || result === null || !("state" in result || "stop" in result)) {
    const reason = tuple(BAD_RETURN_VALUE, asReasonTerm(result));
    return stop(self, server, reason, handling(callback, message, from));
  }
  if ("reply" in result && from !== undefined) {
    genReply(self, from, result.reply);
    server.debug?.sent(self, result.reply, from.pid);
  }
  if ("state" in result) {
    const state = result.state;
    server.state = state;
    server.debug?.state(self, (term) => `new state ${term(state)}`);
  }
  if ("stop" in result) return stop(self, server, result.stop, handling(callback, message, from));
  return next(self, server, result);
}

/** The trace line of a message taken: `got call get from <0.80.0>`, `got cast bump`, `got hello`. */
function traceIn(self: Process, debug: Debug, callback: Callback, message: Term, from: From | undefined): void {
  debug.received(self, (term) => {
    if (callback === "handleCall") return `call ${term(message)} from ${term(from!.pid)}`;
    return callback === "handleCast" ? `cast ${term(message)}` : term(message);
  });
}

/** What follows a successful callback: a continuation first, or the next wait (with its timeout). */
function next(self: Process, server: Server, result: Next): MaybeAsync<Server> {
  if (result.continue !== undefined) return step(self, server, "handleContinue", result.continue, undefined);
  const timeout = result.timeout;
  if (typeof timeout === "number") self.setIdleTimeout(timeout);
  return server;
}

function missingCallback(
  self: Process,
  server: Server,
  callback: Callback,
  message: Term,
  from: From | undefined,
): MaybeAsync<Server> {
  if (callback === "handleInfo") {
    logNoHandleInfo(self, server.name, message); // and the message is dropped, as OTP does
    return server;
  }
  return stop(self, server, tuple(atom("undef"), atom(callback)), handling(callback, message, from));
}

/** What the server was handling when it stopped, for the terminate report (OTP's Msg and From). */
interface Handling {
  readonly last: Term;
  readonly from: From | undefined;
}

/** The last message as OTP reports it: a call's request, a cast's whole `{'$gen_cast', Msg}`, `{continue, C}`. */
function handling(callback: Callback, message: Term, from: From | undefined): Handling {
  const last =
    callback === "handleCast"
      ? tuple(GEN_CAST, message)
      : callback === "handleContinue"
        ? tuple(CONTINUE, message)
        : message;
  return { last, from };
}

/**
 * Calls `terminate` and exits with `reason` (or with what `terminate` threw). As OTP, an abnormal reason, or a
 * terminate that threw, is logged first: the terminate report, with what the server was handling when it stopped.
 */
function stop(self: Process, server: Server, reason: Term, handled?: Handling): Promise<never> | never {
  const callbacks = server.callbacks;
  const terminate = callbacks.terminate;
  return terminateWith(
    reason,
    terminate === undefined ? undefined : () => terminate.call(callbacks, self, reason, server.state),
    (why) =>
      logGenServerTerminate(self, {
        name: server.name,
        lastMessage: handled?.last,
        state: server.state,
        reason: why,
        client: handled?.from?.pid,
        formatStatus: callbacks.formatStatus === undefined ? undefined : (status) => callbacks.formatStatus!(status),
      }),
  );
}

const systemHooks: SystemHooks<Server> = {
  getState: (server) => server.state,
  setState: (server, state) => {
    server.state = state;
  },
  codeChange: async (server, oldVsn, extra) => {
    const codeChange = server.callbacks.codeChange;
    if (codeChange !== undefined) server.state = await codeChange.call(server.callbacks, oldVsn, server.state, extra);
  },
  statusState: (server) => {
    const format = server.callbacks.formatStatus;
    return (format === undefined ? server.state : format.call(server.callbacks, { state: server.state }).state) as Term;
  },
  terminate: (self, server, reason) => stop(self, server, reason),
  module: GEN_SERVER,
  parent: (server) => server.parent,
};

export interface GenServerStarted<Call extends Term, Cast extends Term, Reply extends Term> {
  readonly pid: GenServerRef<Call, Cast, Reply>;
}

/** What a typed start gives: the server's typed reference, `ignore`, or the error. */
export type TypedStart<Call extends Term, Cast extends Term, Reply extends Term> =
  | GenServerStarted<Call, Cast, Reply>
  | { readonly ignore: true }
  | { readonly error: Term };

/** OTP's gen_server API, with `self` (the calling process) first where OTP uses the caller implicitly. */
export const GenServer = {
  /** Starts a server not linked to anyone; from a process or from outside (a Runtime). */
  start<State, Arg, Call extends Term, Cast extends Term, Reply extends Term>(
    from: Process | Runtime,
    callbacks: GenServerCallbacks<State, Arg, Call, Cast, Reply>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<TypedStart<Call, Cast, Reply>> {
    return startServer(from, loop, { callbacks, arg }, "nolink", options) as Promise<TypedStart<Call, Cast, Reply>>;
  },

  /** Starts a server linked to `self` (its parent: it terminates when `self` exits, if it traps exits). */
  startLink<State, Arg, Call extends Term, Cast extends Term, Reply extends Term>(
    self: Process,
    callbacks: GenServerCallbacks<State, Arg, Call, Cast, Reply>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<TypedStart<Call, Cast, Reply>> {
    return startServer(self, loop, { callbacks, arg }, "link", options) as Promise<TypedStart<Call, Cast, Reply>>;
  },

  /** Starts a server monitored by `self`: on success, the monitor's ref comes with the pid. */
  startMonitor<State, Arg, Call extends Term, Cast extends Term, Reply extends Term>(
    self: Process,
    callbacks: GenServerCallbacks<State, Arg, Call, Cast, Reply>,
    arg: Arg,
    options?: StartOptions,
  ): Promise<
    (GenServerStarted<Call, Cast, Reply> & { readonly ref: Ref }) | { readonly ignore: true } | { readonly error: Term }
  > {
    return startServer(self, loop, { callbacks, arg }, "monitor", options) as never;
  },

  /**
   * Sends `request` and waits for the reply (default 5 s). If the server is not there, exits, or does not answer
   * in time, the caller exits with `{Reason, {gen_server, call, [Server, Request | Timeout]}}` (a ProcessExit it may
   * catch), as in OTP.
   */
  call<S extends ServerRef>(
    self: Process,
    server: S,
    request: CallOf<S>,
    options?: { timeout?: Timeout },
  ): Promise<ReplyOf<S>> {
    const timeout = options?.timeout ?? DEFAULT_CALL_TIMEOUT;
    return callOrExit(self, server, GEN_CALL, request, timeout, (failed) => {
      const args = options?.timeout === undefined ? [request] : [request, timeoutTerm(timeout)];
      return callExit(GEN_SERVER, failed, server, args);
    }) as Promise<ReplyOf<S>>;
  },

  /** gen_server:multi_call: `request` to the server named `name` on each node; the replies and the bad nodes. */
  multiCall,

  /** gen_server:abcast: `message` cast to the server named `name` on each node (default: all connected, and this). */
  abcast,

  /** Sends `message` to the server's `handleCast`; never fails (to a server that is not there, it is dropped). */
  cast<S extends ServerRef>(from: Process | Runtime, server: S, message: CastOf<S>): void {
    genCast(from, server, message);
  },

  /** Replies to a call whose `handleCall` returned without a reply (a deferred reply). */
  reply(self: Process | Runtime, from: From, reply: Term): void {
    genReply(self, from, reply);
  },

  /**
   * Stops the server with `reason` (default `normal`): it runs `terminate` and exits. Resolves when it is gone;
   * exits the caller with `noproc`, `timeout`, or the server's own exit reason if that differs.
   */
  stop(self: Process, server: ServerRef, options?: { reason?: Term; timeout?: Timeout }): Promise<void> {
    return genStop(self, server, options);
  },
};
