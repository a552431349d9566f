// SPAWN_REQUEST from another node (erlang:spawn_request, which `erpc` and `rpc` are built on), or from another
// scheduler of this node: a new process runs an exported function, linked to and monitored by the requester as
// it asked, and the requester gets its pid in a SPAWN_REPLY first.
//
// `erpc:execute_call(Ref, M, F, A)` and `erpc:execute_cast(M, F, A)` are what erpc spawns; they are built in, so
// `erpc:call`/`rpc:call` from erl run exported functions here. As on the BEAM, a request for a function that does
// not exist still gets a pid, whose process exits with `undef` (erlang/otp#8603).
import { ProcessExit, type Runtime, type SpawnReply, type SpawnRequest } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Term, type Tuple, tuple } from "../term/types.ts";
import type { ExportedModules, Outcome } from "./modules.ts";

const ERPC = atom("erpc");
const EXECUTE_CALL = atom("execute_call");
const EXECUTE_CAST = atom("execute_cast");
const LINK = atom("link");
const MONITOR = atom("monitor");
const RETURN = atom("return");
const THROW = atom("throw");
const EXIT = atom("exit");
const ERROR = atom("error");

/** What a spawn request says, whichever way it came. */
export type RequestedSpawn = Pick<
  SpawnRequest,
  "from" | "ref" | "groupLeader" | "module" | "function" | "args" | "options"
>;

/** Runs a spawn request in `rt`; `reply` sends the answer back to the requester. */
export function spawnRequested(
  rt: Runtime,
  modules: ExportedModules,
  request: RequestedSpawn,
  reply: (answer: SpawnReply) => void,
): void {
  const link = request.options.includes(LINK);
  const monitor = request.options.includes(MONITOR);
  const pid = rt.spawn(async (self) => {
    self.setGroupLeader(request.groupLeader);
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
  });
  // The new process's half of the link and the monitor hold before it first runs, so its end always reaches the
  // requester. A requester of this node makes both halves itself when the reply comes (runtime/spawn-requests.ts).
  if (!rt.isHere(request.from)) {
    if (link) rt.deliver({ kind: "link", from: request.from, to: pid });
    if (monitor) rt.deliver({ kind: "monitor", from: request.from, to: pid, ref: request.ref });
  }
  reply({ to: request.from, ref: request.ref, result: pid, link, monitor });
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
