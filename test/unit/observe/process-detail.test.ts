// The observer's process detail on a local node: process_info's items, the state through sys.getState for a
// behaviour, null for a process that does not answer (in time) or is no behaviour, and a dead or foreign pid.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, GenServer, type GenServerCallbacks, type Pid, type Runtime } from "../../../src/index.ts";
import { BadRequest } from "../../../src/observe/requests.ts";
import { localProcessDetail, STATE_TIMEOUT_MS } from "../../../src/observe/views/local-process.ts";
import { runtime } from "../../support/runtime.ts";
import { counter } from "./support.ts";

function detail(rt: Runtime, pid: string) {
  return localProcessDetail(rt, pid, { node: rt.node, creation: rt.creation });
}

async function startCounter(
  rt: Runtime,
  callbacks: GenServerCallbacks<{ count: number }, number> = counter,
): Promise<Pid> {
  const started = await rt.run((self) => GenServer.start(self, callbacks, 41, { name: atom("the_counter") }));
  assert.ok("pid" in started);
  return started.pid;
}

describe("the process detail", () => {
  test("a GenServer: its info, links and state", async (t) => {
    const { rt } = runtime(t, { realClock: true });
    const pid = await startCounter(rt);
    const linked = rt.spawn(async (self) => {
      self.link(pid);
      await self.receive();
    });
    await rt.idle();
    const shown = await detail(rt, ` <0.${pid.id}.${pid.serial}> `);
    assert.equal(shown.pid, `<0.${pid.id}.${pid.serial}>`);
    assert.equal(shown.alive, true);
    assert.equal(shown.info.registered_name, "the_counter");
    assert.equal(shown.info.current_function, "gen_server");
    assert.deepEqual(shown.info.links, [`<0.${linked.id}.${linked.serial}>`]);
    assert.equal(shown.state, "{ count: 41 }", "a JS state prints as Node's inspect shows it");
  });

  test("a plain async process is sent no system message: state null, its queue untouched", async (t) => {
    const { rt } = runtime(t, { realClock: true });
    const pid = rt.spawn(async function waits(self) {
      await self.receive((m) => m === atom("never"));
    });
    await rt.idle();
    const shown = await detail(rt, `<0.${pid.id}.${pid.serial}>`);
    assert.equal(shown.state, null);
    assert.equal(shown.info.current_function, "waits");
    assert.equal(rt.processInfo(pid)!.messageQueueLen, 0);
  });

  test("a GenServer that does not answer: state null once the deadline passes, and nothing left waiting", async (t) => {
    const { rt } = runtime(t, { realClock: true });
    const stuck: GenServerCallbacks<{ count: number }, number> = {
      ...counter,
      handleCast: () => new Promise(() => {}), // busy for ever
    };
    const pid = await startCounter(rt, stuck);
    GenServer.cast(rt, pid, atom("hang"));
    await rt.idle();
    const before = rt.processCount;
    const started = performance.now();
    const shown = await detail(rt, `<0.${pid.id}.${pid.serial}>`);
    assert.equal(shown.state, null);
    assert.ok(performance.now() - started < STATE_TIMEOUT_MS * 2 + 1000, "answered within the deadline");
    await rt.idle();
    assert.equal(rt.processCount, before, "the observer's reader is gone");
  });

  test("a dead pid is shown as not alive; a malformed or foreign pid is a BadRequest", async (t) => {
    const { rt } = runtime(t);
    const pid = rt.spawn(async () => {});
    await rt.idle();
    assert.deepEqual(await detail(rt, `<0.${pid.id}.${pid.serial}>`), {
      pid: `<0.${pid.id}.${pid.serial}>`,
      alive: false,
      info: {},
      state: null,
    });
    await assert.rejects(detail(rt, "<0.1>"), BadRequest);
    await assert.rejects(detail(rt, "hello"), BadRequest);
    await assert.rejects(detail(rt, "#Pid<'other@host'.1.5.0>"), /not of this node/);
  });
});
