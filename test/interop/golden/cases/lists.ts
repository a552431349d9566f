// List and tuple vectors: NIL, STRING_EXT (bytes, up to 65535), LIST_EXT, improper tails, SMALL_TUPLE and LARGE_TUPLE.
import type { TermSpec } from "../spec.ts";

const LISTS = [
  "[]",
  "[1]",
  "[1,2,3]",
  '"abc"',
  "[0]",
  "[255]",
  "[256]",
  "[1,256]",
  "[-1]",
  "[a]",
  "[a,b]",
  "[1|2]",
  "[a,b|c]",
  "[[]]",
  "[[],[]]",
  "[1.0]",
  "[<<>>]",
  '"hello world"',
  '[1|<<"tail">>]',
  "[x|{}]",
  "[1|2.5]",
  "[a|#{}]",
  '"äö"',
  '"日本"',
  "[0,255,256]",
  "[255,0]",
  "[1000000]",
  "[{a,1},{b,2}]",
  "[[1],[2,[3]]]",
  '[<<"a">>,<<"b">>]',
  "[true,false]",
  '["abc"|"def"]',
  '["a","b"]',
  "[[]|[]]",
  "[1,2|[3]]",
  "[-1,0,1]",
  "[a|b]",
  "[[a]|b]",
  "[1,a,2.0,<<1>>,{}]",
];

const GENERATED: [string, string][] = [
  ["seq-1..255", "lists:seq(1, 255)"],
  ["seq-0..255", "lists:seq(0, 255)"],
  ["seq-0..256", "lists:seq(0, 256)"],
  ["7x65535", "lists:duplicate(65535, 7)"],
  ["7x65536", "lists:duplicate(65536, 7)"],
  ["7x65534++[256]", "lists:duplicate(65534, 7) ++ [256]"],
  ["atoms-x100", "lists:duplicate(100, x)"],
  ["improper-long", "lists:seq(1, 100) ++ tail"],
  ["seq-1..1000", "lists:seq(1, 1000)"],
];

const TUPLES = [
  "{}",
  "{a}",
  "{1,2}",
  "{a,b,c}",
  "{{}}",
  "{[]}",
  "{<<>>}",
  "{1.0}",
  '{person,<<"Ann">>,42}',
  "{ok,{error,{nested}}}",
  "{[1|2]}",
  "{#{}}",
];

const SIZED_TUPLES = [254, 255, 256, 1000];

export function listSpecs(): TermSpec[] {
  const specs: TermSpec[] = LISTS.map((literal) => ({ id: `list/${literal}`, category: "list", source: literal }));
  for (const [name, source] of GENERATED) specs.push({ id: `list/${name}`, category: "list", source });
  for (const literal of TUPLES) specs.push({ id: `tuple/${literal}`, category: "tuple", source: literal });
  for (const n of SIZED_TUPLES) {
    specs.push({ id: `tuple/${n}-atoms`, category: "tuple", source: `erlang:make_tuple(${n}, x)` });
    specs.push({ id: `tuple/seq-${n}`, category: "tuple", source: `list_to_tuple(lists:seq(1, ${n}))` });
  }
  return specs;
}
