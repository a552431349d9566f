// Batch frames (batch-format.ts) to control messages: every record of a frame read in order with one reader, the
// atom table updated as DEFINE_ATOM records come, the compact sends built straight into their control messages.
//
// Anything malformed (an unknown record, a slot never defined, a bad term or control tuple) is a DIST_PROTOCOL
// error, after which the connection must be dropped, as with the standard framing.
import { DistError, ErrorCodes, EtfDecodeError, TermError } from "../../errors.ts";
import { type Atom, atomFromBytes } from "../../term/atom.ts";
import { type DecodeOptions, Decoder } from "../../term/etf/decode.ts";
import { Pid } from "../../term/types.ts";
import type { Frame } from "../frames.ts";
import { ATOM_SLOTS, INLINE_ATOM, RecordTag } from "./batch-format.ts";
import type { ControlMessage } from "./control.ts";
import { parseControl } from "./parse-control.ts";

export class BatchDecoder {
  private readonly atoms: (Atom | undefined)[] = new Array(ATOM_SLOTS).fill(undefined);
  private readonly reader = new Decoder();
  /** Terms as after a distribution header, slots for ATOM_CACHE_REFs, no compressed terms (as OTP's decoder). */
  private readonly options: DecodeOptions = {
    versioned: false,
    offset: 1,
    atomCacheRefs: this.atoms,
    maxInflatedSize: 0,
  };

  /**
   * Reads batch frame `frame` (BATCH_FRAME and its records), handing each message to `deliver` in order while it
   * returns true. Throws DIST_PROTOCOL for anything malformed (the messages before it were delivered).
   */
  decode(frame: Frame, deliver: (message: ControlMessage) => boolean): void {
    const r = this.reader.configure(frame, this.options);
    try {
      while (r.remaining > 0) {
        const message = this.record(r);
        if (message !== undefined && !deliver(message)) return;
      }
    } catch (e) {
      if (e instanceof EtfDecodeError || e instanceof TermError) {
        throw new DistError(ErrorCodes.DIST_PROTOCOL, `malformed record in a batch frame: ${e.message}`, { cause: e });
      }
      throw e;
    } finally {
      r.release();
    }
  }

  /** The next record's message; undefined for a DEFINE_ATOM. */
  private record(r: Decoder): ControlMessage | undefined {
    const tag = r.u8();
    switch (tag) {
      case RecordTag.REG_SEND: {
        const from = this.pid(r);
        const to = this.atom(r);
        return { op: "reg_send", from, to, message: r.top(false), token: undefined };
      }
      case RecordTag.SEND_SENDER: {
        const from = this.pid(r);
        const to = this.pid(r);
        return { op: "send", to, message: r.top(false), from, token: undefined };
      }
      case RecordTag.SEND: {
        const to = this.pid(r);
        return { op: "send", to, message: r.top(false), from: undefined, token: undefined };
      }
      case RecordTag.CONTROL:
        return parseControl(r.top(false), undefined);
      case RecordTag.CONTROL_PAYLOAD: {
        const control = r.top(false);
        return parseControl(control, r.top(false));
      }
      case RecordTag.DEFINE_ATOM: {
        const slot = r.u8();
        if (slot >= ATOM_SLOTS) throw protocolError(`DEFINE_ATOM of slot ${slot}`);
        this.atoms[slot] = this.atomText(r, r.u8());
        return undefined;
      }
      default:
        throw protocolError(`unknown record ${tag}`);
    }
  }

  private pid(r: Decoder): Pid {
    const node = this.atom(r);
    const id = r.u32();
    const serial = r.u32();
    return new Pid(node, id, serial, r.u32());
  }

  /** A slot of the table, or INLINE_ATOM and the atom in full. */
  private atom(r: Decoder): Atom {
    const slot = r.u8();
    if (slot === INLINE_ATOM) return this.atomText(r, r.u16());
    const found = this.atoms[slot];
    if (found === undefined) throw protocolError(`atom slot ${slot} was never defined`);
    return found;
  }

  private atomText(r: Decoder, length: number): Atom {
    r.ensure(length);
    const found = atomFromBytes(r.buf, r.pos, length, false, false);
    if (typeof found === "string") throw protocolError(`an atom that is not one (${found})`);
    r.pos += length;
    return found;
  }
}

function protocolError(message: string): DistError {
  return new DistError(ErrorCodes.DIST_PROTOCOL, `bad batch frame: ${message}`);
}
