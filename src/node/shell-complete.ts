// Tab completion in the shell: the word being typed at the end of a line, completed from the session's variables,
// the helpers, Otter's exports and JavaScript's globals and keywords; after a dot, from the properties of what is
// before it; inside a string, from the node's registered names (for `getState("na` ⇥).

/** What completion looks into. */
export interface CompletionScope {
  /** Every name in scope (variables, helpers, Otter's exports). */
  names(): Iterable<string>;
  /** A name's value: `found` false when it is not in scope. */
  lookup(name: string): { found: boolean; value?: unknown };
  /** The node's registered names. */
  registered(): string[];
}

export interface Completion {
  /** Whole words that the end of the line may become. */
  readonly words: string[];
  /** The end of the line they replace. */
  readonly prefix: string;
}

const KEYWORDS = [
  "async",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "delete",
  "do",
  "else",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "let",
  "new",
  "null",
  "return",
  "switch",
  "throw",
  "true",
  "try",
  "typeof",
  "undefined",
  "var",
  "void",
  "while",
  "yield",
];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function complete(line: string, scope: CompletionScope): Completion {
  const inString = openString(line);
  if (inString !== undefined) {
    const { words, prefix } = matching(scope.registered(), inString.text);
    return { words: words.map((w) => w + inString.quote), prefix };
  }
  const property = /([A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*)\??\.([\w$]*)$/.exec(line);
  if (property !== null) return matching(propertiesOf(property[1]!, scope), property[2]!);
  const word = /[A-Za-z_$][\w$]*$/.exec(line)?.[0] ?? "";
  return matching([...scope.names(), ...Object.getOwnPropertyNames(globalThis), ...KEYWORDS], word);
}

function matching(candidates: Iterable<string>, prefix: string): Completion {
  const words = new Set<string>();
  for (const c of candidates) if (c.startsWith(prefix)) words.add(c);
  return { words: [...words].sort(), prefix };
}

/** The text of a '…' or "…" string left open at the end of `line`, and its quote, if one is. */
function openString(line: string): { text: string; quote: string } | undefined {
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === "`") {
      quote = c;
      start = i + 1;
    }
  }
  return quote === "`" || quote === undefined ? undefined : { text: line.slice(start), quote };
}

/** The property names of what `path` (`a.b.c`) names, along its prototype chain up to Object's. */
function propertiesOf(path: string, scope: CompletionScope): string[] {
  const [head, ...rest] = path.split(/\??\./);
  const found = scope.lookup(head!);
  let value = found.found ? found.value : (globalThis as Record<string, unknown>)[head!];
  try {
    for (const key of rest) value = value == null ? undefined : (value as Record<string, unknown>)[key];
  } catch {
    return []; // a getter threw
  }
  const names: string[] = [];
  for (let o = value == null ? undefined : Object(value); o != null && o !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(o)) if (IDENTIFIER.test(name)) names.push(name);
    o = Object.getPrototypeOf(o);
  }
  return names;
}
