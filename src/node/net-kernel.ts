// The node's `net_kernel` as its peers see it: the registered server that answers `{is_auth, Node}` with `yes`,
// which is how `net_adm:ping/1` on another node learns this one is up.
import { GenServer, type GenServerCallbacks } from "../otp/gen-server.ts";
import type { Runtime } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Term, Tuple } from "../term/types.ts";

const NET_KERNEL = atom("net_kernel");
const IS_AUTH = atom("is_auth");
const YES = atom("yes");
const ERROR = atom("error");

const netKernel: GenServerCallbacks<null, undefined, Term, Term, Term> = {
  init: () => ({ state: null }),
  handleCall: (_self, request) => {
    const isAuth = request instanceof Tuple && request.size === 2 && request.at(0) === IS_AUTH;
    return { reply: isAuth ? YES : ERROR, state: null };
  },
};

/** Starts `net_kernel` in `rt`. */
export function startNetKernel(rt: Runtime): void {
  // Its start fails only when the node stops before `net_kernel` is up; then there is nothing to report.
  GenServer.start(rt, netKernel, undefined, { name: NET_KERNEL }).catch(() => undefined);
}
