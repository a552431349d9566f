// Preparing a JSON literal in the worker: finding the top-level array's elements (or object's entries), cutting
// them into pieces, and parsing each piece once, so that the main thread's parse of it cannot fail.

import { pieceText, textOf } from "./json-text.ts";
import { PieceCutter } from "./pieces.ts";
import type { PreparedLiteral } from "./prepared-literal.ts";

// Main-thread JSON.parse cost, measured on arrays of small objects and of numbers.
const NS_PER_BYTE = 6;
const NS_PER_ELEMENT = 100;

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** Checks and indexes JSON text (UTF-8); throws a SyntaxError on bad input. */
export function indexJson(bytes: Uint8Array, pieceBudgetNs: number): PreparedLiteral {
  // Node's loader drops a byte order mark before parsing a JSON module.
  let p = skipSpace(bytes, bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0);
  const open = bytes[p];
  if (open !== OPEN_ARRAY && open !== OPEN_OBJECT) {
    JSON.parse(textOf(bytes, p, bytes.length));
    return { kind: "json", bytes, shape: "value", length: 1, pieces: [p, bytes.length, 1] };
  }
  const shape = open === OPEN_ARRAY ? "array" : "object";
  const close = open === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT;
  const cutter = new PieceCutter(pieceBudgetNs);
  let length = 0;
  p = skipSpace(bytes, p + 1);
  if (bytes[p] === close) {
    p++;
  } else {
    for (;;) {
      const start = p;
      const stop = elementStop(bytes, p);
      const end = trimEnd(bytes, start, stop);
      if (end === start) throw syntaxError(`an empty ${shape === "array" ? "element" : "entry"}`, start);
      cutter.add(start, end, (end - start) * NS_PER_BYTE + NS_PER_ELEMENT);
      length++;
      p = skipSpace(bytes, stop + 1);
      if (bytes[stop] === close) break;
      if (bytes[stop] !== COMMA) throw syntaxError(`expected "," or "${String.fromCharCode(close)}"`, stop);
    }
  }
  if (p !== bytes.length) throw syntaxError("text after the value", p);
  const pieces = cutter.finish();
  for (let i = 0; i < pieces.length; i += 3) JSON.parse(pieceText(bytes, pieces[i]!, pieces[i + 1]!, shape));
  return { kind: "json", bytes, shape, length, pieces };
}

/** Where the element starting at `p` stops: the `,` or closing bracket after it, outside any string. */
function elementStop(bytes: Uint8Array, p: number): number {
  const n = bytes.length;
  let depth = 0;
  while (p < n) {
    const c = bytes[p]!;
    if (c === QUOTE) {
      // Skip the string; a backslash escapes the byte after it (JSON.parse checks the escape itself).
      p++;
      while (p < n && bytes[p] !== QUOTE) p += bytes[p] === BACKSLASH ? 2 : 1;
      if (p >= n) throw syntaxError("a string is not closed", n);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth === 0) return p;
      depth--;
    } else if (c === COMMA && depth === 0) {
      return p;
    }
    p++;
  }
  throw syntaxError("the text ends inside the top-level array or object", p);
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(bytes: Uint8Array, p: number): number {
  while (isSpace(bytes[p])) p++;
  return p;
}

function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && isSpace(bytes[end - 1])) end--;
  return end;
}

function syntaxError(what: string, offset: number): SyntaxError {
  return new SyntaxError(`${what} (at byte ${offset})`);
}
