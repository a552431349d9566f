// ETF decoding: bytes (one buffer or a list of chunks) to terms, as `binary_to_term` reads them.
//
// The decoder recurses into the first levels of a term (fast) and reads anything deeper with an iterative
// loop, where containers push a frame and the loop goes on reading, so a term nested a million deep needs
// no JS stack. Every length is checked against the input left before it sizes an allocation, and every
// failure is an EtfDecodeError with a stable ETF_* code.
import { inflateSync } from "node:zlib";
import { ErrorCodes } from "../../errors.ts";
import { type Atom, atom, atomFromBytes } from "../atom.ts";
import { ErlMap } from "../map.ts";
import { BitString, ErlFun, ExportFun, Float, ImproperList, Pid, Port, Ref, type Term, Tuple } from "../types.ts";
import { ByteReader } from "./reader.ts";
import * as T from "./tags.ts";

export interface DecodeOptions {
  /** Refuse to create atoms, like `binary_to_term(B, [safe])`: an unknown atom is ETF_UNSAFE_ATOM. */
  safe?: boolean;
  /** Atoms that ATOM_CACHE_REF indexes refer to (the distribution layer resolves its cache into this). */
  atomCacheRefs?: readonly (Atom | undefined)[];
  /** Deepest nesting accepted (default 4,194,304); deeper input is ETF_TOO_DEEP. */
  maxDepth?: number;
  /** Largest size a compressed term may inflate to (default 256 MiB); larger is ETF_BAD_COMPRESSED. */
  maxInflatedSize?: number;
  /** Binaries this long or longer that lie inside one chunk are views of the input (default 64). */
  viewThreshold?: number;
  /** Whether the input starts with the version byte 131 (default true; false for distribution payloads). */
  versioned?: boolean;
  /** Where to start reading, as an offset into the whole input (default 0). */
  offset?: number;
}

export const DEFAULT_MAX_DEPTH = 4_194_304;
export const DEFAULT_MAX_INFLATED = 256 * 1024 * 1024;
const DEFAULT_VIEW_THRESHOLD = 64;
/** Containers up to this depth are read by recursion; deeper subtrees go to the iterative loop. */
const RECURSION_LIMIT = 64;

const TRUE = atom("true");
const FALSE = atom("false");

enum Frame {
  Tuple = 0,
  List = 1,
  Map = 2,
  Fun = 3,
}

interface FunHeader {
  arity: number;
  uniq: Uint8Array;
  index: number;
  numFree: number;
  module: Atom;
  oldIndex: number;
  oldUniq: number;
  pid: Pid;
  size: number;
  start: number;
}

const floatBytes = new Uint8Array(8);
const floatView = new Float64Array(floatBytes.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// The frame stack, as parallel arrays shared by every decoder: what is being built, how far, and per-kind
// extra state. Sharing is safe because decoding is synchronous and a nested decoder (for a compressed
// term) starts and ends before its parent pushes any frame.
const frameKinds: Frame[] = [];
const frameItems: Term[][] = [];
const frameCounts: number[] = [];
const frameExtras: (Term[] | FunHeader | undefined)[] = [];

/** Reads terms from an input; the functions below share one, and `TermChecker` (check.ts) extends it. */
export class Decoder extends ByteReader {
  private safe = false;
  private cacheRefs: readonly (Atom | undefined)[] | undefined = undefined;
  private maxDepth = DEFAULT_MAX_DEPTH;
  private viewThreshold = DEFAULT_VIEW_THRESHOLD;
  private maxInflated = DEFAULT_MAX_INFLATED;

  configure(input: Uint8Array | readonly Uint8Array[], options: DecodeOptions | undefined): this {
    this.reset(input, options?.offset ?? 0);
    if (options === undefined) {
      this.safe = false;
      this.cacheRefs = undefined;
      this.maxDepth = DEFAULT_MAX_DEPTH;
      this.viewThreshold = DEFAULT_VIEW_THRESHOLD;
      this.maxInflated = DEFAULT_MAX_INFLATED;
    } else {
      this.safe = options.safe ?? false;
      this.cacheRefs = options.atomCacheRefs;
      this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
      this.viewThreshold = options.viewThreshold ?? DEFAULT_VIEW_THRESHOLD;
      this.maxInflated = options.maxInflatedSize ?? DEFAULT_MAX_INFLATED;
    }
    return this;
  }

  /** Reads the version byte (when `versioned`) and one term; a compressed term is allowed only here. */
  top(versioned: boolean): Term {
    if (versioned) this.version();
    this.ensure(1);
    if (this.buf[this.pos] === T.COMPRESSED) {
      this.pos++;
      return this.compressed();
    }
    return this.value(0);
  }

  /** Reads the version byte 131. */
  version(): void {
    const v = this.u8();
    if (v !== T.VERSION_MAGIC) {
      this.pos--;
      this.fail(ErrorCodes.ETF_BAD_VERSION, `expected version byte 131, got ${v}`);
    }
  }

  private compressed(): Term {
    const inflated = this.inflate();
    const inner = new Decoder().configure(inflated, {
      safe: this.safe,
      atomCacheRefs: this.cacheRefs,
      maxDepth: this.maxDepth,
      viewThreshold: this.viewThreshold,
    });
    const term = inner.value(0);
    if (inner.remaining !== 0) inner.fail(ErrorCodes.ETF_TRAILING_BYTES, "bytes left inside a compressed term");
    return term;
  }

  /** After the COMPRESSED tag: the rest of the input inflated, checked against its declared size. */
  inflate(): Buffer {
    const size = this.u32();
    if (size > this.maxInflated) {
      this.fail(ErrorCodes.ETF_BAD_COMPRESSED, `compressed term declares ${size} bytes, over the limit`);
    }
    // A view where the input allows (zlib reads it and keeps nothing): copying megabytes first cost milliseconds.
    const deflated = this.bytes(this.remaining, 0);
    let inflated: Buffer;
    try {
      inflated = inflateSync(deflated, { maxOutputLength: Math.max(size, 1) });
    } catch (e) {
      return this.fail(ErrorCodes.ETF_BAD_COMPRESSED, `compressed term does not inflate: ${(e as Error).message}`);
    }
    if (inflated.length !== size) {
      this.fail(ErrorCodes.ETF_BAD_COMPRESSED, `compressed term inflates to ${inflated.length}, not ${size} bytes`);
    }
    return inflated;
  }

  /** Reads `count` consecutive terms into `out[at…]`. */
  run(count: number, out: Term[], at: number): void {
    for (let i = 0; i < count; i++) out[at + i] = this.value(0);
  }

  /**
   * Reads one term inside `depth` open containers, recursing into containers while that stays below
   * RECURSION_LIMIT: a call per nested term costs less than the iterative loop's frames.
   */
  protected value(depth: number): Term {
    if (depth >= RECURSION_LIMIT) return this.iterate(depth);
    const tag = this.u8();
    switch (tag) {
      case T.SMALL_TUPLE_EXT:
        return this.tuple(this.u8(), depth);
      case T.LARGE_TUPLE_EXT:
        return this.tuple(this.u32(), depth);
      case T.LIST_EXT:
        return this.list(this.u32(), depth);
      case T.MAP_EXT:
        return this.map(this.u32(), depth);
      case T.NEW_FUN_EXT:
        return this.fun(this.funHeader(), depth);
      default:
        return this.leaf(tag);
    }
  }

  private tuple(n: number, depth: number): Tuple {
    if (n === 0) return new Tuple([]);
    this.checkLength(n, "tuple arity");
    this.enter(depth);
    const items = new Array<Term>(n);
    for (let i = 0; i < n; i++) items[i] = this.value(depth + 1);
    return new Tuple(items);
  }

  private list(n: number, depth: number): Term {
    this.checkLength(n + 1, "list length");
    this.enter(depth);
    const items = new Array<Term>(n);
    for (let i = 0; i < n; i++) items[i] = this.value(depth + 1);
    // A NIL tail, the usual case, is read right here.
    this.ensure(1);
    if (this.buf[this.pos] === T.NIL_EXT) {
      this.pos++;
      return items;
    }
    return makeList(items, this.value(depth + 1));
  }

  private map(n: number, depth: number): ErlMap {
    this.checkLength(n * 2, "map size");
    if (n === 0) return new ErlMap();
    this.enter(depth);
    const keys = new Array<Term>(n);
    const values = new Array<Term>(n);
    for (let i = 0; i < n; i++) {
      keys[i] = this.value(depth + 1);
      values[i] = this.value(depth + 1);
    }
    return this.finishMap(keys, values);
  }

  private fun(header: FunHeader, depth: number): ErlFun {
    const n = header.numFree;
    if (n === 0) return this.finishFun(header, []);
    this.checkLength(n, "fun free variable count");
    this.enter(depth);
    const freeVars = new Array<Term>(n);
    for (let i = 0; i < n; i++) freeVars[i] = this.value(depth + 1);
    return this.finishFun(header, freeVars);
  }

  /** Throws unless one more container fits inside the `depth` already open. */
  protected enter(depth: number): void {
    if (depth >= this.maxDepth) this.fail(ErrorCodes.ETF_TOO_DEEP, `nesting deeper than ${this.maxDepth}`);
  }

  /** Reads one term inside `base` open containers without recursion. */
  private iterate(base: number): Term {
    // The innermost open container lives in these locals; enclosing ones are saved in the frame arrays
    // (frame `depth - base - 1` holds the container `depth` levels down). `depth` counts open containers.
    // A list's `index` is -1 while its tail is being read.
    let depth = base;
    let kind = Frame.Tuple;
    let items: Term[] = EMPTY_TERMS;
    let index = 0;
    let extra: Term[] | FunHeader | undefined;
    for (;;) {
      let value: Term;
      const tag = this.u8();
      let opened: Frame | -1 = -1;
      let openedItems: Term[] = EMPTY_TERMS;
      let openedExtra: Term[] | FunHeader | undefined;
      switch (tag) {
        case T.SMALL_TUPLE_EXT:
        case T.LARGE_TUPLE_EXT: {
          const n = tag === T.SMALL_TUPLE_EXT ? this.u8() : this.u32();
          if (n === 0) {
            value = new Tuple([]);
            break;
          }
          this.checkLength(n, "tuple arity");
          opened = Frame.Tuple;
          openedItems = new Array(n);
          value = EMPTY_TERMS;
          break;
        }
        case T.LIST_EXT: {
          const n = this.u32();
          this.checkLength(n + 1, "list length");
          opened = Frame.List;
          openedItems = new Array(n);
          value = EMPTY_TERMS;
          break;
        }
        case T.MAP_EXT: {
          const n = this.u32();
          this.checkLength(n * 2, "map size");
          if (n === 0) {
            value = new ErlMap();
            break;
          }
          opened = Frame.Map;
          openedItems = new Array(n);
          openedExtra = new Array(n);
          value = EMPTY_TERMS;
          break;
        }
        case T.NEW_FUN_EXT: {
          const header = this.funHeader();
          if (header.numFree === 0) {
            value = this.finishFun(header, []);
            break;
          }
          this.checkLength(header.numFree, "fun free variable count");
          opened = Frame.Fun;
          openedItems = new Array(header.numFree);
          openedExtra = header;
          value = EMPTY_TERMS;
          break;
        }
        default:
          value = this.leaf(tag);
      }
      if (opened !== -1) {
        this.enter(depth);
        if (depth > base) {
          const f = depth - base - 1;
          frameKinds[f] = kind;
          frameItems[f] = items;
          frameCounts[f] = index;
          frameExtras[f] = extra;
        }
        depth++;
        kind = opened;
        items = openedItems;
        extra = openedExtra;
        index = kind === Frame.List && items.length === 0 ? -1 : 0;
        continue;
      }
      // Hand the value to the innermost open container; close every container it completes.
      for (;;) {
        if (depth === base) return value;
        if (kind === Frame.List) {
          if (index >= 0) {
            items[index++] = value;
            if (index < items.length) break;
            // All elements read; the tail is next. A NIL tail, the usual case, is read right here.
            this.ensure(1);
            if (this.buf[this.pos] !== T.NIL_EXT) {
              index = -1;
              break;
            }
            this.pos++;
            value = items;
          } else {
            value = makeList(items, value);
          }
        } else if (kind === Frame.Map) {
          if ((index & 1) === 0) (extra as Term[])[index >> 1] = value;
          else items[index >> 1] = value;
          if (++index < items.length * 2) break;
          value = this.finishMap(extra as Term[], items);
        } else {
          items[index++] = value;
          if (index < items.length) break;
          value = kind === Frame.Tuple ? new Tuple(items) : this.finishFun(extra as FunHeader, items);
        }
        depth--;
        if (depth > base) {
          const f = depth - base - 1;
          kind = frameKinds[f]!;
          items = frameItems[f]!;
          index = frameCounts[f]!;
          extra = frameExtras[f];
          frameItems[f] = EMPTY_TERMS;
          frameExtras[f] = undefined;
        }
      }
    }
  }

  /** Reads a term with no nested terms, after its tag: the common tags here, the rarer ones in `scalar`. */
  protected leaf(tag: number): Term {
    switch (tag) {
      case T.SMALL_INTEGER_EXT:
        return this.u8();
      case T.INTEGER_EXT:
        return this.i32();
      case T.SMALL_ATOM_UTF8_EXT:
        return this.atomBody(this.u8(), false);
      case T.ATOM_UTF8_EXT:
        return this.atomBody(this.u16(), false);
      case T.BINARY_EXT:
        return this.bytes(this.u32(), this.viewThreshold);
      case T.NIL_EXT:
        return [];
      case T.NEW_FLOAT_EXT:
        return this.newFloat();
      case T.STRING_EXT:
        return this.string();
      default:
        return this.scalar(tag);
    }
  }

  /** The rarer tags with no nested terms (pids, refs and ports contain only an atom). */
  private scalar(tag: number): Term {
    switch (tag) {
      case T.ATOM_EXT:
        return this.atomBody(this.u16(), true);
      case T.SMALL_ATOM_EXT:
        return this.atomBody(this.u8(), true);
      case T.ATOM_CACHE_REF:
        return this.cachedAtom();
      case T.SMALL_BIG_EXT:
        return this.big(this.u8());
      case T.LARGE_BIG_EXT:
        return this.big(this.u32());
      case T.FLOAT_EXT:
        return this.oldFloat();
      case T.BIT_BINARY_EXT:
        return this.bitBinary();
      case T.NEW_PID_EXT:
      case T.PID_EXT:
        return this.pid(tag);
      case T.NEW_PORT_EXT:
      case T.V4_PORT_EXT:
      case T.PORT_EXT:
        return this.port(tag);
      case T.NEWER_REFERENCE_EXT:
      case T.NEW_REFERENCE_EXT:
      case T.REFERENCE_EXT:
        return this.ref(tag);
      case T.EXPORT_EXT:
        return this.exportFun();
      case T.COMPRESSED:
        this.pos--;
        return this.fail(ErrorCodes.ETF_BAD_TAG, "a compressed term may only stand at the top level");
      default:
        this.pos--;
        return this.fail(ErrorCodes.ETF_BAD_TAG, `unknown tag ${tag}`);
    }
  }

  private atomBody(len: number, latin1: boolean): Atom | boolean {
    this.ensure(len);
    const found = atomFromBytes(this.buf, this.pos, len, latin1, this.safe);
    if (typeof found === "string") {
      const why =
        found === "unsafe"
          ? "safe decoding refuses to create a new atom"
          : found === "too-long"
            ? "atom longer than 255 characters"
            : "atom is not valid UTF-8";
      this.fail(found === "unsafe" ? ErrorCodes.ETF_UNSAFE_ATOM : ErrorCodes.ETF_BAD_VALUE, why);
    }
    this.pos += len;
    if (found === TRUE) return true;
    if (found === FALSE) return false;
    return found;
  }

  private cachedAtom(): Atom | boolean {
    const index = this.u8();
    const found = this.cacheRefs?.[index];
    if (found === undefined) {
      this.pos -= 2;
      this.fail(ErrorCodes.ETF_ATOM_CACHE_REF, `atom cache reference ${index} has no entry`);
    }
    if (found === TRUE) return true;
    if (found === FALSE) return false;
    return found;
  }

  /** An atom where the grammar requires one (node names, modules): booleans are atoms too. */
  private atomField(what: string): Atom {
    const tag = this.u8();
    let a: Atom | boolean;
    if (tag === T.SMALL_ATOM_UTF8_EXT) a = this.atomBody(this.u8(), false);
    else if (tag === T.ATOM_UTF8_EXT) a = this.atomBody(this.u16(), false);
    else if (tag === T.ATOM_EXT) a = this.atomBody(this.u16(), true);
    else if (tag === T.SMALL_ATOM_EXT) a = this.atomBody(this.u8(), true);
    else if (tag === T.ATOM_CACHE_REF) a = this.cachedAtom();
    else {
      this.pos--;
      return this.fail(ErrorCodes.ETF_BAD_TAG, `${what} must be an atom, found tag ${tag}`);
    }
    return a === true ? TRUE : a === false ? FALSE : a;
  }

  protected newFloat(): Term {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) floatBytes[i] = b[p + 7 - i]!;
    else for (let i = 0; i < 8; i++) floatBytes[i] = b[p + i]!;
    const v = floatView[0]!;
    if (!Number.isFinite(v)) this.fail(ErrorCodes.ETF_BAD_VALUE, "float is not finite");
    this.pos = p + 8;
    return Number.isInteger(v) ? new Float(v) : v;
  }

  private oldFloat(): Term {
    this.ensure(31);
    let text = "";
    for (let i = 0; i < 31; i++) {
      const c = this.buf[this.pos + i]!;
      if (c === 0) break;
      text += String.fromCharCode(c);
    }
    const trimmed = text.trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
      this.fail(ErrorCodes.ETF_BAD_VALUE, `FLOAT_EXT text is not a float: ${JSON.stringify(text)}`);
    }
    const v = Number(trimmed);
    if (!Number.isFinite(v)) this.fail(ErrorCodes.ETF_BAD_VALUE, "float is not finite");
    this.pos += 31;
    return Number.isInteger(v) ? new Float(v) : v;
  }

  private string(): number[] {
    const n = this.u16();
    this.ensure(n);
    const out = new Array<number>(n);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) out[i] = b[p + i]!;
    this.pos = p + n;
    return out;
  }

  private big(n: number): number | bigint {
    const negative = this.u8() !== 0;
    this.checkLength(n, "bignum length");
    if (n <= 8) {
      this.ensure(n);
      const b = this.buf;
      const p = this.pos;
      let lo = 0;
      let hi = 0;
      for (let i = Math.min(n, 4) - 1; i >= 0; i--) lo = lo * 256 + b[p + i]!;
      for (let i = n - 1; i >= 4; i--) hi = hi * 256 + b[p + i]!;
      this.pos = p + n;
      if (hi < 0x200000) {
        const v = hi * 4294967296 + lo;
        return negative ? -v : v;
      }
      const v = (BigInt(hi) << 32n) | BigInt(lo);
      return negative ? -v : v;
    }
    const bytes = this.bytes(n, Number.POSITIVE_INFINITY);
    let hex = "";
    for (let i = n - 1; i >= 0; i--) hex += HEX[bytes[i]!]!;
    const v = BigInt(`0x${hex}`);
    const signed = negative ? -v : v;
    return signed >= -9007199254740991n && signed <= 9007199254740991n ? Number(signed) : signed;
  }

  private bitBinary(): Term {
    const n = this.u32();
    const bits = this.u8();
    if (n === 0 ? bits !== 0 : bits < 1 || bits > 8) {
      this.fail(ErrorCodes.ETF_BAD_VALUE, `BIT_BINARY_EXT with ${n} bytes cannot use ${bits} bits of the last`);
    }
    if (bits === 8 || n === 0) return this.bytes(n, this.viewThreshold);
    // The unused low bits of the last byte are not part of the value: copy, and clear them.
    const bytes = this.bytes(n, Number.POSITIVE_INFINITY);
    bytes[n - 1] = bytes[n - 1]! & ((0xff << (8 - bits)) & 0xff);
    return new BitString(bytes, bits);
  }

  private pid(tag: number): Pid {
    const node = this.atomField("pid node");
    const id = this.u32();
    const serial = this.u32();
    const creation = tag === T.NEW_PID_EXT ? this.u32() : this.u8();
    return new Pid(node, id, serial, creation);
  }

  private port(tag: number): Port {
    const node = this.atomField("port node");
    let id: number | bigint;
    if (tag === T.V4_PORT_EXT) {
      const hi = this.u32();
      const lo = this.u32();
      id = hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    } else {
      id = this.u32();
    }
    const creation = tag === T.PORT_EXT ? this.u8() : this.u32();
    return new Port(node, id, creation);
  }

  private ref(tag: number): Ref {
    if (tag === T.REFERENCE_EXT) {
      const node = this.atomField("reference node");
      const id = this.u32();
      return new Ref(node, this.u8(), [id]);
    }
    const len = this.u16();
    if (len > 5) this.fail(ErrorCodes.ETF_BAD_VALUE, `a reference has at most 5 id words, not ${len}`);
    const node = this.atomField("reference node");
    const creation = tag === T.NEWER_REFERENCE_EXT ? this.u32() : this.u8();
    const ids = new Array<number>(len);
    for (let i = 0; i < len; i++) ids[i] = this.u32();
    return new Ref(node, creation, ids);
  }

  private exportFun(): ExportFun {
    const module = this.atomField("fun module");
    const fn = this.atomField("fun name");
    const tag = this.u8();
    if (tag !== T.SMALL_INTEGER_EXT) {
      this.pos--;
      this.fail(ErrorCodes.ETF_BAD_TAG, `export fun arity must be SMALL_INTEGER_EXT, found tag ${tag}`);
    }
    return new ExportFun(module, fn, this.u8());
  }

  /** NEW_FUN_EXT up to its free variables. */
  private funHeader(): FunHeader {
    const start = this.offset - 1;
    const size = this.u32();
    const arity = this.u8();
    this.ensure(16);
    const uniq = Uint8Array.from(this.buf.subarray(this.pos, this.pos + 16));
    this.pos += 16;
    const index = this.u32();
    const numFree = this.u32();
    const module = this.atomField("fun module");
    const oldIndex = this.smallInt("fun old index");
    const oldUniq = this.smallInt("fun old uniq");
    const pidTag = this.u8();
    if (pidTag !== T.NEW_PID_EXT && pidTag !== T.PID_EXT) {
      this.pos--;
      this.fail(ErrorCodes.ETF_BAD_TAG, `fun creator must be a pid, found tag ${pidTag}`);
    }
    const pid = this.pid(pidTag);
    return { size, arity, uniq, index, numFree, module, oldIndex, oldUniq, pid, start };
  }

  private smallInt(what: string): number {
    const tag = this.u8();
    if (tag === T.SMALL_INTEGER_EXT) return this.u8();
    if (tag === T.INTEGER_EXT) return this.i32();
    if (tag === T.SMALL_BIG_EXT) {
      const v = this.big(this.u8());
      if (typeof v === "number") return v;
    }
    this.pos--;
    return this.fail(ErrorCodes.ETF_BAD_TAG, `${what} must be an integer, found tag ${tag}`);
  }

  private finishFun(h: FunHeader, freeVars: Term[]): ErlFun {
    if (this.offset - h.start !== h.size + 1) {
      this.fail(ErrorCodes.ETF_BAD_LENGTH, `NEW_FUN_EXT size ${h.size} does not match its contents`);
    }
    return new ErlFun(h.module, h.arity, h.uniq, h.index, h.oldIndex, h.oldUniq, h.pid, freeVars);
  }

  private finishMap(keys: Term[], values: Term[]): ErlMap {
    const m = ErlMap.fromArrays(keys, values);
    if (m === undefined) this.fail(ErrorCodes.ETF_BAD_VALUE, "map has a duplicate key");
    return m;
  }
}

const EMPTY_TERMS: Term[] = [];
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The list `[items | tail]`, flattened when the tail is itself a list (BEAM never writes that, but may read it). */
export function makeList(items: Term[], tail: Term): Term {
  if (Array.isArray(tail)) return items.length === 0 ? tail : items.concat(tail);
  if (tail instanceof ImproperList) return new ImproperList(items.concat(tail.items), tail.tail);
  return items.length === 0 ? tail : new ImproperList(items, tail);
}

/** Drops the half-built containers of a term that failed to decode. */
function dropFrames(): void {
  frameItems.length = 0;
  frameExtras.length = 0;
}

// One decoder serves every call: decoding is synchronous and calls no user code, so calls never overlap.
const shared = new Decoder();

function run<R>(input: Uint8Array | readonly Uint8Array[], options: DecodeOptions | undefined, whole: boolean): R {
  const d = shared.configure(input, options);
  try {
    const term = d.top(options?.versioned ?? true);
    if (whole) {
      if (d.remaining !== 0) d.fail(ErrorCodes.ETF_TRAILING_BYTES, `${d.remaining} bytes after the term`);
      return term as R;
    }
    return { term, end: d.offset } as R;
  } catch (e) {
    dropFrames();
    throw e;
  } finally {
    d.release();
  }
}

/** Decodes one term; the input must hold exactly that term (else ETF_TRAILING_BYTES). */
export function decode(input: Uint8Array | readonly Uint8Array[], options?: DecodeOptions): Term {
  return run<Term>(input, options, true);
}

/** Decodes one term from `options.offset` and says where it ended, for inputs that hold several terms. */
export function decodePrefix(
  input: Uint8Array | readonly Uint8Array[],
  options?: DecodeOptions,
): { term: Term; end: number } {
  return run<{ term: Term; end: number }>(input, options, false);
}

/**
 * Decodes `count` consecutive terms (no version byte) that start at `options.offset` into `out[at…]`, and says
 * where they end: a large term's elements, read a few at a time. The terms need not be the whole input.
 */
export function decodeRun(
  input: Uint8Array,
  count: number,
  out: Term[],
  at: number,
  options: DecodeOptions & { offset: number },
): number {
  const d = shared.configure(input, options);
  try {
    d.run(count, out, at);
    return d.offset;
  } catch (e) {
    dropFrames();
    throw e;
  } finally {
    d.release();
  }
}

/**
 * The term a versioned input holds, as bytes with no version byte: the input itself from offset 1, or, for a
 * compressed term, its inflated bytes from offset 0 (checked as `decode` checks them).
 */
export function termBytes(input: Uint8Array, options?: DecodeOptions): { bytes: Uint8Array; offset: number } {
  const d = new Decoder().configure(input, options);
  d.version();
  d.ensure(1);
  if (d.buf[d.pos] !== T.COMPRESSED) return { bytes: input, offset: 1 };
  d.pos++;
  return { bytes: d.inflate(), offset: 0 };
}
