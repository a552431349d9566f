// The oracle's wire format: 4-byte length-prefixed packets whose bodies are tiny, fixed-shape ETF envelopes.
//
// The envelope is read and written by hand here, on purpose: the oracle checks Otter's ETF codec, so it must
// not depend on it. Payloads (terms) ride inside as opaque binaries.

/** Largest packet accepted from erl (1 GiB): a bound on memory taken from an unverified length field. */
export const MAX_PACKET = 1 << 30;

/** A request: `{Id, Op, TimeoutMs, [Binary...]}`. */
export interface Request {
  id: number;
  op: "eval" | "roundtrip" | "sort" | "print" | "load";
  timeoutMs: number;
  args: readonly Uint8Array[];
}

/** An answer: `{Id, Status, Binary...}`; `fields` are the binaries after the status. */
export interface Answer {
  id: number;
  status: string;
  fields: Buffer[];
}

const VERSION = 131;
const SMALL_INTEGER = 97;
const INTEGER = 98;
const ATOM = 100;
const SMALL_TUPLE = 104;
const NIL = 106;
const LIST = 108;
const BINARY = 109;
const SMALL_ATOM = 115;
const ATOM_UTF8 = 118;
const SMALL_ATOM_UTF8 = 119;

/** The packet for `request`, as buffers for a corked write: payloads are referenced, not copied. */
export function encodeRequest(request: Request): Buffer[] {
  const op = Buffer.from(request.op, "latin1");
  const head = Buffer.alloc(4 + 4 + 5 + 2 + op.length + 5 + 5);
  let at = 4;
  head[at++] = VERSION;
  head[at++] = SMALL_TUPLE;
  head[at++] = 4;
  head[at++] = INTEGER;
  at = head.writeInt32BE(request.id | 0, at);
  head[at++] = SMALL_ATOM_UTF8;
  head[at++] = op.length;
  at += op.copy(head, at);
  head[at++] = INTEGER;
  at = head.writeInt32BE(Math.min(Math.max(Math.ceil(request.timeoutMs), 0), 0x7fff_ffff), at);
  head[at++] = LIST;
  at = head.writeUInt32BE(request.args.length, at);
  const parts: Buffer[] = [head.subarray(0, at)];
  let size = at - 4;
  for (const arg of request.args) {
    const argHead = Buffer.alloc(5);
    argHead[0] = BINARY;
    argHead.writeUInt32BE(arg.length, 1);
    parts.push(argHead, Buffer.from(arg.buffer, arg.byteOffset, arg.length));
    size += 5 + arg.length;
  }
  parts.push(Buffer.of(NIL));
  size += 1;
  head.writeUInt32BE(size, 0);
  return parts;
}

/** Reads one answer envelope; throws an Error naming the offset on anything else. */
export function decodeAnswer(packet: Buffer): Answer {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed oracle answer: ${what} at byte ${at} of ${packet.length}`);
  };
  const byte = (): number => (at < packet.length ? packet[at++]! : fail("truncated"));
  const need = (n: number): void => {
    if (at + n > packet.length) fail("truncated");
  };
  if (byte() !== VERSION) fail("not ETF");
  if (byte() !== SMALL_TUPLE) fail("not a small tuple");
  const arity = byte();
  if (arity < 2) fail("tuple too small");
  let id: number;
  const idTag = byte();
  if (idTag === SMALL_INTEGER) id = byte();
  else if (idTag === INTEGER) {
    need(4);
    id = packet.readInt32BE(at);
    at += 4;
  } else return fail("id is not an integer");
  const atomTag = byte();
  let atomLength: number;
  if (atomTag === SMALL_ATOM_UTF8 || atomTag === SMALL_ATOM) atomLength = byte();
  else if (atomTag === ATOM_UTF8 || atomTag === ATOM) {
    need(2);
    atomLength = packet.readUInt16BE(at);
    at += 2;
  } else return fail("status is not an atom");
  need(atomLength);
  const status = packet.toString(
    atomTag === ATOM_UTF8 || atomTag === SMALL_ATOM_UTF8 ? "utf8" : "latin1",
    at,
    at + atomLength,
  );
  at += atomLength;
  const fields: Buffer[] = [];
  for (let i = 2; i < arity; i++) {
    if (byte() !== BINARY) fail("field is not a binary");
    need(4);
    const length = packet.readUInt32BE(at);
    at += 4;
    need(length);
    fields.push(packet.subarray(at, at + length));
    at += length;
  }
  if (at !== packet.length) fail("trailing bytes");
  return { id, status, fields };
}

/** Splits a byte stream into `{packet, 4}` packets. A packet inside one chunk is a view, not a copy. */
export class PacketReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Adds a chunk; returns the packets it completed, in order. Throws on a length past MAX_PACKET. */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const packets: Buffer[] = [];
    while (this.#buffered >= 4) {
      const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#take(4, false);
      const length = head.readUInt32BE(0);
      if (length > MAX_PACKET) throw new Error(`oracle packet of ${length} bytes exceeds ${MAX_PACKET}`);
      if (this.#buffered < 4 + length) break;
      this.#take(4, true);
      packets.push(this.#take(length, true));
    }
    return packets;
  }

  /** The next `n` buffered bytes; `consume` removes them. A copy only when they span chunks. */
  #take(n: number, consume: boolean): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) {
      if (!consume) return first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let index = 0;
    while (filled < n) {
      const chunk = this.#chunks[index]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (!consume) index++;
      else if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    if (consume) this.#buffered -= n;
    return out;
  }
}
