// Control messages to frames: the pass-through form, or a distribution header with the atom cache, split into
// fragments when the peer takes them and the message is larger than a fragment.
//
// A message is encoded once, at `encode`; its frames come out one at a time from `next()`, so the connection can
// put other senders' frames between the fragments of a large message. The header (which atoms are new cache
// entries) is decided only when the first frame is taken, so the cache mirror follows the order frames really
// go out in: frames must be written in the order `next()` returns them, across all messages of one encoder.
// Large binaries stay the caller's memory from the term to the frames (encodeIovec, then views of its chunks).
import { Buffer } from "node:buffer";
import { ErrorCodes, EtfEncodeError } from "../../errors.ts";
import type { Atom } from "../../term/atom.ts";
import { type EncodeIovecOptions, encodeIovec } from "../../term/etf/encode.ts";
import { DFlag } from "../flags.ts";
import { emptySection, HeaderAtomRefs, SendAtomCache } from "./atom-cache.ts";
import type { ControlMessage } from "./control.ts";
import { controlTerms } from "./control-terms.ts";

export interface FrameEncoderOptions {
  /** Most bytes of a fragmented message per fragment, after the fragment header (default 64 KiB, as OTP). */
  fragmentSize?: number;
  /** Binaries this long or longer go out as views of the caller's memory, not copies (default 2048). */
  referenceThreshold?: number;
  /** Places an atom in a cache slot 0..2047 (default: a hash of its name); tests use it to force collisions. */
  atomCacheSlot?: (atom: Atom) => number;
}

export const DEFAULT_FRAGMENT_SIZE = 64 * 1024;

const PASS_THROUGH = 112;
const VERSION_MAGIC = 131;
const DIST_HEADER = 68;
const DIST_FRAG_HEADER = 69;
const DIST_FRAG_CONT = 70;
const LENGTH_BYTES = 4;
/** 131, 69|70, SequenceId, FragmentId. */
const FRAGMENT_HEADER_BYTES = 18;
const MAX_FRAME = 0xffff_ffff;

export class FrameEncoder {
  /** DIST_HDR_ATOM_CACHE or FRAGMENTS: every frame starts with a distribution header. */
  readonly withHeader: boolean;
  readonly fragments: boolean;
  readonly fragmentSize: number;
  /** The mirror of the peer's atom cache, when DIST_HDR_ATOM_CACHE was negotiated. */
  readonly cache: SendAtomCache | undefined;
  private readonly refs: HeaderAtomRefs | undefined;
  /** How control and payload terms are encoded: the same for every message of the connection. */
  private readonly encodeOptions: EncodeIovecOptions;
  private lastSequenceId = 0;

  /** An encoder for one connection whose handshake settled on `flags`. */
  constructor(
    private readonly flags: bigint,
    options: FrameEncoderOptions = {},
  ) {
    this.withHeader = (flags & (DFlag.DIST_HDR_ATOM_CACHE | DFlag.FRAGMENTS)) !== 0n;
    this.fragments = (flags & DFlag.FRAGMENTS) !== 0n;
    this.fragmentSize = options.fragmentSize ?? DEFAULT_FRAGMENT_SIZE;
    if (!Number.isSafeInteger(this.fragmentSize) || this.fragmentSize < 1) {
      throw new RangeError(`fragmentSize must be a positive integer, not ${options.fragmentSize}`);
    }
    if ((flags & DFlag.DIST_HDR_ATOM_CACHE) !== 0n) {
      this.cache = new SendAtomCache(options.atomCacheSlot);
      this.refs = new HeaderAtomRefs();
    }
    this.encodeOptions = {
      versioned: !this.withHeader,
      atomCacheRefs: this.refs,
      referenceThreshold: options.referenceThreshold,
    };
  }

  /** Encodes `control` (and its payload) now; the frames come from the result's `next()`. */
  encode(control: ControlMessage): OutgoingMessage {
    const terms = controlTerms(control, this.flags);
    const options = this.encodeOptions;
    let body: Buffer[];
    let controlBytes = 0;
    try {
      body = encodeIovec(terms.control, options);
      for (const c of body) controlBytes += c.length;
      if (terms.payload !== undefined) for (const c of encodeIovec(terms.payload, options)) body.push(c);
    } catch (e) {
      // An unencodable term: the atoms it had named so far belong to no header.
      this.refs?.take();
      throw e;
    }
    const atoms = this.refs === undefined ? [] : this.refs.take();
    return new OutgoingMessage(this, body, controlBytes, atoms);
  }

  /** A sequence id no fragmented message of this connection has used. */
  nextSequenceId(): number {
    return ++this.lastSequenceId;
  }
}

/** One encoded message: its frames, each a list of chunks starting with the 4-byte length. */
export class OutgoingMessage {
  /** Bytes after the header: the control term, then the payload term. */
  readonly bodyBytes: number;
  /** The body not sent yet starts at `body[chunk]`, byte `offset`. */
  private chunk = 0;
  private offset = 0;
  private sent = 0;
  /** Fragment id of the next fragment; 0 before the first frame, and once the message is sent. */
  private nextFragment = 0;
  private sequenceId = 0;
  private started = false;

  constructor(
    private readonly encoder: FrameEncoder,
    private readonly body: Buffer[],
    private readonly controlBytes: number,
    private readonly atoms: Atom[],
  ) {
    let n = 0;
    for (const c of body) n += c.length;
    this.bodyBytes = n;
  }

  /** The next frame, to write before any frame taken later; undefined once all are taken. */
  next(): Buffer[] | undefined {
    if (!this.started) {
      this.started = true;
      return this.first();
    }
    if (this.nextFragment === 0) return undefined;
    const fragment = this.nextFragment;
    this.nextFragment = fragment - 1;
    const header = Buffer.allocUnsafe(LENGTH_BYTES + FRAGMENT_HEADER_BYTES);
    const size = Math.min(this.encoder.fragmentSize, this.bodyBytes - this.sent);
    writeFragmentHeader(header, LENGTH_BYTES, DIST_FRAG_CONT, this.sequenceId, fragment);
    return this.frame(header, size);
  }

  private first(): Buffer[] {
    const encoder = this.encoder;
    if (!encoder.withHeader) {
      const prefix = Buffer.allocUnsafe(LENGTH_BYTES + 1);
      prefix[LENGTH_BYTES] = PASS_THROUGH;
      return this.frame(prefix, this.bodyBytes);
    }
    const reserve = LENGTH_BYTES + FRAGMENT_HEADER_BYTES;
    const header = encoder.cache === undefined ? emptySection(reserve) : encoder.cache.section(this.atoms, reserve);
    const section = header.length - reserve;
    const size = encoder.fragmentSize;
    const whole = section + this.bodyBytes;
    // The atom cache section and the control term must all be in the first fragment.
    const firstBody = Math.max(this.controlBytes, Math.min(this.bodyBytes, size - section));
    if (!encoder.fragments || whole <= size || firstBody === this.bodyBytes) {
      // The fragment header's room, minus 131 68, is not sent: the frame starts further in.
      const start = reserve - 2;
      header[start] = VERSION_MAGIC;
      header[start + 1] = DIST_HEADER;
      return this.frame(header.subarray(start - LENGTH_BYTES), this.bodyBytes);
    }
    const count = 1 + Math.ceil((this.bodyBytes - firstBody) / size);
    this.sequenceId = encoder.nextSequenceId();
    this.nextFragment = count - 1;
    writeFragmentHeader(header, LENGTH_BYTES, DIST_FRAG_HEADER, this.sequenceId, count);
    return this.frame(header, firstBody);
  }

  /** `header` (length field left for this to fill) and the next `size` bytes of the body, as views. */
  private frame(header: Buffer, size: number): Buffer[] {
    const length = header.length - LENGTH_BYTES + size;
    if (length > MAX_FRAME) {
      throw new EtfEncodeError(ErrorCodes.ETF_UNENCODABLE, `a frame of ${length} bytes is over 4 GiB`);
    }
    header.writeUInt32BE(length, 0);
    const out = [header];
    let left = size;
    while (left > 0) {
      const c = this.body[this.chunk]!;
      const take = Math.min(left, c.length - this.offset);
      out.push(take === c.length ? c : c.subarray(this.offset, this.offset + take));
      left -= take;
      this.offset += take;
      if (this.offset === c.length) {
        this.chunk++;
        this.offset = 0;
      }
    }
    this.sent += size;
    return out;
  }
}

function writeFragmentHeader(out: Buffer, at: number, kind: number, sequenceId: number, fragmentId: number): void {
  out[at] = VERSION_MAGIC;
  out[at + 1] = kind;
  writeU64(out, at + 2, sequenceId);
  writeU64(out, at + 10, fragmentId);
}

/** A big-endian 64-bit field holding a safe integer. */
function writeU64(out: Buffer, at: number, n: number): void {
  out.writeUInt32BE(Math.floor(n / 2 ** 32), at);
  out.writeUInt32BE(n >>> 0, at + 4);
}
