// JavaScript tokens for the shell: just enough lexing to find where top-level statements start and what they
// declare (strings, template literals with their `${}` parts, regular expressions and comments are skipped whole).
//
// The shell reads esbuild's output, not what a person typed: esbuild prints each top-level statement from the
// start of a line and indents everything nested, which is what `splitStatements` relies on.

export interface Token {
  readonly kind: "name" | "punct" | "string" | "template" | "number" | "regex";
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The token starts a line at column 0. */
  readonly atLineStart: boolean;
}

/** Words after which a `/` starts a regular expression rather than a division. */
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const PUNCTUATOR =
  /^(?:>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.(?!\d)|\+\+|--|\+=|-=|\*=|\/=|%=|&=|\|=|\^=|\*\*|<<|>>|[{}()[\];,<>+\-*/%&|^!~?:=.@])/;
const NAME = /^#?[\p{ID_Start}$_\\](?:[\p{ID_Continue}$\\]|\u200c|\u200d)*/u;
const NUMBER = /^(?:0[xXoObB][\da-fA-F_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?)/;

/** The tokens of `source` (comments and white space dropped). */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  new Lexer(source, tokens).run(false);
  return tokens;
}

class Lexer {
  private pos = 0;
  private lineStart = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  /** Reads tokens to the end, or (`inTemplate`) to the `}` closing a template's `${`; returns where it stopped. */
  run(inTemplate: boolean): number {
    const s = this.source;
    let braces = 0;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === "\n") {
        this.pos++;
        this.lineStart = this.pos;
      } else if (c === " " || c === "\t" || c === "\r") {
        this.pos++;
      } else if (s.startsWith("//", this.pos)) {
        const end = s.indexOf("\n", this.pos);
        this.pos = end < 0 ? s.length : end;
      } else if (s.startsWith("/*", this.pos)) {
        const end = s.indexOf("*/", this.pos + 2);
        this.skipTo(end < 0 ? s.length : end + 2);
      } else if (inTemplate && c === "}" && braces === 0) {
        return ++this.pos;
      } else {
        if (c === "{") braces++;
        if (c === "}") braces--;
        this.token();
      }
    }
    return this.pos;
  }

  private token(): void {
    const s = this.source;
    const start = this.pos;
    const c = s[start]!;
    const rest = s.slice(start, start + 256);
    const atLineStart = start === this.lineStart;
    let kind: Token["kind"];
    if (c === '"' || c === "'") {
      kind = "string";
      this.pos = this.quoted(start, c);
    } else if (c === "`") {
      kind = "template";
      this.template();
    } else if (c === "/" && this.regexAllowed()) {
      kind = "regex";
      this.pos = this.regex(start);
    } else if (NUMBER.test(rest)) {
      kind = "number";
      this.pos += NUMBER.exec(rest)![0].length;
    } else if (NAME.test(rest)) {
      kind = "name";
      this.pos += NAME.exec(s.slice(start, start + 1024))![0].length;
    } else {
      kind = "punct";
      this.pos += PUNCTUATOR.exec(rest)?.[0].length ?? 1;
    }
    this.tokens.push({ kind, text: s.slice(start, this.pos), start, end: this.pos, atLineStart });
  }

  /** The end of a '…' or "…" string (at the line's end if it is not closed). */
  private quoted(start: number, quote: string): number {
    const s = this.source;
    let i = start + 1;
    while (i < s.length && s[i] !== quote && s[i] !== "\n") i += s[i] === "\\" ? 2 : 1;
    return Math.min(i + 1, s.length);
  }

  /** Skips a template literal, with the tokens of its `${}` parts lexed (and dropped) on the way. */
  private template(): void {
    const s = this.source;
    this.pos++;
    while (this.pos < s.length && s[this.pos] !== "`") {
      if (s[this.pos] === "\\") this.pos += 2;
      else if (s.startsWith("${", this.pos)) {
        this.pos += 2;
        const inner = new Lexer(s, []);
        inner.pos = this.pos;
        this.skipTo(inner.run(true));
      } else {
        if (s[this.pos] === "\n") this.lineStart = this.pos + 1;
        this.pos++;
      }
    }
    this.pos = Math.min(this.pos + 1, s.length);
  }

  private regex(start: number): number {
    const s = this.source;
    let i = start + 1;
    let inClass = false;
    while (i < s.length && s[i] !== "\n" && (inClass || s[i] !== "/")) {
      if (s[i] === "\\") i++;
      else if (s[i] === "[") inClass = true;
      else if (s[i] === "]") inClass = false;
      i++;
    }
    i++;
    while (i < s.length && /[a-z]/i.test(s[i]!)) i++;
    return Math.min(i, s.length);
  }

  private regexAllowed(): boolean {
    const previous = this.tokens.at(-1);
    if (previous === undefined) return true;
    switch (previous.kind) {
      case "name":
        return BEFORE_REGEX.has(previous.text);
      case "punct":
        return previous.text !== ")" && previous.text !== "]" && previous.text !== "++" && previous.text !== "--";
      default:
        return false;
    }
  }

  /** Moves to `end`, keeping track of line starts in what it passes. */
  private skipTo(end: number): void {
    for (let i = this.pos; i < end; i++) if (this.source[i] === "\n") this.lineStart = i + 1;
    this.pos = end;
  }
}

/** The top-level statements of esbuild's output, each as its tokens. */
export function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const token of tokens) {
    if (depth === 0 && token.atLineStart && current.length > 0 && !continues(current, token)) {
      statements.push(current);
      current = [];
    }
    current.push(token);
    if (token.kind === "punct") {
      if (token.text === "(" || token.text === "[" || token.text === "{") depth++;
      else if (token.text === ")" || token.text === "]" || token.text === "}") depth = Math.max(0, depth - 1);
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** Whether a line starting with `token` goes on with the statement before it (`else`, `catch`, a do's `while`). */
function continues(statement: readonly Token[], token: Token): boolean {
  if (token.text === "else" || token.text === "catch" || token.text === "finally") return true;
  if (token.kind === "punct" && (token.text === "}" || token.text === ")" || token.text === "]")) return true;
  return token.text === "while" && statement[0]!.text === "do" && !statement.some((t) => t.text === "while");
}
