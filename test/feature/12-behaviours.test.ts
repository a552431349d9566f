// Behaviour objects, the cheap process body GenServer and GenStatem build on: init and its arg, state threaded
// through handleMessage, async callbacks that hold the queue (with a receive inside), idle timeouts, crashes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  type Behaviour,
  DOWN,
  ErrorCodes,
  EXIT,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  type Runtime,
  type Term,
  type Tuple,
  tuple,
} from "../../src/index.ts";
import { assertTerm, crashReports, elements, runtime, spawnWatched, waitFor } from "../support/runtime.ts";

const GET = atom("get");
const ADD = atom("add");

/** `{add, N}` adds to the state; `{get, From}` sends the state to From. */
const counter: Behaviour<number, number> = {
  name: "counter",
  init: (_self, start) => start * 10,
  handleMessage(self, message, n) {
    const [tag, value] = elements(message);
    if (tag === ADD) return n + (value as number);
    if (tag === GET) self.send(value as Pid, n);
    return n;
  },
};

/** Asks a process for its state with `{get, self}` and waits for the answer. */
function stateOf(rt: Runtime, pid: Pid): Promise<Term> {
  return rt.run(async (self) => {
    self.send(pid, tuple(GET, self.pid));
    return self.receive();
  });
}

describe("behaviours", () => {
  test("init gets the spawn arg; handleMessage threads the state from message to message", async (t) => {
    const { rt } = runtime(t);
    const pid = rt.spawn(counter, { arg: 4 });
    for (let i = 1; i <= 5; i++) rt.send(pid, tuple(ADD, i));
    assert.equal(await stateOf(rt, pid), 40 + 15);
  });

  test("without init, the state is the spawn arg", async (t) => {
    const { rt } = runtime(t);
    const { init: _init, ...noInit } = counter;
    const pid = rt.spawn(noInit as Behaviour<number>, { arg: 7 });
    rt.send(pid, tuple(ADD, 1));
    assert.equal(await stateOf(rt, pid), 8);
  });

  test("one behaviour object serves many processes, each with its own state", async (t) => {
    const { rt } = runtime(t);
    const pids = [1, 2, 3].map((arg) => rt.spawn(counter, { arg }));
    for (const [i, pid] of pids.entries()) rt.send(pid, tuple(ADD, i));
    assert.deepEqual(await Promise.all(pids.map((pid) => stateOf(rt, pid))), [10, 21, 32]);
  });

  test("an async init holds the queue until it settles", async (t) => {
    const { rt } = runtime(t);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: Term[] = [];
    const pid = rt.spawn({
      async init() {
        await gate;
        return "initialised";
      },
      handleMessage(_self, message, state: string) {
        handled.push(tuple(message, state));
        return state;
      },
    });
    rt.send(pid, 1);
    rt.send(pid, 2);
    await rt.idle();
    assert.deepEqual(handled, []);
    assert.equal(rt.processInfo(pid)!.messageQueueLen, 2);
    release();
    await waitFor(() => handled.length === 2, "both messages handled");
    assertTerm(handled, [tuple(1, "initialised"), tuple(2, "initialised")]);
  });

  test("an async handleMessage holds later messages until it settles; a receive inside it is selective", async (t) => {
    const { rt } = runtime(t);
    const log: string[] = [];
    const pid = rt.spawn(
      {
        async handleMessage(self: Process, message: Term, state: number) {
          if (message === atom("start")) {
            log.push("start: waiting for go");
            const go = await self.receive((m) => m === atom("go"));
            log.push(`start: got ${(go as { name: string }).name}`);
            return state + 100;
          }
          log.push(`${(message as { name: string }).name} with state ${state}`);
          return state + 1;
        },
      },
      { arg: 0 },
    );
    rt.send(pid, atom("start"));
    rt.send(pid, atom("a"));
    rt.send(pid, atom("b"));
    await rt.idle();
    assert.deepEqual(log, ["start: waiting for go"]);
    assert.equal(rt.processInfo(pid)!.messageQueueLen, 2);
    rt.send(pid, atom("go"));
    await waitFor(() => log.length === 4, "a and b handled");
    assert.deepEqual(log, ["start: waiting for go", "start: got go", "a with state 100", "b with state 101"]);
  });

  test("a behaviour can spawn, monitor and trap exits: signals arrive as messages", async (t) => {
    const { rt } = runtime(t);
    const seen: Term[] = [];
    const pid = rt.spawn(
      {
        init(self) {
          self.spawnLink(async () => {
            throw new ProcessExit(atom("linked_died"));
          });
          self.spawnMonitor(async () => "monitored_done");
        },
        handleMessage(_self, message) {
          seen.push(message);
        },
      },
      { trapExit: true },
    );
    await rt.idle();
    assert.ok(rt.isAlive(pid));
    const tags = seen.map((m) => (m as Tuple).at(0));
    assert.deepEqual(tags.sort(), [DOWN, EXIT].sort());
    const exit = seen.find((m) => (m as Tuple).at(0) === EXIT)!;
    assertTerm(elements(exit)[2], atom("linked_died"));
    const down = seen.find((m) => (m as Tuple).at(0) === DOWN)!;
    assertTerm(elements(down)[4], NORMAL);
  });
});

describe("idle timeouts", () => {
  /** Records `timeout` events with the clock's time; each callback re-arms the wait when `rearm` is set. */
  function sleepy(log: Term[], clock: { now(): number }, rearm: boolean): Behaviour<null> {
    return {
      init(self) {
        self.setIdleTimeout(100);
        return null;
      },
      handleMessage(self, message, state) {
        log.push(tuple(message, clock.now()));
        if (rearm) self.setIdleTimeout(100);
        return state;
      },
      handleTimeout(self, state) {
        log.push(tuple(atom("timeout"), clock.now()));
        if (rearm) self.setIdleTimeout(100);
        return state;
      },
    };
  }

  test("setIdleTimeout: handleTimeout runs once the wait passes without a message", async (t) => {
    const { rt, clock } = runtime(t);
    const log: Term[] = [];
    rt.spawn(sleepy(log, clock, false));
    await rt.idle();
    clock.advance(99);
    await rt.idle();
    assert.deepEqual(log, []);
    clock.advance(1);
    await rt.idle();
    assertTerm(log, [tuple(atom("timeout"), 100)]);
    clock.advance(1000);
    await rt.idle();
    assert.equal(log.length, 1, "the timeout is for one wait only");
  });

  test("a message before the timeout cancels it", async (t) => {
    const { rt, clock } = runtime(t);
    const log: Term[] = [];
    const pid = rt.spawn(sleepy(log, clock, false));
    await rt.idle();
    clock.advance(50);
    rt.send(pid, atom("msg"));
    await rt.idle();
    clock.advance(1000);
    await rt.idle();
    assertTerm(log, [tuple(atom("msg"), 50)]);
    assert.equal(clock.pendingAlarms, 0);
  });

  test("re-armed in each callback, the timeout measures from the last event", async (t) => {
    const { rt, clock } = runtime(t);
    const log: Term[] = [];
    const pid = rt.spawn(sleepy(log, clock, true));
    await rt.idle();
    clock.advance(100);
    await rt.idle();
    clock.advance(30);
    rt.send(pid, atom("msg"));
    await rt.idle();
    clock.advance(100);
    await rt.idle();
    assertTerm(log, [tuple(atom("timeout"), 100), tuple(atom("msg"), 130), tuple(atom("timeout"), 230)]);
  });

  test("without handleTimeout, handleMessage gets the atom timeout", async (t) => {
    const { rt, clock } = runtime(t);
    const got: Term[] = [];
    rt.spawn({
      init(self) {
        self.setIdleTimeout(10);
      },
      handleMessage(_self, message) {
        got.push(message);
      },
    });
    await rt.idle();
    clock.advance(10);
    await rt.idle();
    assert.deepEqual(got, [atom("timeout")]);
  });

  test("an idle timeout must be a number ≥ 0 (PROC_BAD_ARG); undefined disarms it", async (t) => {
    const { rt, clock } = runtime(t);
    const code = await rt.run(async (self) => {
      try {
        self.setIdleTimeout(-5);
        return "accepted";
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
    });
    assert.equal(code, ErrorCodes.PROC_BAD_ARG);
    const got: Term[] = [];
    rt.spawn({
      init(self) {
        self.setIdleTimeout(10);
        self.setIdleTimeout(undefined);
      },
      handleMessage(_self, message) {
        got.push(message);
      },
    });
    await rt.idle();
    clock.advance(1000);
    await rt.idle();
    assert.deepEqual(got, []);
  });
});

describe("behaviour crashes", () => {
  test("a throwing handleMessage ends the process with {{Name, Message}, Stack} and a crash report", async (t) => {
    const { rt, logs } = runtime(t);
    const p = await spawnWatched(rt, {
      handleMessage() {
        throw new Error("handler failed");
      },
    });
    rt.send(p.pid, 1);
    const reason = elements(await p.exit);
    assertTerm(reason[0], tuple(atom("Error"), "handler failed"));
    assert.ok(Array.isArray(reason[1]));
    await waitFor(() => crashReports(logs).length === 1, "the crash report");
  });

  test("a throwing init, a rejected async handleMessage and a throwing handleTimeout crash the process", async (t) => {
    const { rt, clock } = runtime(t);
    const initFails = await spawnWatched(rt, {
      init() {
        throw new ProcessExit(atom("init_failed"));
      },
      handleMessage: () => undefined,
    });
    assertTerm(await initFails.exit, atom("init_failed"));

    const rejects = await spawnWatched(rt, {
      async handleMessage() {
        await null;
        throw new ProcessExit(atom("async_failed"));
      },
    });
    rt.send(rejects.pid, 1);
    assertTerm(await rejects.exit, atom("async_failed"));

    const timeoutFails = await spawnWatched(rt, {
      init(self) {
        self.setIdleTimeout(5);
      },
      handleMessage: () => undefined,
      handleTimeout() {
        throw new ProcessExit(atom("timeout_failed"));
      },
    });
    await rt.idle();
    clock.advance(5);
    assertTerm(await timeoutFails.exit, atom("timeout_failed"));
  });

  test("messages still queued when a behaviour crashes are dropped with it", async (t) => {
    const { rt } = runtime(t);
    const handled: Term[] = [];
    const p = await spawnWatched(rt, {
      handleMessage(_self, message) {
        handled.push(message);
        if (message === 2) throw new ProcessExit(atom("stop_at_2"));
      },
    });
    for (let i = 1; i <= 4; i++) rt.send(p.pid, i);
    assertTerm(await p.exit, atom("stop_at_2"));
    assert.deepEqual(handled, [1, 2]);
  });
});
