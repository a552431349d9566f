// Two Otter nodes talking the Erlang distribution protocol to each other: in one Node.js process (two
// `startNode` calls sharing the first one's embedded EPMD: ping, messages, GenServer.call, links and monitors, a
// disconnect seen as `noconnection`), and in two OS processes (a child `node` that starts a node from the built
// package, which `npm test` builds first).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  atom,
  DOWN,
  EXIT,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  ProcessExit,
  parse,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { type ChildNode, killChildNode, startChildNode } from "../support/child-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { assertTerm, waitFor } from "../support/runtime.ts";

const cookie = uniqueCookie();
let epmdPort: number;

function start(prefix: string): Promise<OtterNode> {
  return startNode({
    name: uniqueNodeName(prefix),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    runtime: { logger: () => {} }, // the crash reports of the processes these tests end on purpose
  });
}

const isExit = (m: Term): boolean => m instanceof Tuple && m.at(0) === EXIT;
const isDown = (m: Term): boolean => m instanceof Tuple && m.at(0) === DOWN;

/** A counter GenServer: `call(n)` adds n and replies with the total. */
const counter: GenServerCallbacks<number, number, Term, Term, Term> = {
  init: (_self, n) => ({ state: n }),
  handleCall: (_self, request, _from, n) => ({ reply: n + (request as number), state: n + (request as number) }),
};

before(async () => {
  epmdPort = await freePort();
});

describe("two Otter nodes in one Node.js process", () => {
  let a: OtterNode;
  let b: OtterNode;

  before(async () => {
    a = await start("otter_a");
    b = await start("otter_b");
  });

  after(async () => {
    await b?.stop();
    await a?.stop(); // a runs the EPMD b registered with: it stops last
  });

  test("they ping each other and list each other in nodes()", async () => {
    assert.equal(await a.ping(b.name), "pong");
    assert.equal(await b.ping(a.name), "pong");
    assert.ok(a.nodes().includes(b.name));
    assert.ok(b.nodes().includes(a.name));
  });

  test("messages to a pid and to {name, node} arrive equal", async () => {
    const echo = b.runtime.spawn(async (self) => {
      for (;;) {
        const m = (await self.receive()) as Tuple;
        self.send(m.at(0) as Pid, tuple(atom("echo"), m.at(1)!));
      }
    });
    b.runtime.register(atom("echo"), echo);
    const term = tuple(
      atom("ok"),
      2n ** 70n,
      1.5,
      Buffer.from("bin"),
      [atom("a"), [1, 2]],
      parse('#{1 => 2, <<"k">> => {t}}'),
    );
    const answers = await a.runtime.run(async (self) => {
      self.send(echo, tuple(self.pid, term));
      self.send({ name: atom("echo"), node: b.name }, tuple(self.pid, term));
      return [await self.receive(undefined, { timeout: 5000 }), await self.receive(undefined, { timeout: 5000 })];
    });
    for (const answer of answers) assertTerm(answer, tuple(atom("echo"), term));
  });

  test("GenServer.call across the nodes, both ways", async () => {
    await GenServer.start(a.runtime, counter, 100, { name: atom("counter_a") });
    await GenServer.start(b.runtime, counter, 10, { name: atom("counter_b") });
    const fromA = await a.runtime.run((self) => GenServer.call(self, { name: atom("counter_b"), node: b.name }, 5));
    const fromB = await b.runtime.run((self) => GenServer.call(self, { name: atom("counter_a"), node: a.name }, 1));
    assert.equal(fromA, 15);
    assert.equal(fromB, 101);
  });

  test("links and monitors across the nodes carry the exit reason", async () => {
    const victim = b.runtime.spawn(async (self) => {
      await self.receive();
      throw new ProcessExit(tuple(atom("shutdown"), atom("asked")));
    });
    const [exit, down] = await a.runtime.run(async (self) => {
      self.setTrapExit(true);
      self.link(victim);
      const ref = self.monitor(victim);
      self.send(victim, atom("go"));
      const exit = await self.receive(isExit, { timeout: 5000 });
      const down = (await self.receive(isDown, { timeout: 5000 })) as Tuple;
      assertTerm(down.at(1), ref);
      return [exit, down.at(4)];
    });
    assertTerm(exit, tuple(EXIT, victim, tuple(atom("shutdown"), atom("asked"))));
    assertTerm(down, tuple(atom("shutdown"), atom("asked")));
  });

  test("unlink across the nodes: no exit arrives after it", async () => {
    const victim = b.runtime.spawn(async (self) => {
      await self.receive();
      throw new ProcessExit(atom("boom"));
    });
    const queued = await a.runtime.run(async (self) => {
      self.setTrapExit(true);
      self.link(victim);
      self.unlink(victim);
      self.monitor(victim);
      self.send(victim, atom("go"));
      await self.receive(isDown, { timeout: 5000 });
      return a.runtime.processInfo(self.pid)!.messageQueueLen;
    });
    assert.equal(queued, 0);
  });

  test("disconnect_node: links and monitors over the connection fire noconnection, the nodes live on", async () => {
    const c = await start("otter_c");
    try {
      const remote = c.runtime.spawn(async (self) => {
        await self.receive((m) => m === atom("never"));
      });
      const seen = a.runtime.run(async (self) => {
        self.setTrapExit(true);
        self.link(remote);
        self.monitor(remote);
        self.send(remote, atom("hello")); // connects, after the link and the monitor
        return [await self.receive(isExit, { timeout: 5000 }), await self.receive(isDown, { timeout: 5000 })];
      });
      await waitFor(() => c.runtime.processInfo(remote)?.links.length === 1, "the link to reach c", 5000);
      assert.equal(a.disconnect(c.name), true);
      const [exit, down] = (await seen) as [Tuple, Tuple];
      assert.equal(exit.at(2), atom("noconnection"));
      assert.equal(down.at(4), atom("noconnection"));
      // On c too the link fired: the process, not trapping exits, ended with noconnection.
      await waitFor(() => !c.runtime.isAlive(remote), "c's process to end", 5000);
      assert.equal(await a.ping(c.name), "pong");
    } finally {
      await c.stop();
    }
  });
});

/** The child: a node from the built package with a counter GenServer and an exported module. */
const CHILD = `
import { startNode, GenServer, atom } from "otter";
const [name, cookie, epmdPort] = process.argv.slice(-3);
const node = await startNode({ name, cookie, epmdPort: Number(epmdPort), listen: { host: "127.0.0.1" } });
await GenServer.start(node.runtime, {
  init: (_self, n) => ({ state: n }),
  handleCall: (_self, request, _from, n) => ({ reply: n + request, state: n + request }),
}, 1000, { name: atom("counter") });
node.exportModule("child", { os_pid: () => process.pid });
console.log("up");
process.once("SIGTERM", () => node.stop().then(() => process.exit(0)));
`;

describe("two Otter nodes in two OS processes", () => {
  let node: OtterNode;
  let child: ChildNode;
  const childName = uniqueNodeName("otter_child");

  before(async () => {
    node = await start("otter_parent");
    child = await startChildNode(CHILD, [childName, cookie, String(epmdPort)], { readyWithinMs: 15_000 });
  });

  after(async () => {
    await killChildNode(child);
    await node?.stop();
  });

  test("ping, GenServer.call, and an rpc call of the child's exported function", async () => {
    assert.equal(await node.ping(childName), "pong");
    const total = await node.runtime.run((self) =>
      GenServer.call(self, { name: atom("counter"), node: atom(childName) }, 7),
    );
    assert.equal(total, 1007);
    // rpc:call's rex protocol, into the child's exported module.
    const osPid = await node.runtime.run((self) =>
      GenServer.call(
        self,
        { name: atom("rex"), node: atom(childName) },
        tuple(atom("call"), atom("child"), atom("os_pid"), [], self.pid),
      ),
    );
    assert.equal(osPid, child.pid);
  });

  test("the child process killed: a monitor toward it fires noconnection", async () => {
    const down = await node.runtime.run(async (self) => {
      const ref = self.monitor({ name: atom("counter"), node: atom(childName) });
      child.kill("SIGKILL");
      return (await self.receive((m) => isDown(m) && (m as Tuple).at(1) === ref, { timeout: 10_000 })) as Tuple;
    });
    assert.equal(down.at(4), atom("noconnection"));
    assert.ok(!node.nodes().includes(atom(childName)));
  });
});
