// An Otter node's observer showing a real `erl` node through erpc: the node listed as BEAM in hello, its processes
// page (paged, filtered, sorted, sampled past the cap), a process in detail with its sys state, its applications
// (kernel with its supervision tree, stdlib a library application), its overview, connections and code, and a
// process killed from the page.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom, type Observer, startObserver } from "../../src/index.ts";
import type { TreeNode, View } from "../../src/observe/protocol.ts";
import { BEAM_READ_CAP } from "../../src/observe/views/beam-processes.ts";
import { type NodeBesideErl, startNodeBesideErl } from "../support/dist.ts";
import { isHello, PageClient } from "../unit/observe/support.ts";

type ProcessesView = Extract<View, { kind: "processes" }>;

function processes(overrides: Partial<ProcessesView> = {}): ProcessesView {
  return { kind: "processes", sort: "pid", descending: false, filter: "", offset: 0, limit: 100, ...overrides };
}

function find(node: TreeNode | null, id: string): TreeNode | undefined {
  if (node === null) return undefined;
  if (node.id === id) return node;
  for (const child of node.children) {
    const found = find(child, id);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe("observing a BEAM node", () => {
  let pair: NodeBesideErl;
  let observer: Observer;
  let page: PageClient;
  let erlName: string;

  before(async () => {
    pair = await startNodeBesideErl("observe_beam", { runtime: { logger: () => {} } });
    erlName = pair.erl.name;
    assert.equal(await pair.node.ping(erlName), "pong");
    observer = await startObserver(pair.node, { intervalMs: 200 });
    page = await PageClient.open(observer.url);
  });

  after(async () => {
    await page?.close();
    await observer?.close();
    await pair?.stop();
  });

  /** Watches `view` of the erl node and returns the first data pushed for it. */
  function watch<K extends View["kind"]>(view: Extract<View, { kind: K }>, what: string) {
    return page.watch(erlName, view, what);
  }

  test("hello lists the erl node as a BEAM node", async () => {
    const hello = await page.next(isHello, "hello");
    assert.deepEqual(hello.nodes, [
      { name: pair.node.name.name, kind: "otter" },
      { name: erlName, kind: "beam" },
    ]);
  });

  test("its processes: paged in pid order, filtered by name, sorted by memory", async () => {
    const count = (await pair.erl.eval("erlang:system_info(process_count)")) as number;
    const first = (await watch(processes({ limit: 5 }), "the first page")).page;
    assert.ok(Math.abs(first.total - count) < 5, `${first.total} processes, erl says ${count}`);
    assert.equal(first.sampled, false);
    assert.deepEqual(first.rows[0]!.pid, "<0.0.0>");
    assert.equal(first.rows[0]!.name, "init");
    assert.equal(first.rows[0]!.currentFunction, "init:boot_loop/2");
    const named = (await watch(processes({ filter: "code_serv" }), "code_server by name")).page;
    assert.deepEqual(
      named.rows.map((r) => r.name),
      ["code_server"],
    );
    const byMemory = (await watch(processes({ sort: "memory", descending: true, limit: 10 }), "by memory")).page;
    const memory = byMemory.rows.map((r) => r.memory);
    assert.deepEqual(
      memory,
      [...memory].sort((a, b) => b - a),
    );
    assert.ok(memory[0]! > 1000);
  });

  test("past the cap, a sorted page is a sample; pid order is still exact", async () => {
    await pair.erl.eval(
      `[spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, ${BEAM_READ_CAP + 200})], ok`,
      { timeoutMs: 30_000 },
    );
    const sorted = (await watch(processes({ sort: "reductions", descending: true }), "a sampled page")).page;
    assert.equal(sorted.sampled, true);
    // The sample and the registered processes; a process gone before its info was read (the erpc process that
    // listed them) is left out.
    const registered = ((await pair.erl.eval("erlang:registered()")) as unknown[]).length;
    assert.ok(
      sorted.total <= BEAM_READ_CAP + registered && sorted.total >= BEAM_READ_CAP - 5,
      `${sorted.total} in the sample`,
    );
    const byPid = (await watch(processes({ offset: BEAM_READ_CAP, limit: 3 }), "a far page in pid order")).page;
    assert.equal(byPid.sampled, false);
    assert.ok(byPid.total > BEAM_READ_CAP + 200);
    assert.equal(byPid.rows.length, 3);
  });

  test("a process in detail: a gen_server with its state, a special process without", async () => {
    const rex = (await watch(processes({ filter: "rex" }), "rex")).page.rows.find((r) => r.name === "rex")!;
    const detail = (await watch({ kind: "process", pid: rex.pid }, "rex in detail")).detail;
    assert.equal(detail.alive, true);
    assert.equal(detail.info.registered_name, "rex");
    assert.equal(detail.info.initial_call, "proc_lib:init_p/5");
    assert.ok(Array.isArray(detail.info.links));
    assert.ok(detail.state !== null, "rex answers sys:get_state");
    const code = (await watch(processes({ filter: "code_server" }), "code_server")).page.rows[0]!;
    const special = (await watch({ kind: "process", pid: code.pid }, "code_server in detail")).detail;
    assert.equal(special.state, null, "code_server does not answer get_state");
  });

  test("its applications: kernel with its tree, stdlib without one", async () => {
    const { applications } = await watch({ kind: "applications" }, "the applications");
    const kernel = applications.find((a) => a.name === "kernel")!;
    const stdlib = applications.find((a) => a.name === "stdlib")!;
    assert.ok(kernel.description.length > 0 && /^\d/.test(kernel.vsn));
    assert.equal(stdlib.tree, null);
    const tree = kernel.tree!;
    assert.equal(tree.kind, "supervisor");
    assert.equal(tree.name, "kernel_sup");
    assert.equal(tree.restarts, null);
    assert.equal(find(tree, "code_server")?.name, "code_server");
    const net = find(tree, "net_sup");
    assert.equal(net?.kind, "supervisor");
    assert.ok(find(net!, "net_kernel") !== undefined, "the tree goes below kernel_sup");
  });

  test("its overview, connections and code", async () => {
    const { sample } = await watch({ kind: "overview" }, "an overview");
    assert.ok(sample.processCount > 10);
    assert.ok(sample.memory.total > sample.memory.heapUsed! && sample.memory.heapUsed! > 0);
    assert.equal(sample.utilisation, null);
    assert.equal(sample.connectedNodes, 1);
    const { connections } = await watch({ kind: "distribution" }, "its connections");
    assert.equal(connections.length, 1);
    assert.equal(connections[0]!.node, pair.node.name.name);
    assert.ok(connections[0]!.messagesIn! > 0 && connections[0]!.bytesIn! > 0);
    const { modules } = await watch({ kind: "code" }, "its modules");
    const lists = modules.find((m) => m.name === "lists")!;
    assert.match(lists.path!, /lists\.beam$/);
    assert.match(lists.current!, /^vsn /);
    assert.equal(lists.old, null);
    assert.equal(modules.find((m) => m.name === "erlang")?.path, null, "a preloaded module has no file");
  });

  test("a process killed from the page", async () => {
    await pair.erl.eval("register(victim, spawn(fun() -> receive after infinity -> ok end end)), ok");
    const victim = (await watch(processes({ filter: "victim" }), "the victim")).page.rows[0]!;
    page.send({ type: "act", id: 7, node: erlName, action: { kind: "kill", pid: victim.pid } });
    const answer = await page.next((m) => m.type === "acted" && m.id === 7, "the kill answered");
    assert.deepEqual(answer, { type: "acted", id: 7, ok: true });
    const deadline = performance.now() + 5000;
    while ((await pair.erl.eval("whereis(victim)")) !== atom("undefined")) {
      assert.ok(performance.now() < deadline, "the victim is gone");
    }
  });
});
