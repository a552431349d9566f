// Reading a module's top-level statements into items the splitter can place: function declarations (which stay
// declarations), statements that run in order (with the names a `const` or `class` binds), and import and export
// declarations (which become the prepared module's imports and exports and leave blanks in the text).
import type { ImportBinding, PreparedExport, PreparedImport } from "../prepared.ts";
import {
  KW_CLASS,
  KW_CONST,
  KW_DEFAULT,
  KW_EXPORT,
  KW_EXTENDS,
  KW_FUNCTION,
  KW_IMPORT,
  KW_LET,
  KW_VAR,
  KW_WITH,
} from "./keywords.ts";
import { type Edit, Scanner } from "./scanner.ts";
import { StatementReader } from "./statements.ts";
import { EOF, IDENT, KEYWORD, STRING } from "./tokens.ts";

/** A function declaration: it stays one, at the top of its segment's function, so it is hoisted. */
export const FUNCTION_ITEM = 0;
/** Statements that run in order, inside one of the segment's step functions. */
export const STATEMENT_ITEM = 1;
/** An import or export declaration, blanked out of the text. */
export const BLANK_ITEM = 2;

/** The local name of `export default <expression>` (and of an anonymous default function or class). */
export const DEFAULT_LOCAL = "__otter_default";

export interface Item {
  readonly kind: typeof FUNCTION_ITEM | typeof STATEMENT_ITEM | typeof BLANK_ITEM;
  /** Its text, `source[start, end)`, from its first token to its last (its `;` included). */
  readonly start: number;
  readonly end: number;
  /** Its identifiers: records `identFrom` to `identTo` of the scanner's hashes. */
  readonly identFrom: number;
  readonly identTo: number;
  /** The top-level names it declares. */
  readonly names: readonly string[];
  /** Text put just before it (after a `;`): how a class or a default export binds its name. */
  readonly lead: string;
  /** The lead only applies to a module that is cut (a class declaration stays one in a module prepared whole). */
  readonly leadSplitOnly: boolean;
  /** It awaits outside any function (top-level await). */
  readonly async: boolean;
}

/** Everything the splitter knows of a module after one pass over it. */
export interface ModuleSyntax {
  readonly items: readonly Item[];
  readonly edits: readonly Edit[];
  readonly imports: readonly PreparedImport[];
  readonly exports: readonly PreparedExport[];
  readonly exportAllFrom: readonly string[];
  /** Hashes of the identifiers it mentions, in order (see Item.identFrom). */
  readonly identHashes: Int32Array;
  /** Identifier records that are assigned to. */
  readonly assigned: readonly number[];
  /** Why it cannot be cut into segments, if it cannot. */
  readonly unsplittable?: string;
  /** The names of function and class declarations: bindings code could assign to, which would not cross segments. */
  readonly assignableNames: readonly string[];
  /** `export default function () {}`: the function is declared as DEFAULT_LOCAL and must be named "default". */
  readonly anonymousDefaultFunction: boolean;
  readonly topLevelAwait: boolean;
}

/** Reads a module's text; throws ScanError where it cannot read it. */
export function readModule(source: string): ModuleSyntax {
  return new TopLevelReader(new Scanner(source)).read();
}

interface Parsed {
  kind: Item["kind"];
  names: readonly string[];
  lead?: string;
  leadSplitOnly?: boolean;
}

const BLANK: Parsed = { kind: BLANK_ITEM, names: [] };
const STATEMENT: Parsed = { kind: STATEMENT_ITEM, names: [] };

class TopLevelReader extends StatementReader {
  private readonly items: Item[] = [];
  private readonly imports: PreparedImport[] = [];
  private readonly exports: PreparedExport[] = [];
  private readonly exportAllFrom: string[] = [];
  private unsplittable: string | undefined;
  private readonly assignableNames: string[] = [];
  private anonymousDefaultFunction = false;
  private reexports = 0;

  read(): ModuleSyntax {
    const s = this.scanner;
    if (s.source.startsWith("#!")) s.addEdit({ start: 0, end: 2, text: "//", splitOnly: false });
    s.next();
    while (s.kind !== EOF) {
      const start = s.start;
      const identFrom = s.identBefore;
      const awaitFrom = s.awaitBefore;
      const parsed = this.item();
      const end = s.prevEnd;
      if (parsed.kind === BLANK_ITEM)
        s.addEdit({ start, end, text: blank(s.source.slice(start, end)), splitOnly: false });
      this.items.push({
        kind: parsed.kind,
        start,
        end,
        identFrom,
        identTo: s.identBefore,
        names: parsed.names,
        lead: parsed.lead ?? "",
        leadSplitOnly: parsed.leadSplitOnly ?? false,
        async: s.awaitBefore > awaitFrom,
      });
    }
    if (s.varOutsideFunction >= 0) this.cannotSplit("a var outside any function");
    if (s.escapedIdentifier >= 0) this.cannotSplit("an identifier spelled with a \\u escape");
    return {
      items: this.items,
      edits: s.edits,
      imports: this.imports,
      exports: this.exports,
      exportAllFrom: this.exportAllFrom,
      identHashes: s.identHashes,
      assigned: s.assigned,
      assignableNames: this.assignableNames,
      anonymousDefaultFunction: this.anonymousDefaultFunction,
      topLevelAwait: s.awaitCount > 0,
      ...(this.unsplittable === undefined ? {} : { unsplittable: this.unsplittable }),
    };
  }

  private cannotSplit(reason: string): void {
    this.unsplittable ??= reason;
  }

  private item(): Parsed {
    const s = this.scanner;
    if (s.kind === KEYWORD) {
      switch (s.keyword) {
        case KW_IMPORT:
          return this.importDeclaration();
        case KW_EXPORT:
          return this.exportDeclaration();
        case KW_FUNCTION:
          return { kind: FUNCTION_ITEM, names: [this.functionDeclaration(false)] };
        case KW_CLASS:
          return this.classDeclaration();
        case KW_CONST:
        case KW_LET:
        case KW_VAR:
          return this.lexicalDeclaration();
      }
    }
    if (this.atAsyncFunction()) return { kind: FUNCTION_ITEM, names: [this.functionDeclaration(false)] };
    this.skipStatement();
    return STATEMENT;
  }

  /** `async function` (no line break between the two words). */
  private atAsyncFunction(): boolean {
    const s = this.scanner;
    if (!this.isWord("async")) return false;
    const at = s.skipTrivia(s.end);
    return s.wordAt(at, "function") && !s.lineBreakBetween(s.end, at);
  }

  /** A function declaration from `async` or `function`; returns its name (DEFAULT_LOCAL for an anonymous one). */
  private functionDeclaration(anonymousAllowed: boolean): string {
    const s = this.scanner;
    if (s.kind === IDENT) s.next(); // async
    s.next(); // function
    if (this.isPunct(42)) s.next();
    let name: string;
    if (s.kind === IDENT) {
      name = this.text();
      s.next();
    } else if (anonymousAllowed && this.isPunct(40)) {
      name = DEFAULT_LOCAL;
      this.anonymousDefaultFunction = true;
      s.addEdit({ start: s.start, end: s.start, text: ` ${DEFAULT_LOCAL}`, splitOnly: false });
    } else {
      this.fail("expected a function's name");
    }
    this.assignableNames.push(name);
    this.expectGroup(40, "a function's parameters");
    this.expectGroup(123, "a function's body");
    this.optionalSemicolon();
    return name;
  }

  /** `class Name … { … }`, assigned to its name's binding when the module is cut. */
  private classDeclaration(): Parsed {
    const s = this.scanner;
    s.next();
    if (s.kind !== IDENT) this.fail("expected a class's name");
    const name = this.text();
    this.assignableNames.push(name);
    s.next();
    this.skipClassTail();
    return { kind: STATEMENT_ITEM, names: [name], lead: `;${name} = `, leadSplitOnly: true };
  }

  /** From after a class's name: its heritage and its body. */
  private skipClassTail(): void {
    const s = this.scanner;
    if (this.isKeyword(KW_EXTENDS)) {
      s.next();
      while (!this.isPunct(123)) {
        if (s.kind === EOF) this.fail("a class without a body");
        if (this.isPunct(40) || this.isPunct(91)) s.skipGroup();
        else s.next();
      }
    }
    this.expectGroup(123, "a class's body");
    this.optionalSemicolon();
  }

  /**
   * `const`, `let` or `var` at the top level. A `const` becomes an assignment to its names' bindings when the module
   * is cut (`const a = 1, [b] = c` → `a = 1, [b] = c`; `const {a, b} = o` → `({a, b} = o)`); a `let` or `var` keeps
   * the module whole.
   */
  private lexicalDeclaration(): Parsed {
    const s = this.scanner;
    const keywordStart = s.start;
    const isConst = s.keyword === KW_CONST;
    if (!isConst) this.cannotSplit(`a top-level ${this.text()}`);
    s.next();
    const objectPattern = this.isPunct(123);
    const names: string[] = [];
    const end = this.declarators(names);
    if (end < 0) {
      this.cannotSplit("a destructuring pattern it cannot read");
      this.skipExpression(false);
      this.optionalSemicolon();
      return { kind: STATEMENT_ITEM, names: [], lead: "" };
    }
    if (isConst && objectPattern) {
      // A statement cannot start with `{`: the assignment goes in parentheses.
      s.addEdit({ start: keywordStart, end: keywordStart + 5, text: "(    ", splitOnly: true });
      s.addEdit({ start: end, end, text: ")", splitOnly: true });
    } else if (isConst) {
      s.addEdit({ start: keywordStart, end: keywordStart + 5, text: "     ", splitOnly: true });
    }
    this.optionalSemicolon();
    return { kind: STATEMENT_ITEM, names };
  }

  private importDeclaration(): Parsed {
    const s = this.scanner;
    s.next();
    const bindings: ImportBinding[] = [];
    if (s.kind !== STRING) {
      if (s.kind === IDENT) {
        bindings.push({ imported: "default", local: this.text() });
        s.next();
        if (this.isPunct(44)) s.next();
      }
      if (this.isPunct(42)) {
        s.next();
        if (!this.isWord("as")) this.fail("expected as after import *");
        s.next();
        if (s.kind !== IDENT) this.fail("expected a namespace's name");
        bindings.push({ imported: "*", local: this.text() });
        s.next();
      } else if (this.isPunct(123)) {
        for (const [imported, local] of this.specifiers()) bindings.push({ imported, local });
      }
      if (!this.isWord("from")) this.fail("expected from in an import");
      s.next();
    }
    const specifier = this.moduleSpecifier();
    const literal = bindings.length === 1 && bindings[0]!.imported === "default" ? literalKind(specifier) : undefined;
    this.imports.push({ specifier, bindings, ...(literal === undefined ? {} : { literal }) });
    return BLANK;
  }

  /** A `"specifier"` and any import attributes after it (`with { type: "json" }`, or the older `assert`). */
  private moduleSpecifier(): string {
    const s = this.scanner;
    if (s.kind !== STRING) this.fail("expected a module specifier");
    const specifier = unquote(this.text());
    s.next();
    if ((this.isKeyword(KW_WITH) || (this.isWord("assert") && !s.newlineBefore)) && nextIs(s, 123)) {
      s.next();
      s.skipGroup();
    }
    this.optionalSemicolon();
    return specifier;
  }

  /** `{ a, b as c, "d" as e }` as [first name, second name] pairs (the names are the same when there is no `as`). */
  private specifiers(): [string, string][] {
    const s = this.scanner;
    const pairs: [string, string][] = [];
    s.next();
    while (!this.isPunct(125)) {
      const first = this.moduleExportName();
      let second = first;
      if (this.isWord("as")) {
        s.next();
        second = this.moduleExportName();
      }
      pairs.push([first, second]);
      if (this.isPunct(44)) s.next();
      else if (!this.isPunct(125)) this.fail("expected , or } in a list of names");
    }
    s.next();
    return pairs;
  }

  private moduleExportName(): string {
    const s = this.scanner;
    if (s.kind !== IDENT && s.kind !== KEYWORD && s.kind !== STRING) this.fail("expected a name");
    const name = s.kind === STRING ? unquote(this.text()) : this.text();
    s.next();
    return name;
  }

  private exportDeclaration(): Parsed {
    const s = this.scanner;
    const exportStart = s.start;
    const exportEnd = s.end;
    s.next();
    if (this.isPunct(42)) {
      s.next();
      if (this.isWord("as")) {
        s.next();
        const exported = this.moduleExportName();
        if (!this.isWord("from")) this.fail("expected from in export * as");
        s.next();
        const local = this.reexportLocal();
        this.imports.push({ specifier: this.moduleSpecifier(), bindings: [{ imported: "*", local }] });
        this.exports.push({ exported, local });
      } else {
        if (!this.isWord("from")) this.fail("expected from in export *");
        s.next();
        const specifier = this.moduleSpecifier();
        this.imports.push({ specifier, bindings: [] });
        this.exportAllFrom.push(specifier);
      }
      return BLANK;
    }
    if (this.isPunct(123)) {
      const pairs = this.specifiers();
      if (this.isWord("from") && nextIs(s, 34, 39)) {
        s.next();
        const bindings: ImportBinding[] = [];
        for (const [imported, exported] of pairs) {
          const local = this.reexportLocal();
          bindings.push({ imported, local });
          this.exports.push({ exported, local });
        }
        this.imports.push({ specifier: this.moduleSpecifier(), bindings });
      } else {
        for (const [local, exported] of pairs) this.exports.push({ exported, local });
        this.optionalSemicolon();
      }
      return BLANK;
    }
    s.addEdit({ start: exportStart, end: exportEnd, text: spaces(exportEnd - exportStart), splitOnly: false });
    if (this.isKeyword(KW_DEFAULT)) return this.exportDefault();
    const parsed = this.exportedDeclaration();
    for (const name of parsed.names) this.exports.push({ exported: name, local: name });
    return parsed;
  }

  private exportedDeclaration(): Parsed {
    const s = this.scanner;
    if (this.isKeyword(KW_FUNCTION) || this.atAsyncFunction()) {
      return { kind: FUNCTION_ITEM, names: [this.functionDeclaration(false)] };
    }
    if (this.isKeyword(KW_CLASS)) return this.classDeclaration();
    if (this.isKeyword(KW_CONST) || this.isKeyword(KW_LET) || this.isKeyword(KW_VAR)) {
      const parsed = this.lexicalDeclaration();
      if (parsed.names.length === 0) this.fail("an exported declaration whose names it cannot read");
      return parsed;
    }
    return this.fail(`an export it does not know (${s.source.slice(s.start, s.start + 20)})`);
  }

  /** `export default` a function or class declaration, or an expression (bound to DEFAULT_LOCAL). */
  private exportDefault(): Parsed {
    const s = this.scanner;
    s.addEdit({ start: s.start, end: s.end, text: spaces(s.end - s.start), splitOnly: false });
    s.next();
    if (this.isKeyword(KW_FUNCTION) || this.atAsyncFunction()) {
      const name = this.functionDeclaration(true);
      this.exports.push({ exported: "default", local: name });
      return { kind: FUNCTION_ITEM, names: [name] };
    }
    if (this.isKeyword(KW_CLASS) && nextIsName(s)) {
      const parsed = this.classDeclaration();
      this.exports.push({ exported: "default", local: parsed.names[0]! });
      return parsed;
    }
    // An expression, or an anonymous class: `{ default: … }.default` gives a function or class the name "default",
    // as `export default` does.
    this.exports.push({ exported: "default", local: DEFAULT_LOCAL });
    if (this.isKeyword(KW_CLASS)) {
      s.next();
      this.skipClassTail();
    } else {
      this.skipExpression(false);
    }
    s.addEdit({ start: s.prevEnd, end: s.prevEnd, text: "}.default", splitOnly: false });
    this.optionalSemicolon();
    return { kind: STATEMENT_ITEM, names: [DEFAULT_LOCAL], lead: `;${DEFAULT_LOCAL} = {default:` };
  }

  private reexportLocal(): string {
    return `__otter_reexport_${this.reexports++}`;
  }
}

/** Whether the token after the current one starts with one of the characters `codes`. */
function nextIs(s: Scanner, ...codes: number[]): boolean {
  return codes.includes(s.source.charCodeAt(s.skipTrivia(s.end)));
}

/** After `class`: whether a name follows (not `extends` or the body). */
function nextIsName(s: Scanner): boolean {
  const at = s.skipTrivia(s.end);
  return s.source.charCodeAt(at) !== 123 && !s.wordAt(at, "extends");
}

const SPACES: string[] = [];

/** `length` spaces (the blanks of `export` and `default`, made once). */
function spaces(length: number): string {
  SPACES[length] ??= " ".repeat(length);
  return SPACES[length]!;
}

/** Text of the same shape made of spaces: its line breaks kept, so lines and columns after it stay where they were. */
export function blank(text: string): string {
  return text.replace(/[^\n\r\u2028\u2029]/g, " ");
}

function literalKind(specifier: string): "json" | "etf" | undefined {
  if (specifier.endsWith(".json")) return "json";
  if (specifier.endsWith(".etf")) return "etf";
  return undefined;
}

/** A string literal's value (the escapes a module specifier or export name may use). */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (!body.includes("\\")) return body;
  return body.replace(
    /\\(u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|\r\n|[\s\S])/g,
    (_, sequence: string, braced?: string, unicode?: string, hex?: string) => {
      const code = braced ?? unicode ?? hex;
      if (code !== undefined) return String.fromCodePoint(Number.parseInt(code, 16));
      const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", "0": "\0" };
      if (["\r\n", "\n", "\r", "\u2028", "\u2029"].includes(sequence)) return "";
      return simple[sequence] ?? sequence;
    },
  );
}
