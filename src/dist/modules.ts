// The functions a node offers other nodes under Erlang module names (what `rpc:call(Node, M, F, A)`,
// `erpc:call` and `spawn_request` from erl can run here), and `apply` with Erlang's outcome classes.
//
// An Otter node has no BEAM code, so `M:F/A` means a TypeScript function exported with `exportModule`, or one
// that module M's current version in the node's code server exports. A function's arity is its parameter count
// after `self` (the process running it). The `erlang` functions a remote caller commonly asks for (node/0,
// nodes/0, whereis/1, processes/0, …) are built in. A function that declares no parameter at all has arity 0.
import { type Process, ProcessExit } from "../runtime/index.ts";
import { reasonFromThrown } from "../runtime/reasons.ts";
import { Atom, atom } from "../term/atom.ts";
import { type Term, tuple } from "../term/types.ts";

/** A function callable from other nodes: `self` is the process running it; the rest are the Erlang arguments. */
export type ExportedFunction = (self: Process, ...args: Term[]) => Term | Promise<Term>;

/** How an applied function ended, as Erlang's `try … catch Class:Reason:Stack` sees it. */
export type Outcome =
  | { readonly class: "return"; readonly value: Term }
  | { readonly class: "throw"; readonly reason: Term }
  | { readonly class: "exit"; readonly reason: Term }
  | { readonly class: "error"; readonly reason: Term; readonly stack: Term[] };

/** Thrown by an exported function to raise Erlang's `throw(Value)` (caught by rpc/erpc as class `throw`). */
export class ErlangThrow extends Error {
  constructor(readonly value: Term) {
    super("erlang throw");
  }
}

const UNDEF = atom("undef");
const BADARG = atom("badarg");

/** Where a module not exported here is looked up next (a node's code server: its loaded modules' functions). */
export type ModuleFallback = (module: string, fn: string) => unknown;

export class ExportedModules {
  private readonly modules = new Map<Atom, Map<Atom, ExportedFunction>>();
  private fallback: ModuleFallback | undefined;

  constructor(builtins: Record<string, Record<string, ExportedFunction>>) {
    for (const [name, functions] of Object.entries(builtins)) this.export(name, functions);
  }

  /** Looks up modules not exported here in `fallback` too (same convention: `self` first, then the arguments). */
  setFallback(fallback: ModuleFallback): void {
    this.fallback = fallback;
  }

  /** Offers `functions` as module `name` (replacing what that module offered before). */
  export(name: string | Atom, functions: Record<string, ExportedFunction>): void {
    const table = new Map<Atom, ExportedFunction>();
    for (const [fn, body] of Object.entries(functions)) {
      if (typeof body !== "function") throw new TypeError(`${String(name)}:${fn} is not a function`);
      table.set(atom(fn), body);
    }
    this.modules.set(typeof name === "string" ? atom(name) : name, table);
  }

  /** `M:F/Arity`, if offered with that arity. */
  lookup(module: Atom, fn: Atom, arity: number): ExportedFunction | undefined {
    let body: unknown = this.modules.get(module)?.get(fn);
    if (body === undefined && this.fallback !== undefined) body = this.fallback(module.name, fn.name);
    return typeof body === "function" && Math.max(0, body.length - 1) === arity
      ? (body as ExportedFunction)
      : undefined;
  }

  /** Runs `M:F(Args)` in `self`; never throws: every end is an Outcome (`undef` as BEAM reports it). */
  async apply(self: Process, module: Term, fn: Term, args: Term): Promise<Outcome> {
    if (!(module instanceof Atom) || !(fn instanceof Atom) || !Array.isArray(args)) {
      return { class: "error", reason: BADARG, stack: [] };
    }
    const body = this.lookup(module, fn, args.length);
    if (body === undefined) return { class: "error", reason: UNDEF, stack: [tuple(module, fn, args, [])] };
    try {
      return { class: "return", value: await body(self, ...args) };
    } catch (thrown) {
      if (thrown instanceof ErlangThrow) return { class: "throw", reason: thrown.value };
      if (thrown instanceof ProcessExit) return { class: "exit", reason: thrown.reason };
      return { class: "error", reason: reasonFromThrown(thrown), stack: [tuple(module, fn, args.length, [])] };
    }
  }
}
