// A JS Map keyed by Erlang term equality (=:=), for tables indexed by term: a registry's keys, a supervisor's
// children by pid.
//
// The usual keys cost one JS Map lookup: atoms, numbers and booleans are keys as they are, and a binary (a JS
// string, or bytes that are valid UTF-8) is keyed by its text, so "room:1" and the bytes of "room:1" find one entry
// without hashing (hashing a short string costs ~35 times a Map lookup). Any other term goes to a bucket by `hash`
// and is compared with `equals`.
import { Atom } from "./atom.ts";
import { equals, hash } from "./compare.ts";
import type { Term } from "./types.ts";

type DirectKey = Atom | boolean | number | string;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The JS key that stands for `key` when equality is JS equality on it, else undefined (hash it). A JS string is a
 * UTF-8 binary: a lone surrogate encodes as U+FFFD, so the well-formed text is the key; bytes are keyed by their
 * text when they decode (and those that do not decode equal no JS string).
 */
function directKey(key: Term): DirectKey | undefined {
  switch (typeof key) {
    case "number":
      return Object.is(key, -0) ? 0 : key;
    case "boolean":
      return key;
    case "string":
      return key.isWellFormed() ? key : key.toWellFormed();
    case "bigint":
      return key >= Number.MIN_SAFE_INTEGER && key <= Number.MAX_SAFE_INTEGER ? Number(key) : undefined;
    default:
      if (key instanceof Atom) return key.name === "true" ? true : key.name === "false" ? false : key;
      if (key instanceof Uint8Array) {
        try {
          return utf8.decode(key);
        } catch {
          return undefined;
        }
      }
      return undefined;
  }
}

interface Entry<V> {
  readonly key: Term;
  value: V;
}

/**
 * A map from terms to values, by term equality. It iterates the keys that need no hash (atoms, numbers, binaries)
 * in insertion order, then the others (pids, tuples …) in the order their hashes were first inserted.
 */
export class TermMap<V> implements Iterable<[Term, V]> {
  readonly #direct = new Map<DirectKey, Entry<V>>();
  /** hash → the entries with that hash (almost always one). */
  readonly #hashed = new Map<number, Entry<V>[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: Term): V | undefined {
    return this.#find(key)?.value;
  }

  has(key: Term): boolean {
    return this.#find(key) !== undefined;
  }

  set(key: Term, value: V): this {
    const found = this.#find(key);
    if (found !== undefined) {
      found.value = value;
      return this;
    }
    const entry: Entry<V> = { key, value };
    const direct = directKey(key);
    if (direct !== undefined) this.#direct.set(direct, entry);
    else {
      const h = hash(key);
      const bucket = this.#hashed.get(h);
      if (bucket === undefined) this.#hashed.set(h, [entry]);
      else bucket.push(entry);
    }
    this.#size++;
    return this;
  }

  delete(key: Term): boolean {
    const direct = directKey(key);
    if (direct !== undefined) {
      if (!this.#direct.delete(direct)) return false;
      this.#size--;
      return true;
    }
    const h = hash(key);
    const bucket = this.#hashed.get(h);
    const i = bucket === undefined ? -1 : bucket.findIndex((e) => equals(e.key, key));
    if (i < 0) return false;
    bucket!.splice(i, 1);
    if (bucket!.length === 0) this.#hashed.delete(h);
    this.#size--;
    return true;
  }

  clear(): void {
    this.#direct.clear();
    this.#hashed.clear();
    this.#size = 0;
  }

  *entries(): IterableIterator<[Term, V]> {
    for (const entry of this.#entries()) yield [entry.key, entry.value];
  }

  *values(): IterableIterator<V> {
    for (const entry of this.#entries()) yield entry.value;
  }

  [Symbol.iterator](): IterableIterator<[Term, V]> {
    return this.entries();
  }

  *#entries(): IterableIterator<Entry<V>> {
    yield* this.#direct.values();
    for (const bucket of this.#hashed.values()) yield* bucket;
  }

  #find(key: Term): Entry<V> | undefined {
    const direct = directKey(key);
    if (direct !== undefined) return this.#direct.get(direct);
    return this.#hashed.get(hash(key))?.find((e) => equals(e.key, key));
  }
}
