// One page's WebSocket: it watches one view of one node, pushed at once and then every interval; it acts on
// processes. A bad message is answered with an error and the connection stays; a push still under way when the next
// interval comes is not started again (a slow node never piles up reads), and a push for a view the page no longer
// watches is dropped.
import type { WebSocket } from "ws";
import type { Runtime } from "../runtime/index.ts";
import { act } from "./actions.ts";
import type { NodeDirectory } from "./nodes.ts";
import type { ServerMessage, View, ViewData } from "./protocol.ts";
import { BadRequest, parseClientMessage } from "./requests.ts";
import type { OverviewSamples } from "./samples.ts";

/** What every session of one observer shares. */
export interface SessionContext {
  readonly runtime: Runtime;
  readonly directory: NodeDirectory;
  readonly samples: OverviewSamples;
  readonly intervalMs: number;
  /** The number of the current interval (a node's overview is sampled once per interval). */
  readonly tick: () => number;
}

/** Past this many bytes waiting to go out to a page, interval pushes are skipped until it catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class Session {
  private watching: { readonly node: string; readonly view: View; readonly id: number | undefined } | undefined;
  /** Bumped by each watch: a push of an earlier one is dropped. */
  private generation = 0;
  private pushing = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly context: SessionContext,
  ) {
    socket.on("message", (data, isBinary) => {
      this.received(isBinary ? undefined : String(data)).catch((error: unknown) => this.failed(error, undefined));
    });
  }

  /** Sends the node list (first, and whenever nodes come and go). */
  async hello(): Promise<void> {
    const nodes = await this.context.directory.entries();
    const { runtime, intervalMs } = this.context;
    this.send({ type: "hello", node: runtime.node.name, nodes, intervalMs });
  }

  /** The interval's push of the watched view. */
  refresh(): void {
    if (this.watching === undefined || this.pushing || this.socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
    void this.push(false);
  }

  private async received(text: string | undefined): Promise<void> {
    if (text === undefined) throw new BadRequest("messages are JSON text, not binary");
    const message = parseClientMessage(text);
    if (message.type === "watch") {
      this.watching = { node: message.node, view: message.view, id: message.id };
      this.generation++;
      await this.push(true);
      return;
    }
    try {
      await act(this.context.runtime, this.context.directory.identityOf(message.node), message.action);
      this.send({ type: "acted", id: message.id, ok: true });
    } catch (error) {
      this.send({ type: "acted", id: message.id, ok: false, error: messageOf(error) });
    }
  }

  private async push(first: boolean): Promise<void> {
    const watching = this.watching!;
    const generation = this.generation;
    this.pushing = true;
    try {
      const data = await this.dataOf(watching.node, watching.view, first);
      if (generation === this.generation) this.send({ type: "view", node: watching.node, data, watch: watching.id });
    } catch (error) {
      if (generation === this.generation) this.failed(error, watching.node);
    } finally {
      if (generation === this.generation) this.pushing = false;
    }
  }

  private async dataOf(node: string, view: View, first: boolean): Promise<ViewData> {
    const views = await this.context.directory.viewsOf(node);
    if (view.kind !== "overview") return views.view(view);
    const { samples, tick } = this.context;
    const sample = await samples.forTick(node, tick(), async () => {
      const data = await views.view(view);
      if (data.kind !== "overview") throw new Error(`${node} answered an overview with ${data.kind}`);
      return data.sample;
    });
    return first ? { kind: "overview", sample, history: samples.before(node, sample) } : { kind: "overview", sample };
  }

  private failed(error: unknown, node: string | undefined): void {
    this.send({
      type: "error",
      node: node ?? this.watching?.node ?? this.context.runtime.node.name,
      error: messageOf(error),
    });
  }

  private send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
