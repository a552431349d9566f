// Reading statements, expressions and binding patterns from the scanner's tokens just far enough to know where
// they end and which names a declaration binds: brackets are skipped whole, and an expression ends at `;`, at a
// `,` where the caller asks, or where automatic semicolon insertion ends it (a line break after the end of an
// expression, before a token that cannot continue it).
import {
  type Keyword,
  KW_CATCH,
  KW_CLASS,
  KW_DEBUGGER,
  KW_DO,
  KW_ELSE,
  KW_EXTENDS,
  KW_FALSE,
  KW_FINALLY,
  KW_FOR,
  KW_FUNCTION,
  KW_IF,
  KW_IN,
  KW_INSTANCEOF,
  KW_NULL,
  KW_SUPER,
  KW_SWITCH,
  KW_THIS,
  KW_TRUE,
  KW_TRY,
  KW_WHILE,
  KW_WITH,
} from "./keywords.ts";
import type { Scanner } from "./scanner.ts";
import { ScanError } from "./text-scan.ts";
import {
  EOF,
  IDENT,
  KEYWORD,
  NUMBER,
  P_ELLIPSIS,
  P_INCREMENT,
  PUNCT,
  STRING,
  TEMPLATE,
  TEMPLATE_HEAD,
} from "./tokens.ts";

export class StatementReader {
  constructor(protected readonly scanner: Scanner) {}

  protected isPunct(punct: number): boolean {
    return this.scanner.kind === PUNCT && this.scanner.punct === punct;
  }

  protected isKeyword(keyword: Keyword): boolean {
    return this.scanner.kind === KEYWORD && this.scanner.keyword === keyword;
  }

  /** Whether the current token is the identifier (or contextual word) `word`. */
  protected isWord(word: string): boolean {
    const s = this.scanner;
    return s.kind === IDENT && s.end - s.start === word.length && s.source.startsWith(word, s.start);
  }

  /** The current token's text. */
  protected text(): string {
    return this.scanner.source.slice(this.scanner.start, this.scanner.end);
  }

  protected fail(what: string): never {
    throw new ScanError(what, this.scanner.start);
  }

  /** Moves past the current token, which must be the punctuator `punct`. */
  protected expectPunct(punct: number, what: string): void {
    if (!this.isPunct(punct)) this.fail(`expected ${what}`);
    this.scanner.next();
  }

  /** Moves past a bracket group that must start at the current token. */
  protected expectGroup(open: number, what: string): void {
    if (!this.isPunct(open)) this.fail(`expected ${what}`);
    this.scanner.skipGroup();
  }

  /** Moves past a `;` if the current token is one. */
  protected optionalSemicolon(): void {
    if (this.isPunct(59)) this.scanner.next();
  }

  /** Moves past one statement (nested ones included), whatever it is. */
  skipStatement(): void {
    const s = this.scanner;
    if (s.kind === PUNCT) {
      if (s.punct === 123 || s.punct === 59) {
        if (s.punct === 123) s.skipGroup();
        else s.next();
        return;
      }
    }
    if (s.kind === KEYWORD) {
      switch (s.keyword) {
        case KW_IF:
          s.next();
          this.expectGroup(40, "( after if");
          this.skipStatement();
          if (this.isKeyword(KW_ELSE)) {
            s.next();
            this.skipStatement();
          }
          return;
        case KW_FOR:
        case KW_WHILE:
        case KW_WITH:
          s.next();
          if (s.kind === KEYWORD) s.next(); // for await
          this.expectGroup(40, "( after a loop keyword");
          this.skipStatement();
          return;
        case KW_DO:
          s.next();
          this.skipStatement();
          if (!this.isKeyword(KW_WHILE)) this.fail("expected while after do");
          s.next();
          this.expectGroup(40, "( after while");
          this.optionalSemicolon();
          return;
        case KW_TRY:
          s.next();
          this.expectGroup(123, "{ after try");
          if (this.isKeyword(KW_CATCH)) {
            s.next();
            if (this.isPunct(40)) s.skipGroup();
            this.expectGroup(123, "{ after catch");
          }
          if (this.isKeyword(KW_FINALLY)) {
            s.next();
            this.expectGroup(123, "{ after finally");
          }
          return;
        case KW_SWITCH:
          s.next();
          this.expectGroup(40, "( after switch");
          this.expectGroup(123, "{ after switch (…)");
          return;
      }
    }
    if (s.kind === IDENT && s.source.charCodeAt(s.skipTrivia(s.end)) === 58) {
      s.next(); // a label
      s.next();
      this.skipStatement();
      return;
    }
    this.skipExpression(false);
    this.optionalSemicolon();
  }

  /**
   * Moves to the end of an expression: onto the `;` or (with `stopAtComma`) the `,` after it, or past its last
   * token where automatic semicolon insertion ends it.
   */
  skipExpression(stopAtComma: boolean): void {
    const s = this.scanner;
    let endsExpression = false;
    // After `function` or `class`, the next `{` is its body, even on a line of its own.
    let bodyPending = false;
    for (;;) {
      const kind = s.kind;
      if (kind === EOF) return;
      const body = bodyPending && kind === PUNCT && s.punct === 123;
      if (endsExpression && s.newlineBefore && !body && !this.continuesExpression()) return;
      if (kind === PUNCT) {
        const punct = s.punct;
        if (punct === 59 || (punct === 44 && stopAtComma)) return;
        if (punct === 123 || punct === 40 || punct === 91) {
          s.skipGroup();
          endsExpression = true;
          if (punct === 123) bodyPending = false;
          continue;
        }
        endsExpression = punct === P_INCREMENT && endsExpression && !s.newlineBefore;
      } else if (kind === TEMPLATE_HEAD) {
        s.skipGroup();
        endsExpression = true;
        continue;
      } else if (kind === KEYWORD) {
        const keyword = s.keyword;
        if (keyword === KW_FUNCTION || keyword === KW_CLASS) bodyPending = true;
        endsExpression =
          keyword === KW_THIS ||
          keyword === KW_SUPER ||
          keyword === KW_NULL ||
          keyword === KW_TRUE ||
          keyword === KW_FALSE ||
          keyword === KW_DEBUGGER;
      } else {
        endsExpression = true;
      }
      s.next();
    }
  }

  /** Whether the current token, on a new line after an expression, continues it (no semicolon is inserted). */
  private continuesExpression(): boolean {
    const s = this.scanner;
    switch (s.kind) {
      case PUNCT:
        switch (s.punct) {
          case 123: // {
          case 59: // ;
          case 33: // !
          case 126: // ~
          case 64: // @
          case P_INCREMENT:
            return false;
          default:
            return true;
        }
      case KEYWORD:
        return s.keyword === KW_IN || s.keyword === KW_INSTANCEOF || s.keyword === KW_EXTENDS;
      case TEMPLATE:
      case TEMPLATE_HEAD:
        return true;
      default:
        return false;
    }
  }

  /**
   * Reads a declaration's declarators (after `const`, `let` or `var`), adding the names they bind to `names`.
   * Returns where they end (before any `;`), or -1 for a binding pattern it cannot read.
   */
  declarators(names: string[]): number {
    const s = this.scanner;
    for (;;) {
      if (!this.bindingTarget(names)) return -1;
      if (this.isPunct(61)) {
        s.next();
        this.skipExpression(true);
      }
      if (!this.isPunct(44)) return s.prevEnd;
      s.next();
    }
  }

  /** A binding identifier or pattern; false if it is neither. */
  private bindingTarget(names: string[]): boolean {
    const s = this.scanner;
    if (s.kind === IDENT) {
      names.push(this.text());
      s.next();
      return true;
    }
    if (this.isPunct(123)) return this.objectPattern(names);
    if (this.isPunct(91)) return this.arrayPattern(names);
    return false;
  }

  private objectPattern(names: string[]): boolean {
    const s = this.scanner;
    const level = s.depth;
    s.next();
    while (s.depth === level) {
      if (this.isPunct(P_ELLIPSIS)) {
        s.next();
        if (s.kind !== IDENT) return false;
        names.push(this.text());
        s.next();
      } else {
        const shorthand = s.kind === IDENT ? this.text() : undefined;
        if (this.isPunct(91)) s.skipGroup();
        else if (s.kind === IDENT || s.kind === KEYWORD || s.kind === STRING || s.kind === NUMBER) s.next();
        else return false;
        if (this.isPunct(58)) {
          s.next();
          if (!this.bindingTarget(names)) return false;
        } else if (shorthand !== undefined) {
          names.push(shorthand);
        } else {
          return false;
        }
        this.skipDefault(level);
      }
      if (this.isPunct(44)) s.next();
      else if (s.depth === level) return false;
    }
    s.next();
    return true;
  }

  private arrayPattern(names: string[]): boolean {
    const s = this.scanner;
    const level = s.depth;
    s.next();
    while (s.depth === level) {
      if (this.isPunct(44)) {
        s.next(); // a hole
        continue;
      }
      if (this.isPunct(P_ELLIPSIS)) s.next();
      if (!this.bindingTarget(names)) return false;
      this.skipDefault(level);
      if (this.isPunct(44)) s.next();
      else if (s.depth === level) return false;
    }
    s.next();
    return true;
  }

  /** Moves past a pattern element's `= default`, if it has one, to the `,` or the pattern's closing bracket. */
  private skipDefault(level: number): void {
    const s = this.scanner;
    if (!this.isPunct(61)) return;
    s.next();
    while (s.depth > level || (s.depth === level && !this.isPunct(44))) {
      if (s.kind === EOF) this.fail("a pattern is never closed");
      s.next();
    }
  }
}
