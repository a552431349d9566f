// TermMap: a JS Map keyed by term equality, checked against an association list compared with `equals`, with keys
// looked up through equal terms of other JS shapes (a decoded copy: fresh tuples, a string's UTF-8 bytes).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { atom, decode, encode, equals, Float, type Term, tuple } from "../../../src/index.ts";
import { TermMap } from "../../../src/term/term-map.ts";
import { arbTerm } from "../../support/arbitraries.ts";

type Op = {
  readonly op: "set" | "delete" | "get";
  readonly key: number;
  readonly copy: boolean;
  readonly value: number;
};

describe("TermMap", () => {
  test("behaves as an association list by term equality, whatever JS shape an equal key has", () => {
    fc.assert(
      fc.property(
        fc.array(arbTerm({ strings: true, maxDepth: 2 }), { minLength: 1, maxLength: 8 }),
        fc.array(
          fc.record({
            op: fc.constantFrom("set", "delete", "get"),
            key: fc.nat(),
            copy: fc.boolean(),
            value: fc.integer(),
          }),
          { maxLength: 40 },
        ),
        (keys: Term[], ops: Op[]) => {
          const copies = keys.map((k) => decode(encode(k)));
          const map = new TermMap<number>();
          const model: [Term, number][] = [];
          for (const { op, key, copy, value } of ops) {
            const k = (copy ? copies : keys)[key % keys.length]!;
            const at = model.findIndex(([m]) => equals(m, k));
            if (op === "set") {
              map.set(k, value);
              if (at >= 0) model[at]![1] = value;
              else model.push([k, value]);
            } else if (op === "delete") {
              assert.equal(map.delete(k), at >= 0);
              if (at >= 0) model.splice(at, 1);
            } else {
              assert.equal(map.get(k), at >= 0 ? model[at]![1] : undefined);
              assert.equal(map.has(k), at >= 0);
            }
            assert.equal(map.size, model.length);
          }
          const entries = [...map];
          assert.equal(entries.length, model.length);
          for (const [k, v] of entries) assert.equal(model.find(([m]) => equals(m, k))?.[1], v);
        },
      ),
    );
  });

  test("keeps apart what equality keeps apart, and joins what it joins", () => {
    const map = new TermMap<string>();
    map.set(1, "integer").set(new Float(1), "float").set(atom("k"), "atom").set("k", "binary").set(true, "true");
    map.set(tuple(atom("room"), 1), "tuple").set("\ud800", "lone surrogate");
    assert.equal(map.size, 7);
    assert.equal(map.get(new Float(1)), "float");
    assert.equal(map.get(1n), "integer");
    assert.equal(map.get(Buffer.from("k")), "binary");
    assert.equal(map.get(atom("true")), "true");
    assert.equal(map.get(tuple(atom("room"), 1)), "tuple");
    assert.equal(map.get(new Uint8Array([0xef, 0xbf, 0xbd])), "lone surrogate", "a lone surrogate encodes as U+FFFD");
    assert.equal(map.get(new Uint8Array([0xff])), undefined, "bytes that are no UTF-8 equal no string");
    map.clear();
    assert.equal(map.size, 0);
    assert.equal(map.get(1), undefined);
  });
});
