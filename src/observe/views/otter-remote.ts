// Another Otter node's views, read through its observer module (`otter_observer:view(Json)`, see
// node/observer-builtins.ts): the node computes them itself, exactly as it would for a page it served.
import type { Atom } from "../../term/atom.ts";
import type { Term } from "../../term/types.ts";
import type { ObservedNode } from "../observed-node.ts";
import type { View, ViewData } from "../protocol.ts";
import type { NodeViews } from "./node-views.ts";

/** The module every Otter node exports for other nodes' observers. */
export const OBSERVER_MODULE = "otter_observer";
/** What `otter_observer:protocol()` answers: bumped when the JSON a view returns changes incompatibly. */
export const OBSERVER_PROTOCOL = 1;

/** What `otter_observer:view/1` returns, as JSON: the view's data, or why there is none (a bad pid). */
export type RemoteAnswer = { readonly data: ViewData } | { readonly error: string };

export class OtterRemoteViews implements NodeViews {
  constructor(
    private readonly erpc: NonNullable<ObservedNode["erpc"]>,
    private readonly node: Atom,
    private readonly timeoutMs: number,
  ) {}

  async view(view: View): Promise<ViewData> {
    const answer = await this.erpc.call(this.node, OBSERVER_MODULE, "view", [JSON.stringify(view)], {
      timeout: this.timeoutMs,
    });
    const parsed = JSON.parse(textOf(answer)) as RemoteAnswer;
    if ("error" in parsed) throw new Error(parsed.error);
    if (parsed.data?.kind !== view.kind) throw new Error(`${this.node.name} answered a ${view.kind} view wrongly`);
    return parsed.data;
  }
}

/** A binary (or charlist) answer as text. */
export function textOf(term: Term): string {
  if (term instanceof Uint8Array) return Buffer.from(term.buffer, term.byteOffset, term.byteLength).toString("utf8");
  if (typeof term === "string") return term;
  if (Array.isArray(term) && term.every((c) => typeof c === "number")) return String.fromCodePoint(...term);
  throw new Error(`expected text, not ${String(term)}`);
}
