// Receive patterns: a term template with wildcards and guards, compiled once into a receive predicate.
//
//   self.receive(pattern(tuple(atom("DOWN"), ref, _, _, _)))
//
// A template matches a message of the same shape: tuples and lists element by element, a map when every key
// of the template is in the message with a matching value (Erlang's map patterns), anything else by `equals`.
import { equals } from "../term/compare.ts";
import { ErlMap } from "../term/map.ts";
import { type Term, Tuple } from "../term/types.ts";
import type { Match } from "./mailbox.ts";

class Wildcard {}
class Guard {
  constructor(readonly test: (value: Term) => boolean) {}
}

/** Matches any term (Erlang's `_`). Typed as a term so it can stand inside `tuple(…)` and lists. */
export const _: Term = new Wildcard() as unknown as Term;

/** Matches a term `test` accepts (a guard), as a template element. */
export function where(test: (value: Term) => boolean): Term {
  return new Guard(test) as unknown as Term;
}

/** Compiles a template into a predicate for `self.receive`. */
export function pattern(template: Term): Match {
  return (message) => matches(template, message);
}

function matches(template: Term, value: Term): boolean {
  const t = template as unknown;
  if (t instanceof Wildcard) return true;
  if (t instanceof Guard) return t.test(value);
  if (template instanceof Tuple) {
    if (!(value instanceof Tuple) || value.size !== template.size) return false;
    for (let i = 0; i < template.size; i++) if (!matches(template.at(i)!, value.at(i)!)) return false;
    return true;
  }
  if (Array.isArray(template)) {
    if (!Array.isArray(value) || value.length !== template.length) return false;
    for (let i = 0; i < template.length; i++) if (!matches(template[i]!, value[i]!)) return false;
    return true;
  }
  if (template instanceof ErlMap) {
    if (!(value instanceof ErlMap)) return false;
    for (const [k, v] of template) {
      const got = value.get(k);
      if (got === undefined || !matches(v, got)) return false;
    }
    return true;
  }
  return equals(template, value);
}
