// Makes fast-check print terms in Erlang syntax in counterexamples (it prints class instances as `{}` otherwise).
import fc from "fast-check";
import {
  BitString,
  ErlFun,
  ErlMap,
  ExportFun,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
} from "../../src/index.ts";
import { Atom } from "../../src/term/atom.ts";
import { format } from "../../src/term/format.ts";

let installed = false;

/** Gives every term class a `fc.toStringMethod` that formats it (once per process; test-only). */
export function showTermsInCounterexamples(): void {
  if (installed) return;
  installed = true;
  for (const type of [Atom, BitString, ErlFun, ErlMap, ExportFun, Float, ImproperList, Pid, Port, Ref, Tuple]) {
    Object.defineProperty(type.prototype, fc.toStringMethod, {
      value(this: Term): string {
        return format(this);
      },
      configurable: true,
    });
  }
}
