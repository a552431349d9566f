// The EPMD wire format: every request and response as bytes, encoded and parsed with each length checked first.
//
// A request is `[2: length][tag][body]`. Responses carry no length: ALIVE2's has a fixed size per tag, PORT2's
// and NAMES' run until EPMD closes the connection. Limits are epmd's own (erts/epmd/src/epmd_int.h): a name is at
// most 255 characters and 1,020 bytes of UTF-8, the extra field at most 1,020 bytes, a request under 3,058 bytes.
import { DistError, ErrorCodes } from "../../errors.ts";

export const Tag = {
  ALIVE2_REQ: 120,
  ALIVE2_X_RESP: 118,
  ALIVE2_RESP: 121,
  PORT_PLEASE2_REQ: 122,
  PORT2_RESP: 119,
  NAMES_REQ: 110,
  KILL_REQ: 107,
} as const;

/** The node types of ALIVE2 and PORT2: a normal (published) node, or a hidden one. */
export const NodeType = { normal: 77, hidden: 72 } as const;

/** The distribution protocol version OTP 23+ speaks; OTP 25+ offers it as both its highest and its lowest. */
export const DIST_VERSION = 6;

/** The largest request body epmd reads: its buffer is 3 × 1,020 bytes, less the length field and a NUL. */
export const MAX_REQUEST_LENGTH = 3 * 1020 - 3;
export const MAX_NAME_BYTES = 1020;
export const MAX_NAME_CHARACTERS = 255;
export const MAX_EXTRA_BYTES = 1020;

/** What EPMD knows of a registered node: ALIVE2_REQ's fields, which PORT2_RESP repeats. */
export interface NodeInfo {
  /** The node's distribution listen port. */
  port: number;
  /** `NodeType.normal` (77) or `NodeType.hidden` (72). */
  nodeType: number;
  /** 0: TCP/IPv4. */
  protocol: number;
  highestVersion: number;
  lowestVersion: number;
  /** The alive part of the node name (before the `@`). */
  name: string;
  extra: Uint8Array;
}

/** One line of a NAMES response. */
export interface NameEntry {
  name: string;
  port: number;
}

/** ALIVE2's answer: `result` 0 is success; `extended` is ALIVE2_X_RESP (32-bit creation) over ALIVE2_RESP. */
export interface Alive2Response {
  result: number;
  creation: number;
  extended: boolean;
}

/**
 * A parsed request body. `alive2Refused` is an ALIVE2_REQ whose frame is sound but whose name or extra field
 * epmd will not take (bad UTF-8, too long, empty): epmd answers those with result 1, not by closing.
 */
export type EpmdRequest =
  | { kind: "alive2"; node: NodeInfo }
  | { kind: "alive2Refused"; highestVersion: number; problem: string }
  | { kind: "portPlease2"; name: string }
  | { kind: "names" }
  | { kind: "kill" };

const utf8 = new TextDecoder("utf-8", { fatal: true });
const ALIVE2_FIXED = 13;
const PORT2_FIXED = 14;
const NAMES_LINE = /^name (.+) at port (\d+)$/s; // s: a name may hold \r or U+2028

function malformed(message: string): DistError {
  return new DistError(ErrorCodes.DIST_EPMD, message);
}

/** Why epmd refuses `bytes` as a node name, or undefined when it takes them. */
function nameProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return "the name is empty";
  if (bytes.length > MAX_NAME_BYTES) return `the name has ${bytes.length} bytes, over ${MAX_NAME_BYTES}`;
  if (bytes.includes(0)) return "the name contains a NUL byte";
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return "the name is not UTF-8";
  }
  const characters = [...text].length;
  if (characters > MAX_NAME_CHARACTERS) return `the name has ${characters} characters, over ${MAX_NAME_CHARACTERS}`;
  return undefined;
}

/** The UTF-8 of a name we are about to send, or DIST_BAD_NAME when EPMD would not take it. */
function nameBytes(name: string): Buffer {
  const bytes = Buffer.from(name, "utf8");
  const problem = name.isWellFormed() ? nameProblem(bytes) : "the name has a lone surrogate";
  if (problem !== undefined) {
    throw new DistError(ErrorCodes.DIST_BAD_NAME, `bad node name ${JSON.stringify(name)}: ${problem}`);
  }
  return bytes;
}

function checkUint(value: number, bits: 8 | 16 | 32, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw malformed(`${what} must be an integer in 0..${2 ** bits - 1}, not ${value}`);
  }
}

/** `[2: length][body]`. Bodies we build stay under epmd's limit: a name and an extra field of 1,020 bytes each. */
function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length);
  return Buffer.concat([head, body]);
}

function checkNode(node: NodeInfo): void {
  checkUint(node.port, 16, "port");
  checkUint(node.nodeType, 8, "nodeType");
  checkUint(node.protocol, 8, "protocol");
  checkUint(node.highestVersion, 16, "highestVersion");
  checkUint(node.lowestVersion, 16, "lowestVersion");
  if (node.extra.length > MAX_EXTRA_BYTES) {
    throw malformed(`extra has ${node.extra.length} bytes, over EPMD's ${MAX_EXTRA_BYTES}`);
  }
}

/** The node fields as ALIVE2_REQ and PORT2_RESP both lay them out, after their leading bytes. */
function encodeNodeFields(node: NodeInfo, name: Buffer): Buffer {
  const out = Buffer.alloc(12 + name.length + node.extra.length);
  out.writeUInt16BE(node.port, 0);
  out[2] = node.nodeType;
  out[3] = node.protocol;
  out.writeUInt16BE(node.highestVersion, 4);
  out.writeUInt16BE(node.lowestVersion, 6);
  out.writeUInt16BE(name.length, 8);
  name.copy(out, 10);
  out.writeUInt16BE(node.extra.length, 10 + name.length);
  out.set(node.extra, 12 + name.length);
  return out;
}

export function encodeAlive2Request(node: NodeInfo): Buffer {
  const name = nameBytes(node.name);
  checkNode(node);
  return frame(Buffer.concat([Buffer.of(Tag.ALIVE2_REQ), encodeNodeFields(node, name)]));
}

export function encodePortPlease2Request(name: string): Buffer {
  return frame(Buffer.concat([Buffer.of(Tag.PORT_PLEASE2_REQ), nameBytes(name)]));
}

export function encodeNamesRequest(): Buffer {
  return frame(Buffer.of(Tag.NAMES_REQ));
}

export function encodeKillRequest(): Buffer {
  return frame(Buffer.of(Tag.KILL_REQ));
}

/** Parses ALIVE2_REQ's body after the tag, as epmd does: a bad frame throws, a bad name or extra is refused. */
function parseAlive2(body: Buffer): EpmdRequest {
  // Like epmd, at least one byte of name or extra beyond the fixed fields.
  if (body.length <= ALIVE2_FIXED) throw malformed(`ALIVE2_REQ of ${body.length} bytes is too short`);
  const nameLength = body.readUInt16BE(9);
  if (ALIVE2_FIXED + nameLength > body.length) throw malformed("ALIVE2_REQ's name runs past its end");
  const extraLength = body.readUInt16BE(11 + nameLength);
  const end = ALIVE2_FIXED + nameLength + extraLength;
  if (end > body.length) throw malformed("ALIVE2_REQ's extra field runs past its end");
  if (end < body.length) throw malformed(`ALIVE2_REQ has ${body.length - end} bytes after its extra field`);
  const name = body.subarray(11, 11 + nameLength);
  // A NUL in the name makes epmd close the connection; every other bad name is answered with a refusal.
  if (name.includes(0)) throw malformed("ALIVE2_REQ's name contains a NUL byte");
  const highestVersion = body.readUInt16BE(5);
  const problem = nameProblem(name) ?? (extraLength > MAX_EXTRA_BYTES ? `extra has ${extraLength} bytes` : undefined);
  if (problem !== undefined) return { kind: "alive2Refused", highestVersion, problem };
  return {
    kind: "alive2",
    node: {
      port: body.readUInt16BE(1),
      nodeType: body[3]!,
      protocol: body[4]!,
      highestVersion,
      lowestVersion: body.readUInt16BE(7),
      name: utf8.decode(name),
      extra: new Uint8Array(body.subarray(end - extraLength, end)),
    },
  };
}

/** Parses PORT_PLEASE2_REQ's body: the name, which old clients end with a NUL that epmd drops. */
function parsePortPlease2(body: Buffer): EpmdRequest {
  const name = body.subarray(1, body.at(-1) === 0 ? body.length - 1 : body.length);
  const problem = nameProblem(name);
  if (problem !== undefined) throw malformed(`PORT_PLEASE2_REQ: ${problem}`);
  return { kind: "portPlease2", name: utf8.decode(name) };
}

/** Parses one request body (the bytes after the length field). Throws DIST_EPMD when epmd would hang up. */
export function parseRequest(body: Buffer): EpmdRequest {
  if (body.length === 0) throw malformed("empty request");
  switch (body[0]) {
    case Tag.ALIVE2_REQ:
      return parseAlive2(body);
    case Tag.PORT_PLEASE2_REQ:
      return parsePortPlease2(body);
    case Tag.NAMES_REQ:
    case Tag.KILL_REQ:
      if (body.length !== 1) throw malformed(`request ${body[0]} has ${body.length - 1} unexpected bytes`);
      return { kind: body[0] === Tag.NAMES_REQ ? "names" : "kill" };
    default:
      throw malformed(`unknown request ${body[0]}`);
  }
}

export function encodeAlive2Response(response: Alive2Response): Buffer {
  checkUint(response.result, 8, "result");
  checkUint(response.creation, response.extended ? 32 : 16, "creation");
  if (!response.extended) {
    const out = Buffer.of(Tag.ALIVE2_RESP, response.result, 0, 0);
    out.writeUInt16BE(response.creation, 2);
    return out;
  }
  const out = Buffer.of(Tag.ALIVE2_X_RESP, response.result, 0, 0, 0, 0);
  out.writeUInt32BE(response.creation, 2);
  return out;
}

/** The full size of an ALIVE2 response from its first byte. Throws DIST_EPMD for any other tag. */
export function alive2ResponseLength(tag: number): number {
  if (tag === Tag.ALIVE2_X_RESP) return 6;
  if (tag === Tag.ALIVE2_RESP) return 4;
  throw malformed(`expected ALIVE2_X_RESP or ALIVE2_RESP, got tag ${tag}`);
}

export function parseAlive2Response(bytes: Uint8Array): Alive2Response {
  if (bytes.length === 0) throw malformed("empty ALIVE2 response");
  const length = alive2ResponseLength(bytes[0]!);
  if (bytes.length !== length) throw malformed(`ALIVE2 response of ${bytes.length} bytes, expected ${length}`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const extended = length === 6;
  return { result: view[1]!, creation: extended ? view.readUInt32BE(2) : view.readUInt16BE(2), extended };
}

/** PORT2_RESP: the node's fields, or result 1 alone when no node has the name. */
export function encodePort2Response(node: NodeInfo | undefined): Buffer {
  if (node === undefined) return Buffer.of(Tag.PORT2_RESP, 1);
  const name = nameBytes(node.name);
  checkNode(node);
  return Buffer.concat([Buffer.of(Tag.PORT2_RESP, 0), encodeNodeFields(node, name)]);
}

/** Parses a whole PORT2_RESP (everything EPMD sent before closing); undefined when EPMD knows no such node. */
export function parsePort2Response(bytes: Uint8Array): NodeInfo | undefined {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.length < 2) throw malformed(`PORT2_RESP of ${view.length} bytes is too short`);
  if (view[0] !== Tag.PORT2_RESP) throw malformed(`expected PORT2_RESP, got tag ${view[0]}`);
  if (view[1] !== 0) {
    if (view.length !== 2) throw malformed(`PORT2_RESP with result ${view[1]} has ${view.length - 2} extra bytes`);
    return undefined;
  }
  if (view.length < PORT2_FIXED) throw malformed(`PORT2_RESP of ${view.length} bytes is too short`);
  const nameLength = view.readUInt16BE(10);
  if (PORT2_FIXED + nameLength > view.length) throw malformed("PORT2_RESP's name runs past its end");
  const extraLength = view.readUInt16BE(12 + nameLength);
  const end = PORT2_FIXED + nameLength + extraLength;
  if (end !== view.length) throw malformed(`PORT2_RESP's lengths add up to ${end} bytes, not ${view.length}`);
  const name = view.subarray(12, 12 + nameLength);
  const problem = nameProblem(name);
  if (problem !== undefined) throw malformed(`PORT2_RESP: ${problem}`);
  return {
    port: view.readUInt16BE(2),
    nodeType: view[4]!,
    protocol: view[5]!,
    highestVersion: view.readUInt16BE(6),
    lowestVersion: view.readUInt16BE(8),
    name: utf8.decode(name),
    extra: new Uint8Array(view.subarray(end - extraLength, end)),
  };
}

/** NAMES' answer: EPMD's own port as 4 bytes, then `name N at port P\n` per node, as epmd prints them. */
export function encodeNamesResponse(epmdPort: number, entries: readonly NameEntry[]): Buffer {
  checkUint(epmdPort, 32, "epmdPort");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(epmdPort);
  const lines = entries.map(({ name, port }) => `name ${name} at port ${port}\n`).join("");
  return Buffer.concat([head, Buffer.from(lines, "utf8")]);
}

/**
 * Parses a whole NAMES answer. It must be UTF-8 ending in a complete line; lines that do not read
 * `name N at port P` are skipped, as erl_epmd skips them.
 */
export function parseNamesResponse(bytes: Uint8Array): { epmdPort: number; names: NameEntry[] } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.length < 4) throw malformed(`NAMES response of ${view.length} bytes is too short`);
  let text: string;
  try {
    text = utf8.decode(view.subarray(4));
  } catch {
    throw malformed("NAMES response is not UTF-8");
  }
  if (text.length > 0 && !text.endsWith("\n")) throw malformed("NAMES response ends inside a line");
  const names: NameEntry[] = [];
  for (const line of text.split("\n").slice(0, -1)) {
    const match = NAMES_LINE.exec(line);
    if (match !== null && Number(match[2]) <= 0xffff) names.push({ name: match[1]!, port: Number(match[2]) });
  }
  return { epmdPort: view.readUInt32BE(0), names };
}
