// The observer's WebSocket with the real `ws` client against the real server: hello, a watched view pushed at once
// and again each interval, the overview's history, kill and send, bad messages answered with errors while the
// connection and the node keep running, another site's page refused, and sampling only while a page is connected.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom, type Observer, Runtime, startObserver, type Term, Tuple } from "../../../src/index.ts";
import type { ServerMessage } from "../../../src/observe/protocol.ts";
import { isHello, PageClient, startShop } from "./support.ts";

const isError = (m: ServerMessage): m is Extract<ServerMessage, { type: "error" }> => m.type === "error";
const acted =
  (id: number) =>
  (m: ServerMessage): m is Extract<ServerMessage, { type: "acted" }> =>
    m.type === "acted" && m.id === id;

describe("the observer's WebSocket", () => {
  let rt: Runtime;
  let observer: Observer;
  let page: PageClient;
  let node: string;

  before(async () => {
    rt = new Runtime({ logger: () => {} });
    await startShop(rt);
    observer = await startObserver(rt, { intervalMs: 100 });
  });

  after(async () => {
    await page?.close();
    await observer.close();
    rt.shutdown();
  });

  test("hello names this node and the interval", async () => {
    page = await PageClient.open(observer.url);
    const hello = await page.next(isHello, "hello");
    node = rt.node.name;
    assert.deepEqual(hello, { type: "hello", node, nodes: [{ name: node, kind: "otter" }], intervalMs: 100 });
  });

  test("a watched page comes at once, then each interval, and follows the node", async () => {
    page.send({
      type: "watch",
      node,
      view: { kind: "processes", sort: "name", descending: false, filter: "shop_", offset: 0, limit: 10 },
    });
    const first = await page.view("processes");
    assert.deepEqual(
      first.data.page.rows.map((r) => r.name),
      ["shop_counter"],
    );
    rt.spawn(async (self) => self.receive(), { name: atom("shop_extra") });
    await page.next(
      (m) => m.type === "view" && m.data.kind === "processes" && m.data.page.total === 2,
      "a later push with the new process",
    );
  });

  test("a watch's id comes back on each of its pushes, so a push that crossed a newer watch can be told apart", async () => {
    const query = { kind: "processes", sort: "pid", descending: false, filter: "", limit: 5 } as const;
    page.send({ type: "watch", node, view: { ...query, offset: 0 }, id: 41 });
    page.send({ type: "watch", node, view: { ...query, offset: 5 }, id: 42 });
    const latest = await page.next(
      (m): m is Extract<ServerMessage, { type: "view" }> => m.type === "view" && m.watch === 42,
      "a push of watch 42",
    );
    assert.equal(latest.data.kind === "processes" && latest.data.page.offset, 5);
    const again = await page.next((m) => m.type === "view", "the next push");
    assert.equal(again.type === "view" && again.watch, 42, "the interval's pushes carry the id too");
    page.send({ type: "watch", node, view: { kind: "code" }, id: 1.5 });
    const refused = await page.next(isError, "an error for a fractional id");
    assert.match(refused.error, /id is an integer/);
  });

  test("the overview starts with its history, then one sample per interval", async () => {
    page.send({ type: "watch", node, view: { kind: "overview" } });
    const first = await page.view("overview");
    assert.ok(first.data.history !== undefined && first.data.history.length >= 1, "the samples taken so far");
    assert.ok(first.data.history.every((s) => s.time < first.data.sample.time));
    const next = await page.view("overview");
    assert.equal(next.data.history, undefined);
    assert.ok(next.data.sample.time > first.data.sample.time);
    assert.ok(next.data.sample.processCount > 0);
    assert.ok(next.data.sample.utilisation !== null && next.data.sample.memory.total > 0);
  });

  test("send and kill act on a process; a bad act is answered ok: false", async () => {
    let received: Term | undefined;
    const target = rt.spawn(async (self) => {
      received = await self.receive();
      await self.receive((m) => m === atom("never"));
    });
    const text = `<0.${target.id}.${target.serial}>`;
    page.send({ type: "act", id: 1, node, action: { kind: "send", pid: text, message: '{hello, [1, 2.5, <<"x">>]}' } });
    assert.deepEqual(await page.next(acted(1), "the send answered"), { type: "acted", id: 1, ok: true });
    await rt.idle();
    assert.ok(received instanceof Tuple && received.at(0) === atom("hello"), "the message parsed and delivered");
    page.send({ type: "act", id: 2, node, action: { kind: "kill", pid: text, reason: "{shutdown, observer}" } });
    assert.deepEqual(await page.next(acted(2), "the kill answered"), { type: "acted", id: 2, ok: true });
    assert.equal(rt.isAlive(target), false);
    page.send({ type: "act", id: 3, node, action: { kind: "kill", pid: text } });
    const dead = await page.next(acted(3), "a kill of a dead pid answered");
    assert.equal(dead.ok, false);
    page.send({ type: "act", id: 4, node, action: { kind: "send", pid: "<0.1.0>", message: "{unclosed" } });
    const bad = await page.next(acted(4), "a bad message answered");
    assert.ok(!bad.ok && /bad message/.test(bad.error), JSON.stringify(bad));
  });

  test("malformed messages get errors; the connection and the node carry on", async () => {
    for (const bad of [
      "not json",
      "[]",
      JSON.stringify({ type: "dance" }),
      JSON.stringify({ type: "watch", node, view: { kind: "nothing" } }),
      JSON.stringify({ type: "watch", node, view: { kind: "processes", sort: "colour" } }),
      JSON.stringify({ type: "watch", node, view: { kind: "processes", offset: -1 } }),
      JSON.stringify({ type: "act", node, action: { kind: "kill", pid: "<0.1.0>" } }),
    ]) {
      page.send(bad);
      await page.next(isError, `an error for ${bad}`);
    }
    page.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await page.next(isError, "an error for a binary message");
    page.send({ type: "watch", node: "nobody@nowhere", view: { kind: "overview" } });
    const unknown = await page.next(isError, "an unknown node");
    assert.equal(unknown.node, "nobody@nowhere");
    page.send({ type: "watch", node, view: { kind: "process", pid: "<0.1" } });
    assert.match((await page.next(isError, "a bad pid")).error, /bad pid/);
    page.send({ type: "watch", node, view: { kind: "code" } });
    assert.deepEqual((await page.view("code", "the code view after all that")).data.modules, []);
    assert.ok(rt.processCount > 0);
  });

  test("a message over the size limit closes that connection only", async () => {
    const greedy = await PageClient.open(observer.url);
    greedy.send("x".repeat(100_000));
    await greedy.closed;
    page.send({ type: "watch", node, view: { kind: "code" } });
    await page.view("code", "the other page still served");
  });

  test("a page from another site may not connect", async () => {
    await assert.rejects(PageClient.open(observer.url, { Origin: "http://evil.example" }), /403/);
    const same = await PageClient.open(observer.url, { Origin: observer.url.slice(0, -1) });
    await same.next(isHello, "hello for a page of this server");
    await same.close();
  });

  test("sampling stops when the last page leaves, and starts over with the next", async () => {
    await page.close();
    const idle = new Runtime({ logger: () => {} });
    const quiet = await startObserver(idle, { intervalMs: 50 });
    const firstSample = async () => {
      const client = await PageClient.open(quiet.url);
      client.send({ type: "watch", node: idle.node.name, view: { kind: "overview" } });
      const { sample } = (await client.view("overview")).data;
      return { client, sample };
    };
    try {
      const { client, sample } = await firstSample();
      assert.equal(sample.utilisation, null, "the first sample since sampling started has no load yet");
      await client.next(
        (m) => m.type === "view" && m.data.kind === "overview" && m.data.sample.utilisation !== null,
        "a sample with a load",
      );
      await client.close();
      // The server learns of the close a moment after the client: a page opened before that finds it sampling.
      const deadline = performance.now() + 2000;
      for (;;) {
        const again = await firstSample();
        await again.client.close();
        if (again.sample.utilisation === null) break;
        assert.ok(performance.now() < deadline, "the sampler stopped once no page was connected");
      }
    } finally {
      await quiet.close();
      idle.shutdown();
    }
    page = await PageClient.open(observer.url);
  });
});
