// Binary and bitstring vectors: BINARY_EXT around the 64-byte zero-copy threshold, BIT_BINARY_EXT for 1–7 trailing bits.
import type { TermSpec } from "../spec.ts";

const SIZES = [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 65, 127, 128, 255, 256, 257, 1000, 4096, 65535, 65536];

const LITERALS = [
  '<<"hello">>',
  '<<"ä"/utf8>>',
  '<<"😀"/utf8>>',
  '<<"日本語"/utf8>>',
  "<<0,0,0>>",
  "<<255>>",
  '<<"\\n\\t\\\\\\"">>',
  "<<128,129,255,0>>",
  '<<"ok">>',
  '<<"with space">>',
  '<<"ä">>',
];

const BITSTRINGS = [
  "<<1:1>>",
  "<<0:1>>",
  "<<255,3:2>>",
  "<<127:7>>",
  "<<1:7>>",
  "<<0:7>>",
  "<<16#FFFF:15>>",
  "<<0:9>>",
  "<<1:9>>",
  '<<"abc",1:3>>',
  "<<5:3>>",
  "<<1:4>>",
  "<<2#10101:5>>",
  "<<63:6>>",
  "<<16#ABCDEF:23>>",
  "<<1:17>>",
  "<<0:63>>",
  "<<(1 bsl 64 - 1):65>>",
  "<<(binary:copy(<<7>>, 63))/binary, 1:1>>",
  "<<(binary:copy(<<7>>, 64))/binary, 1:1>>",
  "<<(binary:copy(<<9>>, 300))/binary, 21:5>>",
];

export function binarySpecs(): TermSpec[] {
  const specs: TermSpec[] = SIZES.map((n) => ({
    id: `binary/${n}-bytes`,
    category: "binary",
    source: `list_to_binary([X rem 256 || X <- lists:seq(0, ${n - 1})])`,
  }));
  for (const literal of LITERALS) specs.push({ id: `binary/${literal}`, category: "binary", source: literal });
  specs.push({ id: "binary/zeros-64", category: "binary", source: "binary:copy(<<0>>, 64)" });
  specs.push({
    id: "binary/10MB",
    category: "binary",
    source: "binary:copy(<<1,2,3,4,5,6,7,8,9,10>>, 1048576)",
    big: "binary-10MB",
  });
  for (const literal of BITSTRINGS) specs.push({ id: `bitstring/${literal}`, category: "bitstring", source: literal });
  for (let bits = 1; bits <= 7; bits++) {
    specs.push({
      id: `bitstring/ab+${bits}-ones`,
      category: "bitstring",
      source: `<<"ab", ${(1 << bits) - 1}:${bits}>>`,
    });
  }
  return specs;
}
