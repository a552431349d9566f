// The scanner's vocabulary: token kinds, punctuator codes and what a bracket opens; and what the token before
// decides: whether a `/` starts a regular expression or divides, and what a `{` or a `(` opens.
import type { Keyword } from "./keywords.ts";
import * as keywords from "./keywords.ts";

// Module-local copies of the keyword ids: read faster than imported bindings (see scanner.ts).
const {
  KW_AWAIT,
  KW_CATCH,
  KW_DO,
  KW_ELSE,
  KW_FALSE,
  KW_FINALLY,
  KW_FOR,
  KW_IF,
  KW_NULL,
  KW_STATIC,
  KW_SUPER,
  KW_SWITCH,
  KW_THIS,
  KW_TRUE,
  KW_TRY,
  KW_WHILE,
  KW_WITH,
} = keywords;

// Token kinds.
export const EOF = 0;
/** An identifier, or a contextual word (`async`, `from`, `as`, `of` …), or a keyword written after `.`. */
export const IDENT = 1;
export const KEYWORD = 2;
export const NUMBER = 3;
export const STRING = 4;
/** A template literal without substitutions, or the last piece of one (from the `}` of its last substitution). */
export const TEMPLATE = 5;
/** A template literal up to its first `${` (it opens a bracket level, closed by the TEMPLATE at its end). */
export const TEMPLATE_HEAD = 6;
/** A template literal's text between two substitutions, `}…${`. */
export const TEMPLATE_MIDDLE = 7;
export const REGEX = 8;
/** A `#name`. */
export const PRIVATE = 9;
export const PUNCT = 10;

// Punctuator codes (`punct`): a single character is its char code; these are the few longer ones that matter.
export const P_ARROW = 1000;
export const P_OPTIONAL_DOT = 1001;
export const P_ELLIPSIS = 1002;
/** `++` or `--`. */
export const P_INCREMENT = 1003;
/** A compound assignment: `+=`, `**=`, `??=` … */
export const P_ASSIGN_OP = 1004;
/** Any other operator longer than one character: `===`, `&&`, `>>>`, `<=` … */
export const P_OPERATOR = 1005;

// What a bracket opens (the bracket stack's entries).
export const BLOCK = 1;
export const OBJECT = 2;
/** A function's body (or a class's static block): `var` inside it stays inside it. */
export const FUNCTION = 3;
export const CLASS = 4;
export const TEMPLATE_SUBSTITUTION = 5;
export const PAREN = 6;
/** The parenthesized head of `if`, `for`, `while`, `switch`, `catch`, `with`: the `{` after it opens a block. */
export const PAREN_HEAD = 7;
export const BRACKET = 8;

/** Whether a `/` after a token starts a regular expression: whether the token does not end an expression. */
export function regexAllowedAfter(
  kind: number,
  punct: number,
  keyword: Keyword,
  closedHead: boolean,
  closedBrace: number,
  postfix: boolean,
): boolean {
  switch (kind) {
    case KEYWORD:
      return !(
        keyword === KW_THIS ||
        keyword === KW_SUPER ||
        keyword === KW_NULL ||
        keyword === KW_TRUE ||
        keyword === KW_FALSE
      );
    case PUNCT:
      switch (punct) {
        case 41:
          return closedHead;
        case 93:
          return false;
        case 125:
          return closedBrace === BLOCK || closedBrace === FUNCTION;
        case P_INCREMENT:
          return !postfix;
        default:
          return true;
      }
    case EOF:
    case TEMPLATE_HEAD:
    case TEMPLATE_MIDDLE:
      return true;
    default:
      return false;
  }
}

/** What a `{` opens, from the token before it and the bracket level it is in (`top`). */
export function braceKind(kind: number, punct: number, keyword: Keyword, closedHead: boolean, top: number): number {
  switch (kind) {
    case EOF:
      return BLOCK;
    case PUNCT:
      switch (punct) {
        case 41:
          return closedHead ? BLOCK : FUNCTION;
        case P_ARROW:
          return FUNCTION;
        case 59:
        case 123:
        case 125:
          return BLOCK;
        // A label's or a case's block, or an object in a conditional: taken for a block at statement level, the
        // safe side (a `var` inside a block is seen; one inside an object literal cannot be).
        case 58:
          return top === BLOCK || top === FUNCTION ? BLOCK : OBJECT;
        default:
          return OBJECT;
      }
    case KEYWORD:
      switch (keyword) {
        case KW_ELSE:
        case KW_DO:
        case KW_TRY:
        case KW_FINALLY:
        case KW_CATCH:
          return BLOCK;
        case KW_STATIC:
          return top === CLASS ? FUNCTION : OBJECT;
        default:
          return OBJECT;
      }
    default:
      return OBJECT;
  }
}

/** What a `(` opens: the head of `if`, `for` … (whose `)` is followed by a block), or other parentheses. */
export function parenKind(kind: number, keyword: Keyword, keywordBefore: Keyword, top: number): number {
  // In an object literal or a class body, `if(…) {` is a method named `if`.
  if (kind !== KEYWORD || top === OBJECT || top === CLASS) return PAREN;
  const head =
    keyword === KW_IF ||
    keyword === KW_FOR ||
    keyword === KW_WHILE ||
    keyword === KW_SWITCH ||
    keyword === KW_CATCH ||
    keyword === KW_WITH ||
    (keyword === KW_AWAIT && keywordBefore === KW_FOR);
  return head ? PAREN_HEAD : PAREN;
}
