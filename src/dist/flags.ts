// Distribution capability flags (dist.h's DFLAG_*): the 64-bit set each node offers in the handshake, which sets
// OTP makes mandatory, and the set Otter offers.
//
// Both sides of a handshake send their flags; the connection then uses their intersection. A node refuses a peer
// that lacks a flag it holds mandatory (OTP logs "… rejected since it cannot handle [...]").

/** Every flag by its dist.h name (without the DFLAG_ prefix). */
export const DFlag = {
  PUBLISHED: 1n << 0n,
  ATOM_CACHE: 1n << 1n,
  EXTENDED_REFERENCES: 1n << 2n,
  DIST_MONITOR: 1n << 3n,
  FUN_TAGS: 1n << 4n,
  DIST_MONITOR_NAME: 1n << 5n,
  HIDDEN_ATOM_CACHE: 1n << 6n,
  NEW_FUN_TAGS: 1n << 7n,
  EXTENDED_PIDS_PORTS: 1n << 8n,
  EXPORT_PTR_TAG: 1n << 9n,
  BIT_BINARIES: 1n << 10n,
  NEW_FLOATS: 1n << 11n,
  UNICODE_IO: 1n << 12n,
  DIST_HDR_ATOM_CACHE: 1n << 13n,
  SMALL_ATOM_TAGS: 1n << 14n,
  /** Internal to ERTS (compressed ETS tables); never sent. */
  ETS_COMPRESSED: 1n << 15n,
  UTF8_ATOMS: 1n << 16n,
  MAP_TAG: 1n << 17n,
  BIG_CREATION: 1n << 18n,
  SEND_SENDER: 1n << 19n,
  BIG_SEQTRACE_LABELS: 1n << 20n,
  /** Internal to ERTS (encoding toward a connection still being set up); never sent. */
  PENDING_CONNECT: 1n << 21n,
  EXIT_PAYLOAD: 1n << 22n,
  FRAGMENTS: 1n << 23n,
  HANDSHAKE_23: 1n << 24n,
  UNLINK_ID: 1n << 25n,
  /**
   * Stands for the whole OTP 25 mandatory set when a peer sends it. Bit 26 (0x4000000) as dist.h, dist.hrl and
   * ei_connect.c define it; erl_dist_protocol.md wrongly lists it as `1 bsl 36`.
   */
  MANDATORY_25_DIGEST: 1n << 26n,
  SPAWN: 1n << 32n,
  /** A request for a name assigned by the acceptor, not a capability. */
  NAME_ME: 1n << 33n,
  V4_NC: 1n << 34n,
  ALIAS: 1n << 35n,
  /** Internal to ERTS (`term_to_binary(T, [local])`); never sent. */
  LOCAL_EXT: 1n << 36n,
  ALTACT_SIG: 1n << 37n,
} as const;

export type DFlagName = keyof typeof DFlag;

/** dist.h DFLAG_DIST_MANDATORY_25: what OTP 25 refuses to connect without. */
export const MANDATORY_25 =
  DFlag.EXTENDED_REFERENCES |
  DFlag.FUN_TAGS |
  DFlag.EXTENDED_PIDS_PORTS |
  DFlag.UTF8_ATOMS |
  DFlag.NEW_FUN_TAGS |
  DFlag.BIG_CREATION |
  DFlag.NEW_FLOATS |
  DFlag.MAP_TAG |
  DFlag.EXPORT_PTR_TAG |
  DFlag.BIT_BINARIES |
  DFlag.HANDSHAKE_23;

/** dist.h DFLAG_DIST_MANDATORY_26: what OTP 26 added to the mandatory set. */
export const MANDATORY_26 = DFlag.V4_NC | DFlag.UNLINK_ID;

/** What Otter refuses to connect without, in either role: OTP 26's rule (25 ∪ 26). */
export const MANDATORY = MANDATORY_25 | MANDATORY_26;

/**
 * The flags Otter offers: OTP's DFLAG_DIST_DEFAULT (dist.h, 2025) without ALTACT_SIG, plus PUBLISHED unless the
 * node is hidden. ALTACT_SIG (OTP 28) is left out until the control layer handles ALTACT_SIG_SEND; without it an
 * OTP 28 peer uses ALIAS_SEND, as OTP 24–27 do.
 */
export function advertisedFlags(options: { hidden?: boolean } = {}): bigint {
  const offered =
    MANDATORY |
    DFlag.MANDATORY_25_DIGEST |
    DFlag.DIST_MONITOR |
    DFlag.DIST_MONITOR_NAME |
    DFlag.UNICODE_IO |
    DFlag.DIST_HDR_ATOM_CACHE |
    DFlag.SMALL_ATOM_TAGS |
    DFlag.SEND_SENDER |
    DFlag.BIG_SEQTRACE_LABELS |
    DFlag.EXIT_PAYLOAD |
    DFlag.FRAGMENTS |
    DFlag.SPAWN |
    DFlag.ALIAS;
  return options.hidden ? offered : offered | DFlag.PUBLISHED;
}

/** A peer's flags with MANDATORY_25_DIGEST replaced by what it stands for (dist_util's expand_mandatory_25_flag). */
export function expandMandatory25(flags: bigint): bigint {
  return flags & DFlag.MANDATORY_25_DIGEST ? flags | MANDATORY_25 : flags;
}

/** The flags both sides use: the intersection, each side's 25 digest expanded first. */
export function negotiatedFlags(ours: bigint, theirs: bigint): bigint {
  return expandMandatory25(ours) & expandMandatory25(theirs);
}

/**
 * The names of the `mandatory` flags that `peerFlags` (expanded) lacks, highest bit first as OTP lists them in
 * "cannot handle [...]". Empty when the peer is acceptable.
 */
export function missingMandatory(peerFlags: bigint, mandatory: bigint = MANDATORY): string[] {
  return flagNames(mandatory & ~expandMandatory25(peerFlags)).reverse();
}

/** The names of the flags set in `flags`, lowest bit first; unknown bits as `UNKNOWN<hex>` as OTP prints them. */
export function flagNames(flags: bigint): string[] {
  const names: string[] = [];
  for (let bit = 1n; bit <= flags; bit <<= 1n) {
    if (flags & bit) names.push(NAME_OF_BIT.get(bit) ?? `UNKNOWN<${bit.toString(16).toUpperCase()}>`);
  }
  return names;
}

const NAME_OF_BIT = new Map<bigint, DFlagName>(Object.entries(DFlag).map(([name, bit]) => [bit, name as DFlagName]));
