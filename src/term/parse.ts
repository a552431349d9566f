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
// on an explicit stack, so a list nested 100,000 deep parses without deep JS recursion. Tokens come from
// text/scanner.ts; the bits of a `<<…>>` binary are written by text/bitstring-segments.ts.
import { TermError } from "../errors.ts";
import { type Atom, atom } from "./atom.ts";
import { ErlMap } from "./map.ts";
import { BitWriter, type SegmentSpec, type SegmentValue, writeSegment } from "./text/bitstring-segments.ts";
import { type LocalNode, localNodeOf, type TermTextOptions } from "./text/local-node.ts";
import { integer, Scanner, type Token } from "./text/scanner.ts";
import { isDigit, RESERVED_WORDS } from "./text/syntax.ts";
import { type BitString, ErlFun, ExportFun, Float, ImproperList, Pid, Port, Ref, type Term, Tuple } from "./types.ts";

/** Reads one Erlang term from `text`. Throws `TermParseError` when the text is not exactly one term. */
export function parse(text: string, options?: TermTextOptions): Term {
  const parser = new Parser(new Scanner(text), localNodeOf(options));
  return parser.parseDocument();
}

/** A float as the term model holds it: boxed when its value is integral, so it stays a float. */
function float(x: number): number | Float {
  return Number.isInteger(x) ? new Float(x) : x;
}

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

/** A fun's 128-bit uniq as its 16 bytes, most significant first. */
function uniqBytes(n: bigint): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return bytes;
}

/** Whether `native` in a type specifier means little-endian: the host's byte order. */
const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
