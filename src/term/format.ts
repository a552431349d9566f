// Term text: prints a term in Erlang syntax, on one line, exactly as OTP 25's `io_lib:format("~0tp", [T])` does.
//
// `~0tp` is `io_lib_pretty` with line length 0, which never breaks lines. The `t` (Unicode) modifier is chosen
// over plain `~p` because the text is a JS string, not Latin-1 bytes: a UTF-8 binary prints as
// `<<"héllo"/utf8>>` (not `<<"hÃ©llo">>`) and an atom as `'日本'` (not `'\x{65E5}\x{672C}'`). What counts as a
// printable string is `io:printable_range()`'s default, `latin1`, so `[1000,2000]` stays a list of integers and a
// UTF-8 binary with a character past U+00FF prints as bytes — as `erl` prints them when started without `+pc`.
// Reserved words are OTP 25's: `maybe` and `else` are plain atoms there (OTP 27 quotes them).
//
// Where Erlang's text loses information, Otter prints a form that `parse` reads back to the same term:
//   - The local node is `options.localNode` with `options.localCreation` (default `nonode@nohost`, creation 0,
//     what a node without distribution uses). Its pids, refs and ports print as Erlang prints them:
//     `<0.42.0>`, `#Ref<0.W3.W2.W1>` (id words most significant first), `#Port<0.5>`.
//   - Any other node's identifiers print with the node name (always quoted) and creation in place of Erlang's
//     node-table index `N`: `#Pid<'a@host'.Creation.42.0>`, `#Ref<'a@host'.Creation.W3.W2.W1>`,
//     `#Port<'a@host'.Creation.5>`. A node with the local name but another creation is another node, as in BEAM.
//   - A ref prints all its id words; BEAM pads a 1- or 2-word ref to 3 words, Otter does not.
//   - A local fun starts like Erlang's `#Fun<Module.Index.OldUniq>` and goes on with what Erlang leaves out:
//     `#Fun<Module.Index.OldUniq.Arity.OldIndex.16#Uniq.Pid.FreeVars>`, Uniq as 32 hex digits, Pid in the pid
//     forms above, FreeVars a list. Export funs print as Erlang does: `fun lists:map/2`.
// Maps print in ErlMap's key order, which is BEAM's for maps of at most 32 keys. Printing walks the term with an
// explicit stack, so a term nested a million deep prints without overflowing the JS stack.
import { inspect } from "node:util";
import { ErrorCodes, TermError } from "../errors.ts";
import { Atom } from "./atom.ts";
import { ErlMap } from "./map.ts";
import { type LocalNode, localNodeOf, type TermTextOptions } from "./text/local-node.ts";
import { isAtomStart, isNameChar, RESERVED_WORDS } from "./text/syntax.ts";
import { BitString, ErlFun, ExportFun, Float, ImproperList, Pid, Port, Ref, type Term, Tuple } from "./types.ts";

/** `format`'s options type, importable next to it (it lives with the local node it names). */
export type { TermTextOptions };

/**
 * Prints `term` in Erlang syntax on one line, as `io_lib:format("~0tp", [Term])` does on OTP 25.
 * Throws `TermError` (TERM_BAD_VALUE) for NaN, ±Infinity or a value that is not a term.
 */
export function format(term: Term, options?: TermTextOptions): string {
  return print(term, localNodeOf(options), true);
}

/**
 * Prints `term` as `io_lib:format("~w", [Term])` does: `format` without looking for text, so a list of character
 * codes prints as a list (`[104,105]`) and a binary as its bytes (`<<104,105>>`).
 */
export function formatWritten(term: Term, options?: TermTextOptions): string {
  return print(term, localNodeOf(options), false);
}

function print(term: Term, local: LocalNode, strings: boolean): string {
  const out: string[] = [];
  const stack: (Term | Text)[] = [term];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item instanceof Text) out.push(item.text);
    else writeTerm(item, local, strings, out, stack);
  }
  return out.join("");
}

/**
 * `format` for text meant for people (log lines, error messages), where a value that is no term must not throw:
 * such a value is printed as Node's `util.inspect` shows it, on one line.
 */
export function formatForPeople(value: unknown, options?: TermTextOptions): string {
  try {
    return format(value as Term, options);
  } catch {
    return inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
  }
}

/** Literal text waiting on the work stack between the parts of a compound term. */
class Text {
  constructor(readonly text: string) {}
}

const COMMA = new Text(",");
const BAR = new Text("|");
const ARROW = new Text(" => ");
const CLOSE_LIST = new Text("]");
const CLOSE_TUPLE = new Text("}");
const CLOSE_FUN = new Text(">");

const utf8Encoder = new TextEncoder();

function writeTerm(t: Term, local: LocalNode, strings: boolean, out: string[], stack: (Term | Text)[]): void {
  switch (typeof t) {
    case "number":
      out.push(Number.isInteger(t) ? formatInteger(t) : formatFloat(t));
      return;
    case "bigint":
      out.push(t.toString());
      return;
    case "boolean":
      out.push(t ? "true" : "false");
      return;
    case "string":
      out.push(strings ? formatBinary(utf8Encoder.encode(t)) : `<<${utf8Encoder.encode(t).join(",")}>>`);
      return;
  }
  if (t instanceof Atom) out.push(formatAtom(t.name));
  else if (Array.isArray(t)) pushList(t as readonly Term[], strings, out, stack);
  else if (t instanceof Tuple) pushSequence("{", t.elements, CLOSE_TUPLE, out, stack);
  else if (t instanceof Uint8Array) out.push(strings ? formatBinary(t) : `<<${t.join(",")}>>`);
  else if (t instanceof ErlMap) pushMap(t, out, stack);
  else if (t instanceof Float) out.push(formatFloat(t.value));
  else if (t instanceof ImproperList) pushImproperList(t, out, stack);
  else if (t instanceof BitString) out.push(formatBitString(t));
  else if (t instanceof Pid) out.push(formatPid(t, local));
  else if (t instanceof Ref) out.push(formatRef(t, local));
  else if (t instanceof Port) out.push(formatPort(t, local));
  else if (t instanceof ExportFun) out.push(formatExportFun(t));
  else if (t instanceof ErlFun) pushLocalFun(t, local, out, stack);
  else throw new TermError(ErrorCodes.TERM_BAD_VALUE, `not an Erlang term: ${String(t)}`);
}

/** Schedules `items` separated by commas (pushed last first, so the first pops first). */
function pushItems(items: readonly Term[], stack: (Term | Text)[]): void {
  for (let i = items.length - 1; i >= 0; i--) {
    stack.push(items[i]!);
    if (i > 0) stack.push(COMMA);
  }
}

/** Opens a compound term and schedules its elements, then `close`. */
function pushSequence(open: string, items: readonly Term[], close: Text, out: string[], stack: (Term | Text)[]): void {
  out.push(open);
  stack.push(close);
  pushItems(items, stack);
}

function pushList(items: readonly Term[], strings: boolean, out: string[], stack: (Term | Text)[]): void {
  if (items.length === 0) out.push("[]");
  else if (strings && isPrintableList(items)) out.push(quoteString(items as readonly (number | bigint)[], 0x22));
  else pushSequence("[", items, CLOSE_LIST, out, stack);
}

/** `[a, b | t]`; a tail that is itself improper continues the same list, as it does in Erlang. */
function pushImproperList(list: ImproperList, out: string[], stack: (Term | Text)[]): void {
  let items = list.items;
  let tail = list.tail;
  if (tail instanceof ImproperList) {
    const all = [...items];
    for (; tail instanceof ImproperList; tail = tail.tail) for (const item of tail.items) all.push(item);
    items = all;
  }
  out.push("[");
  stack.push(CLOSE_LIST, tail, BAR);
  pushItems(items, stack);
}

function pushMap(m: ErlMap, out: string[], stack: (Term | Text)[]): void {
  const keys = m.keys();
  const values = m.values();
  out.push("#{");
  stack.push(CLOSE_TUPLE);
  for (let i = keys.length - 1; i >= 0; i--) {
    stack.push(values[i]!, ARROW, keys[i]!);
    if (i > 0) stack.push(COMMA);
  }
}

function formatExportFun(f: ExportFun): string {
  return `fun ${formatAtom(f.module.name)}:${formatAtom(f.function.name)}/${f.arity}`;
}

function pushLocalFun(f: ErlFun, local: LocalNode, out: string[], stack: (Term | Text)[]): void {
  let uniq = "";
  for (const b of f.uniq) uniq += b.toString(16).toUpperCase().padStart(2, "0");
  out.push(
    `#Fun<${formatAtom(f.module.name)}.${f.index}.${f.oldUniq}.${f.arity}.${f.oldIndex}.16#${uniq}.` +
      `${formatPid(f.pid, local)}.`,
  );
  stack.push(CLOSE_FUN, f.freeVars);
}

// ---- Atoms and strings (io_lib:write_atom/1, io_lib:write_string/2) ---------------------------------------

/** An atom's name as Erlang writes it: bare when it can be, else in single quotes with escapes. */
function formatAtom(name: string): string {
  return needsQuotes(name) ? quoteAtom(name) : name;
}

/** An atom's name in single quotes, whether or not it needs them. */
function quoteAtom(name: string): string {
  const codes: number[] = [];
  for (const ch of name) codes.push(ch.codePointAt(0)!);
  return quoteString(codes, 0x27);
}

function needsQuotes(name: string): boolean {
  if (RESERVED_WORDS.has(name) || name.length === 0) return true;
  let first = true;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (first ? !isAtomStart(c) : !isNameChar(c)) return true;
    first = false;
  }
  return false;
}

/** Characters between `quote`s, escaped as `io_lib:write_string/2` escapes them (Unicode kept as is). */
function quoteString(codes: ArrayLike<number | bigint>, quote: number): string {
  const q = String.fromCharCode(quote);
  let s = q;
  for (let i = 0; i < codes.length; i++) s += escapeChar(Number(codes[i]!), quote);
  return s + q;
}

const NAMED_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x0a, "\\n"],
  [0x0d, "\\r"],
  [0x09, "\\t"],
  [0x0b, "\\v"],
  [0x08, "\\b"],
  [0x0c, "\\f"],
  [0x1b, "\\e"],
  [0x7f, "\\d"],
]);

function escapeChar(c: number, quote: number): string {
  if (c === quote) return `\\${String.fromCharCode(quote)}`;
  if (c === 0x5c) return "\\\\";
  if ((c >= 0x20 && c <= 0x7e) || c >= 0xa0) return String.fromCodePoint(c);
  const named = NAMED_ESCAPES.get(c);
  if (named !== undefined) return named;
  return `\\${c >> 6}${(c >> 3) & 7}${c & 7}`;
}

/** `io_lib:printable_latin1_list/1`'s characters (printable_range latin1): what prints inside a string. */
function isPrintableLatin1(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || (c >= 0x08 && c <= 0x0d) || c === 0x1b;
}

function isPrintableList(items: readonly Term[]): boolean {
  for (const c of items) {
    if (typeof c === "number") {
      if (!Number.isInteger(c) || !isPrintableLatin1(c)) return false;
    } else if (typeof c !== "bigint" || c < 0n || c > 0xffn || !isPrintableLatin1(Number(c))) {
      return false;
    }
  }
  return true;
}

// ---- Numbers ----------------------------------------------------------------------------------------------

function formatInteger(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

// Ryu's olength/exponent cut-offs for fixed notation, as OTP patched them into to_chars.h; the three
// products of 2^53 keep integral floats past 2^53 in scientific notation.
const TWO_53 = 2n ** 53n;
const TWO_52_DIV_5 = 2n ** 52n / 5n;
const TWO_51_DIV_25 = 2n ** 51n / 25n;

/** A float as `float_to_list(F, [short])` prints it: the shortest digits that read back, fixed or scientific. */
function formatFloat(x: number): string {
  if (!Number.isFinite(x)) throw new TermError(ErrorCodes.TERM_BAD_VALUE, `${x} is not an Erlang float`);
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() with no argument gives the shortest round-trip digits, as Ryu does.
  const [mantissa, exp] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const sciExp = Number(exp);
  const ryuExp = sciExp - digits.length + 1;
  const text = useFixed(digits, sciExp, ryuExp) ? fixedNotation(digits, ryuExp) : sciNotation(digits, sciExp);
  return sign + text;
}

function useFixed(digits: string, sciExp: number, ryuExp: number): boolean {
  const n = digits.length;
  const lower = n === 1 ? -4 : -(n + 2);
  const upper = n === 1 || sciExp >= 10 ? 2 : 1;
  if (ryuExp < lower || ryuExp > upper) return false;
  const output = BigInt(digits);
  if (ryuExp === 0) return output < TWO_53;
  if (ryuExp === 1) return output <= TWO_52_DIV_5;
  if (ryuExp === 2) return output <= TWO_51_DIV_25;
  return true;
}

function fixedNotation(digits: string, ryuExp: number): string {
  if (ryuExp >= 0) return `${digits}${"0".repeat(ryuExp)}.0`;
  const whole = digits.length + ryuExp;
  if (whole > 0) return `${digits.slice(0, whole)}.${digits.slice(whole)}`;
  return `0.${"0".repeat(-whole)}${digits}`;
}

function sciNotation(digits: string, sciExp: number): string {
  return `${digits[0]}.${digits.length > 1 ? digits.slice(1) : "0"}e${sciExp}`;
}

// ---- Binaries ---------------------------------------------------------------------------------------------

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A binary as `~tp` prints it: `<<"abc">>` when all bytes are printable ASCII/Latin-1, `<<"é"/utf8>>` when it is
 * valid UTF-8 of printable Latin-1-range characters, else the byte values.
 */
function formatBinary(bytes: Uint8Array): string {
  if (bytes.length === 0) return "<<>>";
  const text = decodeUtf8(bytes);
  if (text !== undefined) {
    const codes: number[] = [];
    for (const ch of text) codes.push(ch.codePointAt(0)!);
    if (codes.every(isPrintableLatin1)) {
      return `<<${quoteString(codes, 0x22)}${codes.length === bytes.length ? "" : "/utf8"}>>`;
    }
    return `<<${bytes.join(",")}>>`;
  }
  if (bytes.every(isPrintableLatin1)) return `<<${quoteString(bytes, 0x22)}>>`;
  return `<<${bytes.join(",")}>>`;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** `<<1,2:3>>`: whole bytes, then the value of the used high bits of the last byte and their count. */
function formatBitString(b: BitString): string {
  const last = b.bytes[b.bytes.length - 1]! >> (8 - b.bits);
  const whole = b.bytes.subarray(0, b.bytes.length - 1);
  return `<<${whole.length > 0 ? `${whole.join(",")},` : ""}${last}:${b.bits}>>`;
}

// ---- Identifiers ------------------------------------------------------------------------------------------

function isLocal(node: Atom, creation: number, local: LocalNode): boolean {
  return node === local.node && creation === local.creation;
}

/** Where Erlang prints a node-table index: `0` for this node, else the quoted node name and creation. */
function nodePart(node: Atom, creation: number, local: LocalNode): string {
  return isLocal(node, creation, local) ? "0" : `${quoteAtom(node.name)}.${creation}`;
}

function formatPid(p: Pid, local: LocalNode): string {
  const at = nodePart(p.node, p.creation, local);
  return at === "0" ? `<0.${p.id}.${p.serial}>` : `#Pid<${at}.${p.id}.${p.serial}>`;
}

function formatRef(r: Ref, local: LocalNode): string {
  return `#Ref<${nodePart(r.node, r.creation, local)}.${[...r.ids].reverse().join(".")}>`;
}

function formatPort(p: Port, local: LocalNode): string {
  return `#Port<${nodePart(p.node, p.creation, local)}.${p.id}>`;
}
