// Term parsing: reads one Erlang term from text, in `file:consult` syntax plus the identifier forms `format` prints.
//
// Accepted: atoms (bare and quoted, with escapes; `true`/`false` read as JS booleans), integers (`42`, `-7`,
// `16#FF`, `1_000`, `$a`), floats (`1.0`, `1.0e10`, `-0.0`), strings (`"abc"` is a list of integers, as in Erlang;
// adjacent strings join), binaries (`<<"abc">>`, `<<1,2:3>>`, `<<"é"/utf8>>`, segments with sizes, `unit:N`,
// integer/float/utf8/utf16/utf32 types and endianness), lists, improper lists, tuples, maps (`#{k => v}`), export
// funs (`fun m:f/2`), and the pid, ref, port and local-fun forms described in format.ts. `%` comments, whitespace
// and one trailing `.` may surround the term. Errors are `TermParseError`s carrying the offset (a UTF-16 index).
//
// Numbers come back as the term model wants them: an integer is a `number` when it is a safe integer, else a
// `bigint`; a float with an integral value is a `Float` box, any other float a plain `number`. Nesting is tracked
// on an explicit stack, so a list nested 100,000 deep parses without deep JS recursion.
import { ErrorCodes, TermError, TermParseError } from "../errors.ts";
import { type Atom, atom } from "./atom.ts";
import {
  isAtomStart,
  isNameChar,
  type LocalNode,
  localNodeOf,
  RESERVED_WORDS,
  type TermTextOptions,
} from "./format.ts";
import { ErlMap } from "./map.ts";
import { BitString, ErlFun, ExportFun, Float, ImproperList, Pid, Port, Ref, type Term, Tuple } from "./types.ts";

/** Reads one Erlang term from `text`. Throws `TermParseError` when the text is not exactly one term. */
export function parse(text: string, options?: TermTextOptions): Term {
  const parser = new Parser(new Scanner(text), localNodeOf(options));
  return parser.parseDocument();
}

// ---- Tokens -----------------------------------------------------------------------------------------------

type Token =
  | { kind: "atom"; name: string; quoted: boolean; at: number }
  | { kind: "var"; name: string; at: number }
  | { kind: "int"; value: number | bigint; at: number }
  | { kind: "float"; value: number; at: number }
  | { kind: "string"; codes: number[]; at: number }
  | { kind: "punct"; text: string; at: number }
  | { kind: "eof"; at: number };

/** Punctuation, longest first where one is a prefix of another. */
const PUNCTUATION = ["<<", ">>", "=>", ":=", "[", "]", "{", "}", ",", "|", "#", "<", ">", "-", "+", "/", ":"];

/** Control-character escapes after a backslash (`erl_scan`'s escape_char/1); any other character is itself. */
const ESCAPES: ReadonlyMap<string, number> = new Map([
  ["n", 10],
  ["r", 13],
  ["t", 9],
  ["v", 11],
  ["b", 8],
  ["f", 12],
  ["e", 27],
  ["s", 32],
  ["d", 127],
]);

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return 99;
}

function isVarStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
}

/** A string from code points, in slices so a long quoted atom cannot overflow the argument list. */
function fromCodePoints(codes: readonly number[]): string {
  let s = "";
  for (let i = 0; i < codes.length; i += 4096) s += String.fromCodePoint(...codes.slice(i, i + 4096));
  return s;
}

/** An integer as the term model holds it: a number when safe, else a bigint. */
function integer(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** A float as the term model holds it: boxed when its value is integral, so it stays a float. */
function float(x: number): number | Float {
  return Number.isInteger(x) ? new Float(x) : x;
}

/** Turns text into tokens on demand; the parser may also read characters directly for the identifier forms. */
class Scanner {
  pos = 0;

  constructor(readonly text: string) {}

  fail(message: string, at: number = this.pos): never {
    throw new TermParseError(message, at);
  }

  code(at: number = this.pos): number {
    return at < this.text.length ? this.text.codePointAt(at)! : -1;
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x25) {
        while (this.pos < t.length && t.charCodeAt(this.pos) !== 0x0a) this.pos++;
      } else if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0) {
        this.pos++;
      } else {
        return;
      }
    }
  }

  /** The next token, without consuming it. */
  peek(): Token {
    const saved = this.pos;
    const token = this.next();
    this.pos = saved;
    return token;
  }

  /** Consumes the next token if it is the punctuation `text`. */
  accept(text: string): boolean {
    const saved = this.pos;
    const token = this.next();
    if (token.kind === "punct" && token.text === text) return true;
    this.pos = saved;
    return false;
  }

  /** Consumes the punctuation `text` or fails. */
  expect(text: string, what: string): void {
    const token = this.next();
    if (token.kind !== "punct" || token.text !== text) this.fail(`expected ${what}`, token.at);
  }

  /** Consumes the character `ch` (after whitespace) or fails: for the identifier forms, read character by character. */
  expectChar(ch: string, what: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) this.fail(`expected ${what}`);
    this.pos++;
  }

  next(): Token {
    this.skipSpace();
    const at = this.pos;
    const c = this.code();
    if (c < 0) return { kind: "eof", at };
    if (isDigit(c)) return this.number(at);
    if (isAtomStart(c)) return { kind: "atom", name: this.name(), quoted: false, at };
    if (isVarStart(c)) return { kind: "var", name: this.name(), at };
    if (c === 0x27) return { kind: "atom", name: fromCodePoints(this.quoted(0x27)), quoted: true, at };
    if (c === 0x22) return { kind: "string", codes: this.quoted(0x22), at };
    if (c === 0x24) return this.char(at);
    for (const p of PUNCTUATION) {
      if (this.text.startsWith(p, at)) {
        this.pos += p.length;
        return { kind: "punct", text: p, at };
      }
    }
    if (c === 0x2e) {
      this.pos++;
      return { kind: "punct", text: ".", at };
    }
    return this.fail(`unexpected character ${JSON.stringify(String.fromCodePoint(c))}`);
  }

  name(): string {
    const start = this.pos;
    while (isNameChar(this.code())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Digits in `base`, with `_` allowed between two digits (OTP 23+). */
  digits(base: number): string {
    const start = this.pos;
    let s = "";
    while (
      digitValue(this.code()) < base ||
      (this.code() === 0x5f && s !== "" && digitValue(this.code(this.pos + 1)) < base)
    ) {
      if (this.code() !== 0x5f) s += this.text[this.pos];
      this.pos++;
    }
    if (s === "") this.fail(`expected a base-${base} digit`, start);
    return s;
  }

  number(at: number): Token {
    const whole = this.digits(10);
    if (this.code() === 0x23) return this.based(whole, at);
    if (this.code() !== 0x2e || !isDigit(this.code(this.pos + 1))) {
      return { kind: "int", value: integer(BigInt(whole)), at };
    }
    this.pos++;
    let text = `${whole}.${this.digits(10)}`;
    const e = this.code();
    const sign = this.code(this.pos + 1);
    if (
      (e === 0x65 || e === 0x45) &&
      (isDigit(sign) || ((sign === 0x2b || sign === 0x2d) && isDigit(this.code(this.pos + 2))))
    ) {
      this.pos++;
      let exponent = "";
      if (sign === 0x2b || sign === 0x2d) {
        exponent = String.fromCharCode(sign);
        this.pos++;
      }
      text += `e${exponent}${this.digits(10)}`;
    }
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail("float out of range", at);
    return { kind: "float", value, at };
  }

  based(baseText: string, at: number): Token {
    const base = Number(baseText);
    if (base < 2 || base > 36) this.fail(`base ${baseText} is not 2–36`, at);
    this.pos++;
    let n = 0n;
    const b = BigInt(base);
    for (const d of this.digits(base)) n = n * b + BigInt(digitValue(d.charCodeAt(0)));
    return { kind: "int", value: integer(n), at };
  }

  /** `$a`, `$\n`, `$\x{1F600}`: a character code. */
  char(at: number): Token {
    this.pos++;
    const c = this.code();
    if (c < 0) this.fail("character literal ends the input", at);
    if (c === 0x5c) return { kind: "int", value: this.escape(), at };
    this.pos += c > 0xffff ? 2 : 1;
    return { kind: "int", value: c, at };
  }

  /** The characters of a quoted atom or string, escapes resolved; `pos` is at the opening quote. */
  quoted(quote: number): number[] {
    const at = this.pos++;
    const codes: number[] = [];
    for (;;) {
      const c = this.code();
      if (c < 0) this.fail(quote === 0x22 ? "unterminated string" : "unterminated quoted atom", at);
      if (c === quote) {
        this.pos++;
        return codes;
      }
      if (c === 0x5c) {
        codes.push(this.escape());
      } else {
        codes.push(c);
        this.pos += c > 0xffff ? 2 : 1;
      }
    }
  }

  /** One escape sequence; `pos` is at the backslash. */
  escape(): number {
    const at = this.pos++;
    const c = this.code();
    if (c < 0) this.fail("escape sequence ends the input", at);
    if (c >= 0x30 && c <= 0x37) {
      let n = 0;
      for (let i = 0; i < 3 && this.code() >= 0x30 && this.code() <= 0x37; i++) {
        n = n * 8 + this.code(this.pos++) - 0x30;
      }
      return n;
    }
    if (c === 0x78) return this.hexEscape(at);
    if (c === 0x5e) {
      const ctl = this.code(this.pos + 1);
      if (ctl < 0) this.fail("escape sequence ends the input", at);
      this.pos += ctl > 0xffff ? 3 : 2;
      return ctl & 31;
    }
    this.pos += c > 0xffff ? 2 : 1;
    return ESCAPES.get(String.fromCharCode(c)) ?? c;
  }

  /** `\xHH` or `\x{H…}`; `pos` is at the `x`. */
  hexEscape(at: number): number {
    this.pos++;
    if (this.code() === 0x7b) {
      this.pos++;
      const start = this.pos;
      while (digitValue(this.code()) < 16) this.pos++;
      if (this.pos === start || this.code() !== 0x7d) this.fail("bad \\x{…} escape", at);
      const n = Number.parseInt(this.text.slice(start, this.pos), 16);
      this.pos++;
      if (n > 0x10ffff) this.fail("character code past U+10FFFF", at);
      return n;
    }
    if (digitValue(this.code()) >= 16 || digitValue(this.code(this.pos + 1)) >= 16) this.fail("bad \\xHH escape", at);
    this.pos += 2;
    return Number.parseInt(this.text.slice(this.pos - 2, this.pos), 16);
  }

  /** A decimal unsigned integer, read character by character (inside `<0.42.0>`, where `42.0` is no float). */
  unsigned(what: string): number | bigint {
    this.skipSpace();
    if (!isDigit(this.code())) this.fail(`expected ${what}`);
    return integer(BigInt(this.digits(10)));
  }
}

// ---- Parser -----------------------------------------------------------------------------------------------

/** Returned by `feed` when the open compound term needs another element. */
const MORE = Symbol("more");

/** `[…]`. `closes` counts the `]`s owed: `[a | [b | [c]]]` fills one frame and owes three. */
class ListFrame {
  readonly items: Term[] = [];
  closes = 1;
  inTail = false;
}

class TupleFrame {
  readonly items: Term[] = [];
}

class MapFrame {
  readonly keys: Term[] = [];
  readonly values: Term[] = [];
  key: Term | undefined = undefined;
}

/** A local fun whose fields are read and whose free-variable list is being parsed. */
class FunFrame {
  constructor(
    readonly module: Atom,
    readonly numbers: readonly number[],
    readonly uniq: Uint8Array,
    readonly pid: Pid,
    readonly at: number,
  ) {}
}

type Frame = ListFrame | TupleFrame | MapFrame | FunFrame;

/** The names that may follow `#` to open an identifier form. */
const IDENTIFIER_FORMS = new Set(["Pid", "Ref", "Port", "Fun"]);

class Parser {
  constructor(
    readonly scan: Scanner,
    readonly local: LocalNode,
  ) {}

  parseDocument(): Term {
    const term = this.parseTerm();
    this.scan.skipSpace();
    if (this.scan.text[this.scan.pos] === ".") this.scan.pos++;
    const rest = this.scan.next();
    if (rest.kind !== "eof") this.scan.fail("text after the term", rest.at);
    return term;
  }

  /** One term: values are read left to right; open compound terms wait on `stack` for their elements. */
  parseTerm(): Term {
    const stack: Frame[] = [];
    for (;;) {
      let value: Term | typeof MORE = this.startValue(stack);
      while (value !== MORE) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) return value;
        value = this.feed(frame, value);
        if (value !== MORE) stack.pop();
      }
    }
  }

  /** Reads a value, or opens a compound term (pushing its frame) and returns MORE. */
  startValue(stack: Frame[]): Term | typeof MORE {
    const token = this.scan.next();
    switch (token.kind) {
      case "int":
        return token.value;
      case "float":
        return float(token.value);
      case "string":
        return this.joinStrings(token.codes);
      case "atom":
        return this.atomValue(token);
      case "var":
        return this.scan.fail(`${token.name} is a variable, not a term`, token.at);
      case "eof":
        return this.scan.fail("expected a term", token.at);
    }
    switch (token.text) {
      case "[":
        if (this.scan.accept("]")) return [];
        stack.push(new ListFrame());
        return MORE;
      case "{":
        if (this.scan.accept("}")) return new Tuple([]);
        stack.push(new TupleFrame());
        return MORE;
      case "#":
        return this.hash(stack, token.at);
      case "<<":
        return this.binary();
      case "<":
        return this.pidBody(true);
      case "-":
      case "+":
        return this.signed(token.text === "-");
    }
    return this.scan.fail(`unexpected ${JSON.stringify(token.text)}`, token.at);
  }

  /** Takes a finished value into the open compound term; returns the closed term, or MORE. */
  feed(frame: Frame, value: Term): Term | typeof MORE {
    if (frame instanceof ListFrame) return this.feedList(frame, value);
    if (frame instanceof TupleFrame) {
      frame.items.push(value);
      if (this.scan.accept(",")) return MORE;
      this.scan.expect("}", "',' or '}' in a tuple");
      return new Tuple(frame.items);
    }
    if (frame instanceof MapFrame) return this.feedMap(frame, value);
    return this.finishFun(frame, value);
  }

  feedList(frame: ListFrame, value: Term): Term | typeof MORE {
    if (frame.inTail) return this.closeList(frame, value);
    frame.items.push(value);
    if (this.scan.accept(",")) return MORE;
    if (this.scan.accept("|")) {
      // A tail that is a list literal continues this list, so `[a|[b|[c]]]` costs no copying.
      if (!this.scan.accept("[")) {
        frame.inTail = true;
        return MORE;
      }
      if (this.scan.accept("]")) return this.closeList(frame, []);
      frame.closes++;
      return MORE;
    }
    return this.closeList(frame, []);
  }

  closeList(frame: ListFrame, tail: Term): Term {
    const what = frame.inTail ? "']' after a list tail" : "',', '|' or ']'";
    for (let i = 0; i < frame.closes; i++) this.scan.expect("]", what);
    if (Array.isArray(tail)) {
      for (const t of tail as readonly Term[]) frame.items.push(t);
      return frame.items;
    }
    return new ImproperList(frame.items, tail);
  }

  feedMap(frame: MapFrame, value: Term): Term | typeof MORE {
    if (frame.key === undefined) {
      frame.key = value;
      const arrow = this.scan.next();
      if (arrow.kind === "punct" && arrow.text === ":=") {
        this.scan.fail("':=' updates a map; a map term uses '=>'", arrow.at);
      }
      if (arrow.kind !== "punct" || arrow.text !== "=>") this.scan.fail("expected '=>'", arrow.at);
      return MORE;
    }
    frame.keys.push(frame.key);
    frame.values.push(value);
    frame.key = undefined;
    if (this.scan.accept(",")) return MORE;
    this.scan.expect("}", "',' or '}' in a map");
    const m = new ErlMap();
    for (let i = 0; i < frame.keys.length; i++) m.set(frame.keys[i]!, frame.values[i]!);
    return m;
  }

  joinStrings(codes: number[]): number[] {
    for (let next = this.scan.peek(); next.kind === "string"; next = this.scan.peek()) {
      this.scan.next();
      for (const c of next.codes) codes.push(c);
    }
    return codes;
  }

  atomValue(token: { name: string; quoted: boolean; at: number }): Term {
    if (token.name === "true") return true;
    if (token.name === "false") return false;
    if (!token.quoted && token.name === "fun") return this.exportFun();
    if (!token.quoted && RESERVED_WORDS.has(token.name)) {
      this.scan.fail(`'${token.name}' is a reserved word; quote it`, token.at);
    }
    return this.makeAtom(token.name, token.at);
  }

  makeAtom(name: string, at: number): Atom {
    return this.guard(at, () => atom(name));
  }

  /** Runs a term constructor, turning its TermError into a TermParseError at `at`. */
  guard<T>(at: number, build: () => T): T {
    try {
      return build();
    } catch (e) {
      if (e instanceof TermError) this.scan.fail(e.message, at);
      throw e;
    }
  }

  signed(negative: boolean): Term {
    const token = this.scan.next();
    if (token.kind === "int") {
      if (!negative) return token.value;
      return typeof token.value === "bigint" ? integer(-token.value) : token.value === 0 ? 0 : -token.value;
    }
    if (token.kind === "float") return float(negative ? -token.value : token.value);
    return this.scan.fail("expected a number after the sign", token.at);
  }

  /** `fun Module:Function/Arity`. */
  exportFun(): ExportFun {
    const m = this.atomToken("a module name");
    this.scan.expect(":", "':' in fun M:F/A");
    const f = this.atomToken("a function name");
    this.scan.expect("/", "'/' in fun M:F/A");
    const arity = this.scan.next();
    if (arity.kind !== "int") return this.scan.fail("expected an arity", arity.at);
    return this.guard(arity.at, () => new ExportFun(m, f, Number(arity.value)));
  }

  atomToken(what: string): Atom {
    const token = this.scan.next();
    if (token.kind !== "atom") return this.scan.fail(`expected ${what}`, token.at);
    return this.makeAtom(token.name, token.at);
  }

  /** `#{…}`, or one of the identifier forms `#Pid<…>`, `#Ref<…>`, `#Port<…>`, `#Fun<…>`. */
  hash(stack: Frame[], at: number): Term | typeof MORE {
    const token = this.scan.next();
    if (token.kind === "punct" && token.text === "{") {
      if (this.scan.accept("}")) return new ErlMap();
      stack.push(new MapFrame());
      return MORE;
    }
    if (token.kind !== "var" || !IDENTIFIER_FORMS.has(token.name)) {
      return this.scan.fail("expected '{', Pid, Ref, Port or Fun after '#'", token.at);
    }
    this.scan.expectChar("<", `'<' after #${token.name}`);
    if (token.name === "Pid") return this.pidBody(false);
    if (token.name === "Ref") return this.refBody(at);
    if (token.name === "Port") return this.portBody(at);
    stack.push(this.funHead(at));
    return MORE;
  }

  /** The node part after `<`: `0` for the local node, else `'node'.Creation`. */
  nodePart(): LocalNode {
    this.scan.skipSpace();
    const at = this.scan.pos;
    if (isDigit(this.scan.code())) {
      const index = this.scan.unsigned("a node index");
      if (index !== 0) this.scan.fail(`node index ${index} names no known node; write #Pid<'node'.Creation.…>`, at);
      return this.local;
    }
    const node = this.atomToken("0 or a node name");
    this.scan.expectChar(".", "'.' after the node name");
    return { node, creation: this.u32("a creation") };
  }

  /** `.`-separated decimal integers up to the closing `>`. */
  dottedNumbers(): (number | bigint)[] {
    const numbers: (number | bigint)[] = [];
    do {
      this.scan.expectChar(".", "'.'");
      numbers.push(this.scan.unsigned("an integer"));
      this.scan.skipSpace();
    } while (this.scan.text[this.scan.pos] !== ">" && this.scan.pos < this.scan.text.length);
    this.scan.expectChar(">", "'>'");
    return numbers;
  }

  u32(what: string): number {
    const at = this.scan.pos;
    const n = this.scan.unsigned(what);
    if (typeof n !== "number" || n > 0xffff_ffff) this.scan.fail(`${what} must fit in 32 bits`, at);
    return n;
  }

  /** After `<` (bare, for the local node) or `#Pid<`: `Node.Id.Serial>`. */
  pidBody(bare: boolean): Pid {
    this.scan.skipSpace();
    const at = this.scan.pos;
    if (bare && !isDigit(this.scan.code())) this.scan.fail("expected <0.Id.Serial>; another node's pid is #Pid<…>");
    const { node, creation } = this.nodePart();
    const [id, serial, ...extra] = this.dottedNumbers();
    if (serial === undefined || extra.length > 0) this.scan.fail("a pid has an id and a serial", at);
    return this.guard(at, () => new Pid(node, Number(id), Number(serial), creation));
  }

  refBody(at: number): Ref {
    const { node, creation } = this.nodePart();
    const words = this.dottedNumbers().map(Number).reverse();
    return this.guard(at, () => new Ref(node, creation, words));
  }

  portBody(at: number): Port {
    const { node, creation } = this.nodePart();
    const [id, ...extra] = this.dottedNumbers();
    if (id === undefined || extra.length > 0) this.scan.fail("a port has one id", at);
    return this.guard(at, () => new Port(node, id, creation));
  }

  /** `#Fun<Module.Index.OldUniq.Arity.OldIndex.16#Uniq.Pid.` — the free-variable list and `>` follow. */
  funHead(at: number): FunFrame {
    const module = this.atomToken("a module name");
    const numbers: number[] = [];
    for (const what of ["an index", "an old uniq", "an arity", "an old index"]) {
      this.scan.skipSpace();
      if (numbers.length === 2 && this.scan.text[this.scan.pos] === ">") {
        this.scan.fail(
          "Erlang's short #Fun<M.I.U> lacks the fun's code hash, pid and free variables: it cannot be read",
        );
      }
      this.scan.expectChar(".", "'.' in #Fun<…>");
      numbers.push(this.u32(what));
    }
    this.scan.expectChar(".", "'.' in #Fun<…>");
    const uniq = this.scan.next();
    if (uniq.kind !== "int" || uniq.value < 0 || BigInt(uniq.value) >= 1n << 128n) {
      this.scan.fail("expected the fun's 128-bit uniq, written 16#…", uniq.at);
    }
    this.scan.expectChar(".", "'.' in #Fun<…>");
    this.scan.skipSpace();
    const pidAt = this.scan.pos;
    let pid: Pid;
    if (this.scan.text.startsWith("#Pid<", pidAt)) {
      this.scan.pos += 5;
      pid = this.pidBody(false);
    } else {
      this.scan.expectChar("<", "the fun's pid");
      pid = this.pidBody(true);
    }
    this.scan.expectChar(".", "'.' before the fun's free variables");
    return new FunFrame(module, numbers, uniqBytes(BigInt(uniq.value)), pid, at);
  }

  finishFun(frame: FunFrame, freeVars: Term): ErlFun {
    if (!Array.isArray(freeVars)) this.scan.fail("a fun's free variables are a proper list", frame.at);
    this.scan.expectChar(">", "'>' closing #Fun<…>");
    const [index, oldUniq, arity, oldIndex] = frame.numbers as [number, number, number, number];
    return this.guard(
      frame.at,
      () => new ErlFun(frame.module, arity, frame.uniq, index, oldIndex, oldUniq, frame.pid, freeVars as Term[]),
    );
  }

  binary(): Uint8Array | BitString {
    const out = new BitWriter();
    if (this.scan.accept(">>")) return out.finish();
    do this.segment(out);
    while (this.scan.accept(","));
    this.scan.expect(">>", "',' or '>>' in a binary");
    return out.finish();
  }

  /** One segment: `Value[:Size][/Type-Specifiers]`. A string value is one segment per character. */
  segment(out: BitWriter): void {
    const token = this.scan.next();
    const values = this.segmentValues(token);
    const spec = this.segmentSpec();
    for (const v of values) this.guard(token.at, () => writeSegment(out, v, spec));
  }

  /** The segment's values; floats are boxed whatever their value, so `1.0` is not taken for an integer. */
  segmentValues(token: Token): SegmentValue[] {
    if (token.kind === "string") return this.joinStrings(token.codes);
    if (token.kind === "int") return [token.value];
    if (token.kind === "float") return [new Float(token.value)];
    if (token.kind === "punct" && (token.text === "-" || token.text === "+")) {
      const next = this.scan.peek();
      const v = this.signed(token.text === "-");
      if (next.kind === "float") return [new Float(v instanceof Float ? v.value : Number(v))];
      if (typeof v === "number" || typeof v === "bigint") return [v];
    }
    return this.scan.fail("a binary segment holds an integer, a float or a string", token.at);
  }

  segmentSpec(): SegmentSpec {
    const spec: SegmentSpec = { type: "integer", size: undefined, unit: undefined, little: false };
    if (this.scan.accept(":")) {
      const size = this.scan.next();
      if (size.kind !== "int" || typeof size.value !== "number" || size.value < 0) {
        this.scan.fail("a segment size is a non-negative integer", size.at);
      }
      spec.size = size.value;
    }
    if (!this.scan.accept("/")) return spec;
    do this.typeSpecifier(spec);
    while (this.scan.accept("-"));
    return spec;
  }

  typeSpecifier(spec: SegmentSpec): void {
    const token = this.scan.next();
    if (token.kind !== "atom") this.scan.fail("expected a type specifier", token.at);
    const name = token.name;
    if (name === "unit") {
      this.scan.expect(":", "':' after unit");
      const unit = this.scan.next();
      if (unit.kind !== "int" || typeof unit.value !== "number" || unit.value < 1 || unit.value > 256) {
        this.scan.fail("a unit is 1–256", unit.at);
      }
      spec.unit = unit.value;
    } else if (name === "integer" || name === "float" || name === "utf8" || name === "utf16" || name === "utf32") {
      spec.type = name;
    } else if (name === "big" || name === "little" || name === "native") {
      spec.little = name === "little" || (name === "native" && NATIVE_LITTLE);
    } else if (name !== "signed" && name !== "unsigned") {
      this.scan.fail(`unsupported type specifier '${name}'`, token.at);
    }
  }
}

function uniqBytes(n: bigint): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return bytes;
}

// ---- Binary construction ----------------------------------------------------------------------------------

const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface SegmentSpec {
  type: "integer" | "float" | "utf8" | "utf16" | "utf32";
  size: number | undefined;
  unit: number | undefined;
  little: boolean;
}

function badSegment(message: string): never {
  throw new TermError(ErrorCodes.TERM_BAD_VALUE, message);
}

/** A segment's value: an integer, or a float (always boxed here). */
type SegmentValue = number | bigint | Float;

/** Erlang allows more, but a wider segment is surely a typo, and would take that much memory. */
const MAX_SEGMENT_BITS = 1 << 24;

/** Appends one segment as Erlang's binary construction does (a value too wide for its size is truncated). */
function writeSegment(out: BitWriter, value: SegmentValue, spec: SegmentSpec): void {
  if (spec.type === "utf8" || spec.type === "utf16" || spec.type === "utf32") {
    if (spec.size !== undefined || spec.unit !== undefined) badSegment("a utf segment has no size or unit");
    if (value instanceof Float) badSegment("a utf segment cannot hold a float");
    writeUtf(out, value, spec);
    return;
  }
  const bits = (spec.size ?? (spec.type === "float" ? 64 : 8)) * (spec.unit ?? 1);
  if (bits > MAX_SEGMENT_BITS) badSegment(`a segment of ${bits} bits is wider than ${MAX_SEGMENT_BITS}`);
  if (spec.type === "float") writeFloat(out, Number(value), bits, spec.little);
  else if (value instanceof Float) badSegment("an integer segment cannot hold a float");
  else writeInteger(out, BigInt(value), bits, spec.little);
}

function writeInteger(out: BitWriter, value: bigint, bits: number, little: boolean): void {
  if (bits === 0) return;
  const v = BigInt.asUintN(bits, value);
  if (bits <= 32 && !little) {
    out.write(Number(v), bits);
    return;
  }
  // Through hex, so the cost is linear in `bits`: byte i of `hex` is the (width-1-i)th least significant.
  const width = Math.ceil(bits / 8);
  const hex = v.toString(16).padStart(width * 2, "0");
  const byteAt = (i: number) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const top = bits - (width - 1) * 8;
  if (!little) {
    out.write(byteAt(0), top);
    for (let i = 1; i < width; i++) out.write(byteAt(i), 8);
    return;
  }
  // Little-endian: least significant byte first; a size that is not whole bytes ends with the top bits.
  for (let i = width - 1; i >= 1; i--) out.write(byteAt(i), 8);
  out.write(byteAt(0), top);
}

function writeFloat(out: BitWriter, value: number, bits: number, little: boolean): void {
  if (bits !== 32 && bits !== 64) badSegment(`a float segment is 32 or 64 bits, not ${bits}`);
  const view = new DataView(new ArrayBuffer(8));
  if (bits === 64) view.setFloat64(0, value, little);
  else if (Number.isFinite(Math.fround(value)) || !Number.isFinite(value)) view.setFloat32(0, value, little);
  else badSegment("float too large for 32 bits");
  for (let i = 0; i < bits / 8; i++) out.write(view.getUint8(i), 8);
}

const utf8Encoder = new TextEncoder();

function writeUtf(out: BitWriter, value: number | bigint, spec: SegmentSpec): void {
  const c = Number(value);
  if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) badSegment(`${value} is not a Unicode code point`);
  if (spec.type === "utf8") {
    for (const b of utf8Encoder.encode(String.fromCodePoint(c))) out.write(b, 8);
  } else if (spec.type === "utf32") {
    writeInteger(out, BigInt(c), 32, spec.little);
  } else if (c < 0x10000) {
    writeInteger(out, BigInt(c), 16, spec.little);
  } else {
    writeInteger(out, BigInt(0xd800 + ((c - 0x10000) >> 10)), 16, spec.little);
    writeInteger(out, BigInt(0xdc00 + ((c - 0x10000) & 0x3ff)), 16, spec.little);
  }
}

/** Bits appended most significant first; the last partial byte keeps its bits in the high end, as ETF does. */
class BitWriter {
  #bytes = new Uint8Array(64);
  #bitLength = 0;

  /** Appends `n`, which holds at most `bits` ≤ 32 bits, most significant bit first. */
  write(n: number, bits: number): void {
    while (bits > 0) {
      const used = this.#bitLength & 7;
      const room = 8 - used;
      const take = Math.min(room, bits);
      const chunk = Math.floor(n / 2 ** (bits - take)) % 2 ** take;
      const at = this.#bitLength >> 3;
      if (used === 0) this.#grow(at + 1);
      this.#bytes[at]! |= chunk << (room - take);
      this.#bitLength += take;
      bits -= take;
    }
  }

  finish(): Uint8Array | BitString {
    const bytes = this.#bytes.slice(0, Math.ceil(this.#bitLength / 8));
    const partial = this.#bitLength & 7;
    return partial === 0 ? bytes : new BitString(bytes, partial);
  }

  #grow(size: number): void {
    if (size <= this.#bytes.length) return;
    const bigger = new Uint8Array(Math.max(size, this.#bytes.length * 2));
    bigger.set(this.#bytes);
    this.#bytes = bigger;
  }
}
