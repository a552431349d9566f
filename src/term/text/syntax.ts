// Erlang's lexical classes for term text (`erl_scan`): reserved words and the characters of names and digits.
//
// `format` asks them whether an atom may be written bare; `parse` reads with them. Both must agree, or an atom
// `format` writes bare would not read back.

/** Erlang's reserved words (OTP 25, `erl_scan:f_reserved_word/1`): atoms that must be quoted. @internal */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  "after",
  "and",
  "andalso",
  "band",
  "begin",
  "bnot",
  "bor",
  "bsl",
  "bsr",
  "bxor",
  "case",
  "catch",
  "cond",
  "div",
  "end",
  "fun",
  "if",
  "let",
  "not",
  "of",
  "or",
  "orelse",
  "receive",
  "rem",
  "try",
  "when",
  "xor",
]);

/** A decimal digit. @internal */
export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A character that may start an unquoted atom: a–z, or a Latin-1 lowercase letter (ß–ÿ but ÷). @internal */
export function isAtomStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
}

/** A character that may start a variable: A–Z, `_`, or a Latin-1 uppercase letter (À–Þ but ×). @internal */
export function isVarStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
}

/** A character that may follow in an unquoted atom or a variable name. @internal */
export function isNameChar(c: number): boolean {
  return isAtomStart(c) || isVarStart(c) || isDigit(c) || c === 0x40;
}
