// The Erlang term model: the TypeScript shape of every Erlang data type (DESIGN.md "Terms").
import { ErrorCodes, TermError } from "../errors.ts";
import type { Atom } from "./atom.ts";
import type { ErlMap } from "./map.ts";

/**
 * Any Erlang term. `number` is an integer when `Number.isInteger`, else a float; `Float` boxes a float
 * whose value is integral; a JS `string` is a UTF-8 binary (Elixir's convention); an `Array` is a proper list.
 */
export type Term =
  | number
  | bigint
  | boolean
  | string
  | Atom
  | Float
  | Uint8Array
  | BitString
  | readonly Term[]
  | ImproperList
  | Tuple
  | ErlMap
  | Pid
  | Ref
  | Port
  | ErlFun
  | ExportFun;

/** A float whose value is integral (`1.0`), kept apart from the integer `1` so it round-trips as a float. */
export class Float {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** An Erlang tuple: fixed size, distinct from a list (`Array`). */
export class Tuple {
  constructor(readonly elements: readonly Term[]) {}
  get size(): number {
    return this.elements.length;
  }
  /** The element at a 0-based index (`element(I + 1, T)`). */
  at(index: number): Term | undefined {
    return this.elements[index];
  }
  [Symbol.iterator](): Iterator<Term> {
    return this.elements[Symbol.iterator]();
  }
}

/** `tuple(a, b, c)` is `{a, b, c}`. */
export function tuple(...elements: Term[]): Tuple {
  return new Tuple(elements);
}

/**
 * A list whose tail is not a list: `[a, b | t]`. `items` is never empty; a tail that is itself an improper
 * list is flattened (`[a | [b | c]]` is `[a, b | c]`), as Erlang has only one such list.
 */
export class ImproperList {
  readonly items: readonly Term[];
  readonly tail: Term;
  constructor(items: readonly Term[], tail: Term) {
    if (items.length === 0) throw new TermError(ErrorCodes.TERM_BAD_VALUE, "an improper list needs an element");
    if (Array.isArray(tail)) throw new TermError(ErrorCodes.TERM_BAD_VALUE, "improper list tail is a proper list");
    if (tail instanceof ImproperList) {
      this.items = items.concat(tail.items);
      this.tail = tail.tail;
    } else {
      this.items = items;
      this.tail = tail;
    }
  }
}

/** A bitstring whose length is not a whole number of bytes: `bits` (1–7) of the last byte are used. */
export class BitString {
  constructor(
    readonly bytes: Uint8Array,
    readonly bits: number,
  ) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 7 || bytes.length === 0) {
      throw new TermError(ErrorCodes.TERM_BAD_VALUE, `a bitstring uses 1–7 bits of a last byte, not ${bits}`);
    }
  }
  /** Length in bits. */
  get bitSize(): number {
    return (this.bytes.length - 1) * 8 + this.bits;
  }
}

const MAX_U32 = 0xffff_ffff;

function checkU32(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new TermError(ErrorCodes.TERM_BAD_VALUE, `${what} must be an unsigned 32-bit integer, not ${value}`);
  }
}

/** A process identifier: `<node.id.serial>` plus the node's creation. */
export class Pid {
  constructor(
    readonly node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {
    checkU32("pid id", id);
    checkU32("pid serial", serial);
    checkU32("pid creation", creation);
  }
}

/** A reference: node, creation and up to 5 opaque 32-bit words (NEWER_REFERENCE_EXT order; BEAM reads 0 words too). */
export class Ref {
  constructor(
    readonly node: Atom,
    readonly creation: number,
    readonly ids: readonly number[],
  ) {
    checkU32("reference creation", creation);
    if (ids.length > 5) {
      throw new TermError(ErrorCodes.TERM_BAD_VALUE, `a reference has at most 5 id words, not ${ids.length}`);
    }
    for (const w of ids) checkU32("reference id word", w);
  }
}

/** A port identifier. `id` is a number, or a bigint past 2^53 (V4_PORT_EXT carries 64 bits). */
export class Port {
  constructor(
    readonly node: Atom,
    readonly id: number | bigint,
    readonly creation: number,
  ) {
    if (typeof id === "bigint" ? id < 0n || id > 0xffff_ffff_ffff_ffffn : !Number.isSafeInteger(id) || id < 0) {
      throw new TermError(ErrorCodes.TERM_BAD_VALUE, `port id out of range: ${id}`);
    }
    checkU32("port creation", creation);
  }
}

/** A local fun (`fun(X) -> … end`), opaque: it carries what NEW_FUN_EXT carries so it re-encodes exactly. */
export class ErlFun {
  constructor(
    readonly module: Atom,
    readonly arity: number,
    /** 16 bytes: MD5 of the module's code. */
    readonly uniq: Uint8Array,
    readonly index: number,
    readonly oldIndex: number,
    readonly oldUniq: number,
    readonly pid: Pid,
    readonly freeVars: readonly Term[],
  ) {
    if (uniq.length !== 16) throw new TermError(ErrorCodes.TERM_BAD_VALUE, "a fun's uniq is 16 bytes");
  }
}

/** An external fun, `fun Module:Function/Arity`. */
export class ExportFun {
  readonly function: Atom;
  constructor(
    readonly module: Atom,
    fn: Atom,
    readonly arity: number,
  ) {
    this.function = fn;
    if (!Number.isInteger(arity) || arity < 0 || arity > 255) {
      throw new TermError(ErrorCodes.TERM_BAD_VALUE, `fun arity must be 0–255, not ${arity}`);
    }
  }
}

/** `improperList([a, b], t)` is `[a, b | t]`. */
export function improperList(items: Term[], tail: Term): ImproperList {
  return new ImproperList(items, tail);
}
