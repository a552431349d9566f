// Where the stretches of JavaScript text that hold no tokens of their own end: white space and comments, strings,
// template text, regular expression literals and numbers; and the character classes the scanner tests.

/** What the splitter could not read; it reports it as a module that does not parse. */
export class ScanError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** ASCII character classes: IDENTIFIER_START starts an identifier, DIGIT continues one, BACKSLASH starts an escape. */
export const IDENTIFIER_START = 1;
export const DIGIT = 2;
export const BACKSLASH = 3;
export const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95;
  ASCII_CLASS[c] = letter ? IDENTIFIER_START : c >= 48 && c <= 57 ? DIGIT : c === 92 ? BACKSLASH : 0;
}

/** Non-ASCII white space and line terminators (anything else past ASCII is taken for part of an identifier). */
export function isUnicodeSpace(c: number): boolean {
  return (
    c === 0xa0 ||
    c === 0xfeff ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** Whether `c` continues an identifier (a `\` escape aside). */
export function isIdentifierPart(c: number): boolean {
  return c < 128 ? ASCII_CLASS[c] === IDENTIFIER_START || ASCII_CLASS[c] === DIGIT : !isUnicodeSpace(c);
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Zero code units after a text's end, so that looking a few characters ahead never leaves its code units. */
const PADDING = 4;

/**
 * A text's UTF-16 code units (and PADDING zeros): the scanner reads these rather than the string, as reading a
 * typed array is cheaper than charCodeAt (which checks how the string is stored at every call).
 */
export function codeUnits(source: string): Uint16Array {
  const bytes = Buffer.allocUnsafe((source.length + PADDING) * 2);
  bytes.write(source, 0, "utf16le");
  bytes.fill(0, source.length * 2);
  return new Uint16Array(bytes.buffer, bytes.byteOffset, source.length + PADDING);
}

/** Whether a line terminator stands in `codes[from, to)`. */
export function hasLineBreak(codes: Uint16Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isLineTerminator(codes[i]!)) return true;
  return false;
}

/** The position of the first character after white space and comments from `pos` in `source`. */
export function skipTrivia(source: string, pos: number): number {
  while (pos < source.length) {
    const c = source.charCodeAt(pos);
    if (c <= 32 || (c >= 128 && isUnicodeSpace(c))) {
      pos++;
    } else if (c === 47 && source.charCodeAt(pos + 1) === 47) {
      while (pos < source.length && !isLineTerminator(source.charCodeAt(pos))) pos++;
    } else if (c === 47 && source.charCodeAt(pos + 1) === 42) {
      pos = commentEnd(source, pos);
    } else {
      return pos;
    }
  }
  return pos;
}

/** The end of the line `pos` is on (the position of its line terminator, or the text's end, `length`). */
export function lineEnd(codes: Uint16Array, length: number, pos: number): number {
  while (pos < length && !isLineTerminator(codes[pos]!)) pos++;
  return pos;
}

/** The end of the `/* … *\/` comment at `start`. */
export function commentEnd(source: string, start: number): number {
  const end = source.indexOf("*/", start + 2);
  if (end < 0) throw new ScanError("an unterminated comment", start);
  return end + 2;
}

/** The end of the string literal at `start`, quoted with `quote`. */
export function stringEnd(codes: Uint16Array, length: number, start: number, quote: number): number {
  let pos = start + 1;
  for (;;) {
    if (pos >= length) throw new ScanError("an unterminated string", start);
    const c = codes[pos]!;
    if (c === quote) return pos + 1;
    // An escape, or a line continuation (a backslash before \r\n takes both).
    if (c === 92) pos += codes[pos + 1] === 13 && codes[pos + 2] === 10 ? 3 : 2;
    else if (c === 10 || c === 13) throw new ScanError("an unterminated string", start);
    else pos++;
  }
}

/**
 * The end of template text from `pos` (after a backquote, or a substitution's `}`): after the closing backquote, or
 * after the `${` of the next substitution (the character before the end tells which).
 */
export function templateEnd(codes: Uint16Array, length: number, pos: number, start: number): number {
  for (;;) {
    if (pos >= length) throw new ScanError("an unterminated template literal", start);
    const c = codes[pos]!;
    if (c === 96) return pos + 1;
    if (c === 92) pos += 2;
    else if (c === 36 && codes[pos + 1] === 123) return pos + 2;
    else pos++;
  }
}

/** The end of the regular expression literal at `start`, flags included. */
export function regexEnd(codes: Uint16Array, length: number, start: number): number {
  let pos = start + 1;
  let inClass = false;
  for (;;) {
    const c = codes[pos]!;
    if (pos >= length || isLineTerminator(c)) throw new ScanError("an unterminated regular expression", start);
    if (c === 92) {
      pos += 2;
      continue;
    }
    if (inClass) {
      if (c === 93) inClass = false;
    } else if (c === 91) {
      inClass = true;
    } else if (c === 47) {
      break;
    }
    pos++;
  }
  pos++;
  while (pos < length && isIdentifierPart(codes[pos]!)) pos++;
  return pos;
}

/** The end of the numeric literal at `start` (decimal, hex, octal, binary, BigInt, separators, exponents). */
export function numberEnd(codes: Uint16Array, length: number, start: number): number {
  let pos = start + 1;
  for (; pos < length; pos++) {
    const c = codes[pos]!;
    if (c === 46 || (c < 128 && ASCII_CLASS[c] !== 0)) continue;
    // An exponent's sign: 1e+5, 2.5E-3.
    const before = codes[pos - 1];
    if ((c === 43 || c === 45) && (before === 101 || before === 69)) continue;
    break;
  }
  return pos;
}

/** The end of the `\u` escape in an identifier at `pos` (`\uXXXX` or `\u{…}`). */
export function unicodeEscapeEnd(source: string, pos: number): number {
  if (source.charCodeAt(pos + 2) !== 123) return pos + 6;
  const close = source.indexOf("}", pos);
  if (close < 0) throw new ScanError("an unterminated \\u{ escape", pos);
  return close + 1;
}
