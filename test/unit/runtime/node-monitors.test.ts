// Node monitoring in the runtime, against a scripted transport: erlang:monitor_node/2 (stacked monitors, `false`,
// an unreachable node, this node, monitors that die with their process), net_kernel:monitor_nodes/2 (the message
// forms of each option set, hidden nodes, ending subscriptions) and erlang:nodes/1.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Atom,
  atom,
  ErrorCodes,
  NOCONNECTION,
  type NodeKind,
  type Process,
  ProcessError,
  type Runtime,
  type SignalTransport,
  type Term,
  tuple,
} from "../../../src/index.ts";
import { assertTerm, runtime } from "../../support/runtime.ts";

const VISIBLE_NODE = atom("visible@host");
const HIDDEN_NODE = atom("hidden@host");
const MISSING_NODE = atom("missing@host");
const NODEUP = atom("nodeup");
const NODEDOWN = atom("nodedown");
const NODE_TYPE = atom("node_type");
const NODEDOWN_REASON = atom("nodedown_reason");
const CONNECTION_CLOSED = atom("connection_closed");

/** A transport with scripted peers, keeping the distribution's contract with the sink (contracts.ts). */
class ScriptedNetwork implements SignalTransport {
  sink!: Runtime;
  /** Nodes a connect reaches, and whether each is hidden. */
  readonly reachable = new Map<Atom, boolean>([
    [VISIBLE_NODE, false],
    [HIDDEN_NODE, true],
  ]);
  /** Connected nodes, and whether each is hidden. */
  readonly up = new Map<Atom, boolean>();
  readonly connects: Atom[] = [];

  send(): undefined {
    return undefined;
  }

  nodes(kind: NodeKind): Atom[] {
    return [...this.up].filter(([, hidden]) => kind === "connected" || (kind === "hidden") === hidden).map(([n]) => n);
  }

  async connect(node: Atom): Promise<boolean> {
    this.connects.push(node);
    if (this.up.has(node)) return true;
    const hidden = this.reachable.get(node);
    if (hidden === undefined) {
      this.sink.nodeDown(node, NOCONNECTION);
      return false;
    }
    this.bringUp(node);
    return true;
  }

  bringUp(node: Atom): void {
    const hidden = this.reachable.get(node)!;
    this.up.set(node, hidden);
    this.sink.nodeUp(node, hidden);
  }

  takeDown(node: Atom, reason = CONNECTION_CLOSED): void {
    const hidden = this.up.get(node)!;
    this.up.delete(node);
    this.sink.nodeDown(node, NOCONNECTION, { hidden, nodedownReason: reason });
  }
}

function network(t: Parameters<typeof runtime>[0]): { rt: Runtime; net: ScriptedNetwork } {
  const net = new ScriptedNetwork();
  const { rt } = runtime(t, { transport: net });
  net.sink = rt;
  return { rt, net };
}

/** The messages in `self`'s queue, oldest first. */
async function drain(self: Process): Promise<Term[]> {
  const messages: Term[] = [];
  for (;;) {
    const message = await self.receive(undefined, { timeout: 0 });
    if (message === undefined) return messages;
    messages.push(message);
  }
}

function assertMessages(actual: Term[], expected: Term[]): void {
  assert.equal(actual.length, expected.length, `${actual.length} messages, expected ${expected.length}`);
  for (const [i, message] of expected.entries()) assertTerm(actual[i], message, `message ${i}`);
}

function rejectsBadArg(action: () => void): void {
  assert.throws(action, (e: unknown) => e instanceof ProcessError && e.code === ErrorCodes.PROC_BAD_ARG);
}

describe("monitorNode (erlang:monitor_node/2)", () => {
  test("monitors stack: three set and one removed give two {nodedown, Node} when the connection goes", async (t) => {
    const { rt, net } = network(t);
    const got = await rt.run(async (self) => {
      for (let i = 0; i < 3; i++) self.monitorNode(VISIBLE_NODE);
      self.monitorNode(VISIBLE_NODE, false);
      const whileUp = await drain(self);
      net.takeDown(VISIBLE_NODE);
      const afterDown = await drain(self);
      // The monitors fired and are gone: the next connection's end tells nothing.
      net.bringUp(VISIBLE_NODE);
      net.takeDown(VISIBLE_NODE);
      return { whileUp, afterDown, later: await drain(self) };
    });
    assertMessages(got.whileUp, []);
    assertMessages(got.afterDown, [tuple(NODEDOWN, VISIBLE_NODE), tuple(NODEDOWN, VISIBLE_NODE)]);
    assertMessages(got.later, []);
  });

  test("a node not connected is connected to; one that cannot be reached gives {nodedown, Node} at once", async (t) => {
    const { rt, net } = network(t);
    const messages = await rt.run(async (self) => {
      self.monitorNode(VISIBLE_NODE);
      self.monitorNode(MISSING_NODE);
      return drain(self);
    });
    assert.deepEqual(net.connects, [VISIBLE_NODE, MISSING_NODE]);
    assert.ok(net.up.has(VISIBLE_NODE));
    assertMessages(messages, [tuple(NODEDOWN, MISSING_NODE)]);
  });

  test("without distribution every other node is unreachable: {nodedown, Node} at once", async (t) => {
    const { rt } = runtime(t);
    const messages = await rt.run(async (self) => {
      self.monitorNode(VISIBLE_NODE);
      return drain(self);
    });
    assertMessages(messages, [tuple(NODEDOWN, VISIBLE_NODE)]);
  });

  test("monitoring this node does nothing; removing a monitor that is not there is no error", async (t) => {
    const { rt, net } = network(t);
    await rt.run(async (self) => {
      self.monitorNode(rt.node);
      self.monitorNode(VISIBLE_NODE, false);
    });
    assert.deepEqual(net.connects, []);
    assert.equal(rt.nodeMonitors.holders, 0);
  });

  test("a process's node monitors and subscriptions go when it exits", async (t) => {
    const { rt, net } = network(t);
    await rt.run(async (self) => {
      self.monitorNode(VISIBLE_NODE);
      self.monitorNodes(true, { nodeType: "all" });
      assert.equal(rt.nodeMonitors.holders, 1);
    });
    assert.equal(rt.nodeMonitors.holders, 0);
    net.takeDown(VISIBLE_NODE);
  });

  test("a failed connection attempt fires the node monitors but tells the monitor_nodes subscribers nothing", async (t) => {
    const { rt } = network(t);
    const messages = await rt.run(async (self) => {
      self.monitorNodes(true, { nodeType: "all", nodedownReason: true });
      self.monitorNode(MISSING_NODE);
      return drain(self);
    });
    assertMessages(messages, [tuple(NODEDOWN, MISSING_NODE)]);
  });

  test("bad arguments are PROC_BAD_ARG", async (t) => {
    const { rt } = network(t);
    await rt.run(async (self) => {
      rejectsBadArg(() => self.monitorNode("visible@host" as unknown as Atom));
      rejectsBadArg(() => self.monitorNode(VISIBLE_NODE, "yes" as unknown as boolean));
    });
  });
});

describe("monitorNodes (net_kernel:monitor_nodes/2)", () => {
  test("without options: {nodeup, Node} and {nodedown, Node}, for visible nodes only", async (t) => {
    const { rt, net } = network(t);
    const messages = await rt.run(async (self) => {
      self.monitorNodes(true);
      net.bringUp(HIDDEN_NODE);
      net.bringUp(VISIBLE_NODE);
      net.takeDown(VISIBLE_NODE);
      net.takeDown(HIDDEN_NODE);
      return drain(self);
    });
    assertMessages(messages, [tuple(NODEUP, VISIBLE_NODE), tuple(NODEDOWN, VISIBLE_NODE)]);
  });

  test("each option set has its message form: node_type after nodedown_reason, as OTP 25 lists them", async (t) => {
    const { rt, net } = network(t);
    const DISCONNECT = atom("disconnect");
    const visible = tuple(NODE_TYPE, atom("visible"));
    const hidden = tuple(NODE_TYPE, atom("hidden"));
    const got = await rt.run(async (self) => {
      self.monitorNodes(true, { nodedownReason: true });
      self.monitorNodes(true, { nodeType: "hidden" });
      self.monitorNodes(true, { nodeType: "all", nodedownReason: true });
      net.bringUp(VISIBLE_NODE);
      net.bringUp(HIDDEN_NODE);
      const ups = await drain(self);
      net.takeDown(VISIBLE_NODE, DISCONNECT);
      net.takeDown(HIDDEN_NODE);
      return { ups, downs: await drain(self) };
    });
    assertMessages(got.ups, [
      tuple(NODEUP, VISIBLE_NODE, []),
      tuple(NODEUP, VISIBLE_NODE, [visible]),
      tuple(NODEUP, HIDDEN_NODE, [hidden]),
      tuple(NODEUP, HIDDEN_NODE, [hidden]),
    ]);
    assertMessages(got.downs, [
      tuple(NODEDOWN, VISIBLE_NODE, [tuple(NODEDOWN_REASON, DISCONNECT)]),
      tuple(NODEDOWN, VISIBLE_NODE, [tuple(NODEDOWN_REASON, DISCONNECT), visible]),
      tuple(NODEDOWN, HIDDEN_NODE, [hidden]),
      tuple(NODEDOWN, HIDDEN_NODE, [tuple(NODEDOWN_REASON, CONNECTION_CLOSED), hidden]),
    ]);
  });

  test("subscriptions stack; false ends every one with the same option set and keeps the others", async (t) => {
    const { rt, net } = network(t);
    const messages = await rt.run(async (self) => {
      self.monitorNodes(true);
      self.monitorNodes(true, {});
      self.monitorNodes(true, { nodedownReason: true });
      self.monitorNodes(true, { nodedownReason: true, nodeType: undefined });
      self.monitorNodes(false, { nodedownReason: true });
      net.bringUp(VISIBLE_NODE);
      return drain(self);
    });
    assertMessages(messages, [tuple(NODEUP, VISIBLE_NODE), tuple(NODEUP, VISIBLE_NODE)]);
  });

  test("a node monitor's nodedown comes before the subscription's, as on the BEAM", async (t) => {
    const { rt, net } = network(t);
    const messages = await rt.run(async (self) => {
      self.monitorNodes(true);
      self.monitorNode(VISIBLE_NODE);
      net.takeDown(VISIBLE_NODE);
      return drain(self);
    });
    assertMessages(messages, [
      tuple(NODEUP, VISIBLE_NODE),
      tuple(NODEDOWN, VISIBLE_NODE),
      tuple(NODEDOWN, VISIBLE_NODE),
    ]);
  });

  test("options monitor_nodes/2 refuses are PROC_BAD_ARG", async (t) => {
    const { rt } = network(t);
    await rt.run(async (self) => {
      rejectsBadArg(() => self.monitorNodes(true, { nodeType: "bogus" as "all" }));
      rejectsBadArg(() => self.monitorNodes(true, { bogus: true } as object));
      rejectsBadArg(() => self.monitorNodes(true, { nodedownReason: 1 as unknown as boolean }));
      rejectsBadArg(() => self.monitorNodes("maybe" as unknown as boolean));
    });
    assert.equal(rt.nodeMonitors.holders, 0);
  });
});

describe("nodes (erlang:nodes/1)", () => {
  test("visible by default; hidden, connected, this, and unions of them", (t) => {
    const { rt, net } = network(t);
    net.bringUp(VISIBLE_NODE);
    net.bringUp(HIDDEN_NODE);
    assert.deepEqual(rt.nodes(), [VISIBLE_NODE]);
    assert.deepEqual(rt.nodes("hidden"), [HIDDEN_NODE]);
    assert.deepEqual(rt.nodes("connected"), [VISIBLE_NODE, HIDDEN_NODE]);
    assert.deepEqual(rt.nodes("this"), [rt.node]);
    assert.deepEqual(rt.nodes(["this", "visible"]), [rt.node, VISIBLE_NODE]);
    assert.deepEqual(rt.nodes(["visible", "hidden"]), [VISIBLE_NODE, HIDDEN_NODE]);
    assert.deepEqual(rt.nodes([]), []);
    rejectsBadArg(() => rt.nodes("known" as "this"));
  });
});
