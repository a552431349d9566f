// The module scanner: one pass over a module's text (its code units) that yields its tokens, skipping comments,
// strings, template literals with their `${ }` nesting and regular expression literals, and keeps what the splitter
// needs on the way: the bracket nesting (with what each brace opens), a hash of every identifier, and the rewrites
// of `import(` and `import.meta`.
//
// No full parser: a regular expression literal is told from a division by the token before it, the usual way
// (after an expression's end `/` divides; anywhere else it starts a literal), with the kind of brace a `}` closes
// and whether a `)` closes an `if (…)`-style head to settle the two ambiguous cases. Where that guess is wrong the
// cut segments fail to compile and the module is prepared whole.
//
// Speed: the tokens inside brackets (nearly all of a module) are skipped by one loop that keeps its state in local
// variables; `next()` runs the same loop for a single token.

import type { Keyword } from "./keywords.ts";
import * as keywords from "./keywords.ts";
import * as text from "./text-scan.ts";
import { ScanError } from "./text-scan.ts";
import * as tokens from "./tokens.ts";

// The scanning loop reads module-local constants and functions faster than imported bindings (which V8 loads
// from their module's cell, checking each time that they are initialised): these are copies.
const {
  BLOCK,
  BRACKET,
  braceKind,
  CLASS,
  EOF,
  FUNCTION,
  IDENT,
  KEYWORD,
  NUMBER,
  OBJECT,
  P_ARROW,
  P_ASSIGN_OP,
  P_ELLIPSIS,
  P_INCREMENT,
  P_OPERATOR,
  P_OPTIONAL_DOT,
  PAREN,
  PAREN_HEAD,
  PRIVATE,
  PUNCT,
  parenKind,
  REGEX,
  regexAllowedAfter,
  STRING,
  TEMPLATE,
  TEMPLATE_HEAD,
  TEMPLATE_MIDDLE,
  TEMPLATE_SUBSTITUTION,
} = tokens;
const {
  ASCII_CLASS,
  BACKSLASH,
  codeUnits,
  commentEnd,
  DIGIT,
  hasLineBreak,
  IDENTIFIER_START,
  isDigit,
  isIdentifierPart,
  isUnicodeSpace,
  lineEnd,
  numberEnd,
  regexEnd,
  skipTrivia,
  stringEnd,
  templateEnd,
  unicodeEscapeEnd,
} = text;
const { HASH_SEED, hashName, hashStep, KW_AWAIT, KW_CLASS, KW_IMPORT, KW_STATIC, KW_VAR, keywordAt } = keywords;

/** A change of the module's text: `source[start, end)` becomes `text` (an insertion when start === end). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Only when the module is cut into segments (`const` turned into assignments), not when it is prepared whole. */
  readonly splitOnly: boolean;
}

export const IMPORT_CALL = "__otter_import";
export const IMPORT_META = "__otter_import_meta";
const IMPORT_CALL_HASH = hashName(IMPORT_CALL);
const IMPORT_META_HASH = hashName(IMPORT_META);

export class Scanner {
  readonly source: string;
  /** The text's code units (see codeUnits). */
  private readonly codes: Uint16Array;

  // The current token.
  kind = EOF;
  start = 0;
  end = 0;
  /** A line terminator stands between the previous token and this one (automatic semicolon insertion). */
  newlineBefore = false;
  /** The keyword, when `kind` is KEYWORD. */
  keyword: Keyword = 0;
  /** The punctuator, when `kind` is PUNCT. */
  punct = 0;
  /** The end of the token before the current one. */
  prevEnd = 0;
  /** Bracket levels open after the current token. */
  depth = 0;

  /** Identifiers seen (not after `.`), as hashes, in order; `identCount` of them are used. */
  identHashes: Int32Array;
  identCount = 0;
  /** Identifier records (indexes into `identHashes`) of names assigned to: `x = `, `x += `, `x++`, `++x`. */
  readonly assigned: number[] = [];
  /** `await`s outside any function (top-level await), counted. */
  awaitCount = 0;
  /** Where a `var` outside any function stands, or -1. */
  varOutsideFunction = -1;
  /** Where an identifier spelled with a `\u` escape stands, or -1 (its hash would not match its name's). */
  escapedIdentifier = -1;
  readonly edits: Edit[] = [];

  private readonly stack = new Uint8Array(4096);
  private functionDepth = 0;
  /** The bracket level a `class` keyword was met at, until its body's `{` (-1: none pending). */
  private classAt = -1;
  // What the current token was, beyond its kind, punct and keyword, for the token after it: each is set by the
  // tokens it is about and read only while the current token is one of those.
  /** A recorded identifier's record, or -1. */
  private identRecord = -1;
  /** A `)` closes a PAREN_HEAD. */
  private closedHead = false;
  /** What a `}` closes. */
  private closedBrace = 0;
  /** A `++` or `--` is postfix. */
  private postfix = false;
  /** The keyword before a keyword (for `for await (`). */
  private keywordBefore: Keyword = 0;

  constructor(source: string) {
    this.source = source;
    // About one identifier in eight characters of code.
    this.identHashes = new Int32Array(Math.max(1024, source.length >> 3));
    // A hashbang line is a comment here (the splitter rewrites its `#!` to `//`).
    this.codes = codeUnits(source);
    if (source.charCodeAt(0) === 35 && source.charCodeAt(1) === 33) this.end = lineEnd(this.codes, source.length, 2);
  }

  /** `identCount` before the current token. */
  get identBefore(): number {
    return this.kind === IDENT && this.identRecord >= 0 ? this.identCount - 1 : this.identCount;
  }

  /** `awaitCount` before the current token. */
  get awaitBefore(): number {
    const counted = this.kind === KEYWORD && this.keyword === KW_AWAIT && this.functionDepth === 0;
    return counted ? this.awaitCount - 1 : this.awaitCount;
  }

  /** The position of the first character after white space and comments from `pos`. */
  skipTrivia(pos: number): number {
    return skipTrivia(this.source, pos);
  }

  /** Whether `word` is spelled at `pos` as a whole word. */
  wordAt(pos: number, word: string): boolean {
    return this.source.startsWith(word, pos) && !isIdentifierPart(this.source.charCodeAt(pos + word.length));
  }

  /** Whether a line terminator stands between positions `from` and `to`. */
  lineBreakBetween(from: number, to: number): boolean {
    return hasLineBreak(this.codes, from, to);
  }

  /** Moves to the next token. */
  next(): void {
    this.scan(-1);
  }

  /** Moves past the bracket the current token opens and everything in it, to the token after its closing one. */
  skipGroup(): void {
    this.scan(this.depth - 1);
    if (this.kind === EOF) throw new ScanError("a bracket is never closed", this.start);
    this.scan(-1);
  }

  /** Adds an edit, keeping the list in order of position (the parser may add one just before the current token). */
  addEdit(edit: Edit): void {
    const edits = this.edits;
    let at = edits.length;
    while (at > 0 && edits[at - 1]!.start > edit.start) at--;
    if (at === edits.length) edits.push(edit);
    else edits.splice(at, 0, edit);
  }

  /**
   * The scanning loop: one token when `stopDepth` < 0, else tokens up to the one that closes the bracket level back
   * to `stopDepth` (or the end of the text). Its state lives in locals while it runs.
   */
  private scan(stopDepth: number): void {
    const source = this.source;
    const codes = this.codes;
    const length = source.length;
    const stack = this.stack;
    let hashes = this.identHashes;
    let identCount = this.identCount;
    let pos = this.end;
    let kind = this.kind;
    let punct = this.punct;
    let keyword = this.keyword;
    let depth = this.depth;
    let functionDepth = this.functionDepth;
    let identRecord = this.identRecord;
    let closedHead = this.closedHead;
    let closedBrace = this.closedBrace;
    let postfix = this.postfix;
    let keywordBefore = this.keywordBefore;
    let start = pos;
    let prevEnd = pos;
    let newline = false;
    for (;;) {
      prevEnd = pos;
      newline = false;
      let c = -1;
      while (pos < length) {
        c = codes[pos];
        if (c <= 32) {
          if (c === 10 || c === 13) newline = true;
          pos++;
        } else if (c === 47) {
          const d = codes[pos + 1];
          if (d === 47) {
            pos = lineEnd(codes, length, pos + 2);
          } else if (d === 42) {
            const end = commentEnd(source, pos);
            newline ||= hasLineBreak(codes, pos, end);
            pos = end;
          } else {
            break;
          }
        } else if (c >= 128 && isUnicodeSpace(c)) {
          newline ||= c === 0x2028 || c === 0x2029;
          pos++;
        } else {
          break;
        }
        c = -1;
      }
      start = pos;
      if (c < 0) {
        kind = EOF;
        newline = true;
        break;
      }
      const charClass = c < 128 ? ASCII_CLASS[c]! : IDENTIFIER_START;
      if (charClass === IDENTIFIER_START || charClass === BACKSLASH) {
        // An identifier or a keyword, and its hash.
        let hash = hashStep(HASH_SEED, c);
        pos = charClass === BACKSLASH ? this.escapeEnd(pos) : pos + 1;
        for (; pos < length; pos++) {
          const d = codes[pos];
          if (d < 128) {
            const dClass = ASCII_CLASS[d]!;
            if (dClass === IDENTIFIER_START || dClass === DIGIT) hash = hashStep(hash, d);
            else if (dClass === BACKSLASH) pos = this.escapeEnd(pos) - 1;
            else break;
          } else if (isUnicodeSpace(d)) {
            break;
          } else {
            hash = hashStep(hash, d);
          }
        }
        const afterDot = kind === PUNCT && (punct === 46 || punct === P_OPTIONAL_DOT);
        const size = pos - start;
        const word = afterDot || c < 97 || c > 122 || size < 2 || size > 10 ? 0 : keywordAt(codes, start, pos, hash);
        const importEnd =
          word === KW_IMPORT && !this.isMemberName(kind, punct, keyword, newline, depth, prevEnd)
            ? this.importExpression(start, pos)
            : 0;
        if (word === 0 || importEnd > 0) {
          if (importEnd > 0) {
            hash = importEnd === pos ? IMPORT_CALL_HASH : IMPORT_META_HASH;
            pos = importEnd;
          }
          identRecord = -1;
          if (!afterDot) {
            if (identCount === hashes.length) hashes = this.grow(hashes);
            identRecord = identCount;
            hashes[identCount++] = hash;
            if (kind === PUNCT && punct === P_INCREMENT && !postfix) this.assigned.push(identRecord);
          }
          kind = IDENT;
        } else {
          keywordBefore = kind === KEYWORD ? keyword : 0;
          kind = KEYWORD;
          keyword = word;
          if (word === KW_AWAIT) {
            if (functionDepth === 0) this.awaitCount++;
          } else if (word === KW_VAR) {
            if (functionDepth === 0 && this.varOutsideFunction < 0 && this.charAfter(pos) !== 58) {
              this.varOutsideFunction = start;
            }
          } else if (word === KW_CLASS) {
            const after = this.charAfter(pos);
            if (after !== 58 && after !== 40) this.classAt = depth;
          }
        }
      } else if (charClass === DIGIT || (c === 46 && isDigit(codes[pos + 1]))) {
        pos = numberEnd(codes, length, pos);
        kind = NUMBER;
      } else if (c === 34 || c === 39) {
        pos = stringEnd(codes, length, pos, c);
        kind = STRING;
      } else if (c === 96) {
        pos = templateEnd(codes, length, pos + 1, start);
        kind = TEMPLATE;
        if (codes[pos - 1] === 123) {
          depth = this.push(depth, TEMPLATE_SUBSTITUTION, start);
          kind = TEMPLATE_HEAD;
        }
      } else if (c === 35) {
        pos++;
        while (pos < length && isIdentifierPart(codes[pos])) pos++;
        kind = PRIVATE;
      } else if (c === 47 && regexAllowedAfter(kind, punct, keyword, closedHead, closedBrace, postfix)) {
        pos = regexEnd(codes, length, pos);
        kind = REGEX;
      } else {
        // A punctuator.
        const d = codes[pos + 1];
        let end = pos + 1;
        let code = c;
        switch (c) {
          case 123: {
            // {
            const top = depth === 0 ? BLOCK : stack[depth - 1]!;
            let opens: number;
            if (this.classAt === depth) {
              this.classAt = -1;
              opens = CLASS;
            } else {
              opens = braceKind(kind, punct, keyword, closedHead, top);
            }
            depth = this.push(depth, opens, start);
            if (opens === FUNCTION) functionDepth++;
            break;
          }
          case 125: {
            // }
            const closes = this.pop(depth--, start, c);
            if (closes === FUNCTION) functionDepth--;
            if (closes === TEMPLATE_SUBSTITUTION) {
              end = templateEnd(codes, length, pos + 1, start);
              code = -1;
              kind = TEMPLATE;
              if (codes[end - 1] === 123) {
                depth = this.push(depth, TEMPLATE_SUBSTITUTION, start);
                kind = TEMPLATE_MIDDLE;
              }
            }
            closedBrace = closes;
            break;
          }
          case 40: // (
            depth = this.push(
              depth,
              parenKind(kind, keyword, keywordBefore, depth === 0 ? BLOCK : stack[depth - 1]!),
              start,
            );
            break;
          case 41: // )
            closedHead = this.pop(depth--, start, c) === PAREN_HEAD;
            break;
          case 91: // [
            depth = this.push(depth, BRACKET, start);
            break;
          case 93: // ]
            this.pop(depth--, start, c);
            break;
          case 46: // .
            if (d === 46 && codes[pos + 2] === 46) {
              code = P_ELLIPSIS;
              end = pos + 3;
            }
            break;
          case 63: // ?
            if (d === 46 && !isDigit(codes[pos + 2])) {
              code = P_OPTIONAL_DOT;
              end = pos + 2;
            } else if (d === 63) {
              const assigns = codes[pos + 2] === 61;
              end = assigns ? pos + 3 : pos + 2;
              code = assigns ? P_ASSIGN_OP : P_OPERATOR;
              if (assigns && kind === IDENT) this.noteAssignment(identRecord, depth);
            }
            break;
          case 61: // =
            if (d === 62) {
              code = P_ARROW;
              end = pos + 2;
            } else if (d === 61) {
              code = P_OPERATOR;
              end = codes[pos + 2] === 61 ? pos + 3 : pos + 2;
            } else if (kind === IDENT) {
              this.noteAssignment(identRecord, depth);
            }
            break;
          case 43: // +
          case 45: // -
            if (d === c) {
              code = P_INCREMENT;
              end = pos + 2;
              // After an expression's end on the same line it is postfix.
              const postfixNow = !newline && !regexAllowedAfter(kind, punct, keyword, closedHead, closedBrace, postfix);
              if (postfixNow && kind === IDENT) this.noteAssignment(identRecord, depth);
              postfix = postfixNow;
            } else if (d === 61) {
              code = P_ASSIGN_OP;
              end = pos + 2;
              if (kind === IDENT) this.noteAssignment(identRecord, depth);
            }
            break;
          case 33: // !
            if (d === 61) {
              code = P_OPERATOR;
              end = codes[pos + 2] === 61 ? pos + 3 : pos + 2;
            }
            break;
          case 42: // *
          case 47: // / (a division: a regular expression is not allowed here)
          case 37: // %
          case 38: // &
          case 60: // <
          case 62: // >
          case 94: // ^
          case 124: // |
            while (end < length && isOperatorPart(codes[end], c)) end++;
            if (codes[end] === 61) {
              const comparison = end === pos + 1 && (c === 60 || c === 62);
              end++;
              code = comparison ? P_OPERATOR : P_ASSIGN_OP;
              if (!comparison && kind === IDENT) this.noteAssignment(identRecord, depth);
            } else if (end > pos + 1) {
              code = P_OPERATOR;
            }
            break;
        }
        pos = end;
        if (code >= 0) {
          kind = PUNCT;
          punct = code;
        }
      }
      if (stopDepth < 0 || depth <= stopDepth) break;
    }
    this.kind = kind;
    this.punct = punct;
    this.keyword = keyword;
    this.start = start;
    this.end = kind === EOF ? length : pos;
    this.prevEnd = prevEnd;
    this.newlineBefore = newline;
    this.depth = depth;
    this.functionDepth = functionDepth;
    this.identHashes = hashes;
    this.identCount = identCount;
    this.identRecord = identRecord;
    this.closedHead = closedHead;
    this.closedBrace = closedBrace;
    this.postfix = postfix;
    this.keywordBefore = keywordBefore;
  }

  /** Pushes a bracket level of kind `opens` (for the bracket at `at`); returns the new depth. */
  private push(depth: number, opens: number, at: number): number {
    if (depth === this.stack.length) throw new ScanError("brackets nested too deep", at);
    this.stack[depth] = opens;
    return depth + 1;
  }

  /** Pops the bracket level `depth` - 1 that `closing` (at `at`) closes; returns what it opened. */
  private pop(depth: number, at: number, closing: number): number {
    const opened = depth === 0 ? 0 : this.stack[depth - 1]!;
    const expected = opened === PAREN || opened === PAREN_HEAD ? 41 : opened === BRACKET ? 93 : 125;
    if (opened === 0 || closing !== expected) throw new ScanError(`an unmatched ${String.fromCharCode(closing)}`, at);
    return opened;
  }

  /** The identifier before `=`, `+=`, `++` … (its record) is assigned to, unless it is a class field's name. */
  private noteAssignment(record: number, depth: number): void {
    if (record >= 0 && (depth === 0 || this.stack[depth - 1] !== CLASS)) this.assigned.push(record);
  }

  /**
   * Whether a word after the token `kind`/`punct`/`keyword` (which ended at `before`) names a member of an object
   * literal or class body (a method named `import`, say) rather than starting an expression.
   */
  private isMemberName(
    kind: number,
    punct: number,
    keyword: Keyword,
    newline: boolean,
    depth: number,
    before: number,
  ): boolean {
    const top = depth === 0 ? 0 : this.stack[depth - 1]!;
    if (top !== OBJECT && top !== CLASS) return false;
    if (kind === PUNCT) return punct === 123 || punct === 44 || punct === 59 || punct === 125 || punct === 42;
    if (kind === KEYWORD && keyword === KW_STATIC) return true;
    const modifier =
      this.wordBefore(before, "async") || this.wordBefore(before, "get") || this.wordBefore(before, "set");
    if (kind === IDENT && modifier) return true;
    // A class field's value ends at a line break: what follows is the next member.
    return top === CLASS && newline && !regexAllowedAfter(kind, punct, keyword, false, 0, false);
  }

  /** `import(` and `import.meta`: the end of what is rewritten to the scope's name, or 0 for a declaration's `import`. */
  private importExpression(start: number, end: number): number {
    const at = skipTrivia(this.source, end);
    const c = this.source.charCodeAt(at);
    if (c === 40) {
      this.addEdit({ start, end, text: IMPORT_CALL, splitOnly: false });
      return end;
    }
    if (c !== 46) return 0;
    const meta = skipTrivia(this.source, at + 1);
    if (!this.wordAt(meta, "meta")) return 0;
    this.addEdit({ start, end: meta + 4, text: IMPORT_META, splitOnly: false });
    return meta + 4;
  }

  /** Whether the word `word` ends at `end`. */
  private wordBefore(end: number, word: string): boolean {
    const start = end - word.length;
    return start >= 0 && this.source.startsWith(word, start) && !isIdentifierPart(this.source.charCodeAt(start - 1));
  }

  private grow(hashes: Int32Array): Int32Array {
    const grown = new Int32Array(hashes.length * 2);
    grown.set(hashes);
    return grown;
  }

  /** The end of a `\u` escape in an identifier, noting that the module has one. */
  private escapeEnd(pos: number): number {
    if (this.escapedIdentifier < 0) this.escapedIdentifier = pos;
    return unicodeEscapeEnd(this.source, pos);
  }

  private charAfter(pos: number): number {
    return this.source.charCodeAt(skipTrivia(this.source, pos));
  }
}

/** Whether `c` continues an operator that began with `first`: `**`, `&&`, `||`, `<<`, `>>`, `>>>`. */
function isOperatorPart(c: number, first: number): boolean {
  return c === first && (c === 42 || c === 38 || c === 124 || c === 60 || c === 62);
}
