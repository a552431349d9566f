// The tokens of Erlang term text: a scanner that reads atoms, variables, numbers, strings and punctuation on demand.
//
// Numbers are read as the term model holds them (an integer is a `number` when safe, else a `bigint`); escapes in
// quoted atoms, strings and `$c` characters are resolved as `erl_scan` resolves them. The parser may also read
// characters directly, for the identifier forms (`<0.42.0>`, where `42.0` is no float).
import { TermParseError } from "../../errors.ts";
import { isAtomStart, isDigit, isNameChar, isVarStart } from "./syntax.ts";

/** One token; `at` is its offset in the text (a UTF-16 index). */
export type Token =
  | { kind: "atom"; name: string; quoted: boolean; at: number }
  | { kind: "var"; name: string; at: number }
  | { kind: "int"; value: number | bigint; at: number }
  | { kind: "float"; value: number; at: number }
  | { kind: "string"; codes: number[]; at: number }
  | { kind: "punct"; text: string; at: number }
  | { kind: "eof"; at: number };

/** Punctuation, longest first where one is a prefix of another. */
const PUNCTUATION = ["<<", ">>", "=>", ":=", "[", "]", "{", "}", ",", "|", "#", "<", ">", "-", "+", "/", ":"];

/** Control-character escapes after a backslash (`erl_scan`'s escape_char/1); any other character is itself. */
const ESCAPES: ReadonlyMap<string, number> = new Map([
  ["n", 10],
  ["r", 13],
  ["t", 9],
  ["v", 11],
  ["b", 8],
  ["f", 12],
  ["e", 27],
  ["s", 32],
  ["d", 127],
]);

/** A digit's value in bases up to 36 (0–9, then a–z or A–Z); 99 for any other character. */
function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return 99;
}

/** A string from code points, in slices so a long quoted atom cannot overflow the argument list. */
function fromCodePoints(codes: readonly number[]): string {
  let s = "";
  for (let i = 0; i < codes.length; i += 4096) s += String.fromCodePoint(...codes.slice(i, i + 4096));
  return s;
}

/** An integer as the term model holds it: a number when safe, else a bigint. */
export function integer(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Turns text into tokens on demand; the parser may also read characters directly for the identifier forms. */
export class Scanner {
  pos = 0;

  constructor(readonly text: string) {}

  fail(message: string, at: number = this.pos): never {
    throw new TermParseError(message, at);
  }

  code(at: number = this.pos): number {
    return at < this.text.length ? this.text.codePointAt(at)! : -1;
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x25) {
        while (this.pos < t.length && t.charCodeAt(this.pos) !== 0x0a) this.pos++;
      } else if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0) {
        this.pos++;
      } else {
        return;
      }
    }
  }

  /** The next token, without consuming it. */
  peek(): Token {
    const saved = this.pos;
    const token = this.next();
    this.pos = saved;
    return token;
  }

  /** Consumes the next token if it is the punctuation `text`. */
  accept(text: string): boolean {
    const saved = this.pos;
    const token = this.next();
    if (token.kind === "punct" && token.text === text) return true;
    this.pos = saved;
    return false;
  }

  /** Consumes the punctuation `text` or fails. */
  expect(text: string, what: string): void {
    const token = this.next();
    if (token.kind !== "punct" || token.text !== text) this.fail(`expected ${what}`, token.at);
  }

  /** Consumes the character `ch` (after whitespace) or fails: for the identifier forms, read character by character. */
  expectChar(ch: string, what: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) this.fail(`expected ${what}`);
    this.pos++;
  }

  next(): Token {
    this.skipSpace();
    const at = this.pos;
    const c = this.code();
    if (c < 0) return { kind: "eof", at };
    if (isDigit(c)) return this.number(at);
    if (isAtomStart(c)) return { kind: "atom", name: this.name(), quoted: false, at };
    if (isVarStart(c)) return { kind: "var", name: this.name(), at };
    if (c === 0x27) return { kind: "atom", name: fromCodePoints(this.quoted(0x27)), quoted: true, at };
    if (c === 0x22) return { kind: "string", codes: this.quoted(0x22), at };
    if (c === 0x24) return this.char(at);
    for (const p of PUNCTUATION) {
      if (this.text.startsWith(p, at)) {
        this.pos += p.length;
        return { kind: "punct", text: p, at };
      }
    }
    if (c === 0x2e) {
      this.pos++;
      return { kind: "punct", text: ".", at };
    }
    return this.fail(`unexpected character ${JSON.stringify(String.fromCodePoint(c))}`);
  }

  name(): string {
    const start = this.pos;
    while (isNameChar(this.code())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Digits in `base`, with `_` allowed between two digits (OTP 23+). */
  digits(base: number): string {
    const start = this.pos;
    let s = "";
    while (
      digitValue(this.code()) < base ||
      (this.code() === 0x5f && s !== "" && digitValue(this.code(this.pos + 1)) < base)
    ) {
      if (this.code() !== 0x5f) s += this.text[this.pos];
      this.pos++;
    }
    if (s === "") this.fail(`expected a base-${base} digit`, start);
    return s;
  }

  number(at: number): Token {
    const whole = this.digits(10);
    if (this.code() === 0x23) return this.based(whole, at);
    if (this.code() !== 0x2e || !isDigit(this.code(this.pos + 1))) {
      return { kind: "int", value: integer(BigInt(whole)), at };
    }
    this.pos++;
    let text = `${whole}.${this.digits(10)}`;
    const e = this.code();
    const sign = this.code(this.pos + 1);
    if (
      (e === 0x65 || e === 0x45) &&
      (isDigit(sign) || ((sign === 0x2b || sign === 0x2d) && isDigit(this.code(this.pos + 2))))
    ) {
      this.pos++;
      let exponent = "";
      if (sign === 0x2b || sign === 0x2d) {
        exponent = String.fromCharCode(sign);
        this.pos++;
      }
      text += `e${exponent}${this.digits(10)}`;
    }
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail("float out of range", at);
    return { kind: "float", value, at };
  }

  based(baseText: string, at: number): Token {
    const base = Number(baseText);
    if (base < 2 || base > 36) this.fail(`base ${baseText} is not 2–36`, at);
    this.pos++;
    let n = 0n;
    const b = BigInt(base);
    for (const d of this.digits(base)) n = n * b + BigInt(digitValue(d.charCodeAt(0)));
    return { kind: "int", value: integer(n), at };
  }

  /** `$a`, `$\n`, `$\x{1F600}`: a character code. */
  char(at: number): Token {
    this.pos++;
    const c = this.code();
    if (c < 0) this.fail("character literal ends the input", at);
    if (c === 0x5c) return { kind: "int", value: this.escape(), at };
    this.pos += c > 0xffff ? 2 : 1;
    return { kind: "int", value: c, at };
  }

  /** The characters of a quoted atom or string, escapes resolved; `pos` is at the opening quote. */
  quoted(quote: number): number[] {
    const at = this.pos++;
    const codes: number[] = [];
    for (;;) {
      const c = this.code();
      if (c < 0) this.fail(quote === 0x22 ? "unterminated string" : "unterminated quoted atom", at);
      if (c === quote) {
        this.pos++;
        return codes;
      }
      if (c === 0x5c) {
        codes.push(this.escape());
      } else {
        codes.push(c);
        this.pos += c > 0xffff ? 2 : 1;
      }
    }
  }

  /** One escape sequence; `pos` is at the backslash. */
  escape(): number {
    const at = this.pos++;
    const c = this.code();
    if (c < 0) this.fail("escape sequence ends the input", at);
    if (c >= 0x30 && c <= 0x37) {
      let n = 0;
      for (let i = 0; i < 3 && this.code() >= 0x30 && this.code() <= 0x37; i++) {
        n = n * 8 + this.code(this.pos++) - 0x30;
      }
      return n;
    }
    if (c === 0x78) return this.hexEscape(at);
    if (c === 0x5e) {
      const ctl = this.code(this.pos + 1);
      if (ctl < 0) this.fail("escape sequence ends the input", at);
      this.pos += ctl > 0xffff ? 3 : 2;
      return ctl & 31;
    }
    this.pos += c > 0xffff ? 2 : 1;
    return ESCAPES.get(String.fromCharCode(c)) ?? c;
  }

  /** `\xHH` or `\x{H…}`; `pos` is at the `x`. */
  hexEscape(at: number): number {
    this.pos++;
    if (this.code() === 0x7b) {
      this.pos++;
      const start = this.pos;
      while (digitValue(this.code()) < 16) this.pos++;
      if (this.pos === start || this.code() !== 0x7d) this.fail("bad \\x{…} escape", at);
      const n = Number.parseInt(this.text.slice(start, this.pos), 16);
      this.pos++;
      if (n > 0x10ffff) this.fail("character code past U+10FFFF", at);
      return n;
    }
    if (digitValue(this.code()) >= 16 || digitValue(this.code(this.pos + 1)) >= 16) this.fail("bad \\xHH escape", at);
    this.pos += 2;
    return Number.parseInt(this.text.slice(this.pos - 2, this.pos), 16);
  }

  /** A decimal unsigned integer, read character by character (inside `<0.42.0>`, where `42.0` is no float). */
  unsigned(what: string): number | bigint {
    this.skipSpace();
    if (!isDigit(this.code())) this.fail(`expected ${what}`);
    return integer(BigInt(this.digits(10)));
  }
}
