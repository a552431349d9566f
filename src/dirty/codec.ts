// The dirty-pool value codec: call arguments and results to and from ring bytes, for the kinds it carries.
//
// A frame is the values one after another, each a tag byte and its body; int32s, lengths and counts are
// little-endian, floats and bigint words in the machine's byte order (both ends are threads of one process):
//
//   UNDEFINED NULL FALSE TRUE      no body
//   INT32                          4 bytes, for integers in int32 range except -0
//   FLOAT64                        8 bytes, every other number (-0, NaN, ±Infinity included)
//   BIGINT_POSITIVE / _NEGATIVE    u32 word count, then the magnitude in 64-bit words, least significant first
//   ASCII                          u32 length, then one byte per character: strings all below U+0080
//   UTF16                          u32 code-unit count, then the code units: every other string
//   BYTES                          u32 byte count, then a copy of a Uint8Array (or Buffer)
//   ARRAY                          u32 element count, then the elements
//   OBJECT / NULL_PROTOTYPE_OBJECT u32 entry count, then key (a string value) and value, in Object.keys order
//
// Strings that are not all ASCII go as UTF-16, not UTF-8: Node 20 decodes UTF-8 that is not ASCII at about
// 8 ns a byte (4 µs for 512 "é"), UTF-16 at 0.2 ns, and UTF-16 keeps lone surrogates, as structured clone does.
//
// What comes back is what structured clone (the other way to a worker) would give, with these choices:
// - a Buffer (any Uint8Array subclass) comes back a plain Uint8Array, as it does through a MessagePort, so a
//   call sees the same class whichever way its arguments went; a Uint8Array over a SharedArrayBuffer does not
//   fit (clone shares the memory rather than copying it);
// - an object with a null prototype keeps it (clone would give it Object.prototype), so the round trip is
//   deepStrictEqual to the input;
// - getters are read, as clone reads them (refusing them would cost a property descriptor per key); symbol keys
//   and non-enumerable properties are left behind, as clone leaves them;
// - arrays must be dense (clone keeps holes, this codec refuses them) and carry their elements only: named
//   properties on an array (a RegExp match's `index`) are dropped, where clone keeps them — finding them would
//   cost Object.keys on every array, ten times the cost of encoding it;
// - shared references are written once per reference (clone keeps the sharing), and a cycle meets the depth
//   limit, so it does not fit: clone carries it.
// Every other kind (Date, Map, Set, RegExp, Error, class instances, boxed primitives, other typed arrays,
// DataView, ArrayBuffer, SharedArrayBuffer, functions, symbols) does not fit. Encoding reads a value once and keeps no state between
// calls, so a getter that encodes something else of its own does no harm; a getter that throws throws from
// encodeValues.
import { Buffer } from "node:buffer";
import { DirtyError, ErrorCodes } from "../errors.ts";

/** Why a value cannot go through the ring: the caller sends it by structured clone instead. */
export const DOES_NOT_FIT = -1;

const UNDEFINED = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
const INT32 = 4;
const FLOAT64 = 5;
const BIGINT_POSITIVE = 6;
const BIGINT_NEGATIVE = 7;
const ASCII = 8;
const UTF16 = 9;
const BYTES = 10;
const ARRAY = 11;
const OBJECT = 12;
const NULL_PROTOTYPE_OBJECT = 13;

/** Containers nested deeper than this do not fit (and a frame that claims more is bad): it also stops cycles. */
const MAX_DEPTH = 64;
/** ASCII strings up to this long are copied by JS loops: below it a native copy's call costs more. */
const SHORT_STRING = 16;

/**
 * Node's native string copies from Buffer.prototype (what `buffer.write` and `toString` call). They accept any
 * Uint8Array as `this`, one over a SharedArrayBuffer included, so the codec needs no Buffer view per ring, and
 * they beat TextEncoder.encodeInto and TextDecoder (which in Node 20 also work on shared memory).
 */
interface NativeStringCopies {
  latin1Write(this: Uint8Array, text: string, offset: number, length: number): number;
  ucs2Write(this: Uint8Array, text: string, offset: number, length: number): number;
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  ucs2Slice(this: Uint8Array, start: number, end: number): string;
}
const { latin1Write, ucs2Write, latin1Slice, ucs2Slice } = Buffer.prototype as unknown as NativeStringCopies;
const { fromCharCode } = String;

// One 8-byte scratch word seen as a float, a bigint word and bytes: floats and bigint words go through it
// instead of a DataView per target, so no ring needs a cached view.
const scratch = new ArrayBuffer(8);
const scratchFloat = new Float64Array(scratch);
const scratchWord = new BigUint64Array(scratch);
const scratchBytes = new Uint8Array(scratch);

/**
 * Writes `values` (an argument list, or a one-element list holding a result) into `target` from byte `at`,
 * using at most `limit` bytes; returns the number of bytes written, or DOES_NOT_FIT when a value is of a kind the
 * codec does not carry or the encoding would pass `limit`. Never writes past `at + limit` (nor past the end of
 * `target`). Allocates nothing for numbers, booleans, null/undefined and short ASCII strings.
 */
export function encodeValues(values: readonly unknown[], target: Uint8Array, at: number, limit: number): number {
  const end = Math.min(at + limit, target.length);
  let position = at;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value === undefined && !(index in values)) return DOES_NOT_FIT;
    position = writeValue(value, target, position, end, 0);
    if (position === DOES_NOT_FIT) return DOES_NOT_FIT;
  }
  return position - at;
}

/** Writes one value at `at`; returns the position after it, or DOES_NOT_FIT. */
function writeValue(value: unknown, target: Uint8Array, at: number, end: number, depth: number): number {
  switch (typeof value) {
    case "number":
      return writeNumber(value, target, at, end);
    case "string":
      return writeString(value, target, at, end);
    case "boolean":
      return writeTag(value ? TRUE : FALSE, target, at, end);
    case "undefined":
      return writeTag(UNDEFINED, target, at, end);
    case "bigint":
      return writeBigint(value, target, at, end);
    case "object":
      if (value === null) return writeTag(NULL, target, at, end);
      if (Array.isArray(value)) return writeArray(value, target, at, end, depth + 1);
      if (value instanceof Uint8Array && ArrayBuffer.isView(value)) return writeBytes(value, target, at, end);
      return writeObject(value, target, at, end, depth + 1);
    default:
      return DOES_NOT_FIT;
  }
}

function writeTag(tag: number, target: Uint8Array, at: number, end: number): number {
  if (at >= end) return DOES_NOT_FIT;
  target[at] = tag;
  return at + 1;
}

function writeNumber(value: number, target: Uint8Array, at: number, end: number): number {
  if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
    if (at + 5 > end) return DOES_NOT_FIT;
    target[at] = INT32;
    writeU32(value, target, at + 1);
    return at + 5;
  }
  if (at + 9 > end) return DOES_NOT_FIT;
  target[at] = FLOAT64;
  scratchFloat[0] = value;
  copyScratch(target, at + 1);
  return at + 9;
}

function writeString(text: string, target: Uint8Array, at: number, end: number): number {
  const units = text.length;
  const body = at + 5;
  // Both encodings take at least a byte per code unit.
  if (body + units > end) return DOES_NOT_FIT;
  if (units <= SHORT_STRING) {
    let index = 0;
    for (; index < units; index++) {
      const unit = text.charCodeAt(index);
      if (unit >= 0x80) break;
      target[body + index] = unit;
    }
    if (index === units) return writeLengthPrefixed(ASCII, units, target, at) + units;
  } else if (Buffer.byteLength(text, "utf8") === units) {
    // One UTF-8 byte per code unit means all ASCII, where Latin-1 bytes are the same and the fastest to copy.
    latin1Write.call(target, text, body, units);
    return writeLengthPrefixed(ASCII, units, target, at) + units;
  }
  if (body + 2 * units > end) return DOES_NOT_FIT;
  ucs2Write.call(target, text, body, 2 * units);
  return writeLengthPrefixed(UTF16, units, target, at) + 2 * units;
}

function writeBigint(value: bigint, target: Uint8Array, at: number, end: number): number {
  let magnitude = value < 0n ? -value : value;
  let position = at + 5;
  let words = 0;
  while (magnitude > 0n) {
    if (position + 8 > end) return DOES_NOT_FIT;
    scratchWord[0] = BigInt.asUintN(64, magnitude);
    copyScratch(target, position);
    position += 8;
    words++;
    magnitude >>= 64n;
  }
  if (position > end) return DOES_NOT_FIT;
  writeLengthPrefixed(value < 0n ? BIGINT_NEGATIVE : BIGINT_POSITIVE, words, target, at);
  return position;
}

function writeBytes(bytes: Uint8Array, target: Uint8Array, at: number, end: number): number {
  // Structured clone shares a view of shared memory rather than copying it: leave it to clone.
  if (bytes.buffer instanceof SharedArrayBuffer) return DOES_NOT_FIT;
  const length = bytes.length;
  if (at + 5 + length > end) return DOES_NOT_FIT;
  target.set(bytes, at + 5);
  return writeLengthPrefixed(BYTES, length, target, at) + length;
}

function writeArray(array: unknown[], target: Uint8Array, at: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH || Object.getPrototypeOf(array) !== Array.prototype || at + 5 > end) return DOES_NOT_FIT;
  const length = array.length;
  let position = writeLengthPrefixed(ARRAY, length, target, at);
  for (let index = 0; index < length; index++) {
    const element = array[index];
    if (element === undefined && !(index in array)) return DOES_NOT_FIT;
    position = writeValue(element, target, position, end, depth);
    if (position === DOES_NOT_FIT) return DOES_NOT_FIT;
  }
  return position;
}

function writeObject(object: object, target: Uint8Array, at: number, end: number, depth: number): number {
  const prototype = Object.getPrototypeOf(object);
  if (depth > MAX_DEPTH || (prototype !== Object.prototype && prototype !== null) || at + 5 > end) return DOES_NOT_FIT;
  const keys = Object.keys(object);
  let position = writeLengthPrefixed(prototype === null ? NULL_PROTOTYPE_OBJECT : OBJECT, keys.length, target, at);
  for (const key of keys) {
    position = writeString(key, target, position, end);
    if (position === DOES_NOT_FIT) return DOES_NOT_FIT;
    position = writeValue((object as Record<string, unknown>)[key], target, position, end, depth);
    if (position === DOES_NOT_FIT) return DOES_NOT_FIT;
  }
  return position;
}

/** Writes a tag and a u32 at `at` (the caller checked the room); returns the position after them. */
function writeLengthPrefixed(tag: number, length: number, target: Uint8Array, at: number): number {
  target[at] = tag;
  writeU32(length, target, at + 1);
  return at + 5;
}

function writeU32(value: number, target: Uint8Array, at: number): void {
  target[at] = value;
  target[at + 1] = value >>> 8;
  target[at + 2] = value >>> 16;
  target[at + 3] = value >>> 24;
}

function copyScratch(target: Uint8Array, at: number): void {
  for (let index = 0; index < 8; index++) target[at + index] = scratchBytes[index] as number;
}

// The frame being decoded. A decode calls no user code, so it ends before another starts and one module-level
// cursor serves every call.
let source: Uint8Array;
let cursor = 0;
let frameEnd = 0;

/** Reads what encodeValues wrote at `at` (length `length`) back into a fresh array of values. */
export function decodeValues(from: Uint8Array, at: number, length: number): unknown[] {
  if (!(at >= 0 && length >= 0 && at + length <= from.length)) {
    throw new DirtyError(ErrorCodes.DIRTY_BAD_FRAME, `a frame of ${length} bytes at ${at} lies outside its source`);
  }
  if (length === 0) return [];
  source = from;
  cursor = at;
  frameEnd = at + length;
  // A result is one value: a literal of one is cheaper than an empty array that grows.
  const values = [readValue(0)];
  while (cursor < frameEnd) values.push(readValue(0));
  return values;
}

function readValue(depth: number): unknown {
  const tag = readByte();
  switch (tag) {
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case FALSE:
      return false;
    case TRUE:
      return true;
    case INT32:
      return readI32();
    case FLOAT64:
      return readFloat64();
    case BIGINT_POSITIVE:
      return readBigintMagnitude();
    case BIGINT_NEGATIVE:
      return -readBigintMagnitude();
    case ASCII:
    case UTF16:
      return readStringBody(tag);
    case BYTES:
      return readBytes();
    case ARRAY:
      return readArray(depth + 1);
    case OBJECT:
      return readObject({}, depth + 1);
    case NULL_PROTOTYPE_OBJECT:
      return readObject(Object.create(null), depth + 1);
    default:
      throw badFrame(`unknown tag ${tag}`, cursor - 1);
  }
}

function readStringBody(tag: number): string {
  if (tag === UTF16) {
    const units = readLength(2);
    cursor += 2 * units;
    return ucs2Slice.call(source, cursor - 2 * units, cursor);
  }
  const length = readLength(1);
  const start = cursor;
  cursor += length;
  if (length > SHORT_STRING) return latin1Slice.call(source, start, cursor);
  // Four characters a call: fewer intermediate strings than one at a time.
  let text = "";
  let index = start;
  for (; index + 4 <= cursor; index += 4) {
    text += fromCharCode(
      source[index] as number,
      source[index + 1] as number,
      source[index + 2] as number,
      source[index + 3] as number,
    );
  }
  for (; index < cursor; index++) text += fromCharCode(source[index] as number);
  return text;
}

function readBytes(): Uint8Array {
  const length = readLength(1);
  const copy = new Uint8Array(length);
  // Not source.slice: on a Buffer that is a view, not a copy.
  copy.set(new Uint8Array(source.buffer, source.byteOffset + cursor, length));
  cursor += length;
  return copy;
}

function readBigintMagnitude(): bigint {
  const words = readLength(8);
  let magnitude = 0n;
  // Most significant word first, so each step shifts what is read so far up by one word.
  for (let word = words - 1; word >= 0; word--) {
    const at = cursor + 8 * word;
    for (let index = 0; index < 8; index++) scratchBytes[index] = source[at + index] as number;
    magnitude = (magnitude << 64n) | (scratchWord[0] as bigint);
  }
  cursor += 8 * words;
  return magnitude;
}

function readArray(depth: number): unknown[] {
  if (depth > MAX_DEPTH) throw badFrame(`nesting deeper than ${MAX_DEPTH}`, cursor - 1);
  // Every element takes at least one byte, so a count larger than the bytes left is a bad frame, not a hang.
  const count = readLength(1);
  const array: unknown[] = [];
  for (let index = 0; index < count; index++) array.push(readValue(depth));
  return array;
}

function readObject(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw badFrame(`nesting deeper than ${MAX_DEPTH}`, cursor - 1);
  // Every entry takes at least six bytes (a key's tag and length, a value's tag).
  const count = readLength(6);
  for (let index = 0; index < count; index++) {
    const keyTag = readByte();
    if (keyTag !== ASCII && keyTag !== UTF16) {
      throw badFrame(`an object key with tag ${keyTag}`, cursor - 1);
    }
    const key = readStringBody(keyTag);
    const value = readValue(depth);
    // Assigning "__proto__" would set the prototype: make it an own property, as structured clone does.
    if (key === "__proto__") {
      Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      object[key] = value;
    }
  }
  return object;
}

function readByte(): number {
  if (cursor >= frameEnd) throw badFrame("the frame ends inside a value", cursor);
  return source[cursor++] as number;
}

function readI32(): number {
  if (cursor + 4 > frameEnd) throw badFrame("the frame ends inside a value", cursor);
  const at = cursor;
  cursor += 4;
  return (
    (source[at] as number) |
    ((source[at + 1] as number) << 8) |
    ((source[at + 2] as number) << 16) |
    ((source[at + 3] as number) << 24)
  );
}

function readFloat64(): number {
  if (cursor + 8 > frameEnd) throw badFrame("the frame ends inside a value", cursor);
  for (let index = 0; index < 8; index++) scratchBytes[index] = source[cursor + index] as number;
  cursor += 8;
  return scratchFloat[0] as number;
}

/** Reads a u32 count of items of `itemSize` bytes each, and checks that they fit in what is left. */
function readLength(itemSize: number): number {
  const at = cursor;
  const count = readI32() >>> 0;
  if (count * itemSize > frameEnd - cursor) throw badFrame(`a count of ${count} passes the end of the frame`, at);
  return count;
}

function badFrame(problem: string, at: number): DirtyError {
  return new DirtyError(ErrorCodes.DIRTY_BAD_FRAME, `bad dirty-pool frame: ${problem} (at byte ${at})`);
}
