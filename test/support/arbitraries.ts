// fast-check arbitraries for Erlang terms: every type of the term model, in the canonical shapes decode returns.
//
// "Canonical" matters: an integer is a `number` when safe and a `bigint` only past 2^53, an integral float is a
// `Float` box, a bitstring's unused bits are zero, booleans are JS booleans. Then `decode(encode(t))` can be
// compared with `equals`, and BEAM's re-encoding with our bytes.
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  type Atom,
  atom,
  BitString,
  ErlFun,
  ErlMap,
  ExportFun,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
} from "../../src/index.ts";

export interface TermArbitraryOptions {
  /** Deepest container nesting (default 3). */
  maxDepth?: number;
  /** Most elements of a list, tuple or map (default 6). */
  maxLength?: number;
  /** Also maps of 33–40 keys, whose wire order is hash-based (default false: every map has ≤ 32 keys). */
  largeMaps?: boolean;
  /** Also JS strings, which encode as UTF-8 binaries and decode as bytes (default false). */
  strings?: boolean;
  /** Pids, refs and ports (default true). */
  identifiers?: boolean;
  /** ErlFun and ExportFun (default true). */
  funs?: boolean;
}

const U32 = 0xffff_ffff;

/** A bigint as decode returns it: a number when safe. */
export function canonicalInteger(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Integers of every encoding: small, 32-bit, safe, around 2^k for k up to 2100 (past LARGE_BIG's threshold). */
export const arbInteger: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(canonicalInteger),
  fc
    .tuple(fc.integer({ min: 26, max: 2100 }), fc.bigInt({ min: -2n, max: 2n }), fc.boolean())
    .map(([k, d, negative]) => canonicalInteger(((1n << BigInt(k)) + d) * (negative ? -1n : 1n))),
);

/** Floats: non-integral ones as `number`, integral ones (and -0.0) boxed in `Float`. */
export const arbFloat: fc.Arbitrary<number | Float> = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.constantFrom(0.1, -0.0, 5e-324, 2.2250738585072014e-308, 1e308, 2 ** 53, 2 ** 53 + 2, 1e15),
  )
  .map((x) => (Number.isInteger(x) ? new Float(x) : x));

const atomName = fc.oneof(
  fc.constantFrom("ok", "error", "a", "", "undefined", "nil", "ä", "😀", "日本", "EXIT", "with space", "x".repeat(255)),
  fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom("ä", "😀", "ÿ").map((c) => c.repeat(255)),
);

/** Numbers that compare equal across types (1 == 1.0, 0 == -0.0): where term order and exact equality part. */
export const arbClashingNumber: fc.Arbitrary<number | Float> = fc.constantFrom(
  0,
  1,
  -1,
  new Float(0),
  new Float(-0),
  new Float(1),
  new Float(-1),
);

/** Atoms (never 'true'/'false': those are JS booleans), ASCII and Unicode, up to 255 characters. */
export const arbAtom: fc.Arbitrary<Atom> = atomName
  .filter((name) => name !== "true" && name !== "false" && name.isWellFormed() && [...name].length <= 255)
  .map(atom);

/** Binaries around the 64-byte view threshold, and a few kilobytes. */
export const arbBinary: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 16 }), weight: 4 },
  { arbitrary: fc.uint8Array({ minLength: 60, maxLength: 70 }), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 3000 }), weight: 1 },
);

/** Bitstrings of 1–7 trailing bits, unused bits zero (as BEAM writes them). */
export const arbBitString: fc.Arbitrary<BitString> = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 70 }), fc.integer({ min: 1, max: 7 }))
  .map(([bytes, bits]) => {
    const copy = Uint8Array.from(bytes);
    copy[copy.length - 1]! &= (0xff << (8 - bits)) & 0xff;
    return new BitString(copy, bits);
  });

/** Remote node names (never nonode@nohost, which erl would take for itself). */
export const arbNode: fc.Arbitrary<Atom> = fc
  .oneof(
    fc.constantFrom("other@host", "a@b", "ä@höst", "node1@127.0.0.1"),
    fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/), fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/))
      .map(([name, host]) => `${name}@${host}`),
  )
  .map(atom);

const u32 = fc.integer({ min: 0, max: U32 });
const creation = fc.oneof(fc.constantFrom(0, 1, 3, U32), u32);

/** Pids of remote nodes with any 32-bit id, serial and creation. */
export const arbPid: fc.Arbitrary<Pid> = fc
  .tuple(arbNode, u32, u32, creation)
  .map(([node, id, serial, c]) => new Pid(node, id, serial, c));

/** References of remote nodes, 1–5 words. */
export const arbRef: fc.Arbitrary<Ref> = fc
  .tuple(arbNode, creation, fc.array(u32, { minLength: 1, maxLength: 5 }))
  .map(([node, c, ids]) => new Ref(node, c, ids));

/** Ports of remote nodes: 28-bit ids (NEW_PORT_EXT) and up to 64 bits (V4_PORT_EXT). */
export const arbPort: fc.Arbitrary<Port> = fc
  .tuple(
    arbNode,
    fc.oneof(
      fc.integer({ min: 0, max: 2 ** 28 - 1 }),
      fc.constantFrom(2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1, 2 ** 32, 2n ** 53n, 2n ** 64n - 1n),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(canonicalInteger),
    ),
    creation,
  )
  .map(([node, id, c]) => new Port(node, id, c));

/** External funs `fun M:F/A`. */
export const arbExportFun: fc.Arbitrary<ExportFun> = fc
  .tuple(arbAtom, arbAtom, fc.integer({ min: 0, max: 255 }))
  .map(([m, f, a]) => new ExportFun(m, f, a));

/**
 * Local funs. BEAM keeps one fun entry per (module, old uniq, old index), so every field here is derived from
 * (module, index, arity): two funs that share the entry's key are then the same fun, as in real code.
 */
export function arbErlFun(freeVar: fc.Arbitrary<Term>): fc.Arbitrary<ErlFun> {
  return fc
    .tuple(
      fc.constantFrom("mod_a", "mod_b", "otter_fun_ä"),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 255 }),
      arbPid,
      fc.array(freeVar, { maxLength: 3 }),
    )
    .map(([module, index, arity, pid, freeVars]) => {
      const uniq = createHash("md5").update(`${module}/${index}/${arity}`).digest();
      const oldUniq = uniq.readUInt32BE(0) & 0x7ff_ffff;
      return new ErlFun(atom(module), arity, uniq, index, index, oldUniq, pid, freeVars);
    });
}

/** `[items… | tail]` with a tail that is itself improper merged in: `[a | [b | c]]` is `[a, b | c]`. */
function improper(items: Term[], tail: Term): ImproperList {
  return tail instanceof ImproperList
    ? new ImproperList([...items, ...tail.items], tail.tail)
    : new ImproperList(items, tail);
}

/** Any term, per `options`. */
export function arbTerm(options: TermArbitraryOptions = {}): fc.Arbitrary<Term> {
  const maxDepth = options.maxDepth ?? 3;
  const maxLength = options.maxLength ?? 6;
  const leaves: fc.Arbitrary<Term>[] = [
    arbInteger,
    arbFloat,
    arbClashingNumber,
    arbAtom,
    fc.boolean(),
    arbBinary,
    arbBitString,
  ];
  if (options.strings) leaves.push(fc.string({ maxLength: 20 }));
  if (options.identifiers ?? true) leaves.push(arbPid, arbRef, arbPort);
  if (options.funs ?? true) leaves.push(arbExportFun);
  const leaf = fc.oneof(...leaves);

  const { term } = fc.letrec<{ term: Term }>((tie) => {
    const sub = tie("term");
    const containers: fc.Arbitrary<Term>[] = [
      fc.array(sub, { maxLength }),
      fc
        .tuple(fc.array(sub, { minLength: 1, maxLength }), sub)
        .filter(([, tail]) => !Array.isArray(tail))
        .map(([items, tail]) => improper(items, tail)),
      fc.array(sub, { maxLength }).map((elements) => new Tuple(elements)),
      fc.array(fc.tuple(sub, sub), { maxLength }).map((entries) => new ErlMap(entries)),
      // Small maps over a few clashing keys: map order compares keys as integers-before-floats.
      fc
        .array(fc.tuple(fc.oneof(arbClashingNumber, fc.constantFrom(atom("a"), atom("b"))), sub), { maxLength: 4 })
        .map((entries) => new ErlMap(entries)),
    ];
    if (options.largeMaps) {
      containers.push(
        fc
          .uniqueArray(fc.integer({ min: -100, max: 100 }), { minLength: 33, maxLength: 40 })
          .chain((keys) =>
            fc.tuple(fc.constant(keys), fc.array(leaf, { minLength: keys.length, maxLength: keys.length })),
          )
          .map(([keys, values]) => new ErlMap(keys.map((k, i) => [k, values[i]!] as const))),
      );
    }
    if (options.funs ?? true) containers.push(arbErlFun(sub));
    return {
      term: fc.oneof(
        { maxDepth, depthIdentifier: "term", depthSize: "small" },
        { arbitrary: leaf, weight: 3 },
        ...containers.map((arbitrary) => ({ arbitrary, weight: 1 })),
      ),
    };
  });
  return term;
}

/** A list of terms (for sorting against BEAM's order). */
export function arbTermList(options: TermArbitraryOptions = {}, maxLength = 20): fc.Arbitrary<Term[]> {
  return fc.array(arbTerm(options), { maxLength });
}
