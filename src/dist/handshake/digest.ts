// The handshake's proof of the cookie: a random 32-bit challenge, answered by MD5 of the cookie followed by the
// challenge written in decimal (dist_util's gen_digest).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh challenge: a random unsigned 32-bit integer. */
export function newChallenge(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** MD5 over the cookie's characters as bytes, then the challenge as decimal text: 16 bytes. */
export function digest(challenge: number, cookie: string): Buffer {
  return createHash("md5").update(cookie, "latin1").update(String(challenge), "latin1").digest();
}

/** Whether `received` is the digest of `challenge` under `cookie` (compared in constant time). */
export function digestMatches(received: Buffer, challenge: number, cookie: string): boolean {
  const expected = digest(challenge, cookie);
  return received.length === expected.length && timingSafeEqual(received, expected);
}
