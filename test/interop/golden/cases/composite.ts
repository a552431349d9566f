// Composite vectors: realistic messages mixing every type (gen_server calls, records, JSON-like documents, strings).
import type { TermSpec } from "../spec.ts";

const TERMS: [string, string][] = [
  ["gen-call", '{\'$gen_call\', {list_to_pid("<0.0.0>"), [alias | list_to_ref("#Ref<0.1.2.3>")]}, {get, key}}'],
  ["ok-map", '{ok, #{name => <<"otter">>, tags => [a, b], version => {0, 1, 0}}}'],
  ["error-badmatch", "{error, {badmatch, [1, 2]}}"],
  ["proplist", '[{a, 1}, {b, <<"x">>}, {c, 1.5}, {d, [1, 2, 3]}, debug]'],
  ["reply-text", '{reply, "text", 1.5}'],
  [
    "json-like",
    '#{<<"id">> => 42, <<"name">> => <<"Ann"/utf8>>, <<"tags">> => [<<"x">>], <<"ok">> => true, <<"nil">> => null}',
  ],
  ["record", '{person, <<"Bob">>, 33, [{email, <<"b@x">>}], undefined}'],
  ["http-request", "{http_request, 'GET', {abs_path, \"/index.html\"}, {1, 1}}"],
  ["nested-mixed", '[{a, [1, 2.0, <<3>>]}, #{k => {v, ["s"]}}, [x | y], <<1:3>>]'],
  ["exit-reason", "{'EXIT', {function_clause, [{m, f, [1, 2], [{file, \"m.erl\"}, {line, 12}]}]}}"],
  ["numbers-mix", "[0, -1, 1 bsl 40, -(1 bsl 100), 1.0e-300, 2.0, -0.5]"],
  ["unicode-strings", '["äöü", <<"äöü"/utf8>>, \'日本\', "😀"]'],
  ["empty-everything", "{[], {}, #{}, <<>>, '', \"\"}"],
  ["bytes-and-chars", '{[0, 1, 255], [256, 257], "\\r\\n"}'],
  ["large-tuple-mix", "list_to_tuple([I rem 3 =:= 0 orelse I || I <- lists:seq(1, 300)])"],
  ["list-of-maps", '[#{id => I, v => <<"x">>} || I <- lists:seq(1, 20)]'],
  ["deep-map-list", "#{list => [#{a => [#{b => []}]}]}"],
  ["timestamp-like", "{{2024, 1, 31}, {23, 59, 59.999}}"],
  ["iolist", '[<<"GET ">>, "/", [<<"a">>, $b | <<"c">>]]'],
  ["dict-like", "{dict, 0, 16, 16, 8, 80, 48, {[], [], []}, {{[], [], []}}}"],
];

export function compositeSpecs(): TermSpec[] {
  return TERMS.map(([name, source]) => ({
    id: `composite/${name}`,
    category: "composite",
    source,
    ...(source.includes("list_to_pid") ? { opaque: true as const } : {}),
  }));
}
