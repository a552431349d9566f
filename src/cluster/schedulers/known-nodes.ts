// What one scheduler knows of the other nodes: scheduler 0 holds the connections, so it tells the other schedulers
// of each node that comes up or goes down (through its rings, in order with the signals from that node), and
// connects for them when they ask; the others keep the list it tells them.
import type { LostConnection, NodeKind, Runtime, SignalTransport } from "../../runtime/index.ts";
import type { Atom } from "../../term/atom.ts";
import type { Term } from "../../term/types.ts";
import type { MeshRecord } from "./records.ts";
import type { RingWriter } from "./ring-writer.ts";

/** A node and whether it is hidden, as a scheduler starting learns the nodes connected then. */
export interface ConnectedNode {
  readonly node: Atom;
  readonly hidden: boolean;
}

/** The records about nodes that come up a scheduler's rings. */
export type NodeRecord = Extract<MeshRecord, { kind: "node-up" | "node-down" | "connect" | "connected" }>;

export class KnownNodes {
  /** On schedulers other than 0: the nodes scheduler 0 told of. */
  private readonly visible = new Set<Atom>();
  private readonly hidden = new Set<Atom>();
  /** The connects asked of scheduler 0, by id, waiting for its answer. */
  private readonly connecting = new Map<number, (up: boolean) => void>();
  private lastConnectId = 0;
  /** How many times each other scheduler's thread died: an answer for an earlier thread is not sent to the next. */
  private readonly incarnations: number[];

  /** `outside`: scheduler 0's connections to other nodes (undefined on the other schedulers). */
  constructor(
    private readonly runtime: Runtime,
    private readonly writer: RingWriter,
    private readonly outside: SignalTransport | undefined,
  ) {
    this.incarnations = Array.from({ length: runtime.seat.count }, () => 0);
  }

  /** The nodes connected now, of a kind (SignalTransport.nodes). */
  nodes(kind: NodeKind): Atom[] {
    const outside = this.outside;
    if (outside !== undefined) return outside.nodes?.(kind) ?? [];
    if (kind === "visible") return [...this.visible];
    if (kind === "hidden") return [...this.hidden];
    return [...this.visible, ...this.hidden];
  }

  /** Connects to `node`, or asks scheduler 0 to (SignalTransport.connect). */
  connect(node: Atom): Promise<boolean> {
    const outside = this.outside;
    if (outside !== undefined) return outside.connect?.(node) ?? Promise.resolve(false);
    const id = ++this.lastConnectId;
    return new Promise((resolve) => {
      this.connecting.set(id, resolve);
      this.writer.write(0, { kind: "connect", node, id });
    });
  }

  /** Scheduler 0: a node came up; its runtime and every other scheduler hear of it. */
  upOutside(node: Atom, hidden: boolean): void {
    this.runtime.nodeUp(node, hidden);
    this.writer.broadcast({ kind: "node-up", node, hidden });
  }

  /** Scheduler 0: a node went down; its runtime and every other scheduler hear of it. */
  downOutside(node: Atom, reason: Term, lost: LostConnection | undefined): void {
    this.runtime.nodeDown(node, reason, lost);
    this.writer.broadcast({ kind: "node-down", node, reason, ...(lost === undefined ? {} : { lost }) });
  }

  /** A scheduler starting now learns the nodes connected now (it hears of later changes through its ring). */
  connectedNodes(): ConnectedNode[] {
    const outside = this.outside;
    return [
      ...(outside?.nodes?.("visible") ?? []).map((node) => ({ node, hidden: false })),
      ...(outside?.nodes?.("hidden") ?? []).map((node) => ({ node, hidden: true })),
    ];
  }

  /** Takes the nodes connected when this scheduler started. */
  knowNodes(nodes: readonly ConnectedNode[]): void {
    for (const { node, hidden } of nodes) (hidden ? this.hidden : this.visible).add(node);
  }

  /** A record about nodes came up the ring from scheduler `from`. */
  received(record: NodeRecord, from: number): void {
    switch (record.kind) {
      case "node-up":
        (record.hidden ? this.hidden : this.visible).add(record.node);
        this.runtime.nodeUp(record.node, record.hidden);
        return;
      case "node-down":
        this.visible.delete(record.node);
        this.hidden.delete(record.node);
        this.runtime.nodeDown(record.node, record.reason, record.lost as LostConnection | undefined);
        return;
      case "connect": {
        const { node, id } = record;
        const incarnation = this.incarnations[from];
        const answer = (up: boolean) => {
          if (this.incarnations[from] === incarnation) this.writer.write(from, { kind: "connected", id, up });
        };
        (this.outside?.connect?.(node) ?? Promise.resolve(false)).then(answer, () => answer(false));
        return;
      }
      case "connected":
        this.connecting.get(record.id)?.(record.up);
        this.connecting.delete(record.id);
        return;
    }
  }

  /** Scheduler `index`'s thread died: a connect it asked for is not answered to its next thread. */
  lost(index: number): void {
    this.incarnations[index]!++;
  }
}
