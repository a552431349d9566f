// What the generator is asked to record: a term as Erlang source, or raw input bytes with BEAM's expected verdict.

/** A term given as an Erlang expression; the vector records term_to_binary of its value. */
export interface TermSpec {
  id: string;
  category: string;
  source: string;
  options?: { compressed: true | number };
  /** The term holds a map of more than 32 keys. */
  largeMap?: true;
  /** Too big for vectors.json: the name of its builder in big.ts (the vector keeps SHA-256 and length). */
  big?: string;
  /** The term holds a pid, ref, port or fun: no `~tp` text (it would not parse back). */
  opaque?: true;
}

/**
 * Hand-made input bytes. `canonical`: BEAM re-encodes them unchanged; `legacy`: BEAM decodes them and
 * re-encodes differently; `rejected`: binary_to_term raises badarg; `accepted`: either of the first two.
 */
export interface BytesSpec {
  id: string;
  category: string;
  input: Uint8Array;
  expect: "canonical" | "legacy" | "rejected" | "accepted";
  opaque?: true;
  /** Bytes after the term that binary_to_term/1 ignores. */
  trailing?: number;
}

export type Spec = TermSpec | BytesSpec;

type Part = number | string | readonly number[] | Uint8Array;

/** Concatenates bytes: a number is one byte, a string is its UTF-8. */
export function bytes(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else if (typeof part === "string") out.push(...Buffer.from(part, "utf8"));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

/** Big-endian unsigned 16-bit. */
export function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

/** Big-endian unsigned 32-bit. */
export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Big-endian unsigned 64-bit. */
export function u64(n: bigint): number[] {
  return [...u32(Number((n >> 32n) & 0xffff_ffffn)), ...u32(Number(n & 0xffff_ffffn))];
}

/** SMALL_ATOM_UTF8_EXT of `name`. */
export function atomBytes(name: string): number[] {
  const utf8 = [...Buffer.from(name, "utf8")];
  return [119, utf8.length, ...utf8];
}

/** The Erlang source of a binary: `<<131,100,…>>`. */
export function erlBinary(input: Uint8Array): string {
  return `<<${input.join(",")}>>`;
}

/** A name for `2^k ± d` as used in ids and sources: `2^27`, `2^27-1`. */
export function pow2Name(k: number, d: number): string {
  return d === 0 ? `2^${k}` : `2^${k}${d > 0 ? "+" : "-"}${Math.abs(d)}`;
}

/** zlib (deflate, stored block) of `data`: a valid stream any inflater accepts, never produced by BEAM. */
export function zlibOf(data: number[]): number[] {
  let a = 1;
  let b = 0;
  for (const d of data) {
    a = (a + d) % 65521;
    b = (b + a) % 65521;
  }
  const len = data.length;
  return [
    0x78,
    0x01,
    0x01,
    len & 0xff,
    len >> 8,
    ~len & 0xff,
    (~len >> 8) & 0xff,
    ...data,
    ...u32(((b << 16) | a) >>> 0),
  ];
}
