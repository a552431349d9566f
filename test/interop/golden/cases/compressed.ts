// Compressed vectors: term_to_binary with `compressed` (zlib level 6) and `{compressed, Level}`, tag 80 plus zlib.
import type { TermSpec } from "../spec.ts";

const TERMS: [string, string][] = [
  ["atoms-1000", "lists:duplicate(1000, hello)"],
  ["binary-abc-1000", 'binary:copy(<<"abc">>, 1000)'],
  ["seq-1000", "lists:seq(1, 1000)"],
  ["string-2000", 'lists:flatten(lists:duplicate(200, "0123456789"))'],
  ["map-30", 'maps:from_list([{I, <<"value">>} || I <- lists:seq(1, 30)])'],
  ["tuples", '[{user, I, <<"name">>, [admin, editor]} || I <- lists:seq(1, 100)]'],
  ["random-ish", "[(I * 7919) rem 251 || I <- lists:seq(1, 3000)]"],
  ["small-ok", "ok"],
  ["small-binary", "<<1,2,3>>"],
];

const OPTIONS: { compressed: true | number }[] = [
  { compressed: true },
  { compressed: 1 },
  { compressed: 9 },
  { compressed: 0 },
];

export function compressedSpecs(): TermSpec[] {
  const specs: TermSpec[] = [];
  for (const [name, source] of TERMS) {
    for (const options of OPTIONS) {
      const level = options.compressed === true ? "default" : `level-${options.compressed}`;
      specs.push({ id: `compressed/${name}:${level}`, category: "compressed", source, options });
    }
  }
  return specs;
}
