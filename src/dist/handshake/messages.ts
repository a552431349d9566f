// The byte layout of each handshake message (erl_dist_protocol.md, "Distribution Handshake"): building the ones we
// send, reading the ones we receive. A malformed message is a DIST_HANDSHAKE error naming what is wrong.
//
// Node names travel as Latin-1 bytes: OTP writes them with atom_to_binary(Node, latin1) and reads them back with
// list_to_atom of the bytes.
import { DistError, ErrorCodes } from "../../errors.ts";

/** send_name, version 6 (A→B): `'N'`, flags (8), creation (4), name length (2), name; extra bytes ignored. */
export interface NameMessage {
  readonly version: 6;
  readonly flags: bigint;
  readonly creation: number;
  readonly name: string;
}

/** The legacy send_name of OTP 23/24 nodes that skip EPMD (A→B): `'n'`, version (2), flags (low 32 bits), name. */
export interface OldNameMessage {
  readonly version: 5;
  readonly flags: bigint;
  readonly name: string;
}

/** The challenge (B→A): `'N'`, flags (8), challenge (4), creation (4), name length (2), name; extra ignored. */
export interface ChallengeMessage {
  readonly flags: bigint;
  readonly challenge: number;
  readonly creation: number;
  readonly name: string;
}

/** The statuses B may answer a send_name with, and A's answer to `alive`. */
export type Status = "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive" | "true" | "false";

const STATUSES: ReadonlySet<string> = new Set<Status>([
  "ok",
  "ok_simultaneous",
  "nok",
  "not_allowed",
  "alive",
  "true",
  "false",
]);

const TAG_NAME = 0x4e; // 'N': send_name v6, and the challenge
const TAG_OLD_NAME = 0x6e; // 'n'
const TAG_STATUS = 0x73; // 's'
const TAG_COMPLEMENT = 0x63; // 'c'
const TAG_REPLY = 0x72; // 'r'
const TAG_ACK = 0x61; // 'a'
const DIGEST_LENGTH = 16;

export function encodeName(message: Omit<NameMessage, "version">): Buffer {
  const name = Buffer.from(message.name, "latin1");
  const packet = Buffer.alloc(15 + name.length);
  packet[0] = TAG_NAME;
  packet.writeBigUInt64BE(message.flags, 1);
  packet.writeUInt32BE(message.creation, 9);
  packet.writeUInt16BE(name.length, 13);
  name.copy(packet, 15);
  return packet;
}

/** Reads either send_name: `'N'` (version 6) or the legacy `'n'` (version 5). */
export function decodeName(packet: Buffer): NameMessage | OldNameMessage {
  if (packet[0] === TAG_OLD_NAME) {
    if (packet.length < 7) throw malformed("send_name ('n')", packet, "shorter than 7 bytes");
    return { version: 5, flags: BigInt(packet.readUInt32BE(3)), name: packet.toString("latin1", 7) };
  }
  expectTag(packet, TAG_NAME, "send_name ('N' or 'n')");
  if (packet.length < 15) throw malformed("send_name ('N')", packet, "shorter than 15 bytes");
  const flags = packet.readBigUInt64BE(1);
  const creation = packet.readUInt32BE(9);
  const name = readName(packet, 13, "send_name ('N')");
  return { version: 6, flags, creation, name };
}

export function encodeStatus(status: Status): Buffer {
  return Buffer.concat([Buffer.of(TAG_STATUS), Buffer.from(status, "latin1")]);
}

export function decodeStatus(packet: Buffer): Status {
  expectTag(packet, TAG_STATUS, "status ('s')");
  const status = packet.toString("latin1", 1);
  if (!STATUSES.has(status)) throw malformed("status ('s')", packet, `unknown status '${status}'`);
  return status as Status;
}

export function encodeChallenge(message: ChallengeMessage): Buffer {
  const name = Buffer.from(message.name, "latin1");
  const packet = Buffer.alloc(19 + name.length);
  packet[0] = TAG_NAME;
  packet.writeBigUInt64BE(message.flags, 1);
  packet.writeUInt32BE(message.challenge, 9);
  packet.writeUInt32BE(message.creation, 13);
  packet.writeUInt16BE(name.length, 17);
  name.copy(packet, 19);
  return packet;
}

export function decodeChallenge(packet: Buffer): ChallengeMessage {
  expectTag(packet, TAG_NAME, "challenge ('N')");
  if (packet.length < 19) throw malformed("challenge ('N')", packet, "shorter than 19 bytes");
  return {
    flags: packet.readBigUInt64BE(1),
    challenge: packet.readUInt32BE(9),
    creation: packet.readUInt32BE(13),
    name: readName(packet, 17, "challenge ('N')"),
  };
}

/** The complement (A→B, only after a legacy `'n'`): `'c'`, the high 32 flag bits, creation; exactly 9 bytes. */
export function decodeComplement(packet: Buffer): { flagsHigh: bigint; creation: number } {
  expectTag(packet, TAG_COMPLEMENT, "complement ('c')");
  if (packet.length !== 9) throw malformed("complement ('c')", packet, "not 9 bytes");
  return { flagsHigh: BigInt(packet.readUInt32BE(1)) << 32n, creation: packet.readUInt32BE(5) };
}

export function encodeChallengeReply(challenge: number, digest: Buffer): Buffer {
  const packet = Buffer.alloc(5 + DIGEST_LENGTH);
  packet[0] = TAG_REPLY;
  packet.writeUInt32BE(challenge, 1);
  digest.copy(packet, 5);
  return packet;
}

/** challenge_reply (A→B): `'r'`, A's challenge (4), A's digest of B's challenge (16); exactly 21 bytes. */
export function decodeChallengeReply(packet: Buffer): { challenge: number; digest: Buffer } {
  expectTag(packet, TAG_REPLY, "challenge_reply ('r')");
  if (packet.length !== 5 + DIGEST_LENGTH) throw malformed("challenge_reply ('r')", packet, "not 21 bytes");
  return { challenge: packet.readUInt32BE(1), digest: packet.subarray(5) };
}

export function encodeChallengeAck(digest: Buffer): Buffer {
  return Buffer.concat([Buffer.of(TAG_ACK), digest]);
}

/** challenge_ack (B→A): `'a'`, B's digest of A's challenge (16); exactly 17 bytes. */
export function decodeChallengeAck(packet: Buffer): Buffer {
  expectTag(packet, TAG_ACK, "challenge_ack ('a')");
  if (packet.length !== 1 + DIGEST_LENGTH) throw malformed("challenge_ack ('a')", packet, "not 17 bytes");
  return packet.subarray(1);
}

/** A 2-byte length then that many bytes of name; whatever follows is ignored, as the protocol asks. */
function readName(packet: Buffer, at: number, what: string): string {
  const length = packet.readUInt16BE(at);
  if (at + 2 + length > packet.length) {
    throw malformed(what, packet, `name length ${length} runs past the end of the packet`);
  }
  return packet.toString("latin1", at + 2, at + 2 + length);
}

function expectTag(packet: Buffer, tag: number, what: string): void {
  if (packet[0] !== tag) throw malformed(what, packet, `tag ${describeTag(packet[0]!)}`);
}

function describeTag(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : String(byte);
}

function malformed(what: string, packet: Buffer, why: string): DistError {
  return new DistError(ErrorCodes.DIST_HANDSHAKE, `malformed ${what} message of ${packet.length} bytes: ${why}`);
}
