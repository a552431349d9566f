// An Otter node's observer showing another Otter node (two nodes in one Node.js process, over the distribution):
// listed as Otter in hello, its views computed over there by its `otter_observer` module (processes, a process's
// state, its applications with a restart caused from the page, its overview with load figures), this node's
// connection to it in the distribution view and /metrics, and a new hello when it goes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom, type Observer, type OtterNode, startNode, startObserver } from "../../src/index.ts";
import type { ServerMessage, View } from "../../src/observe/protocol.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { isHello, PageClient, startShop } from "../unit/observe/support.ts";

describe("observing another Otter node", () => {
  const cookie = uniqueCookie();
  let a: OtterNode;
  let b: OtterNode;
  let observer: Observer;
  let page: PageClient;

  before(async () => {
    const epmdPort = await freePort();
    const start = (prefix: string) =>
      startNode({
        name: uniqueNodeName(prefix),
        cookie,
        epmdPort,
        listen: { host: "127.0.0.1" },
        runtime: { logger: () => {} },
      });
    a = await start("observer_a");
    b = await start("observed_b");
    await startShop(b.runtime);
    observer = await startObserver(a, { intervalMs: 100 });
    page = await PageClient.open(observer.url);
    await page.next(isHello, "the first hello");
  });

  after(async () => {
    await page?.close();
    await observer?.close();
    await b?.stop();
    await a?.stop();
  });

  const watch = <K extends View["kind"]>(view: Extract<View, { kind: K }>, what: string) =>
    page.watch(b.name.name, view, what);

  test("a node that connects is announced as an Otter node", async () => {
    assert.equal(await a.ping(b.name), "pong");
    const hello = await page.next(
      (m): m is Extract<ServerMessage, { type: "hello" }> => isHello(m) && m.nodes.length === 2,
      "a hello with b",
    );
    assert.deepEqual(hello.nodes, [
      { name: a.name.name, kind: "otter" },
      { name: b.name.name, kind: "otter" },
    ]);
  });

  test("its processes and a process's state, read over there", async () => {
    const view = { kind: "processes", sort: "name", descending: false, filter: "shop_", offset: 0, limit: 10 } as const;
    const { page: rows } = await watch(view, "b's processes");
    assert.equal(rows.rows.length, 1);
    const counter = rows.rows[0]!;
    const pid = b.runtime.whereis(atom("shop_counter"))!;
    assert.equal(counter.pid, `<0.${pid.id}.${pid.serial}>`, "b's pids print as b prints them");
    const { detail } = await watch({ kind: "process", pid: counter.pid }, "the counter in detail");
    assert.equal(detail.info.registered_name, "shop_counter");
    assert.equal(detail.state, "{ count: 7 }");
  });

  test("a kill from the page shows as a restart in its applications", async () => {
    const pid = b.runtime.whereis(atom("shop_counter"))!;
    page.send({ type: "act", id: 1, node: b.name.name, action: { kind: "kill", pid: `<0.${pid.id}.${pid.serial}>` } });
    assert.deepEqual(await page.next((m) => m.type === "acted" && m.id === 1, "the kill answered"), {
      type: "acted",
      id: 1,
      ok: true,
    });
    page.send({ type: "watch", node: b.name.name, view: { kind: "applications" } });
    const pushed = await page.next(
      (m) =>
        m.type === "view" &&
        m.data.kind === "applications" &&
        m.data.applications[0]?.tree?.children.find((c) => c.id === "counter")?.restarts === 1,
      "the counter restarted once",
    );
    assert.ok(pushed.type === "view" && pushed.data.kind === "applications");
    assert.equal(pushed.data.applications[0]!.name, "shop");
  });

  test("its overview has an event loop's figures once b measures", async () => {
    page.send({ type: "watch", node: b.name.name, view: { kind: "overview" } });
    const pushed = await page.next(
      (m) => m.type === "view" && m.data.kind === "overview" && m.data.sample.utilisation !== null,
      "a sample of b with its load",
    );
    assert.ok(pushed.type === "view" && pushed.data.kind === "overview");
    assert.equal(pushed.node, b.name.name);
    const { sample } = pushed.data;
    // b's count includes the erpc process that read it, and b's observer module's readers come and go.
    assert.ok(Math.abs(sample.processCount - b.runtime.processCount) <= 3, `${sample.processCount} processes on b`);
    assert.ok(sample.utilisation! >= 0 && sample.utilisation! <= 1);
    assert.ok(sample.messagesPerSecond !== null && sample.messagesPerSecond >= 0);
  });

  test("this node's connection to it: counters, last heard, and /metrics", async () => {
    page.send({ type: "watch", node: a.name.name, view: { kind: "distribution" } });
    const heard = await page.next((m) => {
      if (m.type !== "view" || m.data.kind !== "distribution") return false;
      void a.ping(b.name); // traffic from b, so the counters move between two looks
      return m.data.connections[0]?.lastHeardMs !== null && m.data.connections[0]?.lastHeardMs !== undefined;
    }, "a connection heard from");
    assert.ok(heard.type === "view" && heard.data.kind === "distribution");
    const [connection] = heard.data.connections;
    assert.equal(connection!.node, b.name.name);
    assert.equal(connection!.kind, "visible");
    assert.ok(connection!.bytesIn! > 0 && connection!.messagesOut! > 0);
    const metrics = await (await fetch(`${observer.url}metrics`)).text();
    assert.match(metrics, new RegExp(`otter_dist_bytes_in_total\\{node="${b.name.name}"\\} [1-9]`));
  });

  test("a node that goes is dropped from hello", async () => {
    await b.stop();
    const hello = await page.next(
      (m): m is Extract<ServerMessage, { type: "hello" }> => isHello(m) && m.nodes.length === 1,
      "a hello without b",
    );
    assert.equal(hello.nodes[0]!.name, a.name.name);
  });
});
