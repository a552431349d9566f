// The node's `rex`, the rpc server of OTP before erpc: `{call, M, F, A, GroupLeader}` calls and
// `{cast, M, F, A, GroupLeader}` casts run an exported function in a new process, and a call's caller gets its
// value, or `{badrpc, {'EXIT', Reason}}` as rpc:call returns it from a BEAM node. It also answers an OTP 23+
// node's `features_request` (it supports erpc).

import type { ExportedModules, Outcome } from "../dist/modules.ts";
import type { From } from "../otp/gen.ts";
import { GenServer, type GenServerCallbacks } from "../otp/gen-server.ts";
import type { Process, Runtime } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";

const REX = atom("rex");
const CALL = atom("call");
const CAST = atom("cast");
const BADRPC = atom("badrpc");
const FEATURES_REQUEST = atom("features_request");
const FEATURES_REPLY = atom("features_reply");
const ERPC = atom("erpc");
const EXIT = atom("EXIT");

function rexServer(modules: ExportedModules): GenServerCallbacks<null, undefined, Term, Term, Term> {
  const run = (self: Process, request: Term, from?: From) => {
    if (!(request instanceof Tuple) || request.size !== 5) return;
    self.spawn(async (worker) => {
      const outcome = await modules.apply(worker, request.at(1)!, request.at(2)!, request.at(3)!);
      if (from !== undefined) GenServer.reply(worker, from, rpcResult(outcome));
    });
  };
  return {
    init: () => ({ state: null }),
    handleCall: (self, request, from) => {
      if (request instanceof Tuple && request.at(0) === CALL) run(self, request, from);
      else return { reply: tuple(BADRPC, atom("unknown_request")), state: null };
      return { state: null };
    },
    handleCast: (self, request) => {
      if (request instanceof Tuple && request.at(0) === CAST) run(self, request);
      return { state: null };
    },
    handleInfo: (self, message) => {
      // An OTP 23+ node asks what this rex can do before it picks erpc or rex for rpc calls.
      if (message instanceof Tuple && message.size === 2 && message.at(1) === FEATURES_REQUEST) {
        const from = message.at(0);
        if (from instanceof Pid) self.send(from, tuple(FEATURES_REPLY, self.runtime.node, [ERPC]));
      }
      return { state: null };
    },
  };
}

/** What rpc:call returns for an outcome: the value, or `{badrpc, {'EXIT', Reason}}`. */
export function rpcResult(outcome: Outcome): Term {
  switch (outcome.class) {
    case "return":
      return outcome.value;
    case "throw":
      return outcome.reason; // rpc:call returns a thrown value as if returned
    case "exit":
      return tuple(BADRPC, tuple(EXIT, outcome.reason));
    case "error":
      return tuple(BADRPC, tuple(EXIT, tuple(outcome.reason, outcome.stack)));
  }
}

/** Starts `rex` in `rt`. */
export function startRex(rt: Runtime, modules: ExportedModules): void {
  // Its start fails only when the node stops before `rex` is up; then there is nothing to report.
  GenServer.start(rt, rexServer(modules), undefined, { name: REX }).catch(() => undefined);
}
