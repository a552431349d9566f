// Node monitoring between an Otter node and real erl nodes, both ways: erlang:monitor_node/2 (an erl killed with
// SIGKILL, an Otter node that stops, a node that does not exist), net_kernel:monitor_nodes/2 with its nodedown
// reasons (disconnect, connection_closed, net_tick_timeout, logged as dist_util logs it) and node types, and hidden
// nodes listed by erlang:nodes(hidden) on both sides.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom, type LogEvent, type Process, type Term, Tuple, tuple } from "../../src/index.ts";
import { type NodeOptions, type OtterNode, startNode } from "../../src/node/node.ts";
import { ErlNode, type ErlNodeOptions } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl, uniqueNodeName } from "../support/dist.ts";
import { assertTerm, waitFor, within } from "../support/runtime.ts";

const NODEUP = atom("nodeup");
const NODEDOWN = atom("nodedown");
const VISIBLE = tuple(atom("node_type"), atom("visible"));
const HIDDEN = tuple(atom("node_type"), atom("hidden"));
const because = (reason: string) => tuple(atom("nodedown_reason"), atom(reason));

let pair: NodeBesideErl;

before(async () => {
  pair = await startNodeBesideErl("otter_nodemon");
});

after(async () => {
  await pair?.stop();
});

/** Another erl on the pair's EPMD, with its cookie. */
function startErl(options: ErlNodeOptions = {}): Promise<ErlNode> {
  return ErlNode.start({ cookie: pair.cookie, epmdPort: pair.epmdPort, startEpmd: false, ...options });
}

/** Another Otter node on the pair's EPMD, with its cookie. */
function startOtter(prefix: string, options: Partial<NodeOptions> = {}): Promise<OtterNode> {
  return startNode({
    name: uniqueNodeName(prefix),
    cookie: pair.cookie,
    epmdPort: pair.epmdPort,
    listen: { host: "127.0.0.1" },
    embeddedEpmd: false,
    ...options,
  });
}

const isNodeStatus = (m: Term): boolean => m instanceof Tuple && (m.at(0) === NODEUP || m.at(0) === NODEDOWN);

/** Takes the next node status message (`deadlineMs` of real time at most). */
async function nextStatus(self: Process, deadlineMs = 10_000): Promise<Term> {
  const message = await self.receive(isNodeStatus, { timeout: deadlineMs });
  assert.ok(message !== undefined, `no nodeup/nodedown within ${deadlineMs} ms`);
  return message;
}

/**
 * Registers `name` on `erl`: a process that subscribes with `Opts` (net_kernel:monitor_nodes/2), monitors node
 * `Monitor` unless it is `none` (erlang:monitor_node/2), and keeps the messages it gets for `erlMessages`.
 */
async function erlCollector(erl: ErlNode, name: string, opts: Term[], monitor: Term = atom("none")): Promise<void> {
  const started = await erl.eval(
    `Parent = self(),
     Pid = spawn(fun() ->
       ok = net_kernel:monitor_nodes(true, Opts),
       Monitor =:= none orelse monitor_node(Monitor, true),
       Parent ! {self(), ready},
       Loop = fun L(Acc) -> receive {get, From} -> From ! {got, lists:reverse(Acc)}, L(Acc); M -> L([M | Acc]) end end,
       Loop([])
     end),
     register(Name, Pid),
     receive {Pid, ready} -> ok after 5000 -> timeout end`,
    { bindings: { Name: atom(name), Opts: opts, Monitor: monitor } },
  );
  assert.equal(started, atom("ok"));
}

/** What the collector `name` on `erl` got so far. */
async function erlMessages(erl: ErlNode, name: string): Promise<Term[]> {
  const got = await erl.eval("Name ! {get, self()}, receive {got, L} -> L after 5000 -> timeout end", {
    bindings: { Name: atom(name) },
  });
  assert.ok(Array.isArray(got), "the collector answers");
  return got;
}

/** Polls the collector until it holds `count` messages; returns them. */
async function erlMessagesWhen(erl: ErlNode, name: string, count: number, deadlineMs = 10_000): Promise<Term[]> {
  const start = performance.now();
  for (;;) {
    const got = await erlMessages(erl, name);
    if (got.length >= count) return got;
    assert.ok(performance.now() - start < deadlineMs, `erl's ${name} got ${got.length} of ${count} messages`);
  }
}

function assertMessages(actual: Term[], expected: Term[]): void {
  assert.equal(actual.length, expected.length, `got ${actual.length} messages, expected ${expected.length}`);
  for (const [i, message] of expected.entries()) assertTerm(actual[i], message, `message ${i}`);
}

describe("Otter monitors erl", () => {
  test("erl killed with SIGKILL: {nodedown, Erl} once per monitor_node, connection_closed for monitor_nodes", async () => {
    const victim = await startErl();
    const victimName = atom(victim.name);
    try {
      let connected!: () => void;
      const isUp = new Promise<void>((resolve) => {
        connected = resolve;
      });
      const got = pair.node.runtime.run(async (self) => {
        self.monitorNodes(true, { nodedownReason: true });
        self.monitorNode(victimName);
        self.monitorNode(victimName);
        const up = await nextStatus(self);
        connected();
        return [up, await nextStatus(self), await nextStatus(self), await nextStatus(self)];
      });
      await within(isUp, 10_000, "the connection to the victim");
      process.kill(victim.osPid!, "SIGKILL");
      assertMessages(await within(got, 15_000, "the nodedown messages"), [
        tuple(NODEUP, victimName, []),
        tuple(NODEDOWN, victimName),
        tuple(NODEDOWN, victimName),
        tuple(NODEDOWN, victimName, [because("connection_closed")]),
      ]);
      assert.ok(!pair.node.nodes().includes(victimName));
    } finally {
      await victim.stop();
    }
  });

  test("a node that does not exist: {nodedown, Node} at once", async () => {
    const nobody = atom(uniqueNodeName("nobody"));
    const message = await pair.node.runtime.run(async (self) => {
      self.monitorNode(nobody);
      return nextStatus(self);
    });
    assertTerm(message, tuple(NODEDOWN, nobody));
  });

  test("monitor_nodes both ways on connect and disconnect: disconnect here, connection_closed on erl", async () => {
    const peer = await startErl();
    const peerName = atom(peer.name);
    try {
      await erlCollector(peer, "otter_watch", [atom("nodedown_reason"), tuple(atom("node_type"), atom("all"))]);
      let subscribed!: () => void;
      const isSubscribed = new Promise<void>((resolve) => {
        subscribed = resolve;
      });
      const got = pair.node.runtime.run(async (self) => {
        self.monitorNodes(true, { nodeType: "all", nodedownReason: true });
        self.monitorNodes(true);
        subscribed();
        return [await nextStatus(self), await nextStatus(self), await nextStatus(self), await nextStatus(self)];
      });
      await isSubscribed;
      assert.equal(await pair.node.ping(peerName), "pong");
      await waitFor(() => pair.node.nodes().includes(peerName), "erl in nodes()", 5000);
      assert.equal(pair.node.disconnect(peerName), true);
      assertMessages(await within(got, 10_000, "our subscriber's messages"), [
        tuple(NODEUP, peerName, [VISIBLE]),
        tuple(NODEUP, peerName),
        tuple(NODEDOWN, peerName, [because("disconnect"), VISIBLE]),
        tuple(NODEDOWN, peerName),
      ]);
      const seen = await erlMessagesWhen(peer, "otter_watch", 2);
      assertMessages(seen.slice(0, 2), [
        tuple(NODEUP, pair.node.name, [VISIBLE]),
        tuple(NODEDOWN, pair.node.name, [because("connection_closed"), VISIBLE]),
      ]);
    } finally {
      await peer.stop();
    }
  });

  test("a silent erl (SIGSTOP): net_tick_timeout, logged as dist_util logs it", async () => {
    const logs: LogEvent[] = [];
    const ticking = await startOtter("otter_nodemon_tick", {
      tickTimeMs: 2000,
      runtime: { logger: (event) => logs.push(event) },
    });
    const frozen = await startErl({ args: ["-kernel", "net_ticktime", "2"] });
    const frozenName = atom(frozen.name);
    let stopped = false;
    try {
      let connected!: () => void;
      const isUp = new Promise<void>((resolve) => {
        connected = resolve;
      });
      const got = ticking.runtime.run(async (self) => {
        self.monitorNodes(true, { nodedownReason: true });
        self.monitorNode(frozenName);
        const up = await nextStatus(self);
        connected();
        return [up, await nextStatus(self), await nextStatus(self)];
      });
      await within(isUp, 10_000, "the connection to erl");
      process.kill(frozen.osPid!, "SIGSTOP");
      stopped = true;
      assertMessages(await within(got, 15_000, "the nodedown"), [
        tuple(NODEUP, frozenName, []),
        tuple(NODEDOWN, frozenName),
        tuple(NODEDOWN, frozenName, [because("net_tick_timeout")]),
      ]);
      const logged = logs.find((e) => e.level === "error" && String(e.msg).includes("not responding"));
      assert.equal(
        logged?.msg,
        `** Node '${frozen.name}' not responding **\n** Removing (timedout) connection **`,
        "the tick timeout is logged at error level",
      );
    } finally {
      if (stopped) process.kill(frozen.osPid!, "SIGCONT");
      await frozen.stop();
      await ticking.stop();
    }
  });
});

describe("erl monitors Otter", () => {
  test("an Otter node that stops: erl's monitor_node and monitor_nodes see it go", async () => {
    const leaving = await startOtter("otter_nodemon_leaving");
    try {
      await erlCollector(pair.erl, "otter_leaving", [atom("nodedown_reason")], leaving.name);
      await waitFor(() => leaving.nodes().includes(atom(pair.erl.name)), "erl's monitor_node to connect", 10_000);
      await leaving.stop();
      const seen = await erlMessagesWhen(pair.erl, "otter_leaving", 3);
      assertMessages(seen, [
        tuple(NODEUP, leaving.name, []),
        tuple(NODEDOWN, leaving.name),
        tuple(NODEDOWN, leaving.name, [because("connection_closed")]),
      ]);
    } finally {
      await leaving.stop();
    }
  });
});

describe("hidden nodes", () => {
  test("a hidden Otter node: in erl's nodes(hidden), not in nodes(); erl is hidden to it too", async () => {
    const hidden = await startOtter("otter_nodemon_hidden", { hidden: true });
    const erlName = atom(pair.erl.name);
    try {
      const got = hidden.runtime.run(async (self) => {
        self.monitorNodes(true);
        self.monitorNodes(true, { nodeType: "hidden" });
        assert.equal(await hidden.ping(erlName), "pong");
        return [await nextStatus(self), await self.receive(isNodeStatus, { timeout: 0 })];
      });
      const [up, more] = await within(got, 10_000, "the hidden nodeup");
      assertTerm(up, tuple(NODEUP, erlName, [HIDDEN]));
      assert.equal(more, undefined, "the subscription to visible nodes heard nothing");
      assert.deepEqual(hidden.nodes(), []);
      assert.deepEqual(hidden.nodes("hidden"), [erlName]);
      assert.deepEqual(hidden.nodes("connected"), [erlName]);
      assertTerm(await pair.erl.eval("lists:member(H, nodes(hidden))", { bindings: { H: hidden.name } }), true);
      assertTerm(await pair.erl.eval("lists:member(H, nodes())", { bindings: { H: hidden.name } }), false);
    } finally {
      await hidden.stop();
    }
  });

  test("a hidden erl (-hidden) that connects to us: in our nodes(hidden), not in nodes()", async () => {
    const hiddenErl = await startErl({ args: ["-hidden"] });
    const hiddenName = atom(hiddenErl.name);
    try {
      assertTerm(await hiddenErl.eval("net_kernel:connect_node(Otter)", { bindings: { Otter: pair.node.name } }), true);
      await waitFor(() => pair.node.nodes("hidden").includes(hiddenName), "the hidden erl in nodes(hidden)", 5000);
      assert.ok(!pair.node.nodes().includes(hiddenName));
      assert.ok(pair.node.runtime.nodes(["this", "connected"]).includes(hiddenName));
      assertTerm(
        await hiddenErl.eval("lists:member(Otter, nodes(hidden))", { bindings: { Otter: pair.node.name } }),
        true,
      );
    } finally {
      await hiddenErl.stop();
    }
  });
});
