// The initiator's side of the handshake (node A, dist_util's handshake_we_started): send our name, read B's status,
// answer B's challenge with our digest and our own challenge, check B's digest in its ack.
import type { Socket } from "node:net";
import { DistError, ErrorCodes } from "../../errors.ts";
import { negotiatedFlags } from "../flags.ts";
import { digest, digestMatches, newChallenge } from "./digest.ts";
import {
  decodeChallenge,
  decodeChallengeAck,
  decodeStatus,
  encodeChallengeReply,
  encodeName,
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

export interface InitiateOptions {
  self: HandshakeIdentity;
  /** The full name of the node we connect to; B's challenge must carry exactly this name. */
  peer: string;
  /** Our out-cookie for `peer`. */
  cookie: string;
  /** net_setuptime: the whole handshake's deadline, in ms. */
  timeoutMs: number;
  /**
   * B answered `alive`: it holds a connection from a node of our name. Return true when that connection is stale
   * and B should drop it for this one (OTP answers true while its own attempt to B is still pending), false to
   * give up. Default: true.
   */
  replaceAlive?: () => boolean;
}

/** Runs the handshake as initiator over a connected socket (version 6, `'N'`). */
export function initiate(socket: Socket, options: InitiateOptions): Promise<Handshaken> {
  return runHandshake(socket, options.self, options.timeoutMs, (packets) => initiatorSteps(packets, options));
}

async function initiatorSteps(packets: PacketReader, options: InitiateOptions): Promise<Established> {
  const { self, peer, cookie } = options;
  packets.send(encodeName({ flags: self.flags, creation: self.creation, name: self.name }));
  await readStatus(packets, options);

  const challenge = decodeChallenge(await packets.next());
  if (challenge.name !== peer) {
    throw new DistError(ErrorCodes.DIST_HANDSHAKE, `connected to ${peer}, but the node answering is ${challenge.name}`);
  }
  const refusal = mandatoryFlagsError(challenge.flags, peer, "initiator");
  if (refusal) throw refusal;

  const ourChallenge = newChallenge();
  packets.send(encodeChallengeReply(ourChallenge, digest(challenge.challenge, cookie)));
  const ack = await packets.next().catch((error: unknown) => {
    // B checks our digest before it answers and, when the digest is wrong, closes without a word.
    if (!packets.peerGone) throw error;
    throw new DistError(
      ErrorCodes.DIST_BAD_COOKIE,
      `${peer} closed the connection after our challenge reply: it does not accept our cookie`,
      { cause: error },
    );
  });
  if (!digestMatches(decodeChallengeAck(ack), ourChallenge, cookie)) {
    throw new DistError(
      ErrorCodes.DIST_BAD_COOKIE,
      `${peer} answered our challenge with a wrong digest: its cookie differs from ours`,
    );
  }
  return { peer, peerCreation: challenge.creation, flags: negotiatedFlags(self.flags, challenge.flags) };
}

/** Reads B's status; goes on for `ok`/`ok_simultaneous`, answers `alive`, throws for the refusals. */
async function readStatus(packets: PacketReader, options: InitiateOptions): Promise<void> {
  const { peer } = options;
  const status = decodeStatus(await packets.next());
  switch (status) {
    case "ok":
    case "ok_simultaneous":
      return;
    case "alive": {
      const replace = options.replaceAlive?.() ?? true;
      packets.send(encodeStatus(replace ? "true" : "false"));
      if (!replace)
        throw new DistError(ErrorCodes.DIST_NOT_ALLOWED, `${peer} already has a connection from us; kept it`);
      return;
    }
    case "nok":
      throw new DistError(
        ErrorCodes.DIST_SIMULTANEOUS_LOST,
        `${peer} refused (nok): it is connecting to us at the same time and its name is greater, so its attempt wins`,
      );
    case "not_allowed":
      throw new DistError(ErrorCodes.DIST_NOT_ALLOWED, `${peer} does not allow a connection from us (not_allowed)`);
    default:
      throw new DistError(
        ErrorCodes.DIST_HANDSHAKE,
        `${peer} sent status '${status}' where a reply to our name was due`,
      );
  }
}
