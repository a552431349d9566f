// gen_server:multi_call and gen_server:abcast: one request to the server registered under a name on each of many
// nodes, and every answer (or who did not answer) back; a cast to that name on each node.
//
// Each node's server is monitored by name with an alias, as a single call does (gen.ts), so a node that is down,
// or has no such server, counts as bad at once, and a reply that comes after the deadline is dropped.
import type { Process, Runtime } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { ImproperList, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import { cast, GEN_CALL, isDownOf, isReplyTo, type Timeout } from "./gen.ts";

const ALIAS = atom("alias");

export interface MultiCallResult {
  /** The nodes that answered, with their replies, in the order of `nodes`. */
  readonly replies: readonly { readonly node: Atom; readonly reply: Term }[];
  /** The nodes that did not: down, no server by that name, it exited, or it did not answer in time. */
  readonly badNodes: readonly Atom[];
}

/**
 * Calls the server registered as `name` on each of `nodes` (default: this node and every connected one) and waits
 * for all of them, up to `timeout` (default infinity) in all.
 */
export async function multiCall(
  self: Process,
  name: Atom,
  request: Term,
  options?: { nodes?: readonly Atom[]; timeout?: Timeout },
): Promise<MultiCallResult> {
  const rt = self.runtime;
  const nodes = options?.nodes ?? [rt.node, ...rt.nodes()];
  const timeout = options?.timeout ?? "infinity";
  const pending = new Map<Ref, Atom>();
  const answers = new Map<Atom, Term>();
  for (const node of nodes) {
    const mref = self.monitor({ name, node }, { alias: "demonitor" });
    pending.set(mref, node);
    self.send({ name, node }, tuple(GEN_CALL, tuple(self.pid, new ImproperList([ALIAS], mref)), request));
  }
  const deadline = timeout === "infinity" ? Number.POSITIVE_INFINITY : rt.clock.now() + timeout;
  while (pending.size > 0) {
    const left = deadline - rt.clock.now();
    const message = await self.receive((m) => answerOf(m, pending) !== undefined, {
      timeout: left === Number.POSITIVE_INFINITY ? "infinity" : Math.max(0, left),
    });
    if (message === undefined) break;
    const mref = answerOf(message, pending)!;
    const node = pending.get(mref)!;
    pending.delete(mref);
    if (!isDownOf(message, mref)) {
      self.demonitor(mref, { flush: true });
      answers.set(node, (message as Tuple).at(1)!);
    }
  }
  for (const mref of pending.keys()) self.demonitor(mref, { flush: true });
  const replies: { node: Atom; reply: Term }[] = [];
  const badNodes: Atom[] = [];
  for (const node of nodes) {
    if (answers.has(node)) replies.push({ node, reply: answers.get(node)! });
    else badNodes.push(node);
  }
  return { replies, badNodes };
}

/** Casts `message` to the server registered as `name` on each of `nodes` (default: this node and every connected one). */
export function abcast(from: Process | Runtime, name: Atom, message: Term, nodes?: readonly Atom[]): void {
  const rt = "runtime" in from ? from.runtime : from;
  for (const node of nodes ?? [rt.node, ...rt.nodes()]) cast(from, { name, node }, message);
}

/** The monitor ref a reply `{[alias | Ref], Reply}` or a DOWN carries, if it is one of `pending`. */
function answerOf(message: Term, pending: Map<Ref, Atom>): Ref | undefined {
  if (!(message instanceof Tuple)) return undefined;
  for (const mref of pending.keys()) if (isReplyTo(message, mref) || isDownOf(message, mref)) return mref;
  return undefined;
}
