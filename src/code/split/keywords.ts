// The reserved words the module scanner tells apart from identifiers, found by an identifier's hash in a small
// table (no string is made for an identifier that is not one).

/** The words, by id; id 0 is "not a keyword". Strict mode and module code reserve all of them. */
const WORDS = [
  "",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "implements",
  "import",
  "in",
  "instanceof",
  "interface",
  "let",
  "new",
  "null",
  "package",
  "private",
  "protected",
  "public",
  "return",
  "static",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "yield",
] as const;

export type Keyword = number;

const id = (word: (typeof WORDS)[number]): Keyword => WORDS.indexOf(word);

export const KW_AWAIT = id("await");
export const KW_CATCH = id("catch");
export const KW_CLASS = id("class");
export const KW_CONST = id("const");
export const KW_DEBUGGER = id("debugger");
export const KW_DEFAULT = id("default");
export const KW_DO = id("do");
export const KW_ELSE = id("else");
export const KW_EXPORT = id("export");
export const KW_EXTENDS = id("extends");
export const KW_FALSE = id("false");
export const KW_FINALLY = id("finally");
export const KW_FOR = id("for");
export const KW_FUNCTION = id("function");
export const KW_IF = id("if");
export const KW_IMPORT = id("import");
export const KW_IN = id("in");
export const KW_INSTANCEOF = id("instanceof");
export const KW_LET = id("let");
export const KW_NULL = id("null");
export const KW_STATIC = id("static");
export const KW_SUPER = id("super");
export const KW_SWITCH = id("switch");
export const KW_THIS = id("this");
export const KW_TRUE = id("true");
export const KW_TRY = id("try");
export const KW_VAR = id("var");
export const KW_WHILE = id("while");
export const KW_WITH = id("with");

/** The hash the scanner keeps of every identifier (32-bit FNV-1a over its code units; see `hashStep`). */
export function hashName(name: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < name.length; i++) h = hashStep(h, name.charCodeAt(i));
  return h;
}

export const HASH_SEED = 0x811c9dc5 | 0;

/** One code unit into a hash. */
export function hashStep(hash: number, c: number): number {
  return Math.imul(hash ^ c, 0x01000193);
}

/** Spreads a hash over the table's slots. */
const slotOf = (hash: number, mask: number): number => (hash ^ (hash >>> 11) ^ (hash >>> 21)) & mask;

/** The smallest table in which no two words share a slot (found once, when the module loads). */
function buildTable(): { table: Uint8Array; mask: number } {
  for (let size = 64; ; size *= 2) {
    const table = new Uint8Array(size);
    let clash = false;
    for (let word = 1; word < WORDS.length && !clash; word++) {
      const slot = slotOf(hashName(WORDS[word]!), size - 1);
      if (table[slot] !== 0) clash = true;
      table[slot] = word;
    }
    if (!clash) return { table, mask: size - 1 };
  }
}

const { table: TABLE, mask: MASK } = buildTable();
const HASHES = Int32Array.from(WORDS, hashName);
const LENGTHS = Uint8Array.from(WORDS, (word) => word.length);
/** Each word's characters, one after another from OFFSETS[word] (compared in a loop: faster than startsWith). */
const CHARACTERS = Uint8Array.from(WORDS.join(""), (c) => c.charCodeAt(0));
const OFFSETS = Uint16Array.from(WORDS, (_, word) => WORDS.slice(0, word).join("").length);

/** The keyword spelled by the code units `codes[start, end)` (whose hash is `hash`), or 0. */
export function keywordAt(codes: Uint16Array, start: number, end: number, hash: number): Keyword {
  const word = TABLE[slotOf(hash, MASK)]!;
  const length = end - start;
  if (word === 0 || HASHES[word] !== hash || LENGTHS[word] !== length) return 0;
  // Two words may share a hash: the spelling decides.
  const offset = OFFSETS[word]!;
  for (let i = 0; i < length; i++) if (codes[start + i] !== CHARACTERS[offset + i]) return 0;
  return word;
}
