// The module's top-level names looked up by the scanner's identifier hashes: which names a stretch of the module
// mentions. Two names with one hash are both taken as mentioned, an over-approximation the protocol allows (a
// segment may link a name it does not use).
import { hashName } from "./keywords.ts";

const EVAL_HASH = hashName("eval");

export class NameTable {
  readonly names: readonly string[];
  private readonly hashes: Int32Array;
  /** Name index + 1 in each slot (0: empty), by open addressing on the hash. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The last segment each name was found mentioned by (so each is found once per segment). */
  private readonly seenBy: Int32Array;

  constructor(names: readonly string[]) {
    this.names = names;
    let size = 16;
    while (size < names.length * 2) size *= 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
    this.seenBy = new Int32Array(names.length).fill(-1);
    for (let index = 0; index < names.length; index++) {
      const hash = hashName(names[index]!);
      let slot = spread(hash) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hashes[slot] = hash;
      this.slots[slot] = index + 1;
    }
  }

  /** Index of a name whose hash is `hash`, one after another from `from` (a slot; start at -1); -1 when done. */
  private nextWithHash(hash: number, from: number): number {
    let slot = from < 0 ? spread(hash) & this.mask : (from + 1) & this.mask;
    while (this.slots[slot] !== 0) {
      if (this.hashes[slot] === hash) return slot;
      slot = (slot + 1) & this.mask;
    }
    return -1;
  }

  /** The names with this hash. */
  withHash(hash: number): number[] {
    const found: number[] = [];
    for (let slot = this.nextWithHash(hash, -1); slot >= 0; slot = this.nextWithHash(hash, slot)) {
      found.push(this.slots[slot]! - 1);
    }
    return found;
  }

  /**
   * The indexes of names that the identifier records in `ranges` (pairs of from, to) mention, but for those `owner`
   * says are `segment`'s own. A mention of `eval` (which could reach any name) counts as a mention of every name.
   */
  mentioned(hashes: Int32Array, ranges: readonly number[], owners: readonly number[], segment: number): number[] {
    const seenBy = this.seenBy;
    const found: number[] = [];
    for (let range = 0; range < ranges.length; range += 2) {
      for (let record = ranges[range]!; record < ranges[range + 1]!; record++) {
        const hash = hashes[record]!;
        if (hash === EVAL_HASH) {
          for (let index = 0; index < this.names.length; index++) {
            if (seenBy[index] !== segment && owners[index] !== segment) found.push(index);
            seenBy[index] = segment;
          }
          continue;
        }
        for (let slot = this.nextWithHash(hash, -1); slot >= 0; slot = this.nextWithHash(hash, slot)) {
          const index = this.slots[slot]! - 1;
          if (seenBy[index] !== segment && owners[index] !== segment) found.push(index);
          seenBy[index] = segment;
        }
      }
    }
    return found;
  }
}

function spread(hash: number): number {
  return Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) ^ (hash >>> 13);
}
