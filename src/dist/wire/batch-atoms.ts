// The batch framing's atom table (batch-format.ts): 255 slots per connection direction that keep their atom until
// the slot is defined anew, so a message names a known atom in one byte and carries no header listing its atoms.
//
// The sender places an atom by a hash of its name; an atom whose slot holds another is defined anew (DEFINE_ATOM
// before the record that uses it), unless that other atom is named by the same record — then the later one is
// written in full, as the receiver resolves a record's slots while it reads the record.
import type { Atom } from "../../term/atom.ts";
import type { AtomCacheRefs } from "../../term/etf/encode.ts";
import { ATOM_SLOTS, MAX_SLOT_ATOM_BYTES } from "./batch-format.ts";

/** The sending side: which atom each slot of the peer's table holds, and the definitions it still owes. */
export class SendAtomTable implements AtomCacheRefs {
  private readonly slots: (Atom | undefined)[] = new Array(ATOM_SLOTS).fill(undefined);
  private readonly slotOf = new Map<Atom, number>();
  /** The record each slot was last named by (`record` numbers them). */
  private readonly namedBy = new Uint32Array(ATOM_SLOTS);
  private record = 1;
  /** Slots defined anew since `takeDefinitions`, in order. */
  private defined: number[] = [];

  /** The next record starts: its atoms may displace any slot that no earlier atom of it named. */
  nextRecord(): void {
    this.record = (this.record + 1) >>> 0 || 1;
  }

  /** The slot that names `a` in the current record, or -1 to write it in full. */
  refFor(a: Atom): number {
    const known = this.slotOf.get(a);
    if (known !== undefined) {
      this.namedBy[known] = this.record;
      return known;
    }
    if (a.utf8.length > MAX_SLOT_ATOM_BYTES) return -1;
    const slot = hashSlot(a);
    if (this.namedBy[slot] === this.record) return -1;
    const old = this.slots[slot];
    if (old !== undefined) this.slotOf.delete(old);
    this.slots[slot] = a;
    this.slotOf.set(a, slot);
    this.namedBy[slot] = this.record;
    this.defined.push(slot);
    return slot;
  }

  /** Whether slots were defined anew that no DEFINE_ATOM announced yet. */
  get owesDefinitions(): boolean {
    return this.defined.length > 0;
  }

  /** The slots defined anew since the last call, with their atoms: each owes a DEFINE_ATOM, in this order. */
  takeDefinitions(): { slot: number; atom: Atom }[] {
    const out = this.defined.map((slot) => ({ slot, atom: this.slots[slot]! }));
    this.defined = [];
    return out;
  }
}

/** FNV-1a of the atom's UTF-8 name, folded into a slot. */
function hashSlot(a: Atom): number {
  let h = 0x811c9dc5;
  const bytes = a.utf8;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return ((h ^ (h >>> 16)) >>> 0) % ATOM_SLOTS;
}
