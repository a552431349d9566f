// Building a prepared literal on the main thread a piece at a time, so that even a large one holds the event loop
// for about one piece (PIECE_BUDGET_NS) past the caller's deadline, never for the whole literal.
import { performance } from "node:perf_hooks";
import { decodeRun, makeList } from "../../term/etf/decode.ts";
import { ErlMap, SMALL_MAP_LIMIT } from "../../term/map.ts";
import { type Term, Tuple } from "../../term/types.ts";
import { pieceText, textOf } from "./json-text.ts";
import type { PreparedLiteral } from "./prepared-literal.ts";

export interface LiteralBuilderOptions {
  /** The clock `step` compares its deadline with (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * Builds what `decode` (ETF) or `JSON.parse` (JSON) gives for the whole file, from a PreparedLiteral. Binaries
 * are views of the literal's bytes (which belong to the literal for ever), not copies.
 */
export class LiteralBuilder {
  readonly #literal: PreparedLiteral;
  readonly #now: () => number;
  #built = 0;
  /** Where the next piece's elements go in `#items` (list, tuple). */
  #at = 0;
  #done = false;
  #value: unknown = undefined;
  /** The elements so far (list, tuple, array), or a small map's keys. */
  #items: unknown[] = [];
  /** A small map's values, to build it at the end as `decode` does. */
  #values: Term[] = [];
  /** A large map or a JSON object, filled piece by piece. */
  #entries: ErlMap | Record<string, unknown> | undefined;

  constructor(literal: PreparedLiteral, options?: LiteralBuilderOptions) {
    this.#literal = literal;
    this.#now = options?.now ?? performance.now.bind(performance);
    if (literal.shape === "list" || literal.shape === "tuple") this.#items = new Array(literal.length);
    else if (literal.shape === "map" && literal.length > SMALL_MAP_LIMIT) this.#entries = new ErlMap();
    else if (literal.shape === "object") this.#entries = {};
  }

  /** How many pieces the literal is built in (0 for an empty container). */
  get pieces(): number {
    return this.#literal.pieces.length / 3;
  }

  /** How many pieces are built. */
  get built(): number {
    return this.#built;
  }

  get done(): boolean {
    return this.#done;
  }

  /** The built value, once `step` has returned true (undefined before). */
  get value(): unknown {
    return this.#value;
  }

  /**
   * Builds pieces until the clock reaches `deadline` (a `performance.now()` time) or the literal is done, at least
   * one piece per call; returns whether it is done.
   */
  step(deadline: number): boolean {
    if (this.#done) return true;
    do {
      if (this.#built < this.pieces) this.#buildPiece(this.#built++);
      if (this.#built === this.pieces) {
        this.#finish();
        return true;
      }
    } while (this.#now() < deadline);
    return false;
  }

  #buildPiece(index: number): void {
    const { bytes, pieces, shape, kind } = this.#literal;
    const start = pieces[index * 3]!;
    const end = pieces[index * 3 + 1]!;
    const count = pieces[index * 3 + 2]!;
    if (shape === "value") {
      this.#value = kind === "json" ? JSON.parse(textOf(bytes, start, end)) : this.#decode(start, 1)[0];
    } else if (shape === "list" || shape === "tuple") {
      decodeRun(bytes, count, this.#items as Term[], this.#at, { offset: start, viewThreshold: 0 });
      this.#at += count;
    } else if (shape === "map") {
      const pairs = this.#decode(start, count * 2);
      if (this.#entries instanceof ErlMap) {
        for (let i = 0; i < pairs.length; i += 2) this.#entries.set(pairs[i]!, pairs[i + 1]!);
      } else {
        for (let i = 0; i < pairs.length; i += 2) {
          this.#items.push(pairs[i]);
          this.#values.push(pairs[i + 1]!);
        }
      }
    } else if (shape === "array") {
      const parsed = JSON.parse(pieceText(bytes, start, end, shape)) as unknown[];
      for (let i = 0; i < parsed.length; i++) this.#items.push(parsed[i]);
    } else {
      const parsed = JSON.parse(pieceText(bytes, start, end, shape)) as Record<string, unknown>;
      const into = this.#entries as Record<string, unknown>;
      for (const key of Object.keys(parsed)) {
        // JSON.parse makes "__proto__" an own property; an assignment would set the prototype instead.
        if (key === "__proto__") Object.defineProperty(into, key, { value: parsed[key], ...DATA_PROPERTY });
        else into[key] = parsed[key];
      }
    }
  }

  #finish(): void {
    const { shape, tail } = this.#literal;
    this.#done = true;
    if (shape === "tuple") {
      this.#value = new Tuple(this.#items as Term[]);
    } else if (shape === "list") {
      // A NIL tail, the usual case, leaves the elements as they are (as `decode` does).
      const end = this.#decode(tail!, 1)[0]!;
      const items = this.#items as Term[];
      this.#value = Array.isArray(end) && end.length === 0 ? items : makeList(items, end);
    } else if (shape === "map") {
      this.#value = this.#entries ?? ErlMap.fromArrays(this.#items as Term[], this.#values);
    } else if (shape === "array") {
      this.#value = this.#items;
    } else if (shape === "object") {
      this.#value = this.#entries;
    }
    this.#items = [];
    this.#values = [];
    this.#entries = undefined;
  }

  /** Decodes `count` terms from `offset`. */
  #decode(offset: number, count: number): Term[] {
    const out = new Array<Term>(count);
    decodeRun(this.#literal.bytes, count, out, 0, { offset, viewThreshold: 0 });
    return out;
  }
}

const DATA_PROPERTY = { writable: true, enumerable: true, configurable: true } as const;
