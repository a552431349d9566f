// Checking ETF terms without building them: everything `decode` would refuse is refused, little is kept.
//
// A preparing worker checks a literal's terms so that the main thread, which builds them later, never meets an
// error. Containers and the common leaves are walked here; map keys (to find duplicates), funs and the rarer
// leaves go through the decoder's own code, so the two cannot disagree about what is valid. The counts it keeps
// let the caller estimate what building the terms will cost.
import { ErrorCodes } from "../../errors.ts";
import { ErlMap } from "../map.ts";
import type { Term } from "../types.ts";
import { Decoder } from "./decode.ts";
import * as T from "./tags.ts";

export class TermChecker extends Decoder {
  /** Terms met so far (a fun counts as one, a map key as one). */
  terms = 0;
  /** Atoms among them (each a lookup in the atom table when built). */
  atoms = 0;
  /** Map entries among them (each an insertion into a map when built). */
  mapEntries = 0;
  /** Terms left to read in each open container, innermost last. */
  private readonly left: number[] = [];
  /** For each open container that is a map, the keys read so far (undefined for other containers). */
  private readonly mapKeys: (Term[] | undefined)[] = [];

  /** A checker of `input`, reading from `offset` (terms without a version byte). */
  constructor(input: Uint8Array, offset: number) {
    super();
    this.configure(input, { offset });
  }

  /**
   * Checks the next term, read inside `depth` open containers (for the nesting limit), as `decode` reads it;
   * `offset` is then its end. Iterative: a deeply nested term needs no JS stack.
   */
  next(depth: number): void {
    // Empty here: every call that returns has closed what it opened (a checker that threw is not used again).
    const left = this.left;
    const mapKeys = this.mapKeys;
    for (;;) {
      const open = left.length;
      const keys = open === 0 ? undefined : mapKeys[open - 1];
      this.terms++;
      if (keys !== undefined && (left[open - 1]! & 1) === 0) {
        // A map's key (its entries are key, value, key, value…): built, to compare with the others.
        keys.push(this.value(depth + open));
      } else {
        const tag = this.u8();
        const opened = this.step(tag, depth + open);
        if (opened > 0) {
          this.enter(depth + open);
          left.push(opened);
          mapKeys.push(tag === T.MAP_EXT ? [] : undefined);
          continue;
        }
      }
      // A term ended: close every container it completes.
      for (;;) {
        const o = left.length;
        if (o === 0) return;
        if (--left[o - 1]! > 0) break;
        left.pop();
        const closed = mapKeys.pop();
        if (closed !== undefined && ErlMap.fromArrays(closed, closed) === undefined) {
          this.fail(ErrorCodes.ETF_BAD_VALUE, "map has a duplicate key");
        }
      }
    }
  }

  /** Builds the next term, read inside `depth` open containers: a map's keys, to find duplicates. */
  read(depth: number): Term {
    this.terms++;
    return this.value(depth);
  }

  /** Fails with ETF_TRAILING_BYTES unless the input ends here. */
  atEnd(): void {
    if (this.remaining !== 0) this.fail(ErrorCodes.ETF_TRAILING_BYTES, `${this.remaining} bytes after the term`);
  }

  /** Checks the term after `tag`, at `depth`, or its header: returns how many terms a container it opens holds. */
  private step(tag: number, depth: number): number {
    switch (tag) {
      case T.SMALL_INTEGER_EXT:
        this.skip(1);
        return 0;
      case T.INTEGER_EXT:
        this.skip(4);
        return 0;
      case T.NEW_FLOAT_EXT:
        this.newFloat();
        return 0;
      case T.BINARY_EXT: {
        const n = this.u32();
        this.checkLength(n, "binary length");
        this.skip(n);
        return 0;
      }
      case T.STRING_EXT:
        this.skip(this.u16());
        return 0;
      case T.NIL_EXT:
        return 0;
      case T.SMALL_TUPLE_EXT:
      case T.LARGE_TUPLE_EXT: {
        const n = tag === T.SMALL_TUPLE_EXT ? this.u8() : this.u32();
        this.checkLength(n, "tuple arity");
        return n;
      }
      case T.LIST_EXT: {
        const n = this.u32();
        this.checkLength(n + 1, "list length");
        return n + 1;
      }
      case T.MAP_EXT: {
        const n = this.u32();
        this.checkLength(n * 2, "map size");
        this.mapEntries += n;
        return n * 2;
      }
      case T.NEW_FUN_EXT:
        this.pos--;
        this.value(depth);
        return 0;
      case T.SMALL_ATOM_UTF8_EXT:
      case T.ATOM_UTF8_EXT:
      case T.SMALL_ATOM_EXT:
      case T.ATOM_EXT:
        this.atoms++;
        this.leaf(tag);
        return 0;
      default:
        this.leaf(tag);
        return 0;
    }
  }

  private skip(n: number): void {
    this.ensure(n);
    this.pos += n;
  }
}
