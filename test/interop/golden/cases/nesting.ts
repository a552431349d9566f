// Deep nesting vectors: lists, tuples, maps and mixes nested hundreds to a thousand deep, built by an Erlang fold.
import type { TermSpec } from "../spec.ts";

/** `fold(Wrap, Seed, N)`: Seed wrapped N times by the fun body (A is the inner term). */
function nested(body: string, seed: string, depth: number): string {
  return `lists:foldl(fun(_, A) -> ${body} end, ${seed}, lists:seq(1, ${depth}))`;
}

export function nestingSpecs(): TermSpec[] {
  const cases: [string, string][] = [
    ["list-1000", nested("[A]", "[]", 1000)],
    ["tuple-1000", nested("{A}", "{}", 1000)],
    ["list-10", nested("[A]", "[]", 10)],
    ["tuple-10", nested("{A}", "ok", 10)],
    ["list-tuple-500", nested("[{A}]", "x", 500)],
    ["map-100", nested("#{k => A}", "#{}", 100)],
    ["improper-500", nested("[1|A]", "tail", 500)],
    ["pair-tail-1000", nested("{A, x}", "nil", 1000)],
    ["list-head-1000", nested("[A, 1]", "[]", 1000)],
    ["binary-leaf-1000", nested("[A]", '<<"leaf">>', 1000)],
    ["map-key-50", nested("#{A => v}", "k", 50)],
  ];
  return cases.map(([name, source]) => ({ id: `nesting/${name}`, category: "nesting", source }));
}
