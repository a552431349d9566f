// Rejected inputs: bytes binary_to_term refuses with badarg (our decoder must throw an ETF_* OtterError for each).
import { atomBytes, type BytesSpec, bytes, u16, u32, zlibOf } from "../spec.ts";

/** A canonical term whose every proper prefix is a truncated input. */
const WHOLE = bytes(
  131,
  104,
  4,
  atomBytes("ok"),
  109,
  u32(3),
  "abc",
  108,
  u32(2),
  97,
  1,
  98,
  u32(1000),
  atomBytes("x"),
  70,
  0x3f,
  0xf0,
  0,
  0,
  0,
  0,
  0,
  0,
);

export function rejectedSpecs(): BytesSpec[] {
  const cases: [string, Uint8Array][] = [
    ["empty", bytes()],
    ["version-only", bytes(131)],
    ["bad-version-130", bytes(130, 97, 1)],
    ["bad-version-0", bytes(0)],
    ["unknown-tag-1", bytes(131, 1)],
    ["unknown-tag-255", bytes(131, 255)],
    ["unknown-tag-200", bytes(131, 200, 0)],
    ["atom-cache-ref-outside-dist", bytes(131, 82, 0)],
    ["map-duplicate-keys", bytes(131, 116, u32(2), 97, 1, 97, 1, 97, 1, 97, 2)],
    ["map-duplicate-atom-keys", bytes(131, 116, u32(2), atomBytes("a"), 97, 1, atomBytes("a"), 97, 2)],
    ["map-count-past-input", bytes(131, 116, u32(0xffff_ffff), 97, 1, 97, 2)],
    ["bit-binary-0-bits-nonempty", bytes(131, 77, u32(1), 0, 0xff)],
    ["bit-binary-9-bits", bytes(131, 77, u32(1), 9, 0xff)],
    ["bit-binary-bits-no-bytes", bytes(131, 77, u32(0), 3)],
    ["bit-binary-empty-8-bits", bytes(131, 77, u32(0), 8)],
    ["binary-length-past-input", bytes(131, 109, u32(10), 1, 2, 3)],
    ["binary-length-4GiB", bytes(131, 109, u32(0xffff_ffff))],
    ["string-length-past-input", bytes(131, 107, u16(5), 1, 2)],
    ["list-length-past-input", bytes(131, 108, u32(0xffff_ffff), 97, 1)],
    ["list-missing-tail", bytes(131, 108, u32(1), 97, 1)],
    ["tuple-arity-past-input", bytes(131, 105, u32(0xffff_ffff))],
    ["small-tuple-missing-element", bytes(131, 104, 2, 97, 1)],
    ["atom-256-chars", bytes(131, 118, u16(256), new Uint8Array(256).fill(0x61))],
    ["atom-latin1-256-chars", bytes(131, 100, u16(256), new Uint8Array(256).fill(0x61))],
    ["atom-bad-utf8", bytes(131, 119, 1, 0xff)],
    ["atom-truncated-utf8", bytes(131, 119, 1, 0xc3)],
    ["atom-overlong-utf8", bytes(131, 119, 2, 0xc0, 0x80)],
    ["atom-surrogate-utf8", bytes(131, 119, 3, 0xed, 0xa0, 0x80)],
    ["float-nan", bytes(131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0)],
    ["float-infinity", bytes(131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0)],
    ["float-ext-garbage", bytes(131, 99, Buffer.from("not a float".padEnd(31, "\0"), "latin1"))],
    ["small-big-truncated", bytes(131, 110, 4, 0, 1, 2)],
    ["large-big-length-past-input", bytes(131, 111, u32(0xffff_ffff), 0, 1)],
    ["ref-6-words", bytes(131, 90, u16(6), atomBytes("a@b"), u32(1), u32(1), u32(2), u32(3), u32(4), u32(5), u32(6))],
    ["pid-node-not-atom", bytes(131, 88, 97, 1, u32(1), u32(2), u32(3))],
    ["export-arity-not-integer", bytes(131, 113, atomBytes("m"), atomBytes("f"), atomBytes("a"))],
    ["compressed-bad-zlib", bytes(131, 80, u32(10), 1, 2, 3, 4, 5)],
    ["compressed-size-mismatch", bytes(131, 80, u32(3), zlibOf([97, 1]))],
    [
      "compressed-bad-checksum",
      bytes(
        131,
        80,
        u32(2),
        zlibOf([97, 1]).map((b, i, all) => (i === all.length - 1 ? b ^ 1 : b)),
      ),
    ],
    ["compressed-nested", bytes(131, 104, 1, 80, u32(2), zlibOf([97, 1]))],
    ["version-inside-term", bytes(131, 104, 1, 131, 97, 1)],
  ];
  for (let length = 1; length < WHOLE.length; length++) {
    cases.push([`truncated-${length}-of-${WHOLE.length}`, WHOLE.subarray(0, length)]);
  }
  return cases.map(([id, input]) => ({ id: `rejected/${id}`, category: "rejected", input, expect: "rejected" }));
}
