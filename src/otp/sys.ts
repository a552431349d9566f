// System messages (OTP's sys): `{system, From, Request}` handled the same way by every behaviour's loop, and the
// `sys` API that sends them: getState, replaceState, getStatus, suspend, resume, changeCode, terminate.
//
// A suspended process handles system messages only; everything else waits in its queue until `resume`.
import { type Process, ProcessExit } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";
import { CallFailed, call, DEFAULT_CALL_TIMEOUT, type From, fromTerm, reply, SYSTEM, type Timeout } from "./gen.ts";
import { type ServerRef, serverTerm } from "./names.ts";

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

/** What the generic system-message handling needs from a behaviour's loop state. */
export interface SystemHooks<Loop> {
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
export function handleSystemMessage<Loop>(
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

async function suspended<Loop>(self: Process, loop: Loop, hooks: SystemHooks<Loop>): Promise<Loop> {
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

function answer<Loop>(
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
  } else if (request instanceof Tuple && request.at(0) === CHANGE_CODE && request.size === 4) {
    return changeCode(self, loop, from, request.at(2)!, request.at(3)!, hooks);
  } else {
    reply(self, from, tuple(ERROR, tuple(UNKNOWN_SYSTEM_MSG, request)));
  }
  return loop;
}

async function changeCode<Loop>(
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

function status<Loop>(self: Process, loop: Loop, hooks: SystemHooks<Loop>, isSuspended: boolean): Term {
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
  return call(self, server, SYSTEM, request, options?.timeout ?? DEFAULT_CALL_TIMEOUT).then((answer) => {
    // OTP's sys exits `{Reason, {sys, Function, [Server]}}`.
    if (answer instanceof CallFailed)
      throw new ProcessExit(tuple(answer.reason, tuple(SYS, atom(fn), [serverTerm(server)])));
    return answer;
  });
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
