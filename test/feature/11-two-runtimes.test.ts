// Two runtimes in one Node.js process are two independent nodes: their own pids, registries, timers and fates.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, ErrorCodes, equals, NOPROC, Pid, type ProcessError } from "../../src/index.ts";
import { assertTerm, downFor, reasonOf, recorder, runtime, sleeper } from "../support/runtime.ts";

describe("two runtimes", () => {
  test("runtimes with different node names give pids of their own node", (t) => {
    const a = runtime(t, { node: "a@host" }).rt;
    const b = runtime(t, { node: "b@host" }).rt;
    const pa = sleeper(a);
    const pb = sleeper(b);
    assert.equal(pa.node, atom("a@host"));
    assert.equal(pb.node, atom("b@host"));
    assert.ok(!equals(pa, pb));
    assert.equal(a.isAlive(pb), false, "a pid of b is not alive in a");
    assert.equal(b.isAlive(pa), false, "a pid of a is not alive in b");
    assert.equal(a.processInfo(pb), undefined);
  });

  test("runtimes with the same node name differ by creation: one's pid is not alive in the other", (t) => {
    const a = runtime(t).rt;
    const b = runtime(t).rt;
    assert.notEqual(a.creation, b.creation);
    const pa = sleeper(a);
    const pb = sleeper(b);
    assert.equal(pa.id, pb.id, "same slot in each table");
    assert.ok(!equals(pa, pb), "but different pids");
    assert.equal(b.isAlive(pa), false);
    assert.equal(a.isAlive(pb), false);
    assert.deepEqual(
      a.processes().map((p) => p.creation),
      [a.creation],
    );
  });

  test("a message sent in one runtime to the other's pid does not arrive", async (t) => {
    const a = runtime(t).rt;
    const b = runtime(t).rt;
    const inB = recorder(b);
    a.send(inB.pid, atom("wrong_runtime"));
    await a.run(async (self) => self.send(inB.pid, atom("wrong_runtime")));
    await b.idle();
    assert.deepEqual(inB.messages, []);
    b.send(inB.pid, atom("right_runtime"));
    await b.idle();
    assert.deepEqual(inB.messages, [atom("right_runtime")]);
  });

  test("registries are separate: the same name in both, whereis answers per runtime", (t) => {
    const a = runtime(t).rt;
    const b = runtime(t).rt;
    const name = atom("server");
    const pa = sleeper(a, { name });
    const pb = sleeper(b, { name });
    assertTerm(a.whereis(name), pa);
    assertTerm(b.whereis(name), pb);
    a.unregister(name);
    assertTerm(b.whereis(name), pb);
    assert.throws(() => a.send(name, 1), { code: ErrorCodes.PROC_NOT_REGISTERED });
  });

  test("exits, links and monitors do not cross runtimes", async (t) => {
    const a = runtime(t).rt;
    const b = runtime(t).rt;
    const pb = sleeper(b);
    a.exit(pb, atom("kill"));
    assert.ok(b.isAlive(pb), "an exit signal from another runtime's pid table does not reach it");
    const reason = await a.run(async (self) => reasonOf(await self.receive(downFor(self.monitor(pb)), { timeout: 0 })));
    assertTerm(reason, NOPROC, "monitoring b's pid from a: an earlier incarnation of the node, so noproc");
    const linked = await a.run(async (self) => {
      try {
        self.link(pb);
        return "linked";
      } catch (error) {
        return (error as ProcessError).code;
      }
    });
    assert.equal(linked, "PROC_NOT_ALIVE", "linking to b's pid from a: no such process in a");
    assert.ok(b.isAlive(pb));
    assert.deepEqual(b.processInfo(pb)!.monitoredBy, []);
  });

  test("timers and clocks are per runtime", async (t) => {
    const a = runtime(t);
    const b = runtime(t);
    const inA = recorder(a.rt);
    const inB = recorder(b.rt);
    a.rt.sendAfter(10, inA.pid, 1);
    b.rt.sendAfter(10, inB.pid, 2);
    a.clock.advance(10);
    await a.rt.idle();
    await b.rt.idle();
    assert.deepEqual(inA.messages, [1]);
    assert.deepEqual(inB.messages, []);
    b.clock.advance(10);
    await b.rt.idle();
    assert.deepEqual(inB.messages, [2]);
  });

  test("shutting one runtime down leaves the other running", async (t) => {
    const a = runtime(t).rt;
    const b = runtime(t).rt;
    sleeper(a);
    const pb = sleeper(b);
    a.shutdown();
    assert.equal(a.processCount, 0);
    assert.ok(b.isAlive(pb));
    assert.equal(await b.run(async () => "still here"), "still here");
    assert.throws(() => sleeper(a), { code: ErrorCodes.PROC_SHUTDOWN });
  });

  test("a pid made by hand for one runtime's node and creation is alive there only", (t) => {
    const a = runtime(t, { node: "a@host" }).rt;
    const pa = sleeper(a);
    const copy = new Pid(atom("a@host"), pa.id, pa.serial, pa.creation);
    assert.ok(a.isAlive(copy));
    assert.equal(a.isAlive(new Pid(atom("a@host"), pa.id, pa.serial, pa.creation + 1)), false);
  });
});
