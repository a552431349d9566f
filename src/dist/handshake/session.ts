// What both handshake roles share: who we are, what a finished handshake yields, the setup deadline, the mandatory
// flag check, and how a failed handshake ends (the socket closed, one typed error).
import type { Socket } from "node:net";
import { DistError, ErrorCodes } from "../../errors.ts";
import { MANDATORY, missingMandatory } from "../flags.ts";
import { PacketReader } from "./packets.ts";

/** Our side of a handshake. */
export interface HandshakeIdentity {
  /** Our full node name, `alive@host`. */
  name: string;
  /**
   * Our incarnation, 1..2^32-1: 0 is reserved (erl_ext_dist.md; a NAME_ME initiator sends it). A peer's 0 is
   * accepted, as OTP 25's dist_util accepts it (checked against a live erl).
   */
  creation: number;
  /** The capability flags we offer (see flags.ts `advertisedFlags`). */
  flags: bigint;
}

/** A finished handshake: the connection is up. */
export interface Handshaken {
  /** The peer's full node name. */
  peer: string;
  peerCreation: number;
  /** The flags the connection uses: ours ∩ theirs, MANDATORY_25_DIGEST expanded on both sides. */
  flags: bigint;
  /**
   * The socket, paused, with no listener of the handshake left on it: attach an 'error' listener at once, then a
   * reader, then `resume()`. Frames are 4-byte-length from here on.
   */
  socket: Socket;
  /** Bytes the peer sent past the end of the handshake: the start of its first frames. */
  leftover: Buffer;
}

/** What a role's steps establish; the session adds the socket and the leftover bytes. */
export type Established = Omit<Handshaken, "socket" | "leftover">;

/**
 * Runs a role's steps against a socket within `timeoutMs` (net_setuptime). One deadline covers the whole
 * handshake (OTP restarts its timer at each step; a single bound is simpler and never longer). On any failure the
 * socket is closed (after flushing a refusal status already written) and the promise rejects with one DistError.
 */
export async function runHandshake(
  socket: Socket,
  identity: HandshakeIdentity,
  timeoutMs: number,
  steps: (packets: PacketReader) => Promise<Established>,
): Promise<Handshaken> {
  const packets = new PacketReader(socket);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    packets.fail(new DistError(ErrorCodes.DIST_TIMEOUT, `handshake not finished within ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    checkIdentity(identity);
    const established = await steps(packets);
    return { ...established, socket, leftover: packets.release() };
  } catch (error) {
    packets.fail(error as Error);
    socket.on("error", () => {}); // the socket is being dropped: a late EPIPE or reset must not crash the process
    if (timedOut) socket.destroy();
    else socket.destroySoon();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The DIST_NOT_ALLOWED error for a peer lacking mandatory flags, or undefined when it has them all. `mask` limits
 * the check to the bits the peer has told us so far (the legacy `'n'` name carries only the low 32).
 */
export function mandatoryFlagsError(
  peerFlags: bigint,
  peer: string,
  role: "initiator" | "acceptor",
  mask = ~0n,
): DistError | undefined {
  const missing = missingMandatory(peerFlags, MANDATORY & mask);
  if (missing.length === 0) return undefined;
  const attempt = role === "acceptor" ? `from node ${peer} rejected` : `to node ${peer} aborted`;
  return new DistError(
    ErrorCodes.DIST_NOT_ALLOWED,
    `connection attempt ${attempt} since it cannot handle [${missing.join(", ")}]`,
  );
}

function checkIdentity(identity: HandshakeIdentity): void {
  if (!Number.isInteger(identity.creation) || identity.creation < 1 || identity.creation > 0xffff_ffff) {
    throw new DistError(ErrorCodes.DIST_HANDSHAKE, `our creation ${identity.creation} is not in 1..2^32-1`);
  }
}
