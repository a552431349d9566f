// The registry of local names: register, unregister, whereis, registered, send by name, and Erlang's refusals.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, ErrorCodes, Pid, ProcessExit, type Signal } from "../../src/index.ts";
import {
  assertTerm,
  RecordingTransport,
  recorder,
  remotePid,
  runtime,
  sleeper,
  spawnWatched,
} from "../support/runtime.ts";

const NAME = atom("registered_name");

describe("registry", () => {
  test("register, whereis, registered, unregister", (t) => {
    const { rt } = runtime(t);
    const pid = sleeper(rt);
    assert.equal(rt.whereis(NAME), undefined);
    rt.register(NAME, pid);
    assertTerm(rt.whereis(NAME), pid);
    assert.deepEqual(rt.registered(), [NAME]);
    assert.equal(rt.processInfo(pid)!.registeredName, NAME);
    rt.unregister(NAME);
    assert.equal(rt.whereis(NAME), undefined);
    assert.deepEqual(rt.registered(), []);
    assert.equal(rt.processInfo(pid)!.registeredName, undefined);
  });

  test("a process registers itself with self.register", async (t) => {
    const { rt } = runtime(t);
    const pid = await rt.run(async (self) => {
      self.register(NAME);
      return rt.whereis(NAME);
    });
    assert.ok(pid instanceof Pid);
  });

  test("send by name reaches the process; from outside and from a process", async (t) => {
    const { rt } = runtime(t);
    const { pid, messages } = recorder(rt);
    rt.register(NAME, pid);
    rt.send(NAME, 1);
    await rt.run(async (self) => self.send(NAME, 2));
    await rt.idle();
    assert.deepEqual(messages, [1, 2]);
  });

  test("a taken name is refused with PROC_NAME_TAKEN", (t) => {
    const { rt } = runtime(t);
    const first = sleeper(rt);
    rt.register(NAME, first);
    assert.throws(() => rt.register(NAME, sleeper(rt)), { code: ErrorCodes.PROC_NAME_TAKEN });
    assert.throws(() => rt.register(NAME, first), { code: ErrorCodes.PROC_NAME_TAKEN });
    assertTerm(rt.whereis(NAME), first);
  });

  test("a dead process cannot be registered: PROC_NOT_ALIVE", async (t) => {
    const { rt } = runtime(t);
    const dead = rt.spawn(async () => {});
    await rt.idle();
    assert.throws(() => rt.register(NAME, dead), { code: ErrorCodes.PROC_NOT_ALIVE });
    assert.throws(() => rt.register(NAME, new Pid(atom("other@host"), 1, 0, 1)), { code: ErrorCodes.PROC_NOT_ALIVE });
    assert.deepEqual(rt.registered(), []);
  });

  test("a process has at most one name: PROC_ALREADY_NAMED", (t) => {
    const { rt } = runtime(t);
    const pid = sleeper(rt, { name: NAME });
    assert.throws(() => rt.register(atom("second_name"), pid), { code: ErrorCodes.PROC_ALREADY_NAMED });
    assert.deepEqual(rt.registered(), [NAME]);
  });

  test("the atom undefined is no name: PROC_BAD_NAME", (t) => {
    const { rt } = runtime(t);
    assert.throws(() => rt.register(atom("undefined"), sleeper(rt)), { code: ErrorCodes.PROC_BAD_NAME });
  });

  test("a spawn with a name that cannot be registered spawns nothing", (t) => {
    const { rt } = runtime(t);
    assert.throws(() => sleeper(rt, { name: atom("undefined") }), { code: ErrorCodes.PROC_BAD_NAME });
    assert.equal(rt.processCount, 0);
    assert.deepEqual(rt.processes(), []);
  });

  test("send to a name nobody holds throws PROC_NOT_REGISTERED (Erlang's badarg), as does unregister", async (t) => {
    const { rt } = runtime(t);
    assert.throws(() => rt.send(atom("nobody"), 1), { code: ErrorCodes.PROC_NOT_REGISTERED });
    assert.throws(() => rt.unregister(atom("nobody")), { code: ErrorCodes.PROC_NOT_REGISTERED });
    const code = await rt.run(async (self) => {
      try {
        self.send(atom("nobody"), 1);
        return "sent";
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
    });
    assert.equal(code, ErrorCodes.PROC_NOT_REGISTERED);
  });

  test("sending to {Name, Node} of this node for a free name is silently dropped", async (t) => {
    const { rt } = runtime(t, { node: "reg@host" });
    rt.send({ name: atom("nobody"), node: atom("reg@host") }, 1);
    const { pid, messages } = recorder(rt, { name: NAME });
    await rt.run(async (self) => {
      self.send({ name: atom("nobody"), node: rt.node }, 2);
      self.send({ name: NAME, node: rt.node }, 3);
    });
    await rt.idle();
    assert.deepEqual(messages, [3]);
    assert.ok(rt.isAlive(pid));
  });

  test("sending to {Name, Node} of another node goes through the transport", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const to = { name: NAME, node: atom("other@host") };
    rt.send(to, 1);
    const [signal] = transport.sent as [Extract<Signal, { kind: "message" }>];
    assert.equal(signal.kind, "message");
    assert.deepEqual(signal.to, to);
    assertTerm(signal.from, rt.rootPid);
    assert.equal(signal.message, 1);
  });

  test("a message from another node to a local name arrives; to a free name it is dropped", async (t) => {
    const { rt } = runtime(t);
    const { messages } = recorder(rt, { name: NAME });
    rt.deliver({ kind: "message", from: remotePid(), to: { name: atom("free"), node: rt.node }, message: 1 });
    rt.deliver({ kind: "message", from: remotePid(), to: { name: NAME, node: rt.node }, message: 2 });
    await rt.idle();
    assert.deepEqual(messages, [2]);
  });

  test("a name is freed when its process dies, and can be taken again", async (t) => {
    const { rt } = runtime(t);
    const first = await spawnWatched(
      rt,
      async (self) => {
        await self.receive();
        throw new ProcessExit(atom("bye"));
      },
      { name: NAME },
    );
    assertTerm(rt.whereis(NAME), first.pid);
    rt.send(NAME, atom("go"));
    await first.exit;
    assert.equal(rt.whereis(NAME), undefined);
    assert.deepEqual(rt.registered(), []);
    assert.throws(() => rt.send(NAME, 1), { code: ErrorCodes.PROC_NOT_REGISTERED });
    const second = sleeper(rt, { name: NAME });
    assertTerm(rt.whereis(NAME), second);
  });

  test("a name is freed when its process is killed", async (t) => {
    const { rt } = runtime(t);
    const pid = sleeper(rt, { name: NAME });
    rt.exit(pid, atom("kill"));
    assert.equal(rt.whereis(NAME), undefined);
  });

  test("registered lists every name", (t) => {
    const { rt } = runtime(t);
    const names = ["a", "b", "c"].map((n) => atom(n));
    for (const name of names) sleeper(rt, { name });
    assert.deepEqual(
      rt
        .registered()
        .map((a) => a.name)
        .sort(),
      ["a", "b", "c"],
    );
  });
});
