// GenServer, after the groups of OTP's gen_server_SUITE: start variants and names, init results, call, cast and
// info, call failures as the caller's exit, deferred replies, continue and timeouts, stop and terminate, sys, and
// the call protocol's messages as OTP 25 sends them. Timeouts run on the manual clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  type From,
  GenServer,
  type GenServerCallbacks,
  ImproperList,
  type Pid,
  ProcessExit,
  Ref,
  SHUTDOWN,
  sys,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { assertTerm, crashReports, downFor, elements, exitOf, reasonOf, runtime, waitFor } from "../support/runtime.ts";

const GET = atom("get");
const BUMP = atom("bump");
const OK = atom("ok");
const ERROR = atom("error");
const TIMEOUT = atom("timeout");
const GEN_SERVER = atom("gen_server");
const CALL = atom("call");

type CounterCall = typeof GET | typeof BUMP | Tuple;

/** A counter: `get` → count; `bump` → count + 1 (reply: the new count); cast `bump`; info `bump`. */
const counter: GenServerCallbacks<number, number, CounterCall, Term, Term> = {
  init: (_self, start) => ({ state: start }),
  handleCall(_self, request, _from, n) {
    if (request === GET) return { reply: n, state: n };
    if (request === BUMP) return { reply: n + 1, state: n + 1 };
    return { reply: tuple(ERROR, request), state: n };
  },
  handleCast: (_self, _message, n) => ({ state: n + 1 }),
  handleInfo: (_self, message, n) => ({ state: message === BUMP ? n + 1 : n }),
};

describe("start", () => {
  test("start, startLink and startMonitor give a running server; startMonitor also its monitor", async (t) => {
    const { rt } = runtime(t);
    const started = await GenServer.start(rt, counter, 1);
    assert.ok("pid" in started && rt.isAlive(started.pid));
    await rt.run(async (self) => {
      const linked = await GenServer.startLink(self, counter, 2);
      assert.ok("pid" in linked);
      assert.deepEqual(rt.processInfo(self.pid)!.links, [linked.pid]);
      const monitored = await GenServer.startMonitor(self, counter, 3);
      assert.ok("ref" in monitored);
      assert.equal(await GenServer.call(self, monitored.pid, GET), 3);
      self.exit(monitored.pid, atom("kill"));
      assertTerm(reasonOf(await self.receive(downFor(monitored.ref))), atom("killed"));
      self.unlink(linked.pid);
    });
  });

  test("a name is registered before init runs; a taken name gives {already_started, Pid}", async (t) => {
    const { rt } = runtime(t);
    const name = atom("counter");
    let seen: Pid | undefined;
    const spy: GenServerCallbacks<number, number> = {
      init: (_self, n) => {
        seen = rt.whereis(name);
        return { state: n };
      },
    };
    const first = await GenServer.start(rt, spy, 1, { name });
    assert.ok("pid" in first);
    assert.equal(seen, first.pid);
    const second = await GenServer.start(rt, counter, 2, { name });
    assert.ok("error" in second);
    assertTerm(second.error, tuple(atom("already_started"), first.pid));
  });

  test("global and via names: start under them, call through them, free again after exit", async (t) => {
    const { rt } = runtime(t);
    const names = new Map<string, Pid>();
    const via = {
      registerName(name: Term, pid: Pid) {
        if (names.has(String(name))) return false;
        names.set(String(name), pid);
        return true;
      },
      unregisterName: (name: Term) => void names.delete(String(name)),
      whereisName: (name: Term) => names.get(String(name)),
    };
    await rt.run(async (self) => {
      const g = await GenServer.start(self, counter, 5, { name: { global: "g" } });
      const v = await GenServer.start(self, counter, 7, { name: { via, name: "v" } });
      assert.ok("pid" in g && "pid" in v);
      assert.equal(await GenServer.call(self, { global: "g" }, GET), 5);
      assert.equal(await GenServer.call(self, { via, name: "v" }, GET), 7);
      await GenServer.stop(self, { global: "g" });
      const again = await GenServer.start(self, counter, 9, { name: { global: "g" } });
      assert.ok("pid" in again);
      assert.equal(await GenServer.call(self, { global: "g" }, GET), 9);
    });
  });

  test("init results: ignore, stop, a throw, continue", async (t) => {
    const { rt, logs } = runtime(t);
    const name = atom("reused");
    const ignoring: GenServerCallbacks<never, undefined> = { init: () => ({ ignore: true }) };
    assert.deepEqual(await GenServer.start(rt, ignoring, undefined, { name }), { ignore: true });
    assert.equal(rt.whereis(name), undefined, "the name is free once start returns");
    const stopping: GenServerCallbacks<never, undefined> = { init: () => ({ stop: atom("no_way") }) };
    const stopped = await GenServer.start(rt, stopping, undefined, { name });
    assert.ok("error" in stopped);
    assertTerm(stopped.error, atom("no_way"));
    const throwing: GenServerCallbacks<never, undefined> = {
      init: () => {
        throw new Error("boom");
      },
    };
    const thrown = await GenServer.start(rt, throwing, undefined);
    assert.ok("error" in thrown);
    assertTerm(elements(elements(thrown.error)[0])[1], "boom");
    assert.ok(crashReports(logs).length >= 2, "init failures are crash reports");
    const continuing: GenServerCallbacks<string[], undefined> = {
      init: () => ({ state: ["init"], continue: atom("more") }),
      handleContinue: (_self, _c, s) => ({ state: [...s, "continue"] }),
      handleCall: (_self, _r, _f, s) => ({ reply: s.join(","), state: s }),
    };
    await rt.run(async (self) => {
      const c = await GenServer.start(self, continuing, undefined);
      assert.ok("pid" in c);
      assert.equal(await GenServer.call(self, c.pid, GET), "init,continue");
    });
  });

  test("an init that outlasts the start timeout: the process is killed and the start gives timeout", async (t) => {
    const { rt, clock } = runtime(t);
    const slow: GenServerCallbacks<number, undefined> = { init: () => new Promise(() => {}) };
    const started = rt.run((self) => GenServer.startLink(self, slow, undefined, { timeout: 1000 }));
    await rt.idle();
    const before = rt.processCount;
    clock.advance(1000);
    const result = await started;
    assert.ok("error" in result);
    assertTerm(result.error, TIMEOUT);
    await rt.idle();
    assert.ok(rt.processCount < before, "the slow server is gone");
  });
});

describe("call, cast and info", () => {
  test("call replies, cast and other messages change the state in order", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.start(self, counter, 0);
      assert.ok("pid" in s);
      assert.equal(await GenServer.call(self, s.pid, BUMP), 1);
      GenServer.cast(self, s.pid, BUMP);
      self.send(s.pid, BUMP);
      self.send(s.pid, atom("ignored"));
      assert.equal(await GenServer.call(self, s.pid, GET), 3);
      GenServer.cast(rt, s.pid, BUMP);
      assert.equal(await GenServer.call(self, s.pid, GET, { timeout: "infinity" }), 4);
    });
  });

  test("a call to a name nobody has exits the caller with {noproc, {gen_server, call, [Name, Req]}}", async (t) => {
    const { rt } = runtime(t);
    const reason = await rt.run((self) => exitOf(GenServer.call(self, atom("nobody"), GET)));
    assertTerm(reason, tuple(atom("noproc"), tuple(GEN_SERVER, CALL, [atom("nobody"), GET])));
  });

  test("a call that gets no answer in time exits the caller with {timeout, …}; the late reply is dropped", async (t) => {
    const { rt, clock } = runtime(t);
    let pending: From | undefined;
    const silent: GenServerCallbacks<null, undefined> = {
      init: () => ({ state: null }),
      handleCall: (_self, _request, from) => {
        pending = from;
        return { state: null };
      },
    };
    await rt.run(async (self) => {
      const s = await GenServer.start(self, silent, undefined);
      assert.ok("pid" in s);
      const call = exitOf(GenServer.call(self, s.pid, GET, { timeout: 100 }));
      await waitFor(() => pending !== undefined, "the call to arrive");
      clock.advance(100);
      assertTerm(await call, tuple(TIMEOUT, tuple(GEN_SERVER, CALL, [s.pid, GET, 100])));
      GenServer.reply(rt, pending!, atom("too_late"));
      await rt.idle();
      assert.equal(await self.receive(undefined, { timeout: 0 }), undefined, "the late reply did not arrive");
    });
  });

  test("a call with timeout 0 exits with {timeout, …} at once; its monitor and alias are gone", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.start(self, counter, 0);
      assert.ok("pid" in s);
      const reason = await exitOf(GenServer.call(self, s.pid, GET, { timeout: 0 }));
      assertTerm(reason, tuple(TIMEOUT, tuple(GEN_SERVER, CALL, [s.pid, GET, 0])));
      assert.deepEqual(rt.processInfo(self.pid)!.monitors, []);
      assert.equal(rt.aliases.size, 0);
      await rt.idle();
      assert.equal(await self.receive(undefined, { timeout: 0 }), undefined, "the reply was dropped");
      assert.equal(await GenServer.call(self, s.pid, GET), 0, "the server still serves");
    });
  });

  test("a server that exits during a call makes the caller exit with its reason", async (t) => {
    const { rt } = runtime(t);
    const dying: GenServerCallbacks<null, undefined> = {
      init: () => ({ state: null }),
      handleCall: () => {
        throw new ProcessExit(atom("gone"));
      },
    };
    await rt.run(async (self) => {
      const s = await GenServer.start(self, dying, undefined);
      assert.ok("pid" in s);
      assertTerm(
        await exitOf(GenServer.call(self, s.pid, GET)),
        tuple(atom("gone"), tuple(GEN_SERVER, CALL, [s.pid, GET])),
      );
    });
  });

  test("a deferred reply: handleCall keeps From, another callback replies", async (t) => {
    const { rt } = runtime(t);
    const deferring: GenServerCallbacks<From | null, undefined> = {
      init: () => ({ state: null }),
      handleCall: (_self, _request, from) => ({ state: from }),
      handleInfo(self, message, from) {
        if (from !== null) GenServer.reply(self, from, message);
        return { state: null };
      },
    };
    await rt.run(async (self) => {
      const s = await GenServer.start(self, deferring, undefined);
      assert.ok("pid" in s);
      const answer = GenServer.call(self, s.pid, GET);
      rt.send(s.pid, atom("later"));
      assert.equal(await answer, atom("later"));
    });
  });

  test("async callbacks: the server takes no message until one settles", async (t) => {
    const { rt } = runtime(t);
    const slow: GenServerCallbacks<number, undefined> = {
      init: async () => ({ state: 0 }),
      handleCast: async (self, _m, n) => {
        await self.receive((m) => m === atom("go"));
        return { state: n + 1 };
      },
      handleCall: async (_self, _r, _f, n) => ({ reply: n, state: n }),
    };
    await rt.run(async (self) => {
      const s = await GenServer.start(self, slow, undefined);
      assert.ok("pid" in s);
      GenServer.cast(self, s.pid, BUMP);
      const answer = GenServer.call(self, s.pid, GET);
      self.send(s.pid, atom("go"));
      assert.equal(await answer, 1);
    });
  });
});

describe("timeouts", () => {
  test("a timeout in a result: no message within it calls handleInfo(timeout)", async (t) => {
    const { rt, clock } = runtime(t);
    const infos: Term[] = [];
    const waiting: GenServerCallbacks<null, undefined> = {
      init: () => ({ state: null, timeout: 500 }),
      handleInfo: (_self, message) => {
        infos.push(message);
        return { state: null };
      },
    };
    await GenServer.start(rt, waiting, undefined);
    await rt.idle();
    clock.advance(499);
    await rt.idle();
    assert.deepEqual(infos, []);
    clock.advance(1);
    await rt.idle();
    assert.deepEqual(infos, [TIMEOUT]);
  });
});

describe("stop and terminate", () => {
  /** A server that reports its terminate reason to `report`. */
  function reporting(report: Pid, trap = false): GenServerCallbacks<null, undefined> {
    return {
      init(self) {
        if (trap) self.setTrapExit(true);
        return { state: null };
      },
      handleCall: (_self, request) =>
        request === atom("stop") ? { stop: atom("asked"), reply: OK, state: null } : { reply: request, state: null },
      handleCast: () => {
        throw new Error("bad cast");
      },
      terminate(self, reason) {
        self.send(report, tuple(atom("terminated"), reason));
      },
    };
  }

  test("GenServer.stop runs terminate with the reason and returns once the server is gone", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.start(self, reporting(self.pid), undefined);
      assert.ok("pid" in s);
      await GenServer.stop(self, s.pid, { reason: SHUTDOWN });
      assert.equal(rt.isAlive(s.pid), false);
      assertTerm(await self.receive(undefined, { timeout: 0 }), tuple(atom("terminated"), SHUTDOWN));
      assertTerm(await exitOf(GenServer.stop(self, s.pid)), atom("noproc"));
    });
  });

  test("a stop result replies first, then terminates with its reason", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.startMonitor(self, reporting(self.pid), undefined);
      assert.ok("ref" in s);
      assert.equal(await GenServer.call(self, s.pid, atom("stop")), OK);
      assertTerm(reasonOf(await self.receive(downFor(s.ref))), atom("asked"));
      assertTerm(await self.receive(undefined, { timeout: 0 }), tuple(atom("terminated"), atom("asked")));
    });
  });

  test("a callback that throws: terminate gets the crash reason, the server exits with it, a crash is logged", async (t) => {
    const { rt, logs } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.startMonitor(self, reporting(self.pid), undefined);
      assert.ok("ref" in s);
      GenServer.cast(self, s.pid, BUMP);
      const reason = reasonOf(await self.receive(downFor(s.ref)));
      assertTerm(elements(elements(reason)[0])[1], "bad cast");
      assertTerm(await self.receive(undefined, { timeout: 0 }), tuple(atom("terminated"), reason));
    });
    assert.equal(crashReports(logs).length, 1);
  });

  test("a trapping server terminates with its parent's exit reason", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const report = self.pid;
      let server: Pid | undefined;
      const parent = self.spawn(async (p) => {
        const s = await GenServer.startLink(p, reporting(report, true), undefined);
        assert.ok("pid" in s);
        server = s.pid;
        throw new ProcessExit(SHUTDOWN);
      });
      self.monitor(parent);
      assertTerm(
        await self.receive((m) => m instanceof Tuple && m.at(0) === atom("terminated")),
        tuple(atom("terminated"), SHUTDOWN),
      );
      await waitFor(() => server !== undefined && !rt.isAlive(server), "the server to exit");
    });
  });

  test("without trapping, the parent's exit kills the server and terminate does not run", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const report = self.pid;
      const parent = self.spawn(async (p) => {
        await GenServer.startLink(p, reporting(report), undefined);
        throw new ProcessExit(SHUTDOWN);
      });
      const ref = self.monitor(parent);
      await self.receive(downFor(ref));
      await rt.idle();
      assert.equal(await self.receive(undefined, { timeout: 0 }), undefined);
    });
  });
});

describe("sys", () => {
  test("getState, replaceState, getStatus", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.start(self, counter, 41);
      assert.ok("pid" in s);
      assert.equal(await sys.getState(self, s.pid), 41);
      assert.equal(await sys.replaceState<number>(self, s.pid, (n) => n + 1), 42);
      assert.equal(await GenServer.call(self, s.pid, GET), 42);
      const [tag, pid, module, items] = elements(await sys.getStatus(self, s.pid));
      assert.equal(tag, atom("status"));
      assert.equal(pid, s.pid);
      assertTerm(module!, tuple(atom("module"), GEN_SERVER));
      assert.equal((items as Term[])[1], atom("running"));
      assert.equal((items as Term[])[4], 42);
    });
  });

  test("a suspended server answers system messages only; the rest waits for resume; changeCode migrates state", async (t) => {
    const { rt } = runtime(t);
    const upgradable: GenServerCallbacks<number | { count: number }, undefined> = {
      init: () => ({ state: 1 }),
      handleCall: (_self, _r, _f, s) => ({ reply: typeof s === "number" ? s : s.count, state: s }),
      codeChange: (oldVsn, s) => (oldVsn === 1 ? { count: s as number } : s),
    };
    await rt.run(async (self) => {
      const s = await GenServer.start(self, upgradable, undefined);
      assert.ok("pid" in s);
      await sys.suspend(self, s.pid);
      let answer: Term | undefined;
      self.spawn(async (caller) => {
        answer = await GenServer.call(caller, s.pid, GET);
      });
      await rt.idle();
      assert.equal(answer, undefined, "the call waits while the server is suspended");
      assert.equal(await sys.getState(self, s.pid), 1);
      assertTerm(await sys.changeCode(self, s.pid, atom("m"), 1, []), OK);
      assert.deepEqual(await sys.getState(self, s.pid), { count: 1 });
      await sys.resume(self, s.pid);
      await waitFor(() => answer !== undefined, "the call's answer");
      assert.equal(answer, 1);
    });
  });
});

describe("sys debug options", () => {
  test("statistics count messages in and replies out; trace logs each as a *DBG* line, as sys:trace prints", async (t) => {
    const { rt, logs } = runtime(t);
    const s = await GenServer.start(rt, counter, 0);
    assert.ok("pid" in s);
    await rt.run(async (self) => {
      assert.equal(await sys.statistics(self, s.pid, "get"), undefined);
      await sys.statistics(self, s.pid, true);
      await sys.trace(self, s.pid, true);
      assert.equal(await GenServer.call(self, s.pid, BUMP), 1);
      GenServer.cast(self, s.pid, BUMP);
      self.send(s.pid, BUMP);
      const stats = await sys.statistics(self, s.pid, "get");
      assert.equal(stats?.messagesIn, 3);
      assert.equal(stats?.messagesOut, 1);
      assert.ok(stats!.reductions > 0);
      assert.equal(elements(stats!.startTime).length, 2); // {{Y, M, D}, {H, Min, S}}
      await sys.trace(self, s.pid, false);
      await sys.statistics(self, s.pid, false);
      assert.equal(await sys.statistics(self, s.pid, "get"), undefined);
      assert.equal(await GenServer.call(self, s.pid, GET), 3);
    });
    await waitFor(() => logs.filter((e) => e.meta.what === "sys_trace").length === 7, "the trace lines");
    const lines = logs
      .filter((e) => e.meta.what === "sys_trace")
      .map((e) => e.text.replace(/<\d+\.\d+\.\d+>/g, "<pid>"));
    assert.deepEqual(lines, [
      "*DBG* <pid> got call bump from <pid>",
      "*DBG* <pid> sent 1 to <pid>",
      "*DBG* <pid> new state 1",
      "*DBG* <pid> got cast bump",
      "*DBG* <pid> new state 2",
      "*DBG* <pid> got bump",
      "*DBG* <pid> new state 3",
    ]);
  });
});

describe("the call protocol on the wire", () => {
  test("a call sends {'$gen_call', {Pid, [alias | Mref]}, Req} and takes {[alias | Mref], Reply} at the alias", async (t) => {
    const { rt } = runtime(t);
    const seen: Term[] = [];
    const fake = rt.spawn(async (self) => {
      const m = (await self.receive()) as Tuple;
      seen.push(m);
      const [, from] = m.elements;
      const [, tag] = (from as Tuple).elements;
      self.send((tag as ImproperList).tail as Ref, tuple(tag!, atom("pong")));
    });
    const reply = await rt.run((self) => GenServer.call(self, fake, atom("ping")));
    assert.equal(reply, atom("pong"));
    const [label, from, request] = elements(seen[0]);
    assert.equal(label, atom("$gen_call"));
    assert.equal(request, atom("ping"));
    const [, tag] = elements(from);
    assert.ok(tag instanceof ImproperList && tag.items[0] === atom("alias") && tag.tail instanceof Ref);
  });

  test("an older node's plain-ref tag gets {Ref, Reply} at the caller's pid", async (t) => {
    const { rt } = runtime(t);
    await rt.run(async (self) => {
      const s = await GenServer.start(self, counter, 7);
      assert.ok("pid" in s);
      const ref = self.makeRef();
      self.send(s.pid, tuple(atom("$gen_call"), tuple(self.pid, ref), GET));
      assertTerm(await self.receive(undefined, { since: ref }), tuple(ref, 7));
    });
  });
});

describe("types", () => {
  test("a call or cast of the wrong type does not compile", async (t) => {
    const { rt } = runtime(t);
    // Calls take a number to add and reply with the sum; casts take a string.
    const typed: GenServerCallbacks<number, undefined, number, string, number> = {
      init: () => ({ state: 0 }),
      handleCall: (_self, add, _from, n) => ({ reply: n + add, state: n + add }),
      handleCast: (_self, _m, n) => ({ state: n }),
    };
    await rt.run(async (self) => {
      const s = await GenServer.start(self, typed, undefined);
      assert.ok("pid" in s);
      const n: number = await GenServer.call(self, s.pid, 2);
      assert.equal(n, 2);
      GenServer.cast(self, s.pid, "fine");
      // Checked by the type checker only: these lines never run.
      const wrongCalls = async () => {
        // @ts-expect-error: this server's calls take numbers
        await GenServer.call(self, s.pid, GET);
        // @ts-expect-error: its reply is a number
        const wrong: string = await GenServer.call(self, s.pid, 1);
        return wrong;
      };
      assert.equal(typeof wrongCalls, "function");
      // @ts-expect-error: its casts take strings
      const wrongCast = () => GenServer.cast(self, s.pid, 5);
      assert.equal(typeof wrongCast, "function");
    });
  });
});
