// Registry, after Elixir's RegistryTest: unique and duplicate keys, terms as keys, unregister and unregister_match,
// dispatch, entries going with their process, the links that clean up, the registry's own exit, `via` names for
// GenServers (also under a DynamicSupervisor that restarts them), named registries and meta.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  DynamicSupervisor,
  ErrorCodes,
  Float,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  ProcessError,
  Registry,
  type RegistryOptions,
  type Runtime,
  type Term,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, reasonOf, runtime, waitFor } from "../support/runtime.ts";

const UNDEFINED = atom("undefined");
const GET = atom("get");
const BUMP = atom("bump");

async function startRegistry(rt: Runtime, options: RegistryOptions): Promise<Registry> {
  const started = await Registry.start(rt, options);
  assert.ok("registry" in started, "the registry started");
  assert.equal(started.registry.pid, started.pid);
  return started.registry;
}

interface Member {
  readonly pid: Pid;
  /** The messages it received. */
  readonly messages: Term[];
}

/** A process that registers under each `[key, value]`, then keeps every message it gets. */
async function member(rt: Runtime, registry: Registry, entries: [Term, Term][]): Promise<Member> {
  const messages: Term[] = [];
  let registered!: (pid: Pid) => void;
  const pid = new Promise<Pid>((resolve) => {
    registered = resolve;
  });
  rt.spawn(async (self) => {
    for (const [key, value] of entries) assert.deepEqual(Registry.register(self, registry, key, value), { ok: true });
    registered(self.pid);
    for (;;) messages.push(await self.receive());
  });
  return { pid: await pid, messages };
}

function linksOf(rt: Runtime, pid: Pid): Pid[] {
  return rt.processInfo(pid)?.links ?? [];
}

const notAlive = (e: unknown) => e instanceof ProcessError && e.code === ErrorCodes.PROC_NOT_ALIVE;
const badArg = (e: unknown) => e instanceof ProcessError && e.code === ErrorCodes.PROC_BAD_ARG;

/** A counter server: call `get` → its count, call `bump` → count + 1; cast `bump` counts too. */
const counter: GenServerCallbacks<number, number> = {
  init: (_self, n) => ({ state: n }),
  handleCall: (_self, request, _from, n) =>
    request === BUMP ? { reply: n + 1, state: n + 1 } : { reply: n, state: n },
  handleCast: (_self, _message, n) => ({ state: n + 1 }),
};

describe("unique keys", () => {
  test("register, lookup, keys, count and unregister; a key held by a live process is refused", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    const other = await member(rt, registry, [["taken", 0]]);
    await rt.run(async (self) => {
      assert.deepEqual(Registry.register(self, registry, "room:1", 1), { ok: true });
      assert.deepEqual(Registry.lookup(registry, "room:1"), [[self.pid, 1]]);
      const again = Registry.register(self, registry, "room:1", 2);
      assert.ok("error" in again);
      assertTerm(again.error, tuple(atom("already_registered"), self.pid));
      const taken = Registry.register(self, registry, "taken", 2);
      assert.ok("error" in taken);
      assertTerm(taken.error, tuple(atom("already_registered"), other.pid));
      assert.deepEqual(Registry.register(self, registry, "room:2", 2), { ok: true });
      assert.deepEqual(Registry.keys(registry, self.pid), ["room:1", "room:2"]);
      assert.equal(Registry.count(registry), 3);
      Registry.unregister(self, registry, "room:1");
      Registry.unregister(self, registry, "taken"); // not its entry: nothing happens
      assert.deepEqual(Registry.lookup(registry, "room:1"), []);
      assert.deepEqual(Registry.lookup(registry, "taken"), [[other.pid, 0]]);
      assert.deepEqual(Registry.keys(registry, self.pid), ["room:2"]);
      assert.equal(Registry.count(registry), 2);
      assert.deepEqual(Registry.lookup(registry, "nobody"), []);
    });
  });

  test("keys are terms, equal by value: tuples, and a string and its UTF-8 bytes are one key", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    await rt.run(async (self) => {
      assert.deepEqual(Registry.register(self, registry, tuple(atom("room"), 1), "tuple"), { ok: true });
      assert.deepEqual(Registry.register(self, registry, "ké", "text"), { ok: true });
      assert.deepEqual(Registry.register(self, registry, atom("ké"), "atom"), { ok: true });
      assert.deepEqual(Registry.register(self, registry, 1, "integer"), { ok: true });
      assert.deepEqual(Registry.register(self, registry, new Float(1), "float"), { ok: true });
      assert.deepEqual(Registry.lookup(registry, tuple(atom("room"), 1)), [[self.pid, "tuple"]]);
      assert.deepEqual(Registry.lookup(registry, Buffer.from("ké")), [[self.pid, "text"]]);
      assert.deepEqual(Registry.lookup(registry, atom("ké")), [[self.pid, "atom"]]);
      assert.deepEqual(Registry.lookup(registry, new Float(1)), [[self.pid, "float"]]);
      assert.ok("error" in Registry.register(self, registry, new Uint8Array([0x6b, 0xc3, 0xa9]), "bytes"));
      Registry.unregister(self, registry, Buffer.from("ké"));
      assert.deepEqual(Registry.lookup(registry, "ké"), []);
      assert.equal(Registry.count(registry), 4);
    });
  });
});

describe("duplicate keys", () => {
  test("many processes under a key, one process several times; unregister and unregisterMatch", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "duplicate" });
    const a = await member(rt, registry, [["topic", "a"]]);
    await rt.run(async (self) => {
      for (const value of [1, 2, 3]) assert.deepEqual(Registry.register(self, registry, "topic", value), { ok: true });
      assert.deepEqual(Registry.lookup(registry, "topic"), [
        [a.pid, "a"],
        [self.pid, 1],
        [self.pid, 2],
        [self.pid, 3],
      ]);
      assert.deepEqual(Registry.keys(registry, self.pid), ["topic", "topic", "topic"]);
      Registry.unregisterMatch(self, registry, "topic", (value) => value === 2);
      assert.deepEqual(Registry.lookup(registry, "topic"), [
        [a.pid, "a"],
        [self.pid, 1],
        [self.pid, 3],
      ]);
      Registry.unregister(self, registry, "topic");
      assert.deepEqual(Registry.lookup(registry, "topic"), [[a.pid, "a"]]);
      assert.equal(Registry.count(registry), 1);
    });
  });

  test("dispatch calls back once with the live entries, and not at all when there are none", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "duplicate" });
    const subscribers = [
      await member(rt, registry, [["news", 1]]),
      await member(rt, registry, [["news", 2]]),
      await member(rt, registry, [["sport", 3]]),
    ];
    const calls: [Pid, Term][][] = [];
    await rt.run(async (self) => {
      Registry.dispatch(registry, "news", (entries) => {
        calls.push(entries);
        for (const [pid, value] of entries) self.send(pid, tuple(atom("news"), value));
      });
      Registry.dispatch(registry, "weather", (entries) => calls.push(entries));
    });
    assert.deepEqual(calls, [
      [
        [subscribers[0]!.pid, 1],
        [subscribers[1]!.pid, 2],
      ],
    ]);
    await waitFor(() => subscribers[1]!.messages.length === 1, "the second subscriber's message");
    assertTerm(subscribers[0]!.messages[0], tuple(atom("news"), 1));
    assertTerm(subscribers[1]!.messages[0], tuple(atom("news"), 2));
    assert.deepEqual(subscribers[2]!.messages, []);
  });
});

describe("when processes exit", () => {
  test("a process's entries go with it: at once for lookup and keys, from count once the registry has its EXIT", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "duplicate" });
    const gone = await member(rt, registry, [
      ["a", 1],
      ["b", 2],
    ]);
    const stays = await member(rt, registry, [["a", 3]]);
    rt.exit(gone.pid, atom("crashed"));
    assert.deepEqual(Registry.lookup(registry, "a"), [[stays.pid, 3]]);
    assert.deepEqual(Registry.keys(registry, gone.pid), []);
    await waitFor(() => Registry.count(registry) === 1, "the registry to delete the exited process's entries");
    assert.deepEqual(Registry.lookup(registry, "b"), []);
  });

  test("a unique key of a process that just exited can be taken before the registry cleans up", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    const gone = await member(rt, registry, [["seat", "old"]]);
    await rt.run(async (self) => {
      self.exit(gone.pid, atom("kill"));
      assert.equal(rt.isAlive(gone.pid), false);
      assert.deepEqual(Registry.register(self, registry, "seat", "new"), { ok: true });
      await rt.idle(); // the registry handles the exited process's EXIT
      assert.deepEqual(Registry.lookup(registry, "seat"), [[self.pid, "new"]], "the cleanup left the new entry");
      assert.equal(Registry.count(registry), 1);
    });
  });

  test("the registry links to a process at its first entry and unlinks after its last (but keeps its parent)", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const started = await Registry.startLink(self, { keys: "duplicate" });
      assert.ok("registry" in started);
      const registry = started.registry;
      const other = await member(rt, registry, [["k", 1]]);
      await waitFor(() => linksOf(rt, registry.pid).includes(other.pid), "the link to the member");
      Registry.register(self, registry, "k", 2);
      Registry.register(self, registry, "k", 3);
      Registry.unregister(self, registry, "k");
      await rt.idle();
      assert.ok(linksOf(rt, registry.pid).includes(self.pid), "its parent stays linked");
      const unlinker = rt.spawn(async (me) => {
        Registry.register(me, registry, "k", 4);
        Registry.register(me, registry, "j", 5);
        await me.receive();
        Registry.unregister(me, registry, "k");
        await me.receive();
        Registry.unregister(me, registry, "j");
        await me.receive();
      });
      await waitFor(() => linksOf(rt, registry.pid).includes(unlinker), "the link at its first entry");
      self.send(unlinker, atom("next"));
      await rt.idle();
      assert.ok(linksOf(rt, registry.pid).includes(unlinker), "still linked while it has an entry");
      self.send(unlinker, atom("next"));
      await waitFor(() => !linksOf(rt, registry.pid).includes(unlinker), "the unlink after its last entry");
      assert.deepEqual(
        new Set(linksOf(rt, registry.pid)),
        new Set([self.pid, other.pid]),
        "linked to its parent and the member only",
      );
    });
  });

  test("when the registry exits, its exit reaches the registered processes and its table refuses use", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    const registered = await member(rt, registry, [["k", 1]]);
    await waitFor(() => linksOf(rt, registry.pid).includes(registered.pid), "the link");
    const exit = rt.run(async (self) => reasonOf(await self.receive(downFor(self.monitor(registered.pid)))));
    await rt.run((self) => GenServer.stop(self, registry.pid, { reason: atom("bye") }));
    assertTerm(await exit, atom("bye"));
    assert.throws(() => Registry.lookup(registry, "k"), notAlive);
    assert.throws(() => Registry.count(registry), notAlive);
    await rt.run(async (self) => assert.throws(() => Registry.register(self, registry, "k", 2), notAlive));
    assert.equal(Registry.of(rt, registry.pid), undefined);
  });

  test("a registry killed without a chance to clean up refuses use too", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    rt.exit(registry.pid, atom("kill"));
    assert.throws(() => Registry.lookup(registry, "k"), notAlive);
  });
});

describe("via names", () => {
  test("a GenServer named by Registry.via: registered under the key, reached through it, freed when it exits", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    const name = Registry.via(registry, "room:1");
    await rt.run(async (self) => {
      const first = await GenServer.start(self, counter, 5, { name });
      assert.ok("pid" in first);
      assert.deepEqual(Registry.lookup(registry, "room:1"), [[first.pid, UNDEFINED]]);
      assert.equal(registry.whereisName("room:1"), first.pid);
      assert.equal(await GenServer.call(self, Registry.via(registry, "room:1"), BUMP), 6);
      GenServer.cast(self, name, BUMP);
      assert.equal(await GenServer.call(self, name, GET), 7);
      const taken = await GenServer.start(self, counter, 0, { name });
      assert.ok("error" in taken);
      assertTerm(taken.error, tuple(atom("already_started"), first.pid));
      await GenServer.stop(self, name);
      assert.deepEqual(Registry.lookup(registry, "room:1"), []);
      assert.equal(registry.whereisName("room:1"), undefined);
      const second = await GenServer.start(self, counter, 9, { name });
      assert.ok("pid" in second && second.pid !== first.pid);
      assert.equal(await GenServer.call(self, name, GET), 9);
    });
    await waitFor(() => Registry.count(registry) === 1, "the first server's entry to be deleted");
  });

  test("a server whose init fails leaves the name free", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    const failing: GenServerCallbacks<never, undefined> = { init: () => ({ stop: atom("no") }) };
    const started = await GenServer.start(rt, failing, undefined, { name: Registry.via(registry, "x") });
    assert.ok("error" in started);
    assert.equal(Registry.count(registry), 0);
  });

  test("children of a DynamicSupervisor named through a registry are found again after a restart", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "unique" });
    const sup = await DynamicSupervisor.start(rt);
    assert.ok("pid" in sup);
    const room = (id: string) =>
      rt.run((self) =>
        DynamicSupervisor.startChild(self, sup.pid, {
          start: (s) => GenServer.startLink(s, counter, 0, { name: Registry.via(registry, id) }),
        }),
      );
    const first = await room("room:1");
    assert.ok("pid" in first);
    const duplicate = await room("room:1");
    assert.ok("error" in duplicate);
    assertTerm(duplicate.error, tuple(atom("already_started"), first.pid));
    rt.exit(first.pid, atom("kill"));
    await waitFor(() => {
      const [entry] = Registry.lookup(registry, "room:1");
      return entry !== undefined && entry[0] !== first.pid;
    }, "the restarted room under its name");
    assert.equal(await rt.run((self) => GenServer.call(self, Registry.via(registry, "room:1"), BUMP)), 1);
  });

  test("only a registry with unique keys names processes", async (t) => {
    const { rt } = runtime(t);
    const registry = await startRegistry(rt, { keys: "duplicate" });
    assert.throws(() => Registry.via(registry, "k"), badArg);
    assert.throws(() => registry.whereisName("k"), badArg);
  });
});

describe("starting", () => {
  test("a named registry is found by Registry.of; meta and putMeta; a taken name, a bad keys option", async (t) => {
    const { rt } = runtime(t);
    const rooms = atom("rooms");
    const registry = await startRegistry(rt, { keys: "unique", name: rooms, meta: [[atom("max"), 10]] });
    assert.equal(rt.whereis(rooms), registry.pid);
    assert.equal(Registry.of(rt, rooms), registry);
    assert.equal(Registry.of(rt, atom("nothing")), undefined);
    assert.equal(Registry.meta(registry, atom("max")), 10);
    Registry.putMeta(registry, atom("max"), 20);
    Registry.putMeta(registry, tuple(atom("owner"), 1), "me");
    assert.equal(Registry.meta(registry, atom("max")), 20);
    assert.equal(Registry.meta(registry, tuple(atom("owner"), 1)), "me");
    assert.equal(Registry.meta(registry, atom("min")), undefined);
    const again = await Registry.start(rt, { keys: "unique", name: rooms });
    assert.ok("error" in again);
    assertTerm(again.error, tuple(atom("already_started"), registry.pid));
    await assert.rejects(Registry.start(rt, { keys: "both" as "unique" }), badArg);
  });
});
