// Map vectors: MAP_EXT with keys in BEAM's map-key order (integers before floats), up to 32 keys, and large hashed maps.
import type { TermSpec } from "../spec.ts";

const SMALL = [
  "#{}",
  "#{a => 1}",
  '#{1 => a, 1.0 => b, <<"k">> => c, {t} => d, [l] => e}',
  "#{b => 1, a => 2}",
  "#{-1 => x, 1 => y, 0.5 => z}",
  "#{1 => int, 1.0 => float}",
  "#{(1 bsl 64) => big, 1 => small}",
  "#{[] => [], {} => {}}",
  "#{#{} => empty, #{a => 1} => one}",
  "#{<<>> => e, <<1:1>> => bit, <<1>> => one}",
  "#{'ä' => 1, a => 2, b => 3}",
  "#{a => #{b => #{c => 1}}}",
  '#{"str" => list, <<"str">> => bin}',
  "#{{1,2} => a, {1} => b, {2} => c}",
  "#{0 => a, -0.0 => b, 0.0 => c}",
  "#{true => 1, false => 0, nil => x}",
  '#{x => [1,2,3], y => {a,b}, z => <<"z">>}',
  "#{1.5 => a, 2 => b, 1 => c, 3.0 => d}",
  "#{[1|2] => improper, [1,2] => proper}",
  "#{-(1 bsl 70) => neg, 0 => zero}",
];

/** A map of `n` keys produced by `key` (an Erlang expression in I). */
function sized(n: number, key: string): string {
  return `maps:from_list([{${key}, I} || I <- lists:seq(1, ${n})])`;
}

export function mapSpecs(): TermSpec[] {
  const specs: TermSpec[] = SMALL.map((literal) => ({ id: `map/${literal}`, category: "map", source: literal }));
  const keyKinds: [string, string][] = [
    ["int", "I"],
    ["atom", 'list_to_atom("k" ++ integer_to_list(I))'],
    ["binary", "integer_to_binary(I)"],
    ["mixed", "case I rem 4 of 0 -> I; 1 -> float(I); 2 -> integer_to_binary(I); 3 -> {I} end"],
  ];
  for (const [kind, key] of keyKinds) {
    for (const n of [31, 32, 33, 100]) {
      specs.push({
        id: `map/${n}-${kind}-keys`,
        category: "map",
        source: sized(n, key),
        ...(n > 32 ? { largeMap: true as const } : {}),
      });
    }
  }
  specs.push({ id: "map/1000-int-keys", category: "map", source: sized(1000, "I"), largeMap: true });
  specs.push({
    id: "map/list-of-33-key-maps",
    category: "map",
    source: `[${sized(33, "I")}, ${sized(33, "-I")}]`,
    largeMap: true,
  });
  specs.push({ id: "map/32-keys-nested-33", category: "map", source: `#{inner => ${sized(33, "I")}}`, largeMap: true });
  return specs;
}
