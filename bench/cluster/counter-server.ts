// The migratable counter the migration benchmark moves: `server()` gives its callbacks, so any node or scheduler
// that loads this module (node.exportModule, node.schedulers.load) can start it by module name and function.
import type { GenServerCallbacks, Process, Term } from "../../src/index.ts";

const counter: GenServerCallbacks<number, number, Term, Term, Term> = {
  init: (_self, n) => ({ state: n }),
  handleCall: (_self, _request, _from, n) => ({ reply: n + 1, state: n + 1 }),
};

export function server(_self: Process): Term {
  return counter as unknown as Term;
}
