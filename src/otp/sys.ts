// System messages (OTP's sys): `{system, From, Request}` handled the same way by every behaviour's loop, and the
// `sys` API that sends them: getState, replaceState, getStatus, suspend, resume, changeCode, terminate.
//
// A suspended process handles system messages only; everything else waits in its queue until `resume`.
import { type Process, ProcessExit } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";
import {
  CallFailed,
  call,
  callExit,
  DEFAULT_CALL_TIMEOUT,
  type From,
  fromTerm,
  reply,
  SYSTEM,
  type Timeout,
} from "./gen.ts";
import type { ServerRef } from "./names.ts";

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
  getState(loop: Loop): unknown;
  setState(loop: Loop, state: unknown): void;
  /** The callback object (for codeChange and formatStatus). */
  callbacks(loop: Loop): {
    codeChange?(oldVsn: Term, state: never, extra: Term): unknown;
    formatStatus?(status: { state: never; reason?: Term }): { state: unknown };
  };
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
  const codeChange = hooks.callbacks(loop).codeChange;
  if (codeChange === undefined) {
    reply(self, from, OK); // OTP's default code_change keeps the state
    return loop;
  }
  try {
    hooks.setState(loop, await codeChange(oldVsn, hooks.getState(loop) as never, extra));
    reply(self, from, OK);
  } catch (error) {
    reply(self, from, tuple(ERROR, error instanceof ProcessExit ? error.reason : String(error)));
  }
  return loop;
}

function status<Loop>(self: Process, loop: Loop, hooks: SystemHooks<Loop>, isSuspended: boolean): Term {
  const format = hooks.callbacks(loop).formatStatus;
  const state = hooks.getState(loop);
  const shown = format === undefined ? state : format({ state: state as never }).state;
  return tuple(STATUS, self.pid, tuple(atom("module"), hooks.module), [
    [],
    isSuspended ? SUSPENDED : RUNNING,
    hooks.parent(loop),
    [],
    shown as Term,
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
    if (answer instanceof CallFailed) throw callExit(SYS, answer, server, [atom(fn)]);
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
