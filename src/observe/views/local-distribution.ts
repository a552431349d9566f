// This node's connections to other nodes: kind, traffic counters, and when something last came in. The last is
// read, not kept by the connection: each look at the counters notes when bytes-in last grew, so it is known to
// within the interval between two looks (and unknown until the first growth the observer sees).
import type { Atom } from "../../term/atom.ts";
import type { ObservedNode } from "../observed-node.ts";
import type { ConnectionEntry } from "../protocol.ts";

export class LastHeard {
  private readonly seen = new Map<Atom, { bytesIn: number; at: number | null }>();

  /** Notes `node`'s bytes in at `now`; ms since they last grew, or null if not seen growing yet. */
  note(node: Atom, bytesIn: number, now: number): number | null {
    const last = this.seen.get(node);
    if (last === undefined) {
      this.seen.set(node, { bytesIn, at: null });
      return null;
    }
    if (bytesIn !== last.bytesIn) {
      last.bytesIn = bytesIn;
      last.at = now;
    }
    return last.at === null ? null : now - last.at;
  }

  /** Forgets the nodes not in `connected` (a node that reconnects starts over). */
  keepOnly(connected: ReadonlySet<Atom>): void {
    for (const node of this.seen.keys()) if (!connected.has(node)) this.seen.delete(node);
  }
}

export function localConnections(observed: ObservedNode, lastHeard: LastHeard): ConnectionEntry[] {
  const rt = observed.runtime;
  const hidden = new Set(rt.nodes("hidden"));
  const connected = [...rt.nodes("visible"), ...hidden].sort((a, b) => (a.name < b.name ? -1 : 1));
  lastHeard.keepOnly(new Set(connected));
  const now = performance.now();
  return connected.map((node): ConnectionEntry => {
    const stats = observed.distribution?.connectionTo(node)?.stats;
    return {
      node: node.name,
      kind: hidden.has(node) ? "hidden" : "visible",
      bytesIn: stats?.bytesIn ?? null,
      bytesOut: stats?.bytesOut ?? null,
      messagesIn: stats?.messagesIn ?? null,
      messagesOut: stats?.messagesOut ?? null,
      lastHeardMs: stats === undefined ? null : lastHeard.note(node, stats.bytesIn, now),
    };
  });
}
