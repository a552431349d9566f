// Atoms: interned names in one bounded table, like BEAM's atom table (atoms are never freed).
import { ErrorCodes, TermError } from "../errors.ts";

/** BEAM's default atom table size (`+t`). */
export const DEFAULT_ATOM_LIMIT = 1_048_576;
/** Longest atom, in characters (BEAM's MAX_ATOM_CHARACTERS). */
export const MAX_ATOM_CHARACTERS = 255;

const utf8Encoder = new TextEncoder();

/** An Erlang atom. There is exactly one `Atom` per name, so `===` compares atoms. */
export class Atom {
  /** The UTF-8 bytes of the name, as ETF writes them. */
  readonly utf8: Uint8Array;
  /** True when every character is below U+0100, so the name also fits the Latin-1 atom tags. */
  readonly latin1: boolean;
  /** True when the name has a character at or past U+D800, where UTF-16 order differs from code-point order. */
  readonly hasHighChars: boolean;

  /** @internal Use `atom(name)`. */
  constructor(
    readonly name: string,
    utf8: Uint8Array,
  ) {
    this.utf8 = utf8;
    let latin1 = true;
    let high = false;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c > 0xff) latin1 = false;
      if (c >= 0xd800) high = true;
    }
    this.latin1 = latin1;
    this.hasHighChars = high;
  }

  toString(): string {
    return this.name;
  }
}

const table = new Map<string, Atom>();
let limit = DEFAULT_ATOM_LIMIT;

/** How many atoms exist, and how many may. */
export function atomTableInfo(): { count: number; limit: number } {
  return { count: table.size, limit };
}

/** Sets the atom table's capacity (BEAM's `+t`). It cannot shrink below the atoms that exist. */
export function setAtomTableLimit(newLimit: number): void {
  if (!Number.isSafeInteger(newLimit) || newLimit < table.size) {
    throw new TermError(ErrorCodes.TERM_BAD_VALUE, `atom table limit ${newLimit} is below the ${table.size} atoms`);
  }
  limit = newLimit;
}

/** The atom with this name, created if it does not exist yet. */
export function atom(name: string): Atom {
  return table.get(name) ?? createAtom(name);
}

/** The atom with this name if it exists, else undefined (`list_to_existing_atom`). */
export function existingAtom(name: string): Atom | undefined {
  return table.get(name);
}

function createAtom(name: string): Atom {
  if (!name.isWellFormed()) {
    throw new TermError(ErrorCodes.ATOM_BAD_NAME, "atom name is not well-formed Unicode");
  }
  if (name.length > MAX_ATOM_CHARACTERS && countCodePoints(name) > MAX_ATOM_CHARACTERS) {
    throw new TermError(ErrorCodes.ATOM_BAD_NAME, `atom name has more than ${MAX_ATOM_CHARACTERS} characters`);
  }
  if (table.size >= limit) {
    throw new TermError(ErrorCodes.ATOM_TABLE_FULL, `atom table is full (${limit} atoms)`);
  }
  const created = new Atom(name, utf8Encoder.encode(name));
  table.set(name, created);
  return created;
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

// ---- Lookup by bytes, for the ETF decoder ---------------------------------------------------------
//
// Decoding an atom by first building a JS string and then looking it up costs a string allocation per
// atom. This direct-mapped cache, keyed by a hash of the bytes, answers the common case (an atom seen
// before) by comparing bytes only.

const CACHE_BITS = 12;
const byteCache: (Atom | undefined)[] = new Array(1 << CACHE_BITS).fill(undefined);
const latin1Decoder = new TextDecoder("latin1");
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Why `atomFromBytes` returned no atom: the bytes are not valid, or `safe` refused a new atom. */
export type AtomLookupFailure = "invalid" | "unsafe" | "too-long";

/**
 * The atom whose name is `bytes[start, start+len)`, read as UTF-8 (or Latin-1 when `latin1`).
 * With `safe`, returns "unsafe" rather than create an atom. Throws only for a full atom table.
 */
export function atomFromBytes(
  bytes: Uint8Array,
  start: number,
  len: number,
  latin1: boolean,
  safe: boolean,
): Atom | AtomLookupFailure {
  let h = 0x811c9dc5 ^ len;
  let ascii = 0;
  for (let i = start, end = start + len; i < end; i++) {
    const b = bytes[i]!;
    ascii |= b;
    h = Math.imul(h ^ b, 0x01000193);
  }
  // Latin-1 and UTF-8 agree on ASCII; other Latin-1 bytes go the slow way so the cache holds UTF-8 only.
  const cacheable = !latin1 || ascii < 0x80;
  const slot = (h ^ (h >>> CACHE_BITS)) & ((1 << CACHE_BITS) - 1);
  if (cacheable) {
    const hit = byteCache[slot];
    if (hit !== undefined && sameBytes(hit.utf8, bytes, start, len)) return hit;
  }
  let name: string;
  if (latin1) {
    name = latin1Decoder.decode(bytes.subarray(start, start + len));
  } else {
    try {
      name = utf8Decoder.decode(bytes.subarray(start, start + len));
    } catch {
      return "invalid";
    }
  }
  let found = table.get(name);
  if (found === undefined) {
    if (safe) return "unsafe";
    if (len > MAX_ATOM_CHARACTERS && countCodePoints(name) > MAX_ATOM_CHARACTERS) return "too-long";
    found = createAtom(name);
  }
  if (cacheable) byteCache[slot] = found;
  return found;
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, len: number): boolean {
  if (a.length !== len) return false;
  for (let i = 0; i < len; i++) if (a[i] !== b[start + i]) return false;
  return true;
}
