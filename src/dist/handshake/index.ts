// The distribution handshake (erl_dist_protocol.md, "Distribution Handshake"): both roles over a connected socket.
export { type AcceptOptions, type Admission, accept, simultaneousWinner } from "./accept.ts";
export { type InitiateOptions, initiate } from "./initiate.ts";
export type { HandshakeIdentity, Handshaken } from "./session.ts";
