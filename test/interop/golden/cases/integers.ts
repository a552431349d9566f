// Integer vectors: every ETF integer encoding and each boundary between them (SMALL_INTEGER, INTEGER, SMALL_BIG, LARGE_BIG).
import { pow2Name, type TermSpec } from "../spec.ts";

/** Exponents whose 2^k ± 1 cross an encoding or JS boundary (27: old small, 31: INTEGER, 53: safe, 2040: 255 bytes). */
const EXPONENTS = [
  1, 2, 7, 8, 15, 16, 24, 26, 27, 28, 31, 32, 33, 40, 48, 52, 53, 54, 56, 62, 63, 64, 65, 72, 96, 127, 128, 256, 1000,
  2032, 2039, 2040, 2041, 2048, 10000,
];

const SMALL = [
  0, 1, 2, 42, 127, 128, 200, 254, 255, 256, 257, 1000, 65535, 65536, -1, -2, -127, -128, -129, -255, -256, -257,
];

const DECIMAL = [
  "123456789012345678901234567890",
  "-123456789012345678901234567890",
  "99999999999999999999",
  "1000000000000",
];

export function integerSpecs(): TermSpec[] {
  const specs: TermSpec[] = [];
  const seen = new Set<string>();
  const add = (id: string, source: string): void => {
    if (seen.has(source)) return;
    seen.add(source);
    specs.push({ id: `integer/${id}`, category: "integer", source });
  };
  for (const n of SMALL) add(String(n), String(n));
  for (const k of EXPONENTS) {
    for (const d of [0, -1, 1]) {
      const name = pow2Name(k, d);
      const value = d === 0 ? `(1 bsl ${k})` : `((1 bsl ${k}) ${d > 0 ? "+" : "-"} 1)`;
      add(name, value);
      add(`-(${name})`, `-${value}`);
    }
  }
  // The 255-byte SMALL_BIG ceiling from below and above, byte by byte.
  for (const bytes of [254, 255, 256]) {
    add(`256^${bytes}-1`, `((1 bsl ${8 * bytes}) - 1)`);
    add(`-(256^${bytes}-1)`, `-((1 bsl ${8 * bytes}) - 1)`);
  }
  for (const n of DECIMAL) add(n, n);
  add("10^100", "list_to_integer([$1 | lists:duplicate(100, $0)])");
  add("-(3^2000)", "-lists:foldl(fun(_, A) -> A * 3 end, 1, lists:seq(1, 2000))");
  return specs;
}
