// SPAWN_REQUEST from another node (erlang:spawn_request, which `erpc` and `rpc` are built on), or from another
// scheduler of this node: a new process runs an exported function, linked to and monitored by the requester and
// with the spawn options it asked for, and the requester gets its pid in a SPAWN_REPLY first.
//
// `erpc:execute_call(Ref, M, F, A)` and `erpc:execute_cast(M, F, A)` are what erpc spawns; they are built in, so
// `erpc:call`/`rpc:call` from erl run exported functions here. As on the BEAM, a request for a function that does
// not exist still gets a pid, whose process exits with `undef` (erlang/otp#8603).
import { ErrorCodes, ProcessError } from "../errors.ts";
import { type AsyncBody, ProcessExit, type Runtime, type SpawnReply, type SpawnRequest } from "../runtime/index.ts";
import { requestedOptions } from "../runtime/spawn-options.ts";
import { type Atom, atom } from "../term/atom.ts";
import { type Pid, type Term, type Tuple, tuple } from "../term/types.ts";
import type { ExportedModules, Outcome } from "./modules.ts";

const ERPC = atom("erpc");
const EXECUTE_CALL = atom("execute_call");
const EXECUTE_CAST = atom("execute_cast");
const BADOPT = atom("badopt");
const BADARG = atom("badarg");
const SYSTEM_LIMIT = atom("system_limit");
const RETURN = atom("return");
const THROW = atom("throw");
const EXIT = atom("exit");
const ERROR = atom("error");

/** What a spawn request says, whichever way it came. */
export type RequestedSpawn = Pick<
  SpawnRequest,
  "from" | "ref" | "groupLeader" | "module" | "function" | "args" | "options"
>;

/**
 * Runs a spawn request in `rt`; `reply` sends the answer back to the requester. Its options are spawn_opt's as the
 * runtime takes them (spawn-options.ts): one it cannot honour is answered `badopt`, a name already registered
 * `badarg`, a full process table `system_limit`, and nothing is spawned.
 */
export function spawnRequested(
  rt: Runtime,
  modules: ExportedModules,
  request: RequestedSpawn,
  reply: (answer: SpawnReply) => void,
): void {
  const refuse = (result: Atom) => reply({ to: request.from, ref: request.ref, result, link: false, monitor: false });
  const options = requestedOptions(request.options);
  if (options === undefined) {
    refuse(BADOPT);
    return;
  }
  const { link, monitor } = options;
  let pid: Pid;
  try {
    pid = rt.spawn(initialCall(request, body(modules, request)), options.spawn);
  } catch (error) {
    if (!(error instanceof ProcessError)) throw error;
    refuse(error.code === ErrorCodes.PROC_SYSTEM_LIMIT ? SYSTEM_LIMIT : BADARG);
    return;
  }
  // Its group leader from the start, as the BEAM's: a group_leader/2 that reaches it later is not undone.
  rt.setGroupLeader(pid, request.groupLeader);
  // The new process's half of the link and the monitor hold before it first runs, so its end always reaches the
  // requester. A requester of this node makes both halves itself when the reply comes (runtime/spawn-requests.ts).
  if (!rt.isHere(request.from)) {
    if (link) rt.deliver({ kind: "link", from: request.from, to: pid });
    if (monitor) rt.deliver({ kind: "monitor", from: request.from, to: pid, ref: request.ref });
  }
  reply({ to: request.from, ref: request.ref, result: pid, link, monitor });
}

/** What the new process runs: `M:F(Args…)`, or the function erpc's execute_call or execute_cast names. */
function body(modules: ExportedModules, request: RequestedSpawn): AsyncBody {
  return async (self) => {
    const args = [...request.args];
    const erpc = request.module === ERPC;
    if (erpc && request.function === EXECUTE_CALL && args.length === 4) {
      const [ref, m, f, a] = args as [Term, Term, Term, Term];
      // It ends as `exit(self(), Reason)` does: an exit signal, not a crash (no crash report).
      self.exit(self.pid, callResult(ref, await modules.apply(self, m, f, a)));
      return;
    }
    const cast = erpc && request.function === EXECUTE_CAST && args.length === 3;
    const [m, f, a]: Term[] = cast ? args : [request.module, request.function, args];
    const outcome = await modules.apply(self, m!, f!, a!);
    if (outcome.class !== "return") throw new ProcessExit(reasonOf(outcome));
  };
}

/**
 * `body` named `Module:Function/Arity` after the request: what processInfo and crash reports show as the process's
 * initial call (a local spawn shows its body function's name), as the BEAM's process_info(P, initial_call) does.
 */
function initialCall(request: RequestedSpawn, body: AsyncBody): AsyncBody {
  const name = `${request.module.name}:${request.function.name}/${request.args.length}`;
  return Object.defineProperty(body, "name", { value: name });
}

/** What erpc:execute_call exits with: `{Ref, return, V}`, `{Ref, throw, R}`, `{Ref, exit, R}`, `{Ref, error, R, S}`. */
function callResult(ref: Term, outcome: Outcome): Tuple {
  switch (outcome.class) {
    case "return":
      return tuple(ref, RETURN, outcome.value);
    case "throw":
      return tuple(ref, THROW, outcome.reason);
    case "exit":
      return tuple(ref, EXIT, outcome.reason);
    case "error":
      return tuple(ref, ERROR, outcome.reason, outcome.stack);
  }
}

/** The exit reason of a process whose function raised: what the BEAM's would be for that class. */
function reasonOf(outcome: Exclude<Outcome, { class: "return" }>): Term {
  if (outcome.class === "error") return tuple(outcome.reason, outcome.stack);
  if (outcome.class === "throw") return tuple(atom("nocatch"), outcome.reason);
  return outcome.reason;
}
