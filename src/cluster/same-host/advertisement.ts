// What an Otter node puts in EPMD's ALIVE2 extra field to offer its Unix socket to nodes on the same host:
// `otter2:unix:<host id>:<absolute path>`, versioned and read tolerantly — BEAM nodes ignore the extra field, and
// anything this version does not recognise (another version, another carrier, garbage) reads as "use TCP". The
// version names what the socket speaks after the handshake too: version 2 is the batch framing
// (dist/wire/batch-format.ts), which version 1 (standard frames) could not read.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute } from "node:path";

const PREFIX = "otter2:unix:";
const HOST_ID = /^[0-9a-f]{16}$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The Unix socket a node on this host listens on, read from its EPMD extra field. */
export interface UnixAdvertisement {
  hostId: string;
  path: string;
}

/** This machine in this boot: hostname and boot id, hashed (a socket path means nothing on another host). */
export const thisHostId: string = createHash("sha256").update(`${hostname()}\n${bootId()}`).digest("hex").slice(0, 16);

export function encodeAdvertisement(path: string): Uint8Array {
  return Buffer.from(`${PREFIX}${thisHostId}:${path}`, "utf8");
}

/** The advertised socket, or undefined for an extra field that is not this format (TCP, then). */
export function parseAdvertisement(extra: Uint8Array): UnixAdvertisement | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(extra);
  } catch {
    return undefined;
  }
  if (!text.startsWith(PREFIX)) return undefined;
  const rest = text.slice(PREFIX.length);
  const colon = rest.indexOf(":");
  const hostId = rest.slice(0, colon);
  const path = rest.slice(colon + 1);
  if (colon < 0 || !HOST_ID.test(hostId) || !isAbsolute(path) || path.includes("\0")) return undefined;
  return { hostId, path };
}

/** Linux's random id of the running kernel; elsewhere nothing (the hostname alone names the host). */
function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}
