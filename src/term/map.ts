// Erlang maps: keys compare by term value (=:=), small maps keep BEAM's sorted key order.
//
// Like BEAM's flatmap, a map of at most 32 keys keeps its keys sorted in map-key order (term order, with
// integers before floats), so it encodes to exactly the bytes `term_to_binary` gives. Past 32 keys BEAM
// switches to a hash trie whose order comes from internal hashes; we keep insertion order and an index.
import { Atom } from "./atom.ts";
import { compareMapKeys, equals, hash } from "./compare.ts";
import type { Term } from "./types.ts";

/** BEAM's MAP_SMALL_MAP_LIMIT: the largest map kept as a sorted flatmap. */
export const SMALL_MAP_LIMIT = 32;

type IndexKey = Atom | boolean | number | bigint | string;

/** The arrays of every map that never had a key: shared, so an empty or decoded map allocates none it drops. */
const NO_TERMS: Term[] = [];

/** An Erlang map. Keys are terms compared by value: binary, tuple and list keys work. */
export class ErlMap implements Iterable<[Term, Term]> {
  #keys: Term[];
  #values: Term[];
  /** Present only past SMALL_MAP_LIMIT: index key → position, or a bucket of positions for hashed keys. */
  #index: Map<IndexKey, number | number[]> | undefined;

  constructor(entries?: Iterable<readonly [Term, Term]>) {
    this.#keys = NO_TERMS;
    this.#values = NO_TERMS;
    this.#index = undefined;
    if (entries !== undefined) for (const [k, v] of entries) this.set(k, v);
  }

  /** `map([[k, v], …])`; a later duplicate key replaces the earlier value. */
  static from(entries: Iterable<readonly [Term, Term]>): ErlMap {
    return new ErlMap(entries);
  }

  /**
   * @internal For the ETF decoder: takes ownership of the arrays. Returns undefined on a duplicate key.
   * Keys that arrive in map-key order (as BEAM writes small maps) cost one comparison each.
   */
  static fromArrays(keys: Term[], values: Term[]): ErlMap | undefined {
    const m = new ErlMap();
    const n = keys.length;
    if (n <= SMALL_MAP_LIMIT) {
      let sorted = true;
      for (let i = 1; i < n; i++) {
        const c = compareMapKeys(keys[i - 1]!, keys[i]!);
        if (c >= 0) {
          sorted = false;
          break;
        }
      }
      if (sorted) {
        m.#keys = keys;
        m.#values = values;
        return m;
      }
    }
    for (let i = 0; i < n; i++) {
      if (m.has(keys[i]!)) return undefined;
      m.set(keys[i]!, values[i]!);
    }
    return m;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** True for a map past 32 keys, whose wire order is not term order. */
  get isLarge(): boolean {
    return this.#index !== undefined;
  }

  get(key: Term): Term | undefined {
    const i = this.#find(key);
    return i < 0 ? undefined : this.#values[i];
  }

  has(key: Term): boolean {
    return this.#find(key) >= 0;
  }

  set(key: Term, value: Term): this {
    const found = this.#find(key);
    if (found >= 0) {
      this.#values[found] = value;
      return this;
    }
    if (this.#keys === NO_TERMS) {
      this.#keys = [];
      this.#values = [];
    }
    if (this.#index !== undefined) {
      this.#keys.push(key);
      this.#values.push(value);
      this.#indexAdd(key, this.#keys.length - 1);
      return this;
    }
    if (this.#keys.length === SMALL_MAP_LIMIT) {
      this.#keys.push(key);
      this.#values.push(value);
      this.#buildIndex();
      return this;
    }
    const at = -found - 1;
    this.#keys.splice(at, 0, key);
    this.#values.splice(at, 0, value);
    return this;
  }

  delete(key: Term): boolean {
    const i = this.#find(key);
    if (i < 0) return false;
    if (this.#index === undefined) {
      this.#keys.splice(i, 1);
      this.#values.splice(i, 1);
      return true;
    }
    const last = this.#keys.length - 1;
    this.#indexRemove(this.#keys[i]!, i);
    if (i !== last) {
      this.#indexRemove(this.#keys[last]!, last);
      this.#keys[i] = this.#keys[last]!;
      this.#values[i] = this.#values[last]!;
      this.#indexAdd(this.#keys[i]!, i);
    }
    this.#keys.pop();
    this.#values.pop();
    if (this.#keys.length <= SMALL_MAP_LIMIT) this.#toSmall();
    return true;
  }

  /** Keys in wire order: sorted map-key order for small maps, insertion order past 32 keys. */
  keys(): readonly Term[] {
    return this.#keys;
  }

  /** Values in the same order as `keys()`. */
  values(): readonly Term[] {
    return this.#values;
  }

  *entries(): IterableIterator<[Term, Term]> {
    for (let i = 0; i < this.#keys.length; i++) yield [this.#keys[i]!, this.#values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[Term, Term]> {
    return this.entries();
  }

  /** Position of `key`; when absent in a small map, `-(insertion point) - 1`; absent in a large map, -1. */
  #find(key: Term): number {
    if (this.#index !== undefined) {
      const slot = this.#index.get(indexKey(key));
      if (slot === undefined) return -1;
      if (typeof slot === "number") return slot;
      for (const i of slot) if (equals(this.#keys[i]!, key)) return i;
      return -1;
    }
    const keys = this.#keys;
    // Identity first: atoms and small integers, the usual keys, need no comparison.
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareMapKeys(keys[mid]!, key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  #buildIndex(): void {
    this.#index = new Map();
    for (let i = 0; i < this.#keys.length; i++) this.#indexAdd(this.#keys[i]!, i);
  }

  #toSmall(): void {
    const order = this.#keys.map((_, i) => i).sort((a, b) => compareMapKeys(this.#keys[a]!, this.#keys[b]!));
    this.#keys = order.map((i) => this.#keys[i]!);
    this.#values = order.map((i) => this.#values[i]!);
    this.#index = undefined;
  }

  #indexAdd(key: Term, position: number): void {
    const index = this.#index!;
    const k = indexKey(key);
    if (typeof k !== "string") {
      index.set(k, position);
      return;
    }
    const bucket = index.get(k);
    if (bucket === undefined) index.set(k, [position]);
    else (bucket as number[]).push(position);
  }

  #indexRemove(key: Term, position: number): void {
    const index = this.#index!;
    const k = indexKey(key);
    if (typeof k !== "string") {
      index.delete(k);
      return;
    }
    const bucket = index.get(k) as number[];
    bucket.splice(bucket.indexOf(position), 1);
    if (bucket.length === 0) index.delete(k);
  }
}

/**
 * The index key of a term in a large map: the value itself for atoms, booleans and non-float-boxed
 * numbers (identity or value equality is term equality for these), else a string naming a hash bucket.
 * Strings are used for nothing else, so they never collide with a direct key.
 */
function indexKey(key: Term): IndexKey {
  switch (typeof key) {
    case "number":
      return Object.is(key, -0) ? 0 : key;
    case "boolean":
      return key;
    case "bigint":
      return key >= Number.MIN_SAFE_INTEGER && key <= Number.MAX_SAFE_INTEGER ? Number(key) : key;
    default:
      if (key instanceof Atom) {
        if (key.name === "true") return true;
        if (key.name === "false") return false;
        return key;
      }
      return `#${hash(key)}`;
  }
}

/** `map([[k, v], …])` builds an `ErlMap`. */
export function map(entries: Iterable<readonly [Term, Term]> = []): ErlMap {
  return new ErlMap(entries);
}
