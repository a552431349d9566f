// Control messages to records of the batch framing (batch-format.ts), written straight into the connection's
// output slab: a send to a pid or a registered name as a compact record, anything else as its control tuple.
//
// A record's atoms are resolved (and any slot defined anew) before its DEFINE_ATOM records and then the record are
// written, so the receiver, reading in order, knows every slot a record names. A message that does not suit a
// record (a binary that goes by reference, a record over MAX_RECORD_BYTES) is left to the standard framing; the
// slots its attempt defined are announced all the same, so the table on both sides stays the same.
import type { Atom } from "../../term/atom.ts";
import { type EncodeIovecOptions, encodeIovec } from "../../term/etf/encode.ts";
import type { Pid, Term } from "../../term/types.ts";
import { DFlag } from "../flags.ts";
import { SendAtomTable } from "./batch-atoms.ts";
import { INLINE_ATOM, PID_BODY_BYTES, RecordTag } from "./batch-format.ts";
import type { ControlMessage } from "./control.ts";
import { controlTerms } from "./control-terms.ts";
import type { OutputBatch } from "./output-batch.ts";

/** The largest record copied into the slab; a larger message goes in standard frames (fragments, if need be). */
export const MAX_RECORD_BYTES = 16 * 1024;
/** Below this, a term's bytes are copied into the slab one by one (cheaper than `set` for a few bytes). */
const BYTE_LOOP_LIMIT = 64;

export class BatchEncoder {
  /** Bytes the last `write` reserved in the output, DEFINE_ATOM records included. */
  lastBytes = 0;
  private readonly atoms = new SendAtomTable();
  private readonly termOptions: EncodeIovecOptions;
  private readonly sendSender: boolean;

  /** An encoder into `output` for a connection whose handshake settled on `flags`. */
  constructor(
    private readonly output: OutputBatch,
    private readonly flags: bigint,
    referenceThreshold?: number,
  ) {
    this.sendSender = (flags & DFlag.SEND_SENDER) !== 0n;
    this.termOptions = { versioned: false, atomCacheRefs: this.atoms, referenceThreshold };
  }

  /**
   * Writes `message` as a record: true once written, false when it must go in standard frames instead. A term with
   * no Erlang form throws, and nothing of the message is written.
   */
  write(message: ControlMessage): boolean {
    this.lastBytes = 0;
    this.atoms.nextRecord();
    try {
      if (message.op === "reg_send" && message.token === undefined) {
        return this.regSend(message.from, message.to, message.message);
      }
      if (message.op === "send" && message.token === undefined) {
        return this.send(this.sendSender ? message.from : undefined, message.to, message.message);
      }
      return this.control(message);
    } finally {
      if (this.atoms.owesDefinitions) this.defineAtoms();
    }
  }

  private regSend(from: Pid, to: Atom, payload: Term): boolean {
    const fromNode = this.atoms.refFor(from.node);
    const toRef = this.atoms.refFor(to);
    const body = this.term(payload);
    if (body === undefined) return false;
    const size = 1 + pidBytes(from, fromNode) + atomBytes(to, toRef) + body.length;
    if (size > MAX_RECORD_BYTES) return false;
    if (this.atoms.owesDefinitions) this.defineAtoms();
    const at = this.reserve(size);
    const out = this.output.buffer;
    out[at] = RecordTag.REG_SEND;
    let p = writePid(out, at + 1, from, fromNode);
    p = writeAtom(out, p, to, toRef);
    copyInto(out, p, body);
    return true;
  }

  private send(from: Pid | undefined, to: Pid, payload: Term): boolean {
    const fromNode = from === undefined ? -1 : this.atoms.refFor(from.node);
    const toNode = this.atoms.refFor(to.node);
    const body = this.term(payload);
    if (body === undefined) return false;
    const size = 1 + (from === undefined ? 0 : pidBytes(from, fromNode)) + pidBytes(to, toNode) + body.length;
    if (size > MAX_RECORD_BYTES) return false;
    if (this.atoms.owesDefinitions) this.defineAtoms();
    const at = this.reserve(size);
    const out = this.output.buffer;
    let p = at + 1;
    if (from === undefined) {
      out[at] = RecordTag.SEND;
    } else {
      out[at] = RecordTag.SEND_SENDER;
      p = writePid(out, p, from, fromNode);
    }
    p = writePid(out, p, to, toNode);
    copyInto(out, p, body);
    return true;
  }

  /** Any control message: its control tuple (and payload term) as the standard framing has them. */
  private control(message: ControlMessage): boolean {
    const terms = controlTerms(message, this.flags);
    const control = this.term(terms.control);
    if (control === undefined) return false;
    const payload = terms.payload === undefined ? undefined : this.term(terms.payload);
    if (payload === undefined && terms.payload !== undefined) return false;
    const size = 1 + control.length + (payload?.length ?? 0);
    if (size > MAX_RECORD_BYTES) return false;
    if (this.atoms.owesDefinitions) this.defineAtoms();
    const at = this.reserve(size);
    const out = this.output.buffer;
    out[at] = payload === undefined ? RecordTag.CONTROL : RecordTag.CONTROL_PAYLOAD;
    const p = copyInto(out, at + 1, control);
    if (payload !== undefined) copyInto(out, p, payload);
    return true;
  }

  /** `term`'s bytes when they are one chunk (no binary goes by reference); undefined otherwise. */
  private term(term: Term): Buffer | undefined {
    const chunks = encodeIovec(term, this.termOptions);
    return chunks.length === 1 ? chunks[0] : undefined;
  }

  /** A DEFINE_ATOM record for each slot defined anew, in the order they were. */
  private defineAtoms(): void {
    for (const { slot, atom } of this.atoms.takeDefinitions()) {
      const text = atom.utf8;
      const at = this.reserve(3 + text.length);
      const out = this.output.buffer;
      out[at] = RecordTag.DEFINE_ATOM;
      out[at + 1] = slot;
      out[at + 2] = text.length;
      copyInto(out, at + 3, text);
    }
  }

  private reserve(n: number): number {
    this.lastBytes += n;
    return this.output.reserveRecord(n);
  }
}

function atomBytes(a: Atom, ref: number): number {
  return ref >= 0 ? 1 : 3 + a.utf8.length;
}

function pidBytes(pid: Pid, nodeRef: number): number {
  return atomBytes(pid.node, nodeRef) + PID_BODY_BYTES;
}

/** Writes atom `a` (its slot `ref`, or in full when -1) at `at`; returns where it ends. */
function writeAtom(out: Buffer, at: number, a: Atom, ref: number): number {
  if (ref >= 0) {
    out[at] = ref;
    return at + 1;
  }
  const text = a.utf8;
  out[at] = INLINE_ATOM;
  out[at + 1] = text.length >> 8;
  out[at + 2] = text.length;
  return copyInto(out, at + 3, text);
}

function writePid(out: Buffer, at: number, pid: Pid, nodeRef: number): number {
  const p = writeAtom(out, at, pid.node, nodeRef);
  writeU32(out, p, pid.id);
  writeU32(out, p + 4, pid.serial);
  writeU32(out, p + 8, pid.creation);
  return p + PID_BODY_BYTES;
}

function writeU32(out: Buffer, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/** Copies `bytes` into `out` at `at`; returns where they end. */
function copyInto(out: Buffer, at: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < BYTE_LOOP_LIMIT) for (let i = 0; i < n; i++) out[at + i] = bytes[i]!;
  else out.set(bytes, at);
  return at + n;
}
