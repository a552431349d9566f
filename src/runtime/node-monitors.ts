// Node monitoring: erlang:monitor_node/2 (a process gets `{nodedown, Node}` when its connection to Node goes or
// cannot be made, once per call) and net_kernel:monitor_nodes/2 (a process hears of every node that connects or
// disconnects).
//
// Both belong to processes, as on the BEAM, where the emulator keeps them (monitor_nodes is a process flag): they
// go when their process exits. Their messages are delivered by the same sink calls that deliver the connection's
// signals, so a nodeup arrives before anything sent over the new connection and a nodedown after all of it.
import { ErrorCodes, ProcessError } from "../errors.ts";
import { Atom, atom } from "../term/atom.ts";
import { type Term, type Tuple, tuple } from "../term/types.ts";
import type { LostConnection } from "./contracts.ts";
import type { Process } from "./process.ts";
import type { Runtime } from "./runtime.ts";

/** What net_kernel:monitor_nodes/2 subscribes to, and what its messages say. */
export interface MonitorNodesOptions {
  /** Visible nodes only (the default), hidden ones only, or all. Given, every message carries `{node_type, T}`. */
  nodeType?: "visible" | "hidden" | "all";
  /** `nodedown` messages carry `{nodedown_reason, R}` (`connection_closed`, `net_tick_timeout`, …). */
  nodedownReason?: boolean;
}

const NODEUP = atom("nodeup");
const NODEDOWN = atom("nodedown");
const NODE_TYPE = atom("node_type");
const NODEDOWN_REASON = atom("nodedown_reason");
const VISIBLE = atom("visible");
const HIDDEN = atom("hidden");
const NODE_TYPES = new Set(["visible", "hidden", "all"]);

/** One monitor_nodes subscription. */
interface Subscription {
  /** Its option set: `monitorNodes(false, options)` ends the subscriptions with the same one. */
  readonly key: string;
  readonly nodeType: MonitorNodesOptions["nodeType"];
  readonly nodedownReason: boolean;
}

export class NodeMonitors {
  /** monitor_node: for each node, each monitoring process with the number of its monitors. */
  private readonly monitors = new Map<Atom, Map<Process, number>>();
  /** monitor_nodes: each subscribing process with its subscriptions, in the order they were made. */
  private readonly subscribers = new Map<Process, Subscription[]>();

  constructor(private readonly rt: Runtime) {}

  /** How many processes hold node monitors or subscriptions (for introspection). */
  get holders(): number {
    const holders = new Set(this.subscribers.keys());
    for (const counts of this.monitors.values()) for (const p of counts.keys()) holders.add(p);
    return holders.size;
  }

  /**
   * erlang:monitor_node(Node, Flag) for `p`. Monitors stack: `true` adds one, `false` removes one. A node that is
   * not connected is connected to; when that fails, the sink's nodeDown fires the monitor. Monitoring this node
   * does nothing, as on the BEAM.
   */
  monitorNode(p: Process, node: Atom, flag: boolean): void {
    if (!(node instanceof Atom)) throw badArg(`monitorNode: a node name is an atom, not ${String(node)}`);
    if (typeof flag !== "boolean") throw badArg(`monitorNode: the flag is a boolean, not ${String(flag)}`);
    if (p.exited || node === this.rt.node) return;
    let counts = this.monitors.get(node);
    if (!flag) {
      const count = counts?.get(p);
      if (counts === undefined || count === undefined) return;
      if (count > 1) counts.set(p, count - 1);
      else if (counts.delete(p) && counts.size === 0) this.monitors.delete(node);
      return;
    }
    const connect = this.rt.transport.connect;
    if (connect === undefined) {
      this.rt.execution.deliver(p, tuple(NODEDOWN, node)); // no distribution: no node can be reached
      return;
    }
    if (counts === undefined) {
      counts = new Map();
      this.monitors.set(node, counts);
    }
    counts.set(p, (counts.get(p) ?? 0) + 1);
    // A transport reports a failed attempt through nodeDown before it resolves false; a rejection is its bug, and
    // then nothing more will come for this node either.
    connect.call(this.rt.transport, node).catch(() => this.nodeDown(node, undefined));
  }

  /**
   * net_kernel:monitor_nodes(Flag, Options) for `p`: `true` adds a subscription, `false` ends every subscription
   * of `p` with the same option set. Without options (or none set) the messages are `{nodeup, Node}` and
   * `{nodedown, Node}` for visible nodes; with any, `{nodeup, Node, Info}` and `{nodedown, Node, Info}`.
   */
  monitorNodes(p: Process, flag: boolean, options: MonitorNodesOptions = {}): void {
    if (typeof flag !== "boolean") throw badArg(`monitorNodes: the flag is a boolean, not ${String(flag)}`);
    const subscription = subscriptionOf(options);
    if (p.exited) return;
    const subscriptions = this.subscribers.get(p);
    if (flag) {
      if (subscriptions === undefined) this.subscribers.set(p, [subscription]);
      else subscriptions.push(subscription);
      return;
    }
    if (subscriptions === undefined) return;
    const kept = subscriptions.filter((s) => s.key !== subscription.key);
    if (kept.length === 0) this.subscribers.delete(p);
    else this.subscribers.set(p, kept);
  }

  /** A connection to `node` came up: the subscribers hear of it. */
  nodeUp(node: Atom, hidden: boolean): void {
    this.tell(NODEUP, node, hidden, undefined);
  }

  /**
   * The connection to `node` went down, or could not be made (`lost` undefined): every monitor of it fires, and
   * the subscribers hear of a connection that was up.
   */
  nodeDown(node: Atom, lost: LostConnection | undefined): void {
    const counts = this.monitors.get(node);
    if (counts !== undefined) {
      this.monitors.delete(node);
      const message = tuple(NODEDOWN, node);
      for (const [p, count] of counts) {
        for (let i = 0; i < count && !p.exited; i++) this.rt.execution.deliver(p, message);
      }
    }
    if (lost !== undefined) this.tell(NODEDOWN, node, lost.hidden, lost.nodedownReason);
  }

  /** `p` exited: its monitors and subscriptions go. */
  forget(p: Process): void {
    if (this.subscribers.size > 0) this.subscribers.delete(p);
    if (this.monitors.size === 0) return;
    for (const [node, counts] of this.monitors) {
      if (counts.delete(p) && counts.size === 0) this.monitors.delete(node);
    }
  }

  private tell(event: Atom, node: Atom, hidden: boolean, reason: Atom | undefined): void {
    for (const [p, subscriptions] of this.subscribers) {
      for (const subscription of subscriptions) {
        if (p.exited) break;
        const nodeType = subscription.nodeType ?? "visible";
        if (nodeType !== "all" && (nodeType === "hidden") !== hidden) continue;
        this.rt.execution.deliver(p, statusMessage(subscription, event, node, hidden, reason));
      }
    }
  }
}

/** The subscription `options` ask for; a ProcessError for options monitor_nodes/2 would refuse. */
function subscriptionOf(options: MonitorNodesOptions): Subscription {
  if (typeof options !== "object" || options === null) {
    throw badArg(`monitorNodes: the options are an object, not ${String(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === "nodeType" ? !NODE_TYPES.has(value) : key !== "nodedownReason" || typeof value !== "boolean") {
      throw badArg(`monitorNodes: bad option ${key}: ${String(value)}`);
    }
  }
  const nodedownReason = options.nodedownReason === true;
  return { key: `${options.nodeType ?? ""}/${nodedownReason}`, nodeType: options.nodeType, nodedownReason };
}

/**
 * `{nodeup, Node}` / `{nodedown, Node}`, or with the info list when the subscription set an option: nodedown's
 * reason first, then the node type, as OTP 25 lists them.
 */
function statusMessage(
  subscription: Subscription,
  event: Atom,
  node: Atom,
  hidden: boolean,
  reason: Atom | undefined,
): Tuple {
  if (subscription.nodeType === undefined && !subscription.nodedownReason) return tuple(event, node);
  const info: Term[] = [];
  if (subscription.nodedownReason && reason !== undefined) info.push(tuple(NODEDOWN_REASON, reason));
  if (subscription.nodeType !== undefined) info.push(tuple(NODE_TYPE, hidden ? HIDDEN : VISIBLE));
  return tuple(event, node, info);
}

function badArg(message: string): ProcessError {
  return new ProcessError(ErrorCodes.PROC_BAD_ARG, message);
}
