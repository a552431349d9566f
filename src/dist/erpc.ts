// erpc's client (OTP 23+): `call` and `cast` a function on a node. A call is a spawn request of
// `erpc:execute_call(Ref, M, F, A)` with a monitor and `{reply, error_only}`; the process it starts exits with the
// outcome, so the result arrives as the DOWN reason `{Ref, return | throw | exit | error, …}`. What erpc:call
// raises comes as an ErpcError with the same Erlang class and reason (erpc.erl, `result/4`).
import { ErpcError, type ErrorCode, ErrorCodes } from "../errors.ts";
import { isDownOf } from "../otp/gen.ts";
import { isSpawnReply, NOCONNECTION, type Process } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { formatForPeople } from "../term/format.ts";
import { type Ref, type Term, Tuple, tuple } from "../term/types.ts";

/** A node, module or function name: an atom, or its text. */
export type Name = Atom | string;

export interface CallOptions {
  /** Milliseconds to wait for the result (0 … 4294967295), or `infinity` (the default). */
  timeout?: number | "infinity";
}

const ERPC = atom("erpc");
const EXECUTE_CALL = atom("execute_call");
const EXECUTE_CAST = atom("execute_cast");
const RETURN = atom("return");
const THROW = atom("throw");
const EXIT = atom("exit");
const ERROR = atom("error");
const EXCEPTION = atom("exception");
const SIGNAL = atom("signal");
const TIMEOUT = atom("timeout");
const BADARG = atom("badarg");
const MAX_TIMEOUT = 4294967295;

/**
 * erpc:call/5: applies `module:fn(...args)` on `node` and resolves with its value. Rejects with an ErpcError:
 * ERPC_EXCEPTION when the function raised (`throw` Value, `exit` `{exception, Reason}`, `error`
 * `{exception, Reason, Stack}`), ERPC_SIGNAL when an exit signal ended it, ERPC_NOCONNECTION, ERPC_TIMEOUT (the
 * function may or may not run), ERPC_BADARG, ERPC_FAILED (`notsup`, `system_limit`).
 */
export async function call(
  self: Process,
  node: Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
  options: CallOptions = {},
): Promise<Term> {
  const timeout = checkTimeout(options.timeout);
  const [to, m, f] = [nameArg(node), nameArg(module), nameArg(fn)];
  if (!Array.isArray(args)) throw failure(BADARG, `erpc:call: the arguments are not a list: ${String(args)}`);
  const tag = self.makeRef();
  const reqId = self.spawnRequest(to, ERPC, EXECUTE_CALL, [tag, m, f, [...args]], {
    monitor: true,
    reply: "error_only",
  });
  const what = `${m.name}:${f.name}/${args.length} on ${to.name}`;
  const isAnswer = (message: Term) => isSpawnReply(message, reqId) || isDownOf(message, reqId);
  const answer = await self.receive(isAnswer, { since: reqId, timeout });
  if (answer !== undefined) return result(answer as Tuple, tag, what);
  // Timed out: abandon the request, or drop the monitor of the process it started. If neither is left, the
  // answer came meanwhile and is queued: it is the result after all.
  if (self.spawnRequestAbandon(reqId) || self.demonitor(reqId)) throw failure(TIMEOUT, `erpc:call ${what}`);
  return result((await self.receive(isAnswer)) as Tuple, tag, what);
}

/**
 * erpc:cast/4: applies `module:fn(...args)` on `node` in a new process and returns at once; nothing comes back,
 * failures included. Throws an ErpcError ERPC_BADARG for bad arguments.
 */
export function cast(self: Process, node: Name, module: Name, fn: Name, args: readonly Term[]): void {
  const [to, m, f] = [nameArg(node), nameArg(module), nameArg(fn)];
  if (!Array.isArray(args)) throw failure(BADARG, `erpc:cast: the arguments are not a list: ${String(args)}`);
  self.spawnRequest(to, ERPC, EXECUTE_CAST, [m, f, [...args]], { reply: "no" });
}

/** The call's value, or the ErpcError erpc:call raises for this answer: `{spawn_reply, ReqId, error, Reason}` or
 * `{'DOWN', ReqId, process, Pid, Reason}`. */
function result(answer: Tuple, tag: Ref, what: string): Term {
  if (answer.size === 4) throw failure(answer.at(3)!, `erpc:call ${what}`);
  const reason = answer.at(4)!;
  if (reason instanceof Tuple && reason.size >= 3 && equals(reason.at(0)!, tag)) {
    const [, kind, value, stack] = reason.elements as Term[];
    if (kind === RETURN && reason.size === 3) return value!;
    if (kind === THROW && reason.size === 3) throw raised("throw", value!, what);
    if (kind === EXIT && reason.size === 3) throw raised("exit", tuple(EXCEPTION, value!), what);
    if (kind === ERROR && reason.size === 4) throw raised("error", tuple(EXCEPTION, value!, stack!), what);
    // `{Ref, error, {erpc, Reason}}`: the other node's erpc failed the call itself (system_limit).
    if (kind === ERROR && value instanceof Tuple && value.size === 2 && value.at(0) === ERPC) {
      throw failure(value.at(1)!, `erpc:call ${what}`);
    }
  }
  if (reason === NOCONNECTION) throw failure(NOCONNECTION, `erpc:call ${what}`);
  const signal = tuple(SIGNAL, reason);
  throw new ErpcError(ErrorCodes.ERPC_SIGNAL, "exit", signal, `erpc:call ${what}: exit ${formatForPeople(signal)}`);
}

function raised(erlangClass: "throw" | "exit" | "error", reason: Term, what: string): ErpcError {
  const message = `erpc:call ${what}: ${erlangClass} ${formatForPeople(reason)}`;
  return new ErpcError(ErrorCodes.ERPC_EXCEPTION, erlangClass, reason, message);
}

/** `error:{erpc, Reason}`. */
function failure(why: Term, what: string): ErpcError {
  const code: ErrorCode =
    why === NOCONNECTION
      ? ErrorCodes.ERPC_NOCONNECTION
      : why === TIMEOUT
        ? ErrorCodes.ERPC_TIMEOUT
        : why === BADARG
          ? ErrorCodes.ERPC_BADARG
          : ErrorCodes.ERPC_FAILED;
  const reason = tuple(ERPC, why);
  return new ErpcError(code, "error", reason, `${what}: error ${formatForPeople(reason)}`);
}

function nameArg(name: unknown): Atom {
  if (name instanceof Atom) return name;
  if (typeof name === "string") {
    try {
      return atom(name);
    } catch {
      // an atom that cannot be: badarg below
    }
  }
  throw failure(BADARG, `erpc: not a node, module or function name: ${String(name)}`);
}

function checkTimeout(timeout: unknown): number | "infinity" {
  if (timeout === undefined || timeout === "infinity") return "infinity";
  if (typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 0 && timeout <= MAX_TIMEOUT) {
    return timeout;
  }
  throw failure(BADARG, `erpc: a timeout is an integer 0 … ${MAX_TIMEOUT} or "infinity", not ${String(timeout)}`);
}
