// Node names (`alive@host`): a peer's name as the handshake checks it, short vs long names as erl tells them
// apart, and our own name built from --sname / --name the way erl builds it.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { DistError, ErrorCodes } from "../errors.ts";

/** Short names (`-sname`: host without dots) or long names (`-name`: host with a dot, or an IP address). */
export type NameMode = "short" | "long";

export interface NodeName {
  readonly alive: string;
  readonly host: string;
  /** `alive@host`. */
  readonly full: string;
}

/** A node name is an atom: at most 255 characters. */
const MAX_NAME_LENGTH = 255;
/** net_kernel's valid_name_head: what erl allows before the '@' of its own name. */
const ALIVE_PATTERN = /^[0-9A-Za-z_-]+$/;
/** net_kernel's validate_hostname: '!' to 'ÿ' (no space, no control characters, nothing beyond Latin-1). */
const HOST_PATTERN = /^[!-\u00ff]+$/;

/**
 * A name as dist_util's is_node_name accepts it from a peer: exactly one '@', neither side empty. Nothing else is
 * checked (OTP does not either), so any name a BEAM node can carry is accepted.
 */
export function parseNodeName(text: string): NodeName {
  const parts = text.split("@");
  if (parts.length !== 2) throw badName(text, "a node name has exactly one '@'");
  const [alive, host] = parts as [string, string];
  if (alive === "" || host === "") throw badName(text, "both sides of the '@' must be non-empty");
  if ([...text].length > MAX_NAME_LENGTH) throw badName(text, `longer than ${MAX_NAME_LENGTH} characters`);
  return { alive, host, full: text };
}

/** The mode a host name belongs to: long when it has a dot or is an IP address (v4 or v6), else short. */
export function hostMode(host: string): NameMode {
  return host.includes(".") || isIP(host) !== 0 ? "long" : "short";
}

/**
 * A peer's name checked against the mode our node runs in, as inet_tcp_dist does before connecting: a node with
 * short names cannot reach `a@host.domain`, a node with long names cannot reach `a@host`.
 */
export function checkNodeName(text: string, mode: NameMode): NodeName {
  const name = parseNodeName(text);
  const hostIs = hostMode(name.host);
  if (hostIs !== mode) {
    const why =
      mode === "long"
        ? `long names need a host with a dot or an IP address, and '${name.host}' is neither`
        : `short names need a host without dots, and '${name.host}' has some`;
    throw badName(text, why);
  }
  return name;
}

/** Where the default host comes from; injectable for tests. */
export interface HostInfo {
  /** The machine's host name (`os.hostname()`). */
  hostname(): string;
  /** An address of `host` (DNS or /etc/hosts), IPv4 preferred. */
  address(host: string): Promise<string>;
}

const systemHost: HostInfo = {
  hostname,
  address: async (host) => (await lookup(host, { family: 0, order: "ipv4first" })).address,
};

/** Our node's name and mode from `--sname` or `--name`. */
export type NameOption = { sname: string } | { name: string };

/**
 * Our own full name, as erl builds it from `-sname`/`-name`: the given host, else for short names the host name up
 * to its first dot, for long names the fully qualified host name, else (where the machine has no domain, which
 * makes erl give up) the host's address. The alive part may hold only letters, digits, '_' and '-'.
 */
export async function ownNodeName(
  option: NameOption,
  host: HostInfo = systemHost,
): Promise<{ name: NodeName; mode: NameMode }> {
  const mode: NameMode = "sname" in option ? "short" : "long";
  const given = "sname" in option ? option.sname : option.name;
  const at = given.indexOf("@");
  const alive = at === -1 ? given : given.slice(0, at);
  if (!ALIVE_PATTERN.test(alive)) {
    throw badName(given, "the part before '@' may hold only letters, digits, '_' and '-', and not be empty");
  }
  const full = at === -1 ? `${alive}@${await defaultHost(mode, host)}` : given;
  const name = checkNodeName(full, mode);
  if (!HOST_PATTERN.test(name.host)) {
    throw badName(full, "a host may hold only the characters '!' to 'ÿ' (no spaces, nothing beyond Latin-1)");
  }
  return { name, mode };
}

async function defaultHost(mode: NameMode, host: HostInfo): Promise<string> {
  const machine = host.hostname();
  if (mode === "short") {
    const short = machine.split(".")[0];
    if (!short) throw badName("", "the machine has no host name to build a short name from");
    return short;
  }
  if (machine.includes(".")) return machine;
  try {
    return await host.address(machine);
  } catch (error) {
    throw new DistError(
      ErrorCodes.DIST_BAD_NAME,
      `cannot build a long node name: host '${machine}' has no domain and no address; pass --name alive@host.domain`,
      { cause: error },
    );
  }
}

function badName(text: string, why: string): DistError {
  return new DistError(ErrorCodes.DIST_BAD_NAME, `bad node name '${text}': ${why}`);
}
