// Received frames to control messages: the pass-through form, the distribution header with its atom cache,
// and fragmented messages, whose payload is copied into its final buffer as each fragment arrives (assembly.ts)
// and decoded from there at the end, its large binaries as views of that buffer.
//
// The framing follows OTP's `erts_prepare_dist_ext` (external.c) and `erts_net_message` (dist.c): a connection
// that negotiated DIST_HDR_ATOM_CACHE or FRAGMENTS gets every message behind a header (131,68 / 69 / 70); one
// that negotiated neither gets the pass-through form (112, then versioned terms). Anything else, any malformed
// header, term or control message, is a DIST_PROTOCOL error, after which the connection must be dropped.
import { DistError, ErrorCodes, EtfDecodeError, TermError } from "../../errors.ts";
import type { Atom } from "../../term/atom.ts";
import { type DecodeOptions, decode, decodePrefix } from "../../term/etf/decode.ts";
import { ByteReader } from "../../term/etf/reader.ts";
import type { Term } from "../../term/types.ts";
import { DFlag } from "../flags.ts";
import { PayloadAssembly } from "./assembly.ts";
import { ReceiveAtomCache } from "./atom-cache.ts";
import type { ControlMessage } from "./control.ts";
import { parseControl } from "./parse-control.ts";

/** One message received from the peer: its control message, the payload term folded in. */
export interface DistMessage {
  control: ControlMessage;
}

export interface FrameDecoderOptions {
  /** Most bytes all incomplete fragmented messages of the connection may hold together (default 1 GiB). */
  maxBufferedBytes?: number;
  /** Most bytes one fragmented message may hold before its last fragment (default 1 GiB). */
  maxSequenceBytes?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024 * 1024;

/** The pass-through form's first byte (dist.h `PASS_THROUGH`). */
const PASS_THROUGH = 112;
const VERSION_MAGIC = 131;
const DIST_HEADER = 68;
const DIST_FRAG_HEADER = 69;
const DIST_FRAG_CONT = 70;
/** 131, 70, SequenceId, FragmentId. */
const FRAG_CONT_HEADER_BYTES = 18;
/** What an incomplete sequence is charged beyond its bytes: its record, lists and control term. */
const SEQUENCE_OVERHEAD = 1024;
/**
 * OTP's dist decoder has no case for compressed terms (a frame holding one is "a corrupted external term"), so
 * neither has this one: an inflate limit of 0 refuses them, and a small frame cannot inflate into a huge term.
 */
const NO_COMPRESSED = 0;
/** What stands in for the payload while only the first fragment is in: valid wherever a payload is. */
const PAYLOAD_PLACEHOLDER: Term = [];

/** A fragmented message between its first and its last fragment. */
interface Sequence {
  /** The atom cache refs of its header, resolved when the header arrived. */
  atoms: Atom[];
  control: Term;
  /** Its payload's bytes so far. */
  payload: PayloadAssembly;
  /** The FragmentId the next fragment must carry. */
  expected: bigint;
  /** Bytes charged against the limits. */
  charged: number;
}

export class FrameDecoder {
  private readonly withHeader: boolean;
  private readonly fragments: boolean;
  private readonly cache = new ReceiveAtomCache();
  private readonly reader = new ByteReader();
  private readonly sequences = new Map<bigint, Sequence>();
  private readonly maxBuffered: number;
  private readonly maxSequence: number;
  private buffered = 0;

  /** A decoder for one connection whose handshake settled on `flags`. */
  constructor(flags: bigint, options: FrameDecoderOptions = {}) {
    this.withHeader = (flags & (DFlag.DIST_HDR_ATOM_CACHE | DFlag.FRAGMENTS)) !== 0n;
    this.fragments = (flags & DFlag.FRAGMENTS) !== 0n;
    this.maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.maxSequence = options.maxSequenceBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /** Bytes held by fragmented messages whose last fragment has not arrived. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** How many fragmented messages are waiting for more fragments. */
  get pendingSequences(): number {
    return this.sequences.size;
  }

  /**
   * The message `frame` (one packet, without its length prefix) completes, or undefined while a fragmented
   * message waits for more, or for an empty frame (a tick). Throws DIST_PROTOCOL for anything malformed; the
   * decoder then holds nothing, and the connection must be dropped.
   */
  decode(frame: Uint8Array | readonly Uint8Array[]): DistMessage | undefined {
    try {
      return this.frame(frame);
    } catch (e) {
      this.sequences.clear();
      this.buffered = 0;
      if (e instanceof DistError) throw e;
      if (e instanceof EtfDecodeError || e instanceof TermError) {
        throw new DistError(ErrorCodes.DIST_PROTOCOL, `malformed term in a frame: ${e.message}`, { cause: e });
      }
      throw e;
    } finally {
      this.reader.release();
    }
  }

  private frame(frame: Uint8Array | readonly Uint8Array[]): DistMessage | undefined {
    const r = this.reader;
    r.reset(frame, 0);
    if (r.total === 0) return undefined;
    const first = r.u8();
    if (!this.withHeader) {
      if (first !== PASS_THROUGH) throw protocolError(`expected the pass-through byte 112, got ${first}`);
      return this.passThrough(frame);
    }
    if (first !== VERSION_MAGIC) throw protocolError(`expected a distribution header (131), got ${first}`);
    const kind = r.u8();
    if (kind === DIST_HEADER) return this.whole(frame, this.cache.readSection(r), r.offset);
    if (kind === DIST_FRAG_HEADER && this.fragments) return this.start(frame);
    if (kind === DIST_FRAG_CONT && this.fragments) return this.continuation(frame);
    throw protocolError(`unexpected distribution header tag ${kind}`);
  }

  /** `112, 131 Control[, 131 Payload]`. */
  private passThrough(frame: Uint8Array | readonly Uint8Array[]): DistMessage {
    const { term: control, end } = decodePrefix(frame, { offset: 1, maxInflatedSize: NO_COMPRESSED });
    const payload =
      end < this.reader.total ? decode(frame, { offset: end, maxInflatedSize: NO_COMPRESSED }) : undefined;
    return { control: parseControl(control, payload) };
  }

  /** A message all in `input`: Control[, Payload] from `offset`, unversioned, atoms from the header. */
  private whole(input: Uint8Array | readonly Uint8Array[], atoms: Atom[], offset: number): DistMessage {
    const { term: control, end } = decodePrefix(input, unversioned(atoms, offset));
    const payload = end < this.reader.total ? decode(input, unversioned(atoms, end)) : undefined;
    return { control: parseControl(control, payload) };
  }

  /** `131, 69, SequenceId, FragmentId, atom cache section, Control, first part of Payload`. */
  private start(frame: Uint8Array | readonly Uint8Array[]): DistMessage | undefined {
    const r = this.reader;
    const sequenceId = u64(r);
    const fragmentId = u64(r);
    if (fragmentId === 0n) throw protocolError("a fragment id of 0");
    if (this.sequences.has(sequenceId)) throw protocolError(`a second start of sequence ${sequenceId}`);
    // The header updates the cache now, as OTP's does, even though the message completes later.
    const atoms = this.cache.readSection(r);
    if (fragmentId === 1n) return this.whole(frame, atoms, r.offset);
    // The control message must lie whole in the first fragment. Checking it now (the payload still missing)
    // refuses a bad one before any more of its fragments are held.
    const { term: control, end } = decodePrefix(frame, unversioned(atoms, r.offset));
    parseControl(control, PAYLOAD_PLACEHOLDER);
    const fragments = Number(fragmentId);
    const payload = new PayloadAssembly(fragments * r.total);
    payload.append(frame, end);
    const sequence = { atoms, control, payload, expected: fragmentId - 1n, charged: 0 };
    this.charge(sequence, r.total + SEQUENCE_OVERHEAD, sequenceId);
    this.sequences.set(sequenceId, sequence);
    return undefined;
  }

  /** `131, 70, SequenceId, FragmentId, next part of Payload`. */
  private continuation(frame: Uint8Array | readonly Uint8Array[]): DistMessage | undefined {
    const r = this.reader;
    const sequenceId = u64(r);
    const fragmentId = u64(r);
    const sequence = this.sequences.get(sequenceId);
    if (sequence === undefined) throw protocolError(`a continuation of sequence ${sequenceId}, which never started`);
    if (fragmentId !== sequence.expected) {
      throw protocolError(`fragment ${fragmentId} of sequence ${sequenceId} where ${sequence.expected} was due`);
    }
    this.charge(sequence, r.total, sequenceId);
    sequence.payload.append(frame, FRAG_CONT_HEADER_BYTES);
    if (fragmentId > 1n) {
      sequence.expected = fragmentId - 1n;
      return undefined;
    }
    this.sequences.delete(sequenceId);
    this.buffered -= sequence.charged;
    const payload = decode(sequence.payload.bytes(), unversioned(sequence.atoms, 0));
    return { control: parseControl(sequence.control, payload) };
  }

  /** Counts `bytes` more against the sequence and the connection, or refuses them past a limit. */
  private charge(sequence: Sequence, bytes: number, sequenceId: bigint): void {
    if (sequence.charged + bytes > this.maxSequence) {
      throw protocolError(`sequence ${sequenceId} holds more than ${this.maxSequence} bytes`);
    }
    if (this.buffered + bytes > this.maxBuffered) {
      throw protocolError(`incomplete fragmented messages hold more than ${this.maxBuffered} bytes`);
    }
    sequence.charged += bytes;
    this.buffered += bytes;
  }
}

/** How terms after a distribution header are read: no version byte, atoms from the header. */
function unversioned(atoms: Atom[], offset: number): DecodeOptions {
  return { versioned: false, offset, atomCacheRefs: atoms, maxInflatedSize: NO_COMPRESSED };
}

/** A big-endian unsigned 64-bit field. */
function u64(r: ByteReader): bigint {
  const high = r.u32();
  const low = r.u32();
  return (BigInt(high) << 32n) | BigInt(low);
}

function protocolError(message: string): DistError {
  return new DistError(ErrorCodes.DIST_PROTOCOL, `bad distribution frame: ${message}`);
}
