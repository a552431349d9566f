// rpc's client as OTP 23+ runs it, on top of erpc: rpc:call gives the function's value, or what went wrong as a
// `{badrpc, Reason}` term (rpc.erl's `rpcify_exception`); rpc:cast fires and forgets.
import { ErpcError, ErrorCodes, ProcessError } from "../errors.ts";
import type { Process } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Term, Tuple, tuple } from "../term/types.ts";
import type { Name } from "./erpc.ts";
import * as erpc from "./erpc.ts";

const BADRPC = atom("badrpc");
const EXIT = atom("EXIT");
const NODEDOWN = atom("nodedown");
const TIMEOUT = atom("timeout");
const NOTSUP = atom("notsup");

/**
 * rpc:call/5: applies `module:fn(...args)` on `node`; resolves with its value, a thrown value as if returned, or
 * `{badrpc, Reason}`: `nodedown`, `timeout`, `notsup`, `{'EXIT', Reason}` for an exit, `{'EXIT', {Reason, Stack}}`
 * for an error. Bad arguments throw a ProcessError PROC_BAD_ARG (rpc:call's badarg).
 */
export async function call(
  self: Process,
  node: Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
  timeout: number | "infinity" = "infinity",
): Promise<Term> {
  try {
    const value = await erpc.call(self, node, module, fn, args, { timeout });
    return isExitTuple(value) ? tuple(BADRPC, value) : value;
  } catch (e) {
    if (!(e instanceof ErpcError)) throw e;
    return badrpc(e);
  }
}

/** rpc:cast/4: applies `module:fn(...args)` on `node` in a new process; returns true at once. */
export function cast(self: Process, node: Name, module: Name, fn: Name, args: readonly Term[]): true {
  try {
    erpc.cast(self, node, module, fn, args);
  } catch (e) {
    throw e instanceof ErpcError ? badarg(e) : e;
  }
  return true;
}

/** What rpc:call returns for what erpc:call raised. */
function badrpc(e: ErpcError): Term {
  if (e.code === ErrorCodes.ERPC_EXCEPTION && e.class === "throw") {
    const thrown = e.reason as Term;
    return isExitTuple(thrown) ? tuple(BADRPC, thrown) : thrown;
  }
  // Every other reason is a tuple: {exception, R}, {exception, R, Stack}, {signal, R} or {erpc, R}.
  const [, why, stack] = (e.reason as Tuple).elements;
  switch (e.code) {
    case ErrorCodes.ERPC_EXCEPTION:
      return tuple(BADRPC, tuple(EXIT, e.class === "exit" ? why! : tuple(why!, stack!)));
    case ErrorCodes.ERPC_SIGNAL:
      return tuple(BADRPC, tuple(EXIT, why!));
    case ErrorCodes.ERPC_NOCONNECTION:
      return tuple(BADRPC, NODEDOWN);
    case ErrorCodes.ERPC_TIMEOUT:
      return tuple(BADRPC, TIMEOUT);
    case ErrorCodes.ERPC_BADARG:
      throw badarg(e);
    default:
      return tuple(BADRPC, why === NOTSUP ? NOTSUP : tuple(EXIT, why!));
  }
}

function badarg(e: ErpcError): ProcessError {
  return new ProcessError(ErrorCodes.PROC_BAD_ARG, `rpc: bad argument (${e.message})`);
}

/** `{'EXIT', _}`: what rpc:call cannot return as a value, since it means a failure. */
function isExitTuple(term: Term): boolean {
  return term instanceof Tuple && term.size === 2 && term.at(0) === EXIT;
}
