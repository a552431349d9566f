// Why a connection that was up went down, in net_kernel's words (net_kernel:monitor_nodes/2, `nodedown_reason`).
import { type DistError, ErrorCodes } from "../errors.ts";
import { type Atom, atom } from "../term/atom.ts";

/** Why this side closed a connection: erlang:disconnect_node, or the node's distribution stopping. */
export type Closer = "disconnect" | "stop";

const CONNECTION_CLOSED = atom("connection_closed");
const DISCONNECT = atom("disconnect");
const NET_KERNEL_TERMINATED = atom("net_kernel_terminated");
const NET_TICK_TIMEOUT = atom("net_tick_timeout");

/**
 * The nodedown reason of a connection that closed with `why` (undefined: this side closed it, for `closer`, or to
 * replace it with a newer one). As on the BEAM: `disconnect` for erlang:disconnect_node, `net_kernel_terminated`
 * when the node's distribution stops, `net_tick_timeout` for a silent peer, and `connection_closed` for the rest:
 * a peer that closed or reset the socket, or sent a frame that made us close it.
 */
export function nodedownReason(why: DistError | undefined, closer: Closer | undefined): Atom {
  if (why !== undefined) return why.code === ErrorCodes.DIST_TICK_TIMEOUT ? NET_TICK_TIMEOUT : CONNECTION_CLOSED;
  return closer === "disconnect" ? DISCONNECT : closer === "stop" ? NET_KERNEL_TERMINATED : CONNECTION_CLOSED;
}
