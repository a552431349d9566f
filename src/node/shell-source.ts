// One shell input made ready to run: TypeScript or JavaScript transpiled by esbuild, then its top-level
// declarations turned into assignments to the session's variables and its last expression into the value returned.
//
// The code runs as the body of an async function (so top-level `await` works) inside `with (session)`, so a name
// declared by one input is a variable of every later one. The price, as in Chrome's console: a later input may
// declare a name again, and `const` does not stop a later input from assigning it.
import { splitStatements, type Token, tokenize } from "./shell-tokens.ts";

export type PreparedInput =
  /**
   * `body` runs in the session, then `last`, the input's last statement when it is an expression, whose value is
   * the input's; `names` are the variables it declares.
   */
  | { readonly kind: "code"; readonly body: string; readonly last?: string; readonly names: readonly string[] }
  /** The input stops before its end (an open bracket, string or template): more lines are needed. */
  | { readonly kind: "incomplete"; readonly message: string }
  | { readonly kind: "syntax"; readonly message: string };

const STATEMENT_KEYWORDS = new Set([
  "if",
  "for",
  "while",
  "do",
  "switch",
  "try",
  "throw",
  "return",
  "break",
  "continue",
  "debugger",
  "with",
  "export",
  "import",
  "function",
  "class",
  "const",
  "let",
  "var",
]);

/** Transpiles and rewrites one input (TypeScript; JavaScript is TypeScript too). */
export async function prepareInput(source: string): Promise<PreparedInput> {
  if (source.trim() === "") return { kind: "code", body: "", names: [] };
  // `{ a: 1 }` is an object, not a block with a label: Node's REPL tries it in parentheses first, and so do we.
  if (/^\s*\{/.test(source) && !/;\s*$/.test(source)) {
    const wrapped = await transpile(`(${source.trim()})\n`);
    if (typeof wrapped === "string") return { kind: "code", ...rewrite(wrapped) };
  }
  const js = await transpile(source);
  if (typeof js === "string") return { kind: "code", ...rewrite(js) };
  const [first] = js;
  const message = errorMessage(first!);
  return isIncomplete(source, first!) ? { kind: "incomplete", message } : { kind: "syntax", message };
}

interface EsbuildMessage {
  readonly text: string;
  readonly location: { line: number; column: number; lineText: string } | null;
}

/** JavaScript, or esbuild's complaints. */
async function transpile(source: string): Promise<string | EsbuildMessage[]> {
  const { transform } = await import("esbuild");
  try {
    const out = await transform(source, {
      loader: "ts",
      target: "esnext",
      sourcefile: "shell",
      // Keep every import: the shell turns them into `await import()`, and a name imported now is used later.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      logLevel: "silent",
    });
    return out.code;
  } catch (error) {
    const errors = (error as { errors?: EsbuildMessage[] }).errors;
    if (errors === undefined || errors.length === 0) throw error;
    return errors;
  }
}

/** An open bracket or an unterminated template at the end: the input goes on on the next line. */
function isIncomplete(source: string, error: EsbuildMessage): boolean {
  if (error.text.includes("end of file")) return true;
  // esbuild says "Unterminated string literal" for templates too; only a template may span lines.
  return error.text.startsWith("Unterminated string") && (source.match(/(?<!\\)`/g)?.length ?? 0) % 2 === 1;
}

function errorMessage(error: EsbuildMessage): string {
  const where = error.location;
  if (where === null) return `SyntaxError: ${error.text}`;
  const caret = `${" ".repeat(where.column)}^`;
  return `SyntaxError: ${error.text} (shell:${where.line}:${where.column + 1})\n  ${where.lineText}\n  ${caret}`;
}

/** The statements of `js` rewritten to run in a session (see the top of this file). */
function rewrite(js: string): { body: string; last?: string; names: string[] } {
  const names = new Set<string>();
  const hoisted: string[] = [];
  const parts: string[] = [];
  let last: string | undefined;
  const statements = splitStatements(tokenize(js));
  statements.forEach((statement, index) => {
    const text = js.slice(statement[0]!.start, statement.at(-1)!.end);
    const [first, second] = statement;
    const fn = functionName(statement);
    if (first!.text === "const" || first!.text === "let" || first!.text === "var") {
      parts.push(declaration(js, statement.slice(1), names));
    } else if (first!.text === "import" && second?.text !== "(" && second?.text !== ".") {
      parts.push(importDeclaration(statement, names));
    } else if (fn !== undefined) {
      // A function declaration is hoisted: callable from the lines above it.
      names.add(fn);
      hoisted.push(`${fn} = ${text};`);
    } else if (first!.text === "class" && second?.kind === "name") {
      names.add(second.text);
      parts.push(`${second.text} = ${text};`);
    } else if (index === statements.length - 1 && isExpressionStatement(statement)) {
      const end = statement.at(-1)!.text === ";" ? statement.at(-2)!.end : statement.at(-1)!.end;
      last = js.slice(first!.start, end);
    } else {
      parts.push(text);
    }
  });
  return { body: [...hoisted, ...parts].join("\n"), last, names: [...names] };
}

function functionName(statement: readonly Token[]): string | undefined {
  let i = 0;
  if (statement[0]!.text === "async" && statement[1]?.text === "function" && !statement[1].atLineStart) i = 1;
  if (statement[i]!.text !== "function") return undefined;
  const name = statement[i + 1]?.text === "*" ? statement[i + 2] : statement[i + 1];
  return name?.kind === "name" ? name.text : undefined;
}

function isExpressionStatement(statement: readonly Token[]): boolean {
  const [first, second] = statement;
  if (first!.kind === "punct") return first!.text !== "{" && first!.text !== ";";
  if (first!.kind === "name" && second?.text === ":") return false; // a label
  return !STATEMENT_KEYWORDS.has(first!.text);
}

/** `const a = 1, { b } = o;` (after the keyword) → `(a = 1, { b } = o);`, its names added to `names`. */
function declaration(js: string, tokens: readonly Token[], names: Set<string>): string {
  const body = tokens.at(-1)?.text === ";" ? tokens.slice(0, -1) : tokens;
  const declarators = splitAtDepthZero(body, ",");
  const assignments = declarators.map((declarator) => {
    const [target] = splitAtDepthZero(declarator, "=");
    for (const name of bindingNames(target!)) names.add(name);
    const text = js.slice(declarator[0]!.start, declarator.at(-1)!.end);
    return declarator.length === target!.length ? `${text} = void 0` : text;
  });
  return `(${assignments.join(", ")});`;
}

/**
 * `import d, { a as b } from "m";` → `({ default: d, a: b } = await import("m"));`, and `import * as ns from "m"`
 * → `(ns = await import("m"));`: the names bound in the session as declarations are.
 */
function importDeclaration(tokens: readonly Token[], names: Set<string>): string {
  let i = 1;
  let byDefault: string | undefined;
  let namespace: string | undefined;
  const named: string[] = [];
  const next = () => tokens[i]?.text;
  if (tokens[i]?.kind === "name" && (tokens[i + 1]?.text === "," || tokens[i + 1]?.text === "from")) {
    byDefault = tokens[i++]!.text;
    if (next() === ",") i++;
  }
  if (next() === "*") {
    namespace = tokens[i + 2]?.text;
    i += 3;
  } else if (next() === "{") {
    for (i++; i < tokens.length && next() !== "}"; i++) {
      if (next() === ",") continue;
      const imported = tokens[i]!.text;
      if (tokens[i + 1]?.text === "as") i += 2;
      const local = tokens[i]!.text;
      named.push(`${imported}: ${local}`);
      names.add(local);
    }
    i++;
  }
  if (next() === "from") i++;
  const specifier = tokens[i++]?.text ?? '""';
  const attributes = next() === "with" || next() === "assert" ? tokens.slice(i + 1).filter((t) => t.text !== ";") : [];
  const load = `await import(${specifier}${attributes.length > 0 ? `, { with: ${attributes.map((t) => t.text).join(" ")} }` : ""})`;
  for (const name of [byDefault, namespace]) if (name !== undefined) names.add(name);
  if (namespace !== undefined) {
    return `(${namespace} = ${load}${byDefault === undefined ? "" : `, ${byDefault} = ${namespace}.default`});`;
  }
  if (byDefault === undefined && named.length === 0) return `${load};`;
  if (byDefault !== undefined) named.unshift(`default: ${byDefault}`);
  return `({ ${named.join(", ")} } = ${load});`;
}

/** `tokens` cut at each `separator` outside brackets. */
function splitAtDepthZero(tokens: readonly Token[], separator: string): Token[][] {
  const pieces: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (depth === 0 && token.kind === "punct" && token.text === separator) {
      pieces.push([]);
      continue;
    }
    if (token.kind === "punct") depth += bracketDelta(token.text);
    pieces.at(-1)!.push(token);
  }
  return pieces;
}

function bracketDelta(text: string): number {
  if (text === "(" || text === "[" || text === "{") return 1;
  if (text === ")" || text === "]" || text === "}") return -1;
  return 0;
}

/** The names a binding pattern (`x`, `{ a, b: [c, d = 1], ...e }`) binds. */
export function bindingNames(tokens: readonly Token[]): string[] {
  const names: string[] = [];
  let i = 0;
  const text = () => tokens[i]?.text;
  const skipBalanced = () => {
    let depth = 0;
    do depth += bracketDelta(tokens[i++]!.text);
    while (i < tokens.length && depth > 0);
  };
  const skipDefault = () => {
    if (text() !== "=") return;
    for (i++; i < tokens.length && text() !== "," && text() !== "}" && text() !== "]"; ) {
      if (bracketDelta(text()!) > 0) skipBalanced();
      else i++;
    }
  };
  const pattern = (): void => {
    const token = tokens[i];
    if (token === undefined) return;
    if (token.text === "{") {
      for (i++; i < tokens.length && text() !== "}"; ) {
        if (text() === "...") {
          i++;
          pattern();
        } else {
          const key = tokens[i]!;
          if (key.text === "[") skipBalanced();
          else i++;
          if (text() === ":") {
            i++;
            pattern();
          } else if (key.kind === "name") names.push(key.text);
        }
        skipDefault();
        if (text() === ",") i++;
      }
      i++;
    } else if (token.text === "[") {
      for (i++; i < tokens.length && text() !== "]"; ) {
        if (text() === ",") {
          i++;
          continue;
        }
        if (text() === "...") i++;
        pattern();
        skipDefault();
        if (text() === ",") i++;
      }
      i++;
    } else {
      if (token.kind === "name") names.push(token.text);
      i++;
    }
  };
  pattern();
  return names;
}
