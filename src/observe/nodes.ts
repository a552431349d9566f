// The nodes a page can switch to: this one, and every connected node (visible and hidden), each read the way its
// kind allows. An Otter node is told from a BEAM node by asking it once for its observer module's protocol
// (`otter_observer:protocol()`): a node without that module (undef) is read as a BEAM node. A process subscribed to
// node events (net_kernel:monitor_nodes, all node types) forgets what was learnt about a node that comes or goes
// and tells the server, which sends every page a new hello.
import { ErpcError, ErrorCodes } from "../errors.ts";
import { KILL, type Process } from "../runtime/index.ts";
import { Atom } from "../term/atom.ts";
import { type Pid, Tuple } from "../term/types.ts";
import type { ObservedNode } from "./observed-node.ts";
import type { NodeEntry } from "./protocol.ts";
import { BadRequest } from "./requests.ts";
import type { NodeIdentity } from "./term-text.ts";
import { BeamViews } from "./views/beam.ts";
import { BeamRpc } from "./views/beam-rpc.ts";
import type { LocalViews } from "./views/local.ts";
import type { NodeViews } from "./views/node-views.ts";
import { OBSERVER_MODULE, OtterRemoteViews } from "./views/otter-remote.ts";

type Kind = NodeEntry["kind"];

export class NodeDirectory {
  /** Each connected node's kind, once asked (a question that failed is asked again next time). */
  private readonly kinds = new Map<Atom, Promise<Kind>>();
  private watcher: Pid | undefined;

  constructor(
    private readonly observed: ObservedNode,
    private readonly local: LocalViews,
    private readonly timeoutMs: number,
  ) {}

  /** Starts watching nodes come and go; `changed` is called after each. */
  watch(changed: () => void): void {
    const forget = (node: Atom) => this.kinds.delete(node);
    // Named, as it shows in the processes table.
    const observerNodeWatch = async (self: Process): Promise<void> => {
      self.monitorNodes(true, { nodeType: "all" });
      for (;;) {
        const event = await self.receive();
        if (event instanceof Tuple && event.at(1) instanceof Atom) {
          forget(event.at(1) as Atom);
          changed();
        }
      }
    };
    this.watcher = this.observed.runtime.spawn(observerNodeWatch);
  }

  stop(): void {
    if (this.watcher !== undefined) this.observed.runtime.exit(this.watcher, KILL);
    this.watcher = undefined;
  }

  /** This node first, then the connected ones by name. */
  async entries(): Promise<NodeEntry[]> {
    const others = this.connected().sort((a, b) => (a.name < b.name ? -1 : 1));
    const kinds = await Promise.all(others.map((node) => this.kindOf(node)));
    return [
      { name: this.observed.runtime.node.name, kind: "otter" },
      ...others.map((node, i) => ({ name: node.name, kind: kinds[i]! })),
    ];
  }

  /** How to read node `name`: this node, or a connected one; BadRequest for any other. */
  async viewsOf(name: string): Promise<NodeViews> {
    const rt = this.observed.runtime;
    if (name === rt.node.name) return this.local;
    const node = this.connected().find((n) => n.name === name);
    const erpc = this.observed.erpc;
    if (node === undefined || erpc === undefined) throw new BadRequest(`${name} is not connected to ${rt.node.name}`);
    if ((await this.kindOf(node)) === "otter") return new OtterRemoteViews(erpc, node, this.timeoutMs);
    return new BeamViews(new BeamRpc(erpc, this.identityOf(name), this.timeoutMs));
  }

  /** Node `name`'s identity, for reading pids and terms typed for it; BadRequest for a node not connected. */
  identityOf(name: string): NodeIdentity {
    if (name === this.local.identity.node.name) return this.local.identity;
    const node = this.connected().find((n) => n.name === name);
    if (node === undefined) throw new BadRequest(`${name} is not connected to ${this.observed.runtime.node.name}`);
    return { node, creation: this.observed.distribution?.connectionTo(node)?.peerCreation ?? 0 };
  }

  private connected(): Atom[] {
    return this.observed.runtime.nodes("connected");
  }

  private kindOf(node: Atom): Promise<Kind> {
    let kind = this.kinds.get(node);
    if (kind === undefined) {
      kind = this.ask(node);
      this.kinds.set(node, kind);
    }
    return kind;
  }

  private async ask(node: Atom): Promise<Kind> {
    const erpc = this.observed.erpc;
    if (erpc === undefined) return "beam";
    try {
      await erpc.call(node, OBSERVER_MODULE, "protocol", [], { timeout: this.timeoutMs });
      return "otter";
    } catch (error) {
      // Raised by the function (undef: no such module there) is an answer; a timeout or lost connection is not.
      if (!(error instanceof ErpcError && error.code === ErrorCodes.ERPC_EXCEPTION)) this.kinds.delete(node);
      return "beam";
    }
  }
}
