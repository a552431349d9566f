// Reassembling the one length-prefixed request an EPMD connection carries, from TCP reads cut anywhere.
//
// Memory is bounded by epmd's own limit: a length over MAX_REQUEST_LENGTH (or zero) is refused from the two
// length bytes alone, before any of its body is buffered. Bytes past the request are refused too, as epmd
// closes a connection that sends more than its one request.
import { MAX_REQUEST_LENGTH } from "./protocol.ts";

export type ReadState = { state: "partial" } | { state: "complete"; body: Buffer } | { state: "bad"; problem: string };

const PARTIAL: ReadState = { state: "partial" };

export class RequestReader {
  /** The length field, while fewer than its two bytes have come. */
  #length = 0;
  #lengthBytes = 0;
  /** The request body once its length is known, filled up to `#filled`. */
  #body: Buffer | undefined;
  #filled = 0;

  /** Takes the next read. After "complete" or "bad", the connection is done with reading. */
  push(chunk: Buffer): ReadState {
    let at = 0;
    if (this.#body === undefined) {
      while (this.#lengthBytes < 2 && at < chunk.length) {
        this.#length = (this.#length << 8) | chunk[at++]!;
        this.#lengthBytes++;
      }
      if (this.#lengthBytes < 2) return PARTIAL;
      if (this.#length === 0 || this.#length > MAX_REQUEST_LENGTH) {
        return { state: "bad", problem: `request length ${this.#length} is outside 1..${MAX_REQUEST_LENGTH}` };
      }
      this.#body = Buffer.alloc(this.#length);
    }
    const body = this.#body;
    const take = Math.min(chunk.length - at, body.length - this.#filled);
    chunk.copy(body, this.#filled, at, at + take);
    this.#filled += take;
    at += take;
    if (at < chunk.length) return { state: "bad", problem: `${chunk.length - at} bytes after the request` };
    return this.#filled === body.length ? { state: "complete", body } : PARTIAL;
  }
}
