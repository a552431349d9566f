// Erlang term order (`compare`, as `<`/`==`), exact equality (`equals`, as `=:=`) and a hash consistent with it.
//
// Order: number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring.
// Within a type the order is BEAM's (checked against `lists:sort` on OTP 25): pids by serial, id, node,
// creation; ports and refs by node, creation, then id (refs from the most significant word); local funs
// before export funs; atoms by code point; maps by size, then keys in map-key order, then values.
// Equality follows OTP 27: `0.0 =:= -0.0` is false, `0.0 == -0.0` is true.
// All three walk terms with an explicit stack, so a term nested a million deep cannot overflow the JS stack.
import { Atom, atom } from "./atom.ts";
import { ErlMap } from "./map.ts";
import { BitString, ErlFun, ExportFun, Float, ImproperList, Pid, Port, Ref, type Term, Tuple } from "./types.ts";

enum Kind {
  Number = 0,
  Atom = 1,
  Ref = 2,
  Fun = 3,
  Port = 4,
  Pid = 5,
  Tuple = 6,
  Map = 7,
  Nil = 8,
  List = 9,
  Bits = 10,
}

function kindOf(t: Term): Kind {
  switch (typeof t) {
    case "number":
    case "bigint":
      return Kind.Number;
    case "boolean":
      return Kind.Atom;
    case "string":
      return Kind.Bits;
  }
  if (t instanceof Atom) return Kind.Atom;
  if (Array.isArray(t)) return t.length === 0 ? Kind.Nil : Kind.List;
  if (t instanceof Tuple) return Kind.Tuple;
  if (t instanceof Uint8Array || t instanceof BitString) return Kind.Bits;
  if (t instanceof ErlMap) return Kind.Map;
  if (t instanceof Float) return Kind.Number;
  if (t instanceof ImproperList) return Kind.List;
  if (t instanceof Pid) return Kind.Pid;
  if (t instanceof Ref) return Kind.Ref;
  if (t instanceof Port) return Kind.Port;
  if (t instanceof ErlFun || t instanceof ExportFun) return Kind.Fun;
  throw new TypeError(`not an Erlang term: ${String(t)}`);
}

const TRUE = atom("true");
const FALSE = atom("false");

function asAtom(t: Term): Atom {
  if (t === true) return TRUE;
  if (t === false) return FALSE;
  return t as Atom;
}

const utf8 = new TextEncoder();

/** The bytes of a binary term (a JS string is its UTF-8 encoding). */
export function binaryBytes(t: string | Uint8Array): Uint8Array {
  return typeof t === "string" ? utf8.encode(t) : t;
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Code-point order of atom names (UTF-16 order differs past U+D800). */
export function compareAtoms(a: Atom, b: Atom): -1 | 0 | 1 {
  if (a === b) return 0;
  if (!a.hasHighChars && !b.hasHighChars) return a.name < b.name ? -1 : 1;
  const x = a.name;
  const y = b.name;
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const cx = x.codePointAt(i)!;
    const cy = y.codePointAt(j)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
    i += cx > 0xffff ? 2 : 1;
    j += cy > 0xffff ? 2 : 1;
  }
  return sign(x.length - i - (y.length - j));
}

type Num = number | bigint;

function isFloat(t: Term): boolean {
  return t instanceof Float || (typeof t === "number" && !Number.isInteger(t));
}

function numValue(t: Term): Num {
  return t instanceof Float ? t.value : (t as Num);
}

function compareNumbers(a: Term, b: Term, exact: boolean): -1 | 0 | 1 {
  if (exact) {
    const fa = isFloat(a);
    if (fa !== isFloat(b)) return fa ? 1 : -1;
  }
  const x = numValue(a);
  const y = numValue(b);
  // `<` between a bigint and a number compares their exact mathematical values.
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Bitwise lexicographic order: a proper prefix is smaller. */
function compareBits(a: string | Uint8Array | BitString, b: string | Uint8Array | BitString): -1 | 0 | 1 {
  const [ab, abits] = bitsOf(a);
  const [bb, bbits] = bitsOf(b);
  const n = Math.min(abits, bbits);
  const whole = n >>> 3;
  for (let i = 0; i < whole; i++) {
    if (ab[i] !== bb[i]) return ab[i]! < bb[i]! ? -1 : 1;
  }
  const rest = n & 7;
  if (rest > 0) {
    const mask = (0xff << (8 - rest)) & 0xff;
    const x = ab[whole]! & mask;
    const y = bb[whole]! & mask;
    if (x !== y) return x < y ? -1 : 1;
  }
  return sign(abits - bbits);
}

function bitsOf(t: string | Uint8Array | BitString): [Uint8Array, number] {
  if (t instanceof BitString) return [t.bytes, t.bitSize];
  const bytes = binaryBytes(t);
  return [bytes, bytes.length * 8];
}

function compareWords(a: readonly number[], b: readonly number[]): -1 | 0 | 1 {
  for (let i = Math.max(a.length, b.length) - 1; i >= 0; i--) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Compares the scalar part of two terms of the same kind; pushes child pairs (in reverse) for compound terms. */
function compareShallow(a: Term, b: Term, kind: Kind, exact: boolean, pending: Term[]): -1 | 0 | 1 {
  switch (kind) {
    case Kind.Number:
      return compareNumbers(a, b, exact);
    case Kind.Atom:
      return compareAtoms(asAtom(a), asAtom(b));
    case Kind.Bits:
      return compareBits(a as Uint8Array, b as Uint8Array);
    case Kind.Nil:
      return 0;
    case Kind.Ref: {
      const x = a as Ref;
      const y = b as Ref;
      return compareAtoms(x.node, y.node) || sign(x.creation - y.creation) || compareWords(x.ids, y.ids);
    }
    case Kind.Pid: {
      const x = a as Pid;
      const y = b as Pid;
      return (
        sign(x.serial - y.serial) || sign(x.id - y.id) || compareAtoms(x.node, y.node) || sign(x.creation - y.creation)
      );
    }
    case Kind.Port: {
      const x = a as Port;
      const y = b as Port;
      const c = compareAtoms(x.node, y.node) || sign(x.creation - y.creation);
      return c || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
    }
    case Kind.Tuple: {
      const x = (a as Tuple).elements;
      const y = (b as Tuple).elements;
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      pushPairs(pending, x, y, x.length, exact);
      return 0;
    }
    case Kind.Map: {
      const x = a as ErlMap;
      const y = b as ErlMap;
      if (x.size !== y.size) return x.size < y.size ? -1 : 1;
      const xk = sortedKeys(x);
      const yk = sortedKeys(y);
      // Keys are compared first (all of them, in map-key order: exactly), then the values in key order.
      const flag = exact ? 1 : 0;
      for (let i = xk.length - 1; i >= 0; i--) pending.push(x.get(xk[i]!)!, y.get(yk[i]!)!, flag);
      for (let i = xk.length - 1; i >= 0; i--) pending.push(xk[i]!, yk[i]!, 1);
      return 0;
    }
    case Kind.List:
      return compareListHeads(a, b, pending, exact);
    case Kind.Fun:
      return compareFuns(a as ErlFun | ExportFun, b as ErlFun | ExportFun, pending, exact);
  }
  return 0;
}

/** Pending pairs are triples (a, b, exact): exact is 1 inside map keys, where 1 and 1.0 differ. */
function pushPairs(pending: Term[], x: readonly Term[], y: readonly Term[], n: number, exact: boolean): void {
  const flag = exact ? 1 : 0;
  for (let i = n - 1; i >= 0; i--) pending.push(x[i]!, y[i]!, flag);
}

function sortedKeys(m: ErlMap): readonly Term[] {
  return m.isLarge ? [...m.keys()].sort(compareMapKeys) : m.keys();
}

function listParts(t: Term): [readonly Term[], Term] {
  return t instanceof ImproperList ? [t.items, t.tail] : [t as readonly Term[], []];
}

function listRest(items: readonly Term[], from: number, tail: Term): Term {
  if (from >= items.length) return tail;
  const rest = items.slice(from);
  return Array.isArray(tail) ? rest : new ImproperList(rest, tail);
}

function compareListHeads(a: Term, b: Term, pending: Term[], exact: boolean): 0 {
  const [xi, xt] = listParts(a);
  const [yi, yt] = listParts(b);
  const n = Math.min(xi.length, yi.length);
  pending.push(listRest(xi, n, xt), listRest(yi, n, yt), exact ? 1 : 0);
  pushPairs(pending, xi, yi, n, exact);
  return 0;
}

function compareFuns(a: ErlFun | ExportFun, b: ErlFun | ExportFun, pending: Term[], exact: boolean): -1 | 0 | 1 {
  if (a instanceof ExportFun || b instanceof ExportFun) {
    if (!(a instanceof ExportFun)) return -1;
    if (!(b instanceof ExportFun)) return 1;
    return compareAtoms(a.module, b.module) || compareAtoms(a.function, b.function) || sign(a.arity - b.arity);
  }
  const c =
    compareAtoms(a.module, b.module) ||
    sign(a.oldIndex - b.oldIndex) ||
    sign(a.oldUniq - b.oldUniq) ||
    sign(a.freeVars.length - b.freeVars.length);
  if (c !== 0) return c;
  pushPairs(pending, a.freeVars, b.freeVars, a.freeVars.length, exact);
  return 0;
}

function compareWith(a: Term, b: Term, exact: boolean): -1 | 0 | 1 {
  // Scalars, the usual map keys, need no work stack.
  if (a instanceof Atom && b instanceof Atom) return compareAtoms(a, b);
  if (typeof a === "number" && typeof b === "number" && (!exact || Number.isInteger(a) === Number.isInteger(b))) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const pending: Term[] = [a, b, exact ? 1 : 0];
  while (pending.length > 0) {
    const ex = pending.pop() === 1;
    const y = pending.pop()!;
    const x = pending.pop()!;
    if (x === y) continue;
    const kx = kindOf(x);
    const ky = kindOf(y);
    if (kx !== ky) return kx < ky ? -1 : 1;
    const c = compareShallow(x, y, kx, ex, pending);
    if (c !== 0) return c;
  }
  return 0;
}

/** Erlang term order: negative, zero or positive like `a < b`, `a == b`, `a > b` (1 == 1.0). */
export function compare(a: Term, b: Term): -1 | 0 | 1 {
  return compareWith(a, b, false);
}

/** Map-key order: term order where every integer sorts before every float, and 1 and 1.0 differ. */
export function compareMapKeys(a: Term, b: Term): -1 | 0 | 1 {
  return compareWith(a, b, true);
}

/** Exact equality, Erlang's `=:=`: 1 and 1.0 differ, a JS string equals the binary of its UTF-8 bytes. */
export function equals(a: Term, b: Term): boolean {
  if (a === b) return true;
  const pending: Term[] = [a, b, 1];
  while (pending.length > 0) {
    pending.pop();
    const y = pending.pop()!;
    const x = pending.pop()!;
    if (x === y) continue;
    const kx = kindOf(x);
    if (kx !== kindOf(y)) return false;
    if (kx === Kind.Number) {
      if (!sameNumber(x, y)) return false;
      continue;
    }
    if (kx === Kind.Map) {
      if (!pushMapEquality(x as ErlMap, y as ErlMap, pending)) return false;
      continue;
    }
    if (kx === Kind.Ref) {
      if (!sameRef(x as Ref, y as Ref)) return false;
      continue;
    }
    if (kx === Kind.Fun && x instanceof ErlFun && y instanceof ErlFun) {
      if (!sameFunCode(x, y)) return false;
      pending.push(x.pid, y.pid, 1);
    }
    if (compareShallow(x, y, kx, true, pending) !== 0) return false;
  }
  return true;
}

function sameNumber(a: Term, b: Term): boolean {
  const fa = isFloat(a);
  if (fa !== isFloat(b)) return false;
  const x = numValue(a);
  const y = numValue(b);
  if (fa) return Object.is(x, y);
  return typeof x === typeof y ? x === y : BigInt(x) === BigInt(y);
}

function sameRef(a: Ref, b: Ref): boolean {
  return a.node === b.node && a.creation === b.creation && compareWords(a.ids, b.ids) === 0;
}

/** The parts of a local fun that term order ignores but equality must not. */
function sameFunCode(a: ErlFun, b: ErlFun): boolean {
  if (a.arity !== b.arity || a.index !== b.index) return false;
  for (let i = 0; i < 16; i++) if (a.uniq[i] !== b.uniq[i]) return false;
  return true;
}

function pushMapEquality(a: ErlMap, b: ErlMap, pending: Term[]): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    if (!b.has(k)) return false;
    pending.push(v, b.get(k)!, 1);
  }
  return true;
}

// ---- Hash -----------------------------------------------------------------------------------------

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h << 13) | (h >>> 19);
}

function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return mix(h, s.length);
}

function mixBytes(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = mix(h, bytes[i]!);
  return mix(h, bytes.length);
}

const floatScratch = new Float64Array(1);
const floatWords = new Int32Array(floatScratch.buffer);

function mixNumber(h: number, t: Term): number {
  if (isFloat(t)) {
    floatScratch[0] = numValue(t) as number;
    return mix(mix(mix(h, 0xf1), floatWords[0]!), floatWords[1]!);
  }
  const v = t as Num;
  if (typeof v === "number" || (v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER)) {
    const n = Number(v);
    return mix(mix(mix(h, 0x17), n | 0), Math.floor(n / 4294967296) | 0);
  }
  return mixString(mix(h, 0xb1), v.toString(16));
}

/** A 32-bit hash consistent with `equals`: equal terms hash alike. */
export function hash(t: Term): number {
  let h = 0x2545f491;
  const pending: Term[] = [t];
  while (pending.length > 0) {
    const x = pending.pop()!;
    const kind = kindOf(x);
    h = mix(h, kind);
    switch (kind) {
      case Kind.Number:
        h = mixNumber(h, x);
        break;
      case Kind.Atom:
        h = mixString(h, asAtom(x).name);
        break;
      case Kind.Bits:
        if (x instanceof BitString) h = mix(mixBytes(h, x.bytes), x.bits);
        else h = mixBytes(h, binaryBytes(x as string | Uint8Array));
        break;
      case Kind.Nil:
        break;
      case Kind.List: {
        const [items, tail] = listParts(x);
        // A list hashes as its cells, so [a | [b]] and [a, b] agree.
        for (let i = items.length - 1; i >= 0; i--) pending.push(items[i]!);
        pending.push(tail);
        h = mix(h, items.length);
        break;
      }
      case Kind.Tuple:
        h = mix(h, (x as Tuple).size);
        for (const e of (x as Tuple).elements) pending.push(e);
        break;
      case Kind.Map: {
        // Order-independent: sum of per-entry hashes.
        let sum = 0;
        for (const [k, v] of x as ErlMap) sum = (sum + mix(hash(k), hash(v))) | 0;
        h = mix(h, sum);
        break;
      }
      default:
        h = hashIdentifier(h, x, pending);
    }
  }
  return h >>> 0;
}

function hashIdentifier(h: number, x: Term, pending: Term[]): number {
  if (x instanceof Pid) return mix(mix(mix(mixString(h, x.node.name), x.id), x.serial), x.creation);
  if (x instanceof Port) return mix(mixString(mixString(h, x.node.name), String(x.id)), x.creation);
  if (x instanceof Ref) {
    let n = x.ids.length;
    while (n > 0 && x.ids[n - 1] === 0) n--;
    h = mix(mixString(h, x.node.name), x.creation);
    for (let i = 0; i < n; i++) h = mix(h, x.ids[i]!);
    return h;
  }
  if (x instanceof ExportFun) return mix(mixString(mixString(h, x.module.name), x.function.name), x.arity);
  const f = x as ErlFun;
  for (const v of f.freeVars) pending.push(v);
  return mix(mix(mix(mixString(h, f.module.name), f.oldIndex), f.oldUniq), f.freeVars.length);
}
