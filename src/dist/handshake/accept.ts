// The acceptor's side of the handshake (node B, dist_util's handshake_other_started): read A's name (version 6
// `'N'`, or the legacy `'n'` + complement `'c'` of OTP 23/24 nodes that skip EPMD), answer a status, challenge A,
// check A's digest, and prove our cookie in the ack.
import type { Socket } from "node:net";
import { DistError, ErrorCodes } from "../../errors.ts";
import { DFlag, negotiatedFlags } from "../flags.ts";
import { parseNodeName } from "../node-name.ts";
import { digest, digestMatches, newChallenge } from "./digest.ts";
import {
  decodeChallengeReply,
  decodeComplement,
  decodeName,
  decodeStatus,
  encodeChallenge,
  encodeChallengeAck,
  encodeStatus,
} from "./messages.ts";
import type { PacketReader } from "./packets.ts";
import {
  type Established,
  type HandshakeIdentity,
  type Handshaken,
  mandatoryFlagsError,
  runHandshake,
} from "./session.ts";

/**
 * The node's verdict on a peer that is connecting, from its connection table (net_kernel's accept_pending):
 * - `ok`: no connection to or from that peer; go on.
 * - `ok_simultaneous`: we are connecting to that peer at the same moment and our attempt loses (see
 *   `simultaneousWinner`); the node drops its own attempt and this one goes on.
 * - `nok`: we are connecting to that peer at the same moment and our attempt wins; this one is refused.
 * - `not_allowed`: the peer may not connect (an allow list).
 * - `alive`: a connection to that peer is up. The peer is asked whether it is stale; when it answers true the
 *   handshake goes on and, once it succeeds, the node replaces the old connection with the new one (OTP waits for
 *   the old one to go down before its ack; a node that swaps its table entry when `accept` resolves gets the same
 *   order, and only after the peer has proved the cookie).
 */
export type Admission = "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive";

export interface AcceptOptions {
  self: HandshakeIdentity;
  /** Our cookie, or our cookie for a given peer (in-cookie and out-cookie are the same here, as in OTP). */
  cookie: string | ((peer: string) => string);
  /** net_setuptime: the whole handshake's deadline, in ms. */
  timeoutMs: number;
  /**
   * Decides whether the peer may go on. For a legacy (`'n'`) peer the creation is not known yet (0) and the flags
   * hold only their low 32 bits; the resolved `Handshaken` has the final values.
   */
  admit: (peer: string, creation: number, flags: bigint) => Admission;
}

/**
 * Who wins a simultaneous connect between us and `peerName` (net_kernel: the node whose name is greater keeps its
 * own attempt). Names compare as Erlang compares atoms: by their characters' code points (UTF-8 bytes).
 * An acceptor whose own attempt is pending answers `nok` when this says "us", else `ok_simultaneous`.
 */
export function simultaneousWinner(ourName: string, peerName: string): "us" | "peer" {
  return Buffer.compare(Buffer.from(ourName, "utf8"), Buffer.from(peerName, "utf8")) > 0 ? "us" : "peer";
}

/** Runs the handshake as acceptor over a socket just accepted. */
export function accept(socket: Socket, options: AcceptOptions): Promise<Handshaken> {
  return runHandshake(socket, options.self, options.timeoutMs, (packets) => acceptorSteps(packets, options));
}

async function acceptorSteps(packets: PacketReader, options: AcceptOptions): Promise<Established> {
  const { self } = options;
  const name = decodeName(await packets.next());
  if (name.version === 6 && name.flags & DFlag.NAME_ME) {
    throw refuse(packets, `${name.name} asks for a dynamic node name (NAME_ME), which this node does not assign`);
  }
  const peer = peerName(name.name);
  let peerFlags = name.flags;
  let peerCreation = name.version === 6 ? name.creation : 0;
  const lowBitsOnly = name.version === 5 ? 0xffff_ffffn : ~0n;
  const lacking = mandatoryFlagsError(peerFlags, peer, "acceptor", lowBitsOnly);
  if (lacking) throw refuse(packets, lacking.message);

  await admit(packets, options, peer, peerCreation, peerFlags);

  const ourChallenge = newChallenge();
  packets.send(
    encodeChallenge({ flags: self.flags, challenge: ourChallenge, creation: self.creation, name: self.name }),
  );
  if (name.version === 5) {
    const complement = decodeComplement(await packets.next());
    peerFlags |= complement.flagsHigh;
    peerCreation = complement.creation;
    const stillLacking = mandatoryFlagsError(peerFlags, peer, "acceptor");
    if (stillLacking) throw refuse(packets, stillLacking.message);
  }

  const reply = decodeChallengeReply(await packets.next());
  const cookie = typeof options.cookie === "function" ? options.cookie(peer) : options.cookie;
  if (!digestMatches(reply.digest, ourChallenge, cookie)) {
    // As OTP: no answer, the socket just closes.
    throw new DistError(
      ErrorCodes.DIST_BAD_COOKIE,
      `connection attempt from ${peer} rejected: invalid challenge reply (cookie mismatch)`,
    );
  }
  packets.send(encodeChallengeAck(digest(reply.challenge, cookie)));
  return { peer, peerCreation, flags: negotiatedFlags(self.flags, peerFlags) };
}

/** Sends the node's verdict; for `alive`, reads the peer's answer. Throws when the handshake must stop. */
async function admit(
  packets: PacketReader,
  options: AcceptOptions,
  peer: string,
  creation: number,
  flags: bigint,
): Promise<void> {
  const admission = options.admit(peer, creation, flags);
  packets.send(encodeStatus(admission));
  switch (admission) {
    case "ok":
    case "ok_simultaneous":
      return;
    case "nok":
      throw new DistError(
        ErrorCodes.DIST_NOT_ALLOWED,
        `connection attempt from ${peer} refused (nok): our simultaneous attempt to it wins`,
      );
    case "not_allowed":
      throw new DistError(ErrorCodes.DIST_NOT_ALLOWED, `connection attempt from ${peer} not allowed`);
    case "alive": {
      const answer = decodeStatus(await packets.next());
      if (answer === "true") return;
      if (answer === "false") {
        throw new DistError(ErrorCodes.DIST_NOT_ALLOWED, `${peer} gave up: it keeps its connection that is up`);
      }
      throw new DistError(ErrorCodes.DIST_HANDSHAKE, `${peer} answered 'alive' with '${answer}', not true/false`);
    }
  }
}

/** The peer's name, checked as dist_util's is_node_name checks it. */
function peerName(text: string): string {
  try {
    return parseNodeName(text).full;
  } catch (error) {
    throw new DistError(ErrorCodes.DIST_HANDSHAKE, `the peer sent a bad node name: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Sends `not_allowed` and returns the error to throw. */
function refuse(packets: PacketReader, message: string): DistError {
  packets.send(encodeStatus("not_allowed"));
  return new DistError(ErrorCodes.DIST_NOT_ALLOWED, message);
}
