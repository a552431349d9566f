// Decoder behaviour that golden vectors cannot show: chunked input, views vs copies, options, and every error code.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateSync } from "node:zlib";
import {
  Atom,
  atom,
  decode,
  decodePrefix,
  EtfDecodeError,
  encode,
  equals,
  ImproperList,
  OtterError,
  type Term,
  type Tuple,
  tuple,
} from "../../../../src/index.ts";

function bytes(...b: number[]): Buffer {
  return Buffer.from(b);
}

function rejects(
  input: Uint8Array | Uint8Array[],
  code: string | string[],
  options?: Parameters<typeof decode>[1],
): void {
  const codes = typeof code === "string" ? [code] : code;
  assert.throws(
    () => decode(input, options),
    (e: unknown) => e instanceof EtfDecodeError && e instanceof OtterError && codes.includes(e.code),
    `expected ${codes.join(" or ")}`,
  );
}

/** Every way of cutting `b` into two and three chunks. */
function* splits(b: Buffer): Generator<Buffer[]> {
  for (let i = 0; i <= b.length; i++) {
    yield [b.subarray(0, i), b.subarray(i)];
    for (let j = i; j <= b.length; j += 3) yield [b.subarray(0, i), b.subarray(i, j), b.subarray(j)];
  }
}

const sample: Term = tuple(
  atom("ok"),
  -123456789,
  1n << 70n,
  0.25,
  "héllo",
  [1, 2, 300],
  new ImproperList([atom("a")], atom("b")),
  Buffer.alloc(70, 9),
);

describe("decode: chunked input", () => {
  test("every split into 2 or 3 chunks gives the same term", () => {
    const b = encode(sample);
    for (const chunks of splits(b)) assert.ok(equals(decode(chunks), sample), `split ${chunks.map((c) => c.length)}`);
  });

  test("a truncated chunk list fails at every cut (truncated, or a length longer than what is left)", () => {
    const b = encode(sample);
    for (let i = 1; i < b.length; i++) {
      rejects([b.subarray(0, i >> 1), b.subarray(i >> 1, i)], ["ETF_TRUNCATED", "ETF_BAD_LENGTH"]);
    }
  });

  test("empty chunks are skipped", () => {
    const b = encode(sample);
    const chunks = [Buffer.alloc(0), b.subarray(0, 3), Buffer.alloc(0), Buffer.alloc(0), b.subarray(3)];
    assert.ok(equals(decode(chunks), sample));
  });
});

describe("decode: binaries", () => {
  test("a binary of 64 bytes or more inside one chunk is a view of the input", () => {
    const input = encode(Buffer.alloc(64, 1));
    const out = decode(input) as Uint8Array;
    assert.equal(out.buffer, input.buffer);
    assert.equal(out.byteOffset, input.byteOffset + 6);
  });

  test("a binary under 64 bytes is a copy: it does not change with the input", () => {
    const input = encode(Buffer.alloc(63, 1));
    const out = decode(input) as Uint8Array;
    input.fill(2, 6);
    assert.deepEqual(out, new Uint8Array(63).fill(1));
  });

  test("decoded binaries are plain Uint8Arrays, copies and views alike", () => {
    for (const size of [0, 5, 63, 64, 1000]) {
      const out = decode(encode(Buffer.alloc(size, 7))) as Uint8Array;
      assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
      assert.deepEqual(out, new Uint8Array(size).fill(7));
    }
  });

  test("short copies do not share bytes with one another", () => {
    const a = decode(encode(Buffer.from("abc"))) as Uint8Array;
    const b = decode(encode(Buffer.from("xyz"))) as Uint8Array;
    a.fill(0);
    assert.deepEqual(b, new Uint8Array(Buffer.from("xyz")));
  });

  test("a binary spanning chunks is copied once, whole", () => {
    const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const input = encode(payload);
    const out = decode([input.subarray(0, 300), input.subarray(300, 700), input.subarray(700)]) as Uint8Array;
    assert.deepEqual(out, new Uint8Array(payload));
  });

  test("viewThreshold moves the view/copy boundary", () => {
    const input = encode(Buffer.alloc(10, 1));
    assert.equal((decode(input, { viewThreshold: 8 }) as Uint8Array).buffer, input.buffer);
  });
});

describe("decode: options", () => {
  test("safe refuses unknown atoms and accepts known ones", () => {
    const name = `never_seen_${process.pid}_${Date.now()}`;
    const b = Buffer.concat([bytes(131, 119, name.length), Buffer.from(name)]);
    rejects(b, "ETF_UNSAFE_ATOM", { safe: true });
    assert.equal(decode(encode(atom("ok")), { safe: true }), atom("ok"));
  });

  test("atom cache references resolve through the table passed in", () => {
    const refs = [atom("zero"), atom("one")];
    assert.equal(decode(bytes(131, 82, 1), { atomCacheRefs: refs }), atom("one"));
    rejects(bytes(131, 82, 2), "ETF_ATOM_CACHE_REF", { atomCacheRefs: refs });
    rejects(bytes(131, 82, 0), "ETF_ATOM_CACHE_REF");
  });

  test("unversioned payloads and decodePrefix read consecutive terms", () => {
    const control = encode(tuple(2, atom("x")), { versioned: false });
    const message = encode("hi", { versioned: false });
    const frame = Buffer.concat([control, message]);
    const first = decodePrefix(frame, { versioned: false });
    assert.ok(equals(first.term, tuple(2, atom("x"))));
    assert.equal(first.end, control.length);
    const second = decodePrefix([frame.subarray(0, 5), frame.subarray(5)], { versioned: false, offset: first.end });
    assert.ok(equals(second.term, "hi"));
    assert.equal(second.end, frame.length);
  });

  test("maxDepth bounds nesting", () => {
    const b = encode([[[[atom("x")]]]]);
    assert.ok(equals(decode(b, { maxDepth: 4 }), [[[[atom("x")]]]]));
    rejects(b, "ETF_TOO_DEEP", { maxDepth: 3 });
  });
});

describe("decode: compressed terms", () => {
  const term = Array.from({ length: 200 }, () => atom("repeat"));

  test("inflates, also when the compressed bytes span chunks", () => {
    const b = encode(term, { compressed: 9 });
    assert.equal(b[1], 80);
    assert.ok(equals(decode(b), term));
    assert.ok(equals(decode([b.subarray(0, 4), b.subarray(4, 9), b.subarray(9)]), term));
  });

  test("a declared size that differs from the inflated size is refused", () => {
    const body = encode(term).subarray(1);
    const z = deflateSync(body);
    const lie = (n: number) => Buffer.concat([bytes(131, 80, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255), z]);
    rejects(lie(body.length + 1), "ETF_BAD_COMPRESSED");
    rejects(lie(body.length - 1), "ETF_BAD_COMPRESSED");
    rejects(lie(body.length), "ETF_BAD_COMPRESSED", { maxInflatedSize: body.length - 1 });
  });

  test("a zip bomb stops at its declared size, and a huge declared size is refused up front", () => {
    const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024));
    rejects(Buffer.concat([bytes(131, 80, 0, 0, 0, 100), bomb]), "ETF_BAD_COMPRESSED");
    rejects(Buffer.concat([bytes(131, 80, 0x20, 0, 0, 0), bomb]), "ETF_BAD_COMPRESSED");
  });

  test("compressed is allowed only at the top level", () => {
    rejects(bytes(131, 104, 1, 80, 0, 0, 0, 1, 0), "ETF_BAD_TAG");
  });
});

describe("decode: malformed input gives typed errors", () => {
  const cases: [string, number[], string][] = [
    ["empty input", [], "ETF_TRUNCATED"],
    ["bad version", [130, 97, 1], "ETF_BAD_VERSION"],
    ["unknown tag", [131, 200], "ETF_BAD_TAG"],
    ["LOCAL_EXT is never valid between nodes", [131, 121, 0], "ETF_BAD_TAG"],
    ["truncated integer", [131, 98, 0, 0], "ETF_TRUNCATED"],
    ["list length beyond input", [131, 108, 0xff, 0xff, 0xff, 0xff, 106], "ETF_BAD_LENGTH"],
    ["tuple arity beyond input", [131, 105, 0x7f, 0xff, 0xff, 0xff], "ETF_BAD_LENGTH"],
    ["map size beyond input", [131, 116, 0x10, 0, 0, 0], "ETF_BAD_LENGTH"],
    ["binary length beyond input", [131, 109, 0, 0, 0, 9, 1], "ETF_BAD_LENGTH"],
    ["bignum length beyond input", [131, 111, 0xff, 0xff, 0xff, 0xff, 0], "ETF_BAD_LENGTH"],
    ["duplicate map key", [131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3], "ETF_BAD_VALUE"],
    ["bit count 0 with data", [131, 77, 0, 0, 0, 1, 0, 1], "ETF_BAD_VALUE"],
    ["bit count 9", [131, 77, 0, 0, 0, 1, 9, 1], "ETF_BAD_VALUE"],
    ["bits on an empty bitstring", [131, 77, 0, 0, 0, 0, 3], "ETF_BAD_VALUE"],
    ["NaN float", [131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], "ETF_BAD_VALUE"],
    ["infinite float", [131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], "ETF_BAD_VALUE"],
    ["invalid UTF-8 atom", [131, 119, 2, 0xc3, 0x28], "ETF_BAD_VALUE"],
    ["latin-1 atom over 255 characters", [131, 100, 1, 0, ...Array(256).fill(97)], "ETF_BAD_VALUE"],
    ["pid with a non-atom node", [131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "ETF_BAD_TAG"],
    ["reference with 6 words", [131, 90, 0, 6, 119, 1, 97], "ETF_BAD_VALUE"],
    ["export fun arity not a small integer", [131, 113, 119, 1, 109, 119, 1, 102, 98, 0, 0, 0, 1], "ETF_BAD_TAG"],
    ["FLOAT_EXT with junk text", [131, 99, ...Buffer.from("not a float".padEnd(31, "\0"))], "ETF_BAD_VALUE"],
    ["trailing bytes", [131, 97, 1, 2], "ETF_TRAILING_BYTES"],
  ];
  for (const [name, input, code] of cases) {
    test(name, () => rejects(Buffer.from(input), code));
  }

  test("an error says where it stopped", () => {
    try {
      decode(bytes(131, 104, 2, 97, 1, 200));
      assert.fail("no error");
    } catch (e) {
      assert.ok(e instanceof EtfDecodeError);
      assert.equal(e.offset, 5);
    }
  });

  test("after an error the next decode works (no state leaks)", () => {
    rejects(bytes(131, 108, 0, 0, 0, 2, 104, 2, 97, 1), "ETF_TRUNCATED");
    assert.ok(equals(decode(encode(sample)), sample));
  });
});

describe("decode: shapes BEAM reads but never writes", () => {
  test("a list whose tail is a list flattens", () => {
    // [1 | [2, 3]] written as LIST(1) with a LIST tail.
    const b = bytes(131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 2, 97, 2, 97, 3, 106);
    assert.deepEqual(decode(b), [1, 2, 3]);
  });

  test("an empty LIST_EXT with a non-nil tail is the tail", () => {
    assert.equal(decode(bytes(131, 108, 0, 0, 0, 0, 97, 7)), 7);
  });

  test("unsorted small map keys are sorted, as BEAM does", () => {
    const m = decode(bytes(131, 116, 0, 0, 0, 2, 97, 2, 97, 2, 97, 1, 97, 3));
    assert.deepEqual(encode(m as Term), bytes(131, 116, 0, 0, 0, 2, 97, 1, 97, 3, 97, 2, 97, 2));
  });

  test("booleans decode as JS booleans, other atoms as interned Atom", () => {
    const t = decode(encode(tuple(true, false, atom("true"), atom("x")))) as Tuple;
    assert.deepEqual(t.elements.slice(0, 3), [true, false, true]);
    assert.ok(t.elements[3] instanceof Atom && t.elements[3] === atom("x"));
  });
});

describe("decode: depth", () => {
  test("a list nested a million deep decodes and encodes without stack overflow", () => {
    let deep: Term = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    const b = encode(deep);
    assert.equal(b.length, 1 + 1_000_000 * 6 + 1);
    let back = decode(b);
    let levels = 0;
    while (Array.isArray(back) && back.length === 1) {
      back = back[0]!;
      levels++;
    }
    assert.equal(levels, 1_000_000);
    assert.ok(equals(decode(b), deep));
  });

  test("a tuple nested a million deep round-trips", () => {
    let deep: Term = atom("leaf");
    for (let i = 0; i < 1_000_000; i++) deep = tuple(deep);
    const b = encode(deep);
    assert.deepEqual(encode(decode(b)), b);
  });
});
