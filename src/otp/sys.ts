// System messages (OTP's sys): `{system, From, Request}` handled the same way by every behaviour's loop, and the
// `sys` API that sends them: getState, replaceState, getStatus, suspend, resume, changeCode, terminate, and the
// debug options statistics and trace (sys/debug.ts).
//
// A suspended process handles system messages only; everything else waits in its queue until `resume`.
import { type Process, ProcessExit } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";
import { callOrExit, DEFAULT_CALL_TIMEOUT, type From, fromTerm, reply, SYSTEM, type Timeout } from "./gen.ts";
import { type ServerRef, serverTerm } from "./names.ts";
import { Debug, type Debuggable, startStatistics } from "./sys/debug.ts";

const OK = atom("ok");
const ERROR = atom("error");
const GET_STATE = atom("get_state");
const REPLACE_STATE = atom("replace_state");
const GET_STATUS = atom("get_status");
const SUSPEND = atom("suspend");
const RESUME = atom("resume");
const CHANGE_CODE = atom("change_code");
const TERMINATE = atom("terminate");
const STATUS = atom("status");
const RUNNING = atom("running");
const SUSPENDED = atom("suspended");
const SYS = atom("sys");
const UNKNOWN_SYSTEM_MSG = atom("unknown_system_msg");
const DEBUG = atom("debug");
const STATISTICS = atom("statistics");
const TRACE = atom("trace");
const GET = atom("get");
const NO_STATISTICS = atom("no_statistics");

/** What the generic system-message handling needs from a behaviour's loop state. */
export interface SystemHooks<Loop extends Debuggable> {
  /** What `sys.getState` answers (a GenServer's state, a GenStatem's `{State, Data}`). */
  getState(loop: Loop): unknown;
  /** Takes back what `replaceState`'s function returned, in getState's shape. */
  setState(loop: Loop, state: unknown): void;
  /** Runs the behaviour's code change on the loop's state (OTP's default, when it has none, keeps the state). */
  codeChange(loop: Loop, oldVsn: Term, extra: Term): void | Promise<void>;
  /** The state as `sys.getStatus` shows it: through the behaviour's formatStatus when it has one. */
  statusState(loop: Loop): Term;
  /** Terminates the process with `reason` (runs the behaviour's terminate; never returns normally). */
  terminate(self: Process, loop: Loop, reason: Term): Promise<never> | never;
  /** The behaviour's name for getStatus (`gen_server`, `gen_statem`, …). */
  readonly module: Term;
  readonly parent: (loop: Loop) => Term;
}

/** Handles one `{system, From, Request}`; a `suspend` keeps handling system messages until `resume`. */
export function handleSystemMessage<Loop extends Debuggable>(
  self: Process,
  loop: Loop,
  from: From,
  request: Term,
  hooks: SystemHooks<Loop>,
): Loop | Promise<Loop> {
  if (request === SUSPEND) {
    reply(self, from, OK);
    return suspended(self, loop, hooks);
  }
  return answer(self, loop, from, request, hooks, false);
}

async function suspended<Loop extends Debuggable>(self: Process, loop: Loop, hooks: SystemHooks<Loop>): Promise<Loop> {
  for (;;) {
    const message = (await self.receive(isSystemMessage)) as Tuple;
    const from = fromTerm(message.at(1)!)!;
    const request = message.at(2)!;
    if (request === RESUME) {
      reply(self, from, OK);
      return loop;
    }
    if (request === SUSPEND) reply(self, from, OK);
    else await answer(self, loop, from, request, hooks, true);
  }
}

function isSystemMessage(m: Term): boolean {
  return m instanceof Tuple && m.size === 3 && m.at(0) === SYSTEM && fromTerm(m.at(1)!) !== undefined;
}

function answer<Loop extends Debuggable>(
  self: Process,
  loop: Loop,
  from: From,
  request: Term,
  hooks: SystemHooks<Loop>,
  isSuspended: boolean,
): Loop | Promise<Loop> {
  if (request === GET_STATE) {
    reply(self, from, hooks.getState(loop) as Term);
  } else if (request === RESUME) {
    reply(self, from, OK);
  } else if (request === GET_STATUS) {
    reply(self, from, status(self, loop, hooks, isSuspended));
  } else if (request instanceof Tuple && request.at(0) === TERMINATE && request.size === 2) {
    return hooks.terminate(self, loop, request.at(1)!);
  } else if (request instanceof Tuple && request.at(0) === REPLACE_STATE && request.size === 2) {
    const replace = request.at(1) as unknown;
    if (typeof replace !== "function") reply(self, from, tuple(ERROR, atom("badarg")));
    else {
      try {
        hooks.setState(loop, replace(hooks.getState(loop)));
        reply(self, from, hooks.getState(loop) as Term);
      } catch (error) {
        reply(self, from, tuple(ERROR, String(error)));
      }
    }
  } else if (request instanceof Tuple && request.at(0) === DEBUG && request.size === 2) {
    reply(self, from, debugCommand(self, loop, request.at(1)!));
  } else if (request instanceof Tuple && request.at(0) === CHANGE_CODE && request.size === 4) {
    return changeCode(self, loop, from, request.at(2)!, request.at(3)!, hooks);
  } else {
    reply(self, from, tuple(ERROR, tuple(UNKNOWN_SYSTEM_MSG, request)));
  }
  return loop;
}

async function changeCode<Loop extends Debuggable>(
  self: Process,
  loop: Loop,
  from: From,
  oldVsn: Term,
  extra: Term,
  hooks: SystemHooks<Loop>,
): Promise<Loop> {
  try {
    await hooks.codeChange(loop, oldVsn, extra);
    reply(self, from, OK);
  } catch (error) {
    reply(self, from, tuple(ERROR, error instanceof ProcessExit ? error.reason : String(error)));
  }
  return loop;
}

/** `{statistics, true | false | get}` and `{trace, true | false}`: switches an option, or reads the statistics. */
function debugCommand(self: Process, loop: Debuggable, command: Term): Term {
  if (!(command instanceof Tuple) || command.size !== 2) return tuple(ERROR, tuple(UNKNOWN_SYSTEM_MSG, command));
  const [option, flag] = command.elements as [Term, Term];
  const debug = loop.debug ?? new Debug();
  if (option === STATISTICS && flag === GET) {
    return debug.statistics === undefined ? NO_STATISTICS : tuple(OK, debug.statisticsTerm(self));
  }
  if (option === STATISTICS && typeof flag === "boolean") debug.statistics = flag ? startStatistics(self) : undefined;
  else if (option === TRACE && typeof flag === "boolean") debug.trace = flag;
  else return tuple(ERROR, tuple(UNKNOWN_SYSTEM_MSG, command));
  loop.debug = debug.active ? debug : undefined;
  return OK;
}

function status<Loop extends Debuggable>(
  self: Process,
  loop: Loop,
  hooks: SystemHooks<Loop>,
  isSuspended: boolean,
): Term {
  return tuple(STATUS, self.pid, tuple(atom("module"), hooks.module), [
    [],
    isSuspended ? SUSPENDED : RUNNING,
    hooks.parent(loop),
    [],
    hooks.statusState(loop),
  ]);
}

function sysCall(
  self: Process,
  server: ServerRef,
  request: Term,
  options: { timeout?: Timeout } | undefined,
  fn: string,
): Promise<Term> {
  // OTP's sys exits `{Reason, {sys, Function, [Server]}}`.
  return callOrExit(
    self,
    server,
    SYSTEM,
    request,
    options?.timeout ?? DEFAULT_CALL_TIMEOUT,
    (failed) => new ProcessExit(tuple(failed.reason, tuple(SYS, atom(fn), [serverTerm(server)]))),
  );
}

/** What `sys.statistics(…, "get")` reads; the times are Erlang's `{{Y, M, D}, {H, Min, S}}` local time. */
export interface SysStatistics {
  readonly startTime: Term;
  readonly currentTime: Term;
  readonly reductions: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

/** OTP's sys: inspect and control any behaviour process through system messages. */
export const sys = {
  /** The behaviour's state (a GenServer's state, a GenStatem's `{ state, data }`). */
  getState(self: Process, server: ServerRef, options?: { timeout?: Timeout }): Promise<unknown> {
    return sysCall(self, server, GET_STATE, options, "get_state");
  },

  /** Replaces the state with `replace(state)` (run inside the server); resolves with the new state. */
  replaceState<S>(
    self: Process,
    server: ServerRef,
    replace: (state: S) => S,
    options?: { timeout?: Timeout },
  ): Promise<S> {
    return sysCall(
      self,
      server,
      tuple(REPLACE_STATE, replace as unknown as Term),
      options,
      "replace_state",
    ) as Promise<S>;
  },

  /** `{status, Pid, {module, Module}, [PDict, running | suspended, Parent, Debug, State]}`, as OTP's. */
  getStatus(self: Process, server: ServerRef, options?: { timeout?: Timeout }): Promise<Term> {
    return sysCall(self, server, GET_STATUS, options, "get_status");
  },

  /** The process handles only system messages until `resume`. */
  async suspend(self: Process, server: ServerRef, options?: { timeout?: Timeout }): Promise<void> {
    await sysCall(self, server, SUSPEND, options, "suspend");
  },

  async resume(self: Process, server: ServerRef, options?: { timeout?: Timeout }): Promise<void> {
    await sysCall(self, server, RESUME, options, "resume");
  },

  /**
   * Switches statistics on (`true`, counting from now) or off, or reads them (`get`): messages in and out and
   * reductions since they were switched on; undefined when they are off.
   */
  async statistics(
    self: Process,
    server: ServerRef,
    flag: boolean | "get",
    options?: { timeout?: Timeout },
  ): Promise<SysStatistics | undefined> {
    const answer = await sysCall(
      self,
      server,
      tuple(DEBUG, tuple(STATISTICS, flag === "get" ? GET : flag)),
      options,
      "statistics",
    );
    if (!(answer instanceof Tuple) || answer.at(0) !== OK) return undefined;
    const fields = new Map((answer.at(1) as Tuple[]).map((pair) => [pair.at(0), pair.at(1)] as const));
    return {
      startTime: fields.get(atom("start_time"))!,
      currentTime: fields.get(atom("current_time"))!,
      reductions: fields.get(atom("reductions")) as number,
      messagesIn: fields.get(atom("messages_in")) as number,
      messagesOut: fields.get(atom("messages_out")) as number,
    };
  },

  /** Switches tracing on or off: each message taken and sent, and each new state, as a `*DBG*` line at `notice`. */
  async trace(self: Process, server: ServerRef, on: boolean, options?: { timeout?: Timeout }): Promise<void> {
    await sysCall(self, server, tuple(DEBUG, tuple(TRACE, on)), options, "trace");
  },

  /** Calls the behaviour's `codeChange(oldVsn, state, extra)` (the process should be suspended). */
  async changeCode(
    self: Process,
    server: ServerRef,
    module: Term,
    oldVsn: Term,
    extra: Term,
    options?: { timeout?: Timeout },
  ): Promise<Term> {
    return sysCall(self, server, tuple(CHANGE_CODE, module, oldVsn, extra), options, "change_code");
  },
};
