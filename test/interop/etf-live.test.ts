// Our ETF codec and term order against a live erl: fixture in sync, random terms, BEAM's sort, a million deep.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import {
  compare,
  decode,
  ErlFun,
  ErlMap,
  encode,
  equals,
  ImproperList,
  map,
  type Term,
  Tuple,
} from "../../src/index.ts";
import { format } from "../../src/term/format.ts";
import { ErlOracle } from "../../src/testing/index.ts";
import { arbTerm, arbTermList } from "../support/arbitraries.ts";
import { assertBytes } from "../support/bytes.ts";
import { showTermsInCounterexamples } from "../support/show.ts";
import { buildVector } from "./golden/build.ts";
import { catalog, prepareOracle } from "./golden/catalog.ts";
import { fromHex, loadVectors, type Vector } from "./golden/vector.ts";

let oracle: ErlOracle;
showTermsInCounterexamples();

before(async () => {
  // No skip when erl is missing: the start error says so and how to install it, and every test fails.
  oracle = await ErlOracle.start({ timeoutMs: 60_000 });
  await prepareOracle(oracle);
});

after(async () => {
  await oracle?.stop();
});

/** True when the term holds a map of more than 32 keys (BEAM orders those by hash). */
function hasLargeMap(term: Term): boolean {
  const stack: Term[] = [term];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (Array.isArray(t)) stack.push(...t);
    else if (t instanceof Tuple) stack.push(...t.elements);
    else if (t instanceof ImproperList) stack.push(...t.items, t.tail);
    else if (t instanceof ErlFun) stack.push(...t.freeVars);
    else if (t instanceof ErlMap) {
      if (t.isLarge) return true;
      stack.push(...t.keys(), ...t.values());
    }
  }
  return false;
}

describe("golden generator in sync with erl", () => {
  it("a sample of the catalog regenerates exactly as vectors.json holds it", async () => {
    const fixture = new Map(loadVectors().vectors.map((v) => [v.id, v]));
    const specs = catalog();
    // Every 5th spec, and every identifier (funs depend on the compiler, remote ids on BEAM's rules).
    const sample = specs.filter((s, i) => i % 5 === 0 || s.category === "identifier");
    for (const spec of sample) {
      const live = await buildVector(oracle, spec);
      const recorded = fixture.get(spec.id);
      assert.ok(recorded !== undefined, `${spec.id} is not in vectors.json: rerun \`npm run golden\``);
      if (live.largeMap) {
        // Hash order of atom keys depends on the atom table (atom indexes), so only the terms must agree.
        assert.ok(equals(decode(fromHex(live.hex!)), decode(fromHex(recorded.hex!))), `${spec.id} changed`);
        live.hex = recorded.hex;
        if (recorded.text === undefined) delete live.text;
        else live.text = recorded.text;
      }
      const changed = Object.keys({ ...live, ...recorded }).filter(
        (key) => JSON.stringify(live[key as keyof Vector]) !== JSON.stringify(recorded[key as keyof Vector]),
      );
      assert.deepEqual(changed, [], `${spec.id} changed in ${changed.join(", ")}: rerun \`npm run golden\``);
    }
    assert.equal(fixture.size, specs.length, "vectors.json and the catalog list different vectors: `npm run golden`");
  });
});

describe("random terms through erl", () => {
  it("binary_to_term then term_to_binary in erl gives back exactly our bytes (300 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(arbTerm({ maxDepth: 3 }), async (term) => {
        const bytes = encode(term);
        const result = await oracle.roundTrip(bytes);
        assert.ok(result.ok, "erl's binary_to_term raised badarg on our bytes");
        assertBytes(result.bytes, bytes, "erl's re-encoding of our bytes");
        assert.ok(equals(decode(result.bytes), term), "decode(erl's bytes) differs from the term");
      }),
      { numRuns: 300 },
    );
  });

  it("maps over 32 keys survive erl as the same term (100 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(arbTerm({ maxDepth: 2, largeMaps: true }), async (term) => {
        const result = await oracle.roundTrip(encode(term));
        assert.ok(result.ok, "erl's binary_to_term raised badarg on our bytes");
        if (!hasLargeMap(term)) assertBytes(result.bytes, encode(term), "erl's re-encoding of our bytes");
        assert.ok(equals(decode(result.bytes), term), "decode(erl's bytes) differs from the term");
      }),
      { numRuns: 100 },
    );
  });

  it("compressed encodings decode in erl to the same term (50 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(arbTerm({ maxDepth: 3 }), fc.constantFrom(true, 1, 9), async (term, level) => {
        const result = await oracle.roundTrip(encode(term, { compressed: level }));
        assert.ok(result.ok, "erl's binary_to_term raised badarg on our compressed bytes");
        assertBytes(result.bytes, encode(term), "erl's re-encoding of our compressed bytes");
      }),
      { numRuns: 50 },
    );
  });

  it("local pids, refs and ports made by erl re-encode byte for byte", async () => {
    const bytes = await oracle.eval(
      "{self(), make_ref(), hd(erlang:ports()), [spawn(fun() -> ok end) || _ <- [1, 2]]}",
    );
    assertBytes(encode(decode(bytes)), bytes, "encode(decode(local identifiers))");
  });
});

describe("term order against BEAM's lists:sort", () => {
  it("our sort with compare agrees with erl's (200 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(arbTermList({ maxDepth: 2, largeMaps: true }, 25), async (list) => {
        const theirs = decode(await oracle.sort(encode(list))) as Term[];
        const ours = [...list].sort(compare);
        assert.equal(theirs.length, ours.length);
        // Terms that compare equal (1 and 1.0) may come in either order: compare positions, not identities.
        for (let i = 0; i < ours.length; i++) {
          const where = `position ${i} differs:\n  ours   ${format(ours)}\n  erl's  ${format(theirs)}`;
          assert.equal(compare(ours[i]!, theirs[i]!), 0, where);
        }
        for (let i = 1; i < theirs.length; i++) {
          assert.ok(compare(theirs[i - 1]!, theirs[i]!) <= 0, `erl's order puts ${i - 1} after ${i} by our compare`);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("erl accepts what we encode, at size", () => {
  /** `[[[…]]]` or `{{{…}}}` nested `depth` deep, built without recursion. */
  function nested(depth: number, wrap: (t: Term) => Term): Term {
    let t: Term = [];
    for (let i = 0; i < depth; i++) t = wrap(t);
    return t;
  }

  it("a list nested 1,000,000 deep", async () => {
    const bytes = encode(nested(1_000_000, (t) => [t]));
    const result = await oracle.roundTrip(bytes);
    assert.ok(result.ok, "erl's binary_to_term raised badarg");
    assertBytes(result.bytes, bytes, "erl's re-encoding");
    assertBytes(encode(decode(bytes)), bytes, "encode(decode(bytes))");
  });

  it("a tuple nested 1,000,000 deep, and a mixed list-tuple-map nesting", async () => {
    for (const term of [
      nested(1_000_000, (t) => new Tuple([t])),
      nested(200_000, (t) => [new Tuple([map([[1, t]])])]),
    ]) {
      const bytes = encode(term);
      const result = await oracle.roundTrip(bytes);
      assert.ok(result.ok, "erl's binary_to_term raised badarg");
      assertBytes(result.bytes, bytes, "erl's re-encoding");
    }
  });

  it("a 10 MB binary and a list of 100,000 integers", async () => {
    const binary = Buffer.alloc(10 * 1_048_576, 7);
    const list = Array.from({ length: 100_000 }, (_, i) => i * 1000);
    for (const term of [binary, list]) {
      const bytes = encode(term);
      const result = await oracle.roundTrip(bytes);
      assert.ok(result.ok, "erl's binary_to_term raised badarg");
      assertBytes(result.bytes, bytes, "erl's re-encoding");
    }
  });
});
