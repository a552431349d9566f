// The same-host transport: Otter nodes on one host connect over a Unix socket advertised in EPMD's extra field,
// run the normal handshake and signals over it, fall back to TCP when it cannot be opened or is turned off, and
// leave BEAM nodes on TCP both ways; the socket file lives in a private directory, goes on stop, and a stale one
// is replaced at start.
import assert from "node:assert/strict";
import { chmod, link, lstat, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAdvertisement } from "../../src/cluster/same-host/advertisement.ts";
import { sameHostCarrier, socketPath } from "../../src/cluster/same-host/index.ts";
import { portPlease } from "../../src/dist/epmd/client.ts";
import { DistError, ErrorCodes } from "../../src/errors.ts";
import { atom, DOWN, EXIT, type Pid, ProcessExit, type Term, Tuple, tuple } from "../../src/index.ts";
import { type NodeOptions, type OtterNode, startNode } from "../../src/node/node.ts";
import { ErlNode, freePort, type SystemEpmd, startSystemEpmd } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { assertTerm, waitFor } from "../support/runtime.ts";

const cookie = uniqueCookie();
let epmdPort: number;
/** The private socket directory of these tests' nodes. */
let dir: string;
/** Runs the embedded EPMD every other node registers with; stops last. */
let anchor: OtterNode;

function start(prefix: string, options: Partial<NodeOptions> = {}): Promise<OtterNode> {
  return startNode({
    name: uniqueNodeName(prefix),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    sameHost: { dir },
    runtime: { logger: () => {} }, // the crash reports of the processes these tests end on purpose
    ...options,
  });
}

const isExit = (m: Term): boolean => m instanceof Tuple && m.at(0) === EXIT;
const isDown = (m: Term): boolean => m instanceof Tuple && m.at(0) === DOWN;
const aliveOf = (node: OtterNode): string => node.name.name.slice(0, node.name.name.indexOf("@"));

/** A socket file nobody listens on, as a node killed without stopping leaves it. */
async function staleSocketAt(path: string): Promise<void> {
  const server = createServer();
  const bound = `${path}.tmp`;
  await new Promise<void>((resolve) => server.listen(bound, resolve));
  await link(bound, path); // survives the close, which unlinks `bound`
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Starts nodes one after another, runs `body` with them, and stops them whatever happens. */
async function withNodes(
  starts: (() => Promise<OtterNode>)[],
  body: (...nodes: OtterNode[]) => Promise<void>,
): Promise<void> {
  const nodes: OtterNode[] = [];
  try {
    for (const s of starts) nodes.push(await s());
    await body(...nodes);
  } finally {
    for (const node of nodes.reverse()) await node.stop();
  }
}

before(async () => {
  epmdPort = await freePort();
  dir = await mkdtemp(join(tmpdir(), "otter-same-host-"));
  anchor = await start("anchor");
});

after(async () => {
  await anchor?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("two Otter nodes over the Unix socket", () => {
  let a: OtterNode;
  let b: OtterNode;

  before(async () => {
    a = await start("unix_a");
    b = await start("unix_b");
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  test("EPMD hands out the socket, and both ends of the connection use it", async () => {
    const info = await portPlease(aliveOf(b), { port: epmdPort });
    assert.deepEqual(parseAdvertisement(info!.extra)?.path, socketPath(dir, b.name.name));
    assert.equal(await a.ping(b.name), "pong");
    assert.equal(a.carrierOf(b.name), "unix");
    assert.equal(b.carrierOf(a.name), "unix");
  });

  test("messages both ways arrive equal", async () => {
    const echo = b.runtime.spawn(async (self) => {
      for (;;) {
        const m = (await self.receive()) as Tuple;
        self.send(m.at(0) as Pid, tuple(atom("echo"), m.at(1)!));
      }
    });
    const term = tuple(atom("ok"), 2n ** 70n, Buffer.alloc(100_000, 7), [1, [2, 3]]);
    const answer = await a.runtime.run(async (self) => {
      self.send(echo, tuple(self.pid, term));
      return self.receive(undefined, { timeout: 5000 });
    });
    assertTerm(answer, tuple(atom("echo"), term));
  });

  test("small messages to a registered name, a large one among them: all arrive in order, batched", async () => {
    const count = 5000;
    const big = Buffer.alloc(300_000, 1); // standard frames and fragments, between the batch frames
    const sink = b.runtime.spawn(
      async (self) => {
        const seen: Term[] = [];
        for (;;) {
          const m = (await self.receive()) as Tuple;
          if (m.at(0) === atom("done")) {
            self.send(m.at(1) as Pid, tuple(atom("seen"), seen));
            return;
          }
          seen.push(m.at(1) instanceof Uint8Array ? atom("big") : m.at(1)!);
        }
      },
      { name: atom("batch_sink") },
    );
    assert.ok(sink);
    await a.connect(b.name);
    const connection = a.distribution.connectionTo(b.name)!;
    const bigAt = count - 100; // the sender's messages after it wait for its last fragment (standard frames)
    let bytesPerMessage = 0;
    const seen = await a.runtime.run(async (self) => {
      const to = { name: atom("batch_sink"), node: b.name };
      const bytesBefore = connection.stats.bytesOut;
      for (let i = 0; i < bigAt; i++) self.send(to, tuple(self.pid, i));
      bytesPerMessage = (connection.stats.bytesOut - bytesBefore) / bigAt;
      for (let i = bigAt; i < count; i++) self.send(to, tuple(self.pid, i === bigAt ? big : i));
      self.send(to, tuple(atom("done"), self.pid));
      return ((await self.receive(undefined, { timeout: 10_000 })) as Tuple).at(1);
    });
    const expected = Array.from({ length: count }, (_, i) => (i === bigAt ? atom("big") : i));
    assertTerm(seen!, expected);
    // A standard frame of `{From, I}` to a registered name takes over 50 bytes; a batch record under 40.
    assert.ok(bytesPerMessage < 40, `${bytesPerMessage.toFixed(1)} bytes per small message`);
  });

  test("links and monitors carry the exit reason", async () => {
    const victim = b.runtime.spawn(async (self) => {
      await self.receive();
      throw new ProcessExit(atom("asked"));
    });
    const [exit, down] = await a.runtime.run(async (self) => {
      self.setTrapExit(true);
      self.link(victim);
      self.monitor(victim);
      self.send(victim, atom("go"));
      return [await self.receive(isExit, { timeout: 5000 }), await self.receive(isDown, { timeout: 5000 })];
    });
    assertTerm(exit, tuple(EXIT, victim, atom("asked")));
    assert.equal((down as Tuple).at(4), atom("asked"));
  });

  test("a simultaneous connect keeps one connection, over the socket", async () => {
    const c = await start("unix_c");
    try {
      const [fromA, fromC] = await Promise.all([a.connect(c.name), c.connect(a.name)]);
      assert.deepEqual([fromA, fromC], [true, true]);
      assert.equal(a.carrierOf(c.name), "unix");
      assert.equal(c.carrierOf(a.name), "unix");
      assert.equal(await c.ping(a.name), "pong");
    } finally {
      await c.stop();
    }
  });

  test("the connection going: links and monitors fire noconnection, nodedown arrives", async () => {
    const c = await start("unix_d");
    try {
      const remote = c.runtime.spawn(async (self) => {
        await self.receive((m) => m === atom("never"));
      });
      const seen = a.runtime.run(async (self) => {
        self.setTrapExit(true);
        self.monitorNode(c.name);
        self.link(remote);
        self.monitor(remote);
        self.send(remote, atom("hello"));
        const isNodedown = (m: Term) => m instanceof Tuple && m.at(0) === atom("nodedown");
        return [
          await self.receive(isExit, { timeout: 5000 }),
          await self.receive(isDown, { timeout: 5000 }),
          await self.receive(isNodedown, { timeout: 5000 }),
        ];
      });
      await waitFor(() => c.runtime.processInfo(remote)?.links.length === 1, "the link to reach the node", 5000);
      assert.equal(a.carrierOf(c.name), "unix");
      assert.equal(c.disconnect(a.name), true); // the far end closes the socket
      const [exit, down, nodedown] = (await seen) as [Tuple, Tuple, Tuple];
      assert.equal(exit.at(2), atom("noconnection"));
      assert.equal(down.at(4), atom("noconnection"));
      assertTerm(nodedown, tuple(atom("nodedown"), c.name));
    } finally {
      await c.stop();
    }
  });
});

describe("falling back to TCP", () => {
  test("the advertised socket file is gone: TCP", async () => {
    await withNodes([() => start("gone_a"), () => start("gone_b")], async (a, b) => {
      await unlink(socketPath(dir, b.name.name));
      assert.equal(await a.ping(b.name), "pong");
      assert.equal(a.carrierOf(b.name), "tcp");
      assert.equal(b.carrierOf(a.name), "tcp");
    });
  });

  test("the advertised socket refuses (nobody listens on it): TCP", async () => {
    await withNodes([() => start("refused_a"), () => start("refused_b")], async (a, b) => {
      const path = socketPath(dir, b.name.name);
      await unlink(path);
      await staleSocketAt(path);
      assert.equal(await a.ping(b.name), "pong");
      assert.equal(a.carrierOf(b.name), "tcp");
    });
  });

  test("a peer with sameHost: false advertises nothing and gets TCP", async () => {
    await withNodes([() => start("on"), () => start("off", { sameHost: false })], async (on, off) => {
      assert.equal((await portPlease(aliveOf(off), { port: epmdPort }))?.extra.length, 0);
      assert.equal(await on.ping(off.name), "pong");
      assert.equal(on.carrierOf(off.name), "tcp");
    });
  });

  test("a node with sameHost: false dials TCP even to a node that advertises a socket", async () => {
    await withNodes([() => start("on"), () => start("off", { sameHost: false })], async (on, off) => {
      assert.equal(await off.ping(on.name), "pong");
      assert.equal(off.carrierOf(on.name), "tcp");
      assert.equal(on.carrierOf(off.name), "tcp");
    });
  });

  test("OTTER_SAME_HOST=0 turns it off when no option says otherwise; a bad value is a typed error", () => {
    const name = "n@127.0.0.1";
    assert.equal(sameHostCarrier(name, undefined, { OTTER_SAME_HOST: "0" }), undefined);
    assert.notEqual(sameHostCarrier(name, undefined, {}), undefined);
    assert.notEqual(sameHostCarrier(name, true, { OTTER_SAME_HOST: "0" }), undefined);
    assert.throws(
      () => sameHostCarrier(name, undefined, { OTTER_SAME_HOST: "maybe" }),
      (e) => e instanceof DistError && e.code === ErrorCodes.DIST_BAD_OPTION,
    );
    assert.throws(
      () => sameHostCarrier(name, { dir: "" }),
      (e) => e instanceof DistError && e.code === ErrorCodes.DIST_BAD_OPTION,
    );
  });

  test("an extra field of another version, another host or garbage means TCP", () => {
    const carrier = sameHostCarrier("n@127.0.0.1", { dir })!;
    const ours = parseAdvertisement(carrier.advertisement);
    assert.deepEqual(ours?.path, carrier.path);
    const foreign = [
      "",
      "ABC\0\0",
      "otter3:unix:0123456789abcdef:/tmp/x.sock",
      // version 1: standard frames on the socket, which this version does not speak there
      "otter1:unix:0123456789abcdef:/tmp/x.sock",
      "otter2:shm:0123456789abcdef:/tmp/x.sock",
      "otter2:unix:0123456789abcdef:relative.sock",
      "otter2:unix:nothex:/tmp/x.sock",
      "otter2:unix:/tmp/x.sock",
    ];
    for (const extra of foreign) assert.equal(parseAdvertisement(Buffer.from(extra)), undefined, extra);
    assert.equal(parseAdvertisement(Buffer.from([0x6f, 0xff, 0xfe])), undefined);
    // Well formed, but another host's: not dialled.
    assert.equal(carrier.dial(Buffer.from(`otter2:unix:0123456789abcdef:${carrier.path}`)), undefined);
  });
});

describe("the socket file", () => {
  test("is a socket in the private directory while the node runs, and is removed on stop", async () => {
    const node = await start("file");
    const path = socketPath(dir, node.name.name);
    try {
      assert.ok((await lstat(path)).isSocket());
    } finally {
      await node.stop();
    }
    await assert.rejects(lstat(path), { code: "ENOENT" });
  });

  test("a stale one left at start is replaced, and peers reach the new node through it", async () => {
    const name = uniqueNodeName("stale");
    await staleSocketAt(socketPath(dir, name));
    await withNodes([() => start("peer"), () => start("", { name })], async (peer, node) => {
      assert.equal(await peer.ping(node.name), "pong");
      assert.equal(peer.carrierOf(node.name), "unix");
    });
  });

  test("a namesake under another EPMD keeps its socket: the second node fails with a typed error", async () => {
    const name = uniqueNodeName("namesake");
    const first = await start("", { name });
    try {
      const otherEpmd = await freePort();
      await assert.rejects(
        start("", { name, epmdPort: otherEpmd }),
        (e) => e instanceof DistError && e.code === ErrorCodes.DIST_BAD_NAME,
      );
      const peer = await start("peer");
      try {
        assert.equal(await peer.ping(first.name), "pong");
        assert.equal(peer.carrierOf(first.name), "unix");
      } finally {
        await peer.stop();
      }
    } finally {
      await first.stop();
    }
  });

  test("a file there that is no socket is left alone: a typed error", async () => {
    const name = uniqueNodeName("notsock");
    const path = socketPath(dir, name);
    await writeFile(path, "mine");
    try {
      await assert.rejects(start("", { name }), (e) => e instanceof DistError && e.code === ErrorCodes.DIST_BAD_OPTION);
      assert.equal((await lstat(path)).isFile(), true);
    } finally {
      await unlink(path);
    }
  });

  test("a directory others may enter is refused: a typed error", async () => {
    const open = await mkdtemp(join(tmpdir(), "otter-same-host-open-"));
    try {
      await chmod(open, 0o755);
      await assert.rejects(
        start("open", { sameHost: { dir: open } }),
        (e) => e instanceof DistError && e.code === ErrorCodes.DIST_BAD_OPTION,
      );
    } finally {
      await rm(open, { recursive: true, force: true });
    }
  });
});

describe("beside a BEAM node (OTP's epmd)", () => {
  let epmd: SystemEpmd;
  let erl: ErlNode;
  let node: OtterNode;

  before(async () => {
    epmd = await startSystemEpmd();
    node = await startNode({
      name: uniqueNodeName("beside_erl"),
      cookie,
      epmdPort: epmd.port,
      embeddedEpmd: false,
      listen: { host: "127.0.0.1" },
      sameHost: { dir },
    });
    erl = await ErlNode.start({ cookie, epmdPort: epmd.port, startEpmd: false });
  });

  after(async () => {
    await erl?.stop();
    await node?.stop();
    await epmd?.stop();
  });

  test("epmd keeps the extra field, and erl reads its entry all the same", async () => {
    const info = await portPlease(aliveOf(node), { port: epmd.port });
    assert.equal(parseAdvertisement(info!.extra)?.path, socketPath(dir, node.name.name));
    const port = await erl.eval(`{port, P, _} = erl_epmd:port_please("${aliveOf(node)}", {127,0,0,1}), P`);
    assert.equal(port, info!.port);
  });

  test("erl connects to the Otter node over TCP", async () => {
    assert.equal(await erl.eval(`net_adm:ping('${node.name.name}')`), atom("pong"));
    assert.equal(node.carrierOf(atom(erl.name)), "tcp");
    assert.equal(await erl.eval(`erlang:disconnect_node('${node.name.name}')`), true);
    await waitFor(() => node.carrierOf(atom(erl.name)) === undefined, "the disconnect", 5000);
  });

  test("the Otter node connects to erl over TCP", async () => {
    assert.equal(await node.ping(erl.name), "pong");
    assert.equal(node.carrierOf(atom(erl.name)), "tcp");
  });
});
