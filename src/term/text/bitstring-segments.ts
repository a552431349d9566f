// Binary construction from `<<...>>` segments: appends integers, floats and UTF-encoded characters as bits.
//
// Each segment is written as Erlang's binary construction writes it: a value too wide for its size is truncated,
// sizes count in units, and a total that is not whole bytes makes a `BitString`. Errors are `TermError`s
// (TERM_BAD_VALUE); the parser reports them at the segment's offset.
import { ErrorCodes, TermError } from "../../errors.ts";
import { BitString, Float } from "../types.ts";

/** A segment's size, unit, type and endianness, from `Value:Size/Type-Specifiers`. */
export interface SegmentSpec {
  type: "integer" | "float" | "utf8" | "utf16" | "utf32";
  size: number | undefined;
  unit: number | undefined;
  little: boolean;
}

function badSegment(message: string): never {
  throw new TermError(ErrorCodes.TERM_BAD_VALUE, message);
}

/** A segment's value: an integer, or a float (always boxed here). */
export type SegmentValue = number | bigint | Float;

/** Erlang allows more, but a wider segment is surely a typo, and would take that much memory. */
const MAX_SEGMENT_BITS = 1 << 24;

/** Appends one segment as Erlang's binary construction does (a value too wide for its size is truncated). */
export function writeSegment(out: BitWriter, value: SegmentValue, spec: SegmentSpec): void {
  if (spec.type === "utf8" || spec.type === "utf16" || spec.type === "utf32") {
    if (spec.size !== undefined || spec.unit !== undefined) badSegment("a utf segment has no size or unit");
    if (value instanceof Float) badSegment("a utf segment cannot hold a float");
    writeUtf(out, value, spec);
    return;
  }
  const bits = (spec.size ?? (spec.type === "float" ? 64 : 8)) * (spec.unit ?? 1);
  if (bits > MAX_SEGMENT_BITS) badSegment(`a segment of ${bits} bits is wider than ${MAX_SEGMENT_BITS}`);
  if (spec.type === "float") writeFloat(out, Number(value), bits, spec.little);
  else if (value instanceof Float) badSegment("an integer segment cannot hold a float");
  else writeInteger(out, BigInt(value), bits, spec.little);
}

function writeInteger(out: BitWriter, value: bigint, bits: number, little: boolean): void {
  if (bits === 0) return;
  const v = BigInt.asUintN(bits, value);
  if (bits <= 32 && !little) {
    out.write(Number(v), bits);
    return;
  }
  // Through hex, so the cost is linear in `bits`: byte i of `hex` is the (width-1-i)th least significant.
  const width = Math.ceil(bits / 8);
  const hex = v.toString(16).padStart(width * 2, "0");
  const byteAt = (i: number) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const top = bits - (width - 1) * 8;
  if (!little) {
    out.write(byteAt(0), top);
    for (let i = 1; i < width; i++) out.write(byteAt(i), 8);
    return;
  }
  // Little-endian: least significant byte first; a size that is not whole bytes ends with the top bits.
  for (let i = width - 1; i >= 1; i--) out.write(byteAt(i), 8);
  out.write(byteAt(0), top);
}

function writeFloat(out: BitWriter, value: number, bits: number, little: boolean): void {
  if (bits !== 32 && bits !== 64) badSegment(`a float segment is 32 or 64 bits, not ${bits}`);
  const view = new DataView(new ArrayBuffer(8));
  if (bits === 64) view.setFloat64(0, value, little);
  else if (Number.isFinite(Math.fround(value)) || !Number.isFinite(value)) view.setFloat32(0, value, little);
  else badSegment("float too large for 32 bits");
  for (let i = 0; i < bits / 8; i++) out.write(view.getUint8(i), 8);
}

const utf8Encoder = new TextEncoder();

function writeUtf(out: BitWriter, value: number | bigint, spec: SegmentSpec): void {
  const c = Number(value);
  if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) badSegment(`${value} is not a Unicode code point`);
  if (spec.type === "utf8") {
    for (const b of utf8Encoder.encode(String.fromCodePoint(c))) out.write(b, 8);
  } else if (spec.type === "utf32") {
    writeInteger(out, BigInt(c), 32, spec.little);
  } else if (c < 0x10000) {
    writeInteger(out, BigInt(c), 16, spec.little);
  } else {
    writeInteger(out, BigInt(0xd800 + ((c - 0x10000) >> 10)), 16, spec.little);
    writeInteger(out, BigInt(0xdc00 + ((c - 0x10000) & 0x3ff)), 16, spec.little);
  }
}

/** Bits appended most significant first; the last partial byte keeps its bits in the high end, as ETF does. */
export class BitWriter {
  #bytes = new Uint8Array(64);
  #bitLength = 0;

  /** Appends `n`, which holds at most `bits` ≤ 32 bits, most significant bit first. */
  write(n: number, bits: number): void {
    while (bits > 0) {
      const used = this.#bitLength & 7;
      const room = 8 - used;
      const take = Math.min(room, bits);
      const chunk = Math.floor(n / 2 ** (bits - take)) % 2 ** take;
      const at = this.#bitLength >> 3;
      if (used === 0) this.#grow(at + 1);
      this.#bytes[at]! |= chunk << (room - take);
      this.#bitLength += take;
      bits -= take;
    }
  }

  finish(): Uint8Array | BitString {
    const bytes = this.#bytes.slice(0, Math.ceil(this.#bitLength / 8));
    const partial = this.#bitLength & 7;
    return partial === 0 ? bytes : new BitString(bytes, partial);
  }

  #grow(size: number): void {
    if (size <= this.#bytes.length) return;
    const bigger = new Uint8Array(Math.max(size, this.#bytes.length * 2));
    bigger.set(this.#bytes);
    this.#bytes = bigger;
  }
}
