// Float vectors: NEW_FLOAT_EXT for signed zeros, denormals, the extremes and integral values (which decode to Float boxes).
import type { TermSpec } from "../spec.ts";

const LITERALS = [
  "0.0",
  "1.0",
  "-1.0",
  "0.1",
  "-0.1",
  "0.5",
  "1.5",
  "2.0",
  "3.141592653589793",
  "2.718281828459045",
  "0.30000000000000004",
  "1.0e308",
  "-1.0e308",
  "1.7976931348623157e308",
  "-1.7976931348623157e308",
  "2.2250738585072014e-308",
  "-2.2250738585072014e-308",
  "2.225073858507201e-308",
  "5.0e-324",
  "-5.0e-324",
  "1.0e-323",
  "1.0e-320",
  "4.9406564584124654e-324",
  "1.0e15",
  "1.0e16",
  "1.0e21",
  "1.0e22",
  "1.0e23",
  "9007199254740992.0",
  "9007199254740993.0",
  "9007199254740994.0",
  "-9007199254740993.0",
  "4503599627370495.5",
  "123456789.0",
  "1.0e-10",
  "1.0e100",
  "2.5e-5",
  "100.0",
  "255.0",
  "256.0",
  "-2.0e9",
  "4294967296.0",
  "18446744073709551616.0",
  "1.0e-5",
  "123.456",
  "6.02214076e23",
];

/** Raw IEEE-754 bit patterns: -0.0, the denormal range, the largest finite. */
const BITS: [string, string][] = [
  ["-0.0", "8000000000000000"],
  ["min-denormal", "0000000000000001"],
  ["denormal-2", "0000000000000002"],
  ["max-denormal", "000FFFFFFFFFFFFF"],
  ["mid-denormal", "0008000000000000"],
  ["-max-denormal", "800FFFFFFFFFFFFF"],
  ["-min-denormal", "8000000000000001"],
  ["min-normal", "0010000000000000"],
  ["max-finite", "7FEFFFFFFFFFFFFF"],
  ["one-ulp-above-1", "3FF0000000000001"],
];

export function floatSpecs(): TermSpec[] {
  const specs: TermSpec[] = LITERALS.map((literal) => ({ id: `float/${literal}`, category: "float", source: literal }));
  for (const [name, hex] of BITS) {
    specs.push({
      id: `float/bits:${name}`,
      category: "float",
      source: `begin <<F:64/float>> = <<16#${hex}:64>>, F end`,
    });
  }
  for (const k of [-1074, -1022, -1000, -100, -1, 0, 1, 52, 53, 63, 64, 100, 1023]) {
    specs.push({ id: `float/2.0^${k}`, category: "float", source: `math:pow(2, ${k})` });
  }
  specs.push({ id: "float/-0.0-negated", category: "float", source: "-0.0" });
  specs.push({ id: "float/pi", category: "float", source: "math:pi()" });
  specs.push({ id: "float/1/3", category: "float", source: "1 / 3" });
  return specs;
}
