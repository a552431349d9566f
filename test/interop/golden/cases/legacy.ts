// Legacy inputs: tags and forms BEAM decodes but never writes, each recorded with what BEAM re-encodes it to.
import { atomBytes, type BytesSpec, bytes, u16, u32, u64, zlibOf } from "../spec.ts";

/** FLOAT_EXT's payload: "%.20e" in 31 bytes, NUL padded. */
function floatExt(text: string): Uint8Array {
  const out = new Uint8Array(31);
  out.set(Buffer.from(text, "latin1"));
  return bytes(131, 99, out);
}

const node = atomBytes("other@host");
const latin1Node = [100, ...u16(10), ...Buffer.from("other@host")];

export function legacySpecs(): BytesSpec[] {
  const cases: [string, Uint8Array, BytesSpec["expect"]][] = [
    ["ATOM_EXT-ok", bytes(131, 100, u16(2), "ok"), "legacy"],
    ["ATOM_EXT-empty", bytes(131, 100, u16(0)), "legacy"],
    ["ATOM_EXT-true", bytes(131, 100, u16(4), "true"), "legacy"],
    ["ATOM_EXT-latin1-ä", bytes(131, 100, u16(1), 0xe4), "legacy"],
    ["ATOM_EXT-latin1-255", bytes(131, 100, u16(255), new Uint8Array(255).fill(0xe4)), "legacy"],
    ["SMALL_ATOM_EXT-ok", bytes(131, 115, 2, "ok"), "legacy"],
    ["SMALL_ATOM_EXT-false", bytes(131, 115, 5, "false"), "legacy"],
    ["SMALL_ATOM_EXT-latin1-ÿ", bytes(131, 115, 1, 0xff), "legacy"],
    ["ATOM_UTF8_EXT-short", bytes(131, 118, u16(2), "ok"), "legacy"],
    ["ATOM_UTF8_EXT-ä", bytes(131, 118, u16(2), "ä"), "legacy"],
    ["FLOAT_EXT-1.0", floatExt("1.00000000000000000000e+00"), "legacy"],
    ["FLOAT_EXT-0.1", floatExt("1.00000000000000005551e-01"), "legacy"],
    ["FLOAT_EXT--2.5", floatExt("-2.50000000000000000000e+00"), "legacy"],
    ["FLOAT_EXT-0.0", floatExt("0.00000000000000000000e+00"), "legacy"],
    ["FLOAT_EXT-1e308", floatExt("1.00000000000000001098e+308"), "legacy"],
    ["PID_EXT", bytes(131, 103, node, u32(42), u32(7), 3), "legacy"],
    ["PID_EXT-latin1-node", bytes(131, 103, latin1Node, u32(1), u32(0), 1), "legacy"],
    ["PORT_EXT", bytes(131, 102, node, u32(5), 2), "legacy"],
    ["NEW_REFERENCE_EXT-3", bytes(131, 114, u16(3), node, 1, u32(1), u32(2), u32(3)), "legacy"],
    ["NEW_REFERENCE_EXT-1", bytes(131, 114, u16(1), node, 2, u32(9)), "legacy"],
    ["REFERENCE_EXT", bytes(131, 101, node, u32(77), 1), "legacy"],
    ["NEW_PID_EXT-latin1-node", bytes(131, 88, latin1Node, u32(1), u32(2), u32(0xffff_ffff)), "legacy"],
    ["NEW_PORT_EXT-latin1-node", bytes(131, 89, latin1Node, u32(5), u32(0xffff_ffff)), "legacy"],
    ["V4_PORT_EXT-small-id", bytes(131, 120, node, u64(5n), u32(1)), "legacy"],
    ["NEWER_REFERENCE_EXT-0-words", bytes(131, 90, u16(0), node, u32(1)), "accepted"],
    ["BIT_BINARY_EXT-8-bits", bytes(131, 77, u32(1), 8, 0xff), "legacy"],
    ["BIT_BINARY_EXT-8-bits-3-bytes", bytes(131, 77, u32(3), 8, 1, 2, 3), "legacy"],
    ["BIT_BINARY_EXT-empty-0-bits", bytes(131, 77, u32(0), 0), "legacy"],
    ["BIT_BINARY_EXT-dirty-padding", bytes(131, 77, u32(1), 1, 0xff), "legacy"],
    ["INTEGER_EXT-small", bytes(131, 98, u32(5)), "legacy"],
    ["INTEGER_EXT-0", bytes(131, 98, u32(0)), "legacy"],
    ["SMALL_BIG-fits-int32", bytes(131, 110, 1, 0, 5), "legacy"],
    ["SMALL_BIG-negative-fits", bytes(131, 110, 4, 1, 0, 0, 0, 0x80), "legacy"],
    ["SMALL_BIG-zero-digits", bytes(131, 110, 0, 0), "legacy"],
    ["SMALL_BIG-negative-zero", bytes(131, 110, 1, 1, 0), "legacy"],
    ["SMALL_BIG-leading-zeros", bytes(131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0), "legacy"],
    ["LARGE_BIG-small", bytes(131, 111, u32(9), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), "legacy"],
    ["LARGE_TUPLE_EXT-small", bytes(131, 105, u32(2), 97, 1, 97, 2), "legacy"],
    ["LIST_EXT-of-bytes", bytes(131, 108, u32(3), 97, 1, 97, 2, 97, 3, 106), "legacy"],
    ["LIST_EXT-empty", bytes(131, 108, u32(0), 106), "legacy"],
    ["LIST_EXT-empty-improper", bytes(131, 108, u32(0), 97, 1), "accepted"],
    ["STRING_EXT-empty", bytes(131, 107, u16(0)), "legacy"],
    ["MAP_EXT-unsorted", bytes(131, 116, u32(2), atomBytes("b"), 97, 1, atomBytes("a"), 97, 2), "legacy"],
    [
      "MAP_EXT-float-before-int",
      bytes(131, 116, u32(2), 70, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 97, 1, 97, 1, 97, 2),
      "legacy",
    ],
    ["EXPORT_EXT-latin1-atoms", bytes(131, 113, 100, u16(5), "lists", 100, u16(3), "map", 97, 2), "legacy"],
    ["COMPRESSED-tiny", bytes(131, 80, u32(2), ...zlibOf([97, 1])), "legacy"],
  ];
  const specs: BytesSpec[] = cases.map(([id, input, expect]) => ({
    id: `legacy/${id}`,
    category: "legacy",
    input,
    expect,
  }));
  // binary_to_term/1 ignores bytes after a complete term (binary_to_term/2 with `used` reports them).
  specs.push({
    id: "legacy/trailing-byte",
    category: "legacy",
    input: bytes(131, 97, 1, 0),
    expect: "legacy",
    trailing: 1,
  });
  specs.push({
    id: "legacy/trailing-term",
    category: "legacy",
    input: bytes(131, 106, 106),
    expect: "legacy",
    trailing: 1,
  });
  specs.push({
    id: "legacy/trailing-garbage",
    category: "legacy",
    input: bytes(131, 104, 1, 97, 7, 255, 255, 255),
    expect: "legacy",
    trailing: 3,
  });
  return specs;
}
