// The distribution atom cache (8 segments × 256 slots per connection direction) and the atom cache section of a
// distribution header that fills it and refers to it (erl_ext_dist.md, "Distribution Header").
//
// A header lists its atoms once; terms after it name them by position (ATOM_CACHE_REF). Each listed atom is
// either a new entry (slot + text: the receiver stores it) or a cached ref (slot only). The receiver resolves a
// header's refs when it reads the header, so a slot that a later header overwrites never changes what an
// earlier header meant; the sender mirrors the receiver's slots, updated in the order headers go out.
import { Buffer } from "node:buffer";
import { DistError, ErrorCodes } from "../../errors.ts";
import { type Atom, atomFromBytes } from "../../term/atom.ts";
import type { AtomCacheRefs } from "../../term/etf/encode.ts";
import type { ByteReader } from "../../term/etf/reader.ts";

/** Slots per connection direction: 8 segments of 256. */
export const ATOM_CACHE_SLOTS = 2048;
/** Most atoms one header lists (ATOM_CACHE_REF indexes 0–254). */
export const MAX_HEADER_ATOMS = 255;

const NEW_ENTRY = 8;
const LONG_ATOMS = 1;
const NO_ATOMS: Atom[] = [];

/** The receiving side's cache: what the peer's headers stored. */
export class ReceiveAtomCache {
  private readonly slots: (Atom | undefined)[] = new Array(ATOM_CACHE_SLOTS).fill(undefined);

  /**
   * Reads an atom cache section (NumberOfAtomCacheRefs, Flags, AtomCacheRefs) at the reader, storing its new
   * entries, and returns the atoms its refs mean now, in order: the table for the ATOM_CACHE_REFs after it.
   */
  readSection(r: ByteReader): Atom[] {
    const n = r.u8();
    if (n === 0) return NO_ATOMS;
    const flags = new Uint8Array((n >> 1) + 1);
    for (let i = 0; i < flags.length; i++) flags[i] = r.u8();
    const longAtoms = (nibble(flags, n) & LONG_ATOMS) !== 0;
    const atoms = new Array<Atom>(n);
    for (let i = 0; i < n; i++) {
      const f = nibble(flags, i);
      const slot = ((f & 7) << 8) | r.u8();
      if ((f & NEW_ENTRY) !== 0) {
        const length = longAtoms ? r.u16() : r.u8();
        r.ensure(length);
        const found = atomFromBytes(r.buf, r.pos, length, false, false);
        if (typeof found === "string") throw protocolError(`atom cache entry ${i} is not a valid atom (${found})`);
        r.pos += length;
        this.slots[slot] = found;
        atoms[i] = found;
      } else {
        const cached = this.slots[slot];
        if (cached === undefined) throw protocolError(`atom cache ref ${i} names the empty slot ${slot}`);
        atoms[i] = cached;
      }
    }
    return atoms;
  }
}

/** The sending side's mirror of what the peer's cache holds. */
export class SendAtomCache {
  private readonly slots: (Atom | undefined)[] = new Array(ATOM_CACHE_SLOTS).fill(undefined);
  /** Per listed atom, while a section is built: its slot, and whether it goes out as a new entry. */
  private readonly plannedSlots = new Uint16Array(MAX_HEADER_ATOMS);
  private readonly plannedNew = new Uint8Array(MAX_HEADER_ATOMS);

  /** `slotOf` places an atom in 0..2047 (tests pass one that makes atoms collide). */
  constructor(private readonly slotOf: (atom: Atom) => number = hashSlot) {}

  /**
   * The atom cache section listing `atoms`, after `reserve` bytes left for the caller's prefix. An atom whose slot
   * holds another atom goes out as a new entry, and the mirror takes it, as the receiver will on reading this.
   */
  section(atoms: readonly Atom[], reserve: number): Buffer {
    const n = atoms.length;
    if (n === 0) return emptySection(reserve);
    let size = 1 + (n >> 1) + 1;
    let longAtoms = false;
    for (let i = 0; i < n; i++) {
      const a = atoms[i]!;
      const slot = this.slotOf(a);
      const isNew = this.slots[slot] !== a;
      this.plannedSlots[i] = slot;
      this.plannedNew[i] = isNew ? 1 : 0;
      size += 1;
      if (isNew) {
        this.slots[slot] = a;
        size += 1 + a.utf8.length;
        if (a.utf8.length > 255) longAtoms = true;
      }
    }
    if (longAtoms) for (let i = 0; i < n; i++) size += this.plannedNew[i]!;
    const out = Buffer.allocUnsafe(reserve + size);
    let p = reserve;
    out[p++] = n;
    const flagsAt = p;
    p += (n >> 1) + 1;
    for (let i = flagsAt; i < p; i++) out[i] = 0;
    for (let i = 0; i < n; i++) {
      const slot = this.plannedSlots[i]!;
      const isNew = this.plannedNew[i] === 1;
      out[flagsAt + (i >> 1)]! |= ((isNew ? NEW_ENTRY : 0) | (slot >> 8)) << ((i & 1) * 4);
      out[p++] = slot & 0xff;
      if (!isNew) continue;
      const text = atoms[i]!.utf8;
      if (longAtoms) out[p++] = text.length >> 8;
      out[p++] = text.length & 0xff;
      out.set(text, p);
      p += text.length;
    }
    if (longAtoms) out[flagsAt + (n >> 1)]! |= LONG_ATOMS << ((n & 1) * 4);
    return out;
  }
}

/** An atom cache section that lists no atoms, after `reserve` bytes left for the caller's prefix. */
export function emptySection(reserve: number): Buffer {
  const out = Buffer.allocUnsafe(reserve + 1);
  out[reserve] = 0;
  return out;
}

/** Up to this many atoms a message's refs are found by scanning; past it, by a map. */
const SCAN_LIMIT = 16;

/**
 * The atoms one outgoing message names by ATOM_CACHE_REF, numbered in order of first use (the encoder asks while
 * it writes). Past MAX_HEADER_ATOMS distinct atoms, the rest are written out in full.
 */
export class HeaderAtomRefs implements AtomCacheRefs {
  private atoms: Atom[] = [];
  private readonly index = new Map<Atom, number>();

  refFor(a: Atom): number {
    const atoms = this.atoms;
    const n = atoms.length;
    if (n <= SCAN_LIMIT) {
      for (let i = 0; i < n; i++) if (atoms[i] === a) return i;
    } else {
      const i = this.index.get(a);
      if (i !== undefined) return i;
    }
    if (n >= MAX_HEADER_ATOMS) return -1;
    atoms.push(a);
    if (n === SCAN_LIMIT) for (let i = 0; i <= n; i++) this.index.set(atoms[i]!, i);
    else if (n > SCAN_LIMIT) this.index.set(a, n);
    return n;
  }

  /** The atoms named so far, in index order; the table starts empty again. */
  take(): Atom[] {
    const atoms = this.atoms;
    if (atoms.length === 0) return NO_ATOMS;
    this.atoms = [];
    if (atoms.length > SCAN_LIMIT) this.index.clear();
    return atoms;
  }
}

/** The 4-bit flag field of ref `i` (even refs in the low half of a byte, odd ones in the high half). */
function nibble(flags: Uint8Array, i: number): number {
  return (flags[i >> 1]! >> ((i & 1) * 4)) & 0xf;
}

/** FNV-1a of the atom's UTF-8 name, folded into a slot. */
function hashSlot(a: Atom): number {
  let h = 0x811c9dc5;
  const bytes = a.utf8;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h ^ (h >>> 11)) & (ATOM_CACHE_SLOTS - 1);
}

function protocolError(message: string): DistError {
  return new DistError(ErrorCodes.DIST_PROTOCOL, `bad distribution header: ${message}`);
}
