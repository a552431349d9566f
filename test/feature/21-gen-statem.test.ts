// GenStatem, after the groups of OTP's gen_statem_SUITE: start and stop, both callback modes, state enter calls,
// postpone, next_event, the event / state / generic timeouts (with cancel, update and abs), replies and
// stop_and_reply, abnormal ends, sys, and the call protocol shared with GenServer. Time runs on the manual clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Action,
  atom,
  format,
  GenServer,
  GenStatem,
  type HandleEventCallbacks,
  type Pid,
  type Process,
  ProcessExit,
  SHUTDOWN,
  type StateFunctionCallbacks,
  type StatemEvent,
  sys,
  type Term,
  type Tuple,
  tuple,
} from "../../src/index.ts";
import { assertTerm, downFor, elements, exitOf, reasonOf, runtime, waitFor } from "../support/runtime.ts";

const OK = atom("ok");

/** An event as a short line for journals: `cast hello`, `state_timeout t`, `enter off`, `call get`. */
function line(event: StatemEvent | { type: "enter"; oldState: Term }): string {
  if (event.type === "enter") return `enter ${format(event.oldState)}`;
  if (event.type === "generic_timeout") return `generic_timeout ${format(event.name)} ${format(event.content)}`;
  return `${event.type} ${format(event.content)}`;
}

function started(result: { pid: Pid } | { ignore: true } | { error: Term }): Pid {
  assert.ok("pid" in result, `expected a start, got ${JSON.stringify(result)}`);
  return result.pid;
}

type SwitchState = "off" | "on";

/** OTP's switch example in state functions mode: `flip` (call or cast) toggles; `get` replies with the state. */
function lightSwitch(journal: string[], options: { stateEnter?: boolean } = {}) {
  const callbacks: StateFunctionCallbacks<SwitchState, number, undefined, Term, Term, Term> = {
    stateEnter: options.stateEnter,
    init: () => ({ state: "off", data: 0 }),
    states: {
      off(_self, event, flips) {
        journal.push(`off: ${line(event)}`);
        if (event.type === "enter") return { keepState: true };
        if (event.type === "call" && event.content === atom("get")) {
          return { keepState: true, actions: [{ type: "reply", to: event.from, reply: atom("off") }] };
        }
        if (event.content === atom("flip")) {
          const actions: Action[] = event.type === "call" ? [{ type: "reply", to: event.from, reply: OK }] : [];
          return { nextState: "on", data: flips + 1, actions };
        }
        return { keepState: true };
      },
      on(_self, event, flips) {
        journal.push(`on: ${line(event)}`);
        if (event.type === "enter") return { keepState: true };
        if (event.type === "call" && event.content === atom("get")) {
          return { keepState: true, actions: [{ type: "reply", to: event.from, reply: atom("on") }] };
        }
        if (event.content === atom("flip")) {
          const actions: Action[] = event.type === "call" ? [{ type: "reply", to: event.from, reply: OK }] : [];
          return { nextState: "off", data: flips + 1, actions };
        }
        return { keepState: true };
      },
    },
  };
  return callbacks;
}

/**
 * A handle-event machine that journals every event and obeys instructions sent as casts: the cast's content is
 * a function from (event, state, data) to the transition to return. Anything else keeps state and data.
 */
type Script = (event: StatemEvent | { type: "enter"; oldState: Term; content?: undefined }, state: Term) => unknown;
function scripted(journal: string[], options: { stateEnter?: boolean; init?: Action[] } = {}) {
  let script: Script | undefined;
  const callbacks: HandleEventCallbacks<Term, null, undefined> = {
    stateEnter: options.stateEnter,
    init: () => ({ state: atom("a"), data: null, actions: options.init }),
    handleEvent(_self, event, state) {
      journal.push(`${format(state)}: ${line(event)}`);
      const next = script?.(event, state);
      return (next ?? { keepState: true }) as never;
    },
    terminate(_self, reason, state) {
      journal.push(`terminate ${format(reason)} in ${format(state)}`);
    },
  };
  return {
    callbacks,
    /** From now on, each event's transition comes from `s` (undefined keeps state and data). */
    script(s: Script) {
      script = s;
    },
  };
}

describe("start and stop", () => {
  test("start, startLink, startMonitor, and a registered name", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const pid = started(await GenStatem.start(rt, lightSwitch(journal), undefined, { name: atom("switch") }));
    assert.equal(rt.whereis(atom("switch")), pid);
    await rt.run(async (self) => {
      assertTerm(await GenStatem.call(self, atom("switch"), atom("get")), atom("off"));
      const linked = started(await GenStatem.startLink(self, lightSwitch(journal), undefined));
      assert.deepEqual(rt.processInfo(self.pid)!.links, [linked]);
      const monitored = await GenStatem.startMonitor(self, lightSwitch(journal), undefined);
      assert.ok("ref" in monitored);
      await GenStatem.stop(self, monitored.pid, { reason: SHUTDOWN });
      assertTerm(reasonOf(await self.receive(downFor(monitored.ref))), SHUTDOWN);
      const taken = await GenStatem.start(self, lightSwitch(journal), undefined, { name: atom("switch") });
      assert.ok("error" in taken);
      assertTerm(taken.error, tuple(atom("already_started"), pid));
      self.unlink(linked);
    });
  });

  test("init may ignore, stop, throw, or return something else", async (t) => {
    const { rt } = runtime(t);
    const withInit = (init: () => unknown) =>
      GenStatem.start(rt, { init: init as never, handleEvent: () => ({ keepState: true }) }, undefined);
    assert.deepEqual(await withInit(() => ({ ignore: true })), { ignore: true });
    const stopped = await withInit(() => ({ stop: atom("no") }));
    assert.ok("error" in stopped);
    assertTerm(stopped.error, atom("no"));
    const thrown = await withInit(() => {
      throw new ProcessExit(atom("thrown"));
    });
    assert.ok("error" in thrown);
    assertTerm(thrown.error, atom("thrown"));
    const bad = await withInit(() => 42);
    assert.ok("error" in bad);
    assertTerm(elements(bad.error)[0], atom("bad_return_from_init"));
  });

  test("stop runs terminate with the reason, state and data; a stop result replies first", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    await rt.run(async (self) => {
      await GenStatem.stop(self, pid, { reason: atom("bye") });
      assert.equal(rt.isAlive(pid), false);
      assert.deepEqual(journal, ["terminate bye in a"]);

      journal.length = 0;
      const again = scripted(journal);
      const second = started(await GenStatem.start(self, again.callbacks, undefined));
      again.script((event) =>
        event.type === "call"
          ? { stop: atom("done"), replies: [{ type: "reply", to: event.from, reply: atom("last words") }] }
          : undefined,
      );
      const ref = self.monitor(second);
      assertTerm(await GenStatem.call(self, second, atom("quit")), atom("last words"));
      assertTerm(reasonOf(await self.receive(downFor(ref))), atom("done"));
      assert.deepEqual(journal, ["a: call quit", "terminate done in a"]);
    });
  });

  test("a machine that traps exits terminates with its parent's reason", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const trapping = {
      ...m.callbacks,
      init: (self: Process) => {
        self.setTrapExit(true);
        return m.callbacks.init(self, undefined);
      },
    };
    let child: Pid | undefined;
    await rt
      .run(async (self) => {
        child = started(await GenStatem.startLink(self, trapping as never, undefined));
        throw new ProcessExit(atom("parent_gone"));
      })
      .catch(() => {});
    await waitFor(() => !rt.isAlive(child!), "the machine to end");
    assert.deepEqual(journal, ["terminate parent_gone in a"]);
  });
});

describe("events in both callback modes", () => {
  test("state functions: each state's function gets its events; calls, casts and info", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const pid = started(await GenStatem.start(rt, lightSwitch(journal), undefined));
    await rt.run(async (self) => {
      assertTerm(await GenStatem.call(self, pid, atom("flip")), OK);
      GenStatem.cast(self, pid, atom("flip"));
      self.send(pid, atom("flip"));
      assertTerm(await GenStatem.call(self, pid, atom("get")), atom("on"));
      assertTerm((await sys.getState(self, pid)) as Term, tuple("on", 3));
    });
    assert.deepEqual(journal, ["off: call flip", "on: cast flip", "off: info flip", "on: call get"]);
  });

  test("handle-event mode: any term is a state, and one function gets every event", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event, state) => (event.type === "cast" ? { nextState: tuple(state, 1) } : undefined));
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "x");
      GenStatem.cast(self, pid, "y");
      const [state] = elements((await sys.getState(self, pid)) as Term);
      assertTerm(state, tuple(tuple(atom("a"), 1), 1));
    });
    assert.deepEqual(journal, ['a: cast <<"x">>', '{a,1}: cast <<"y">>']);
  });

  test("async callbacks: the next event waits for the transition", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const callbacks: HandleEventCallbacks<number, null> = {
      init: () => ({ state: 0, data: null }),
      async handleEvent(self, event, n) {
        await self.yield();
        journal.push(`${n}: ${line(event)}`);
        if (event.type === "call") return { keepState: true, actions: [{ type: "reply", to: event.from, reply: n }] };
        return { nextState: n + 1 };
      },
    };
    const pid = started(await GenStatem.start(rt, callbacks, undefined));
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, 1);
      GenStatem.cast(self, pid, 2);
      assert.equal(await GenStatem.call(self, pid, "get"), 2);
    });
    assert.deepEqual(journal, ["0: cast 1", "1: cast 2", '2: call <<"get">>']);
  });

  test("GenServer.call reaches a GenStatem: they share OTP's call protocol", async (t) => {
    const { rt } = runtime(t);
    const pid = started(await GenStatem.start(rt, lightSwitch([]), undefined));
    await rt.run(async (self) => {
      assertTerm(await GenServer.call(self, pid, atom("get")), atom("off"));
      GenServer.cast(self, pid, atom("flip"));
      assertTerm(await GenStatem.call(self, pid, atom("get")), atom("on"));
    });
  });
});

describe("state enter calls", () => {
  test("enter runs on the first state and after each change, with the old state; not on keep or same state", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal, { stateEnter: true });
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event) => {
      if (event.type !== "cast") return undefined;
      if (event.content === "same") return { nextState: atom("b") };
      if (event.content === "keep") return { keepState: true };
      if (event.content === "repeat") return { repeatState: true };
      return { nextState: atom("b") };
    });
    await rt.run(async (self) => {
      for (const c of ["go", "same", "keep", "repeat"]) GenStatem.cast(self, pid, c);
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, [
      "a: enter a",
      'a: cast <<"go">>',
      "b: enter a",
      'b: cast <<"same">>',
      'b: cast <<"keep">>',
      'b: cast <<"repeat">>',
      "b: enter b",
    ]);
  });

  test("an enter call may not change state, postpone or insert events", async (t) => {
    const { rt } = runtime(t);
    const cases: [unknown, string][] = [
      [{ nextState: atom("c") }, "bad_state_enter_return_from_state_function"],
      [{ keepState: true, actions: [{ type: "postpone" }] }, "bad_state_enter_action_from_state_function"],
      [
        { keepState: true, actions: [{ type: "next_event", event: { type: "internal", content: 1 } }] },
        "bad_state_enter_action_from_state_function",
      ],
    ];
    for (const [enterResult, expected] of cases) {
      const m = scripted([], { stateEnter: true });
      const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
      m.script((event) => (event.type === "enter" ? enterResult : { nextState: atom("b") }));
      const reason = await rt.run(async (self) => {
        const ref = self.monitor(pid);
        GenStatem.cast(self, pid, "go");
        return reasonOf(await self.receive(downFor(ref)));
      });
      assertTerm(elements(reason)[0], atom(expected));
    }
  });
});

describe("postpone and next_event", () => {
  test("postponed events come back after a state change, oldest first, before newer messages", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event, state) => {
      if (state === atom("a") && event.content === "open") return { nextState: atom("b") };
      if (state === atom("a")) return { keepState: true, actions: [{ type: "postpone" }] };
      return undefined;
    });
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, 1);
      self.send(pid, 2);
      GenStatem.cast(self, pid, "open");
      GenStatem.cast(self, pid, 3);
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, ["a: cast 1", "a: info 2", 'a: cast <<"open">>', "b: cast 1", "b: info 2", "b: cast 3"]);
  });

  test("postponing and changing state in one transition retries the event in the new state", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((_event, state) =>
      state === atom("a") ? { nextState: atom("b"), actions: [{ type: "postpone" }] } : undefined,
    );
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "x");
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, ['a: cast <<"x">>', 'b: cast <<"x">>']);
  });

  test("next_event inserts events, in order, before messages already in the mailbox", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event) =>
      event.content === "first"
        ? {
            keepState: true,
            actions: [
              { type: "next_event", event: { type: "internal", content: "i1" } },
              { type: "next_event", event: { type: "cast", content: "i2" } },
            ],
          }
        : undefined,
    );
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "first");
      GenStatem.cast(self, pid, "second");
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, [
      'a: cast <<"first">>',
      'a: internal <<"i1">>',
      'a: cast <<"i2">>',
      'a: cast <<"second">>',
    ]);
  });

  test("init actions: next_event and timeouts apply from the start; postpone is refused", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal, {
      init: [
        { type: "next_event", event: { type: "internal", content: "boot" } },
        { type: "state_timeout", time: 100, content: "st" },
      ],
    });
    started(await GenStatem.start(rt, m.callbacks, undefined));
    clock.advance(100);
    await waitFor(() => journal.length === 2, "the state timeout");
    assert.deepEqual(journal, ['a: internal <<"boot">>', 'a: state_timeout <<"st">>']);
    const refused = scripted([], { init: [{ type: "postpone" }] });
    const result = await GenStatem.start(rt, refused.callbacks, undefined);
    assert.ok("pid" in result);
    await waitFor(() => !rt.isAlive(result.pid), "the machine to exit");
  });
});

describe("timeouts", () => {
  test("the event timeout fires when no event comes, and any event cancels it", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event) =>
      event.type === "cast" && event.content === "arm"
        ? { keepState: true, actions: [{ type: "timeout", time: 1000, content: "idle" }] }
        : undefined,
    );
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "arm");
      await sys.getState(self, pid); // a system message is no event: the timeout keeps running
      clock.advance(999);
      GenStatem.cast(self, pid, "poke"); // an event: the timeout is cancelled
      await sys.getState(self, pid);
      clock.advance(10_000);
      GenStatem.cast(self, pid, "arm");
      await sys.getState(self, pid);
      clock.advance(1000);
    });
    await waitFor(() => journal.length === 4, "the event timeout");
    assert.deepEqual(journal, [
      'a: cast <<"arm">>',
      'a: cast <<"poke">>',
      'a: cast <<"arm">>',
      'a: timeout <<"idle">>',
    ]);
  });

  test("an event timeout set with a state change survives the enter call", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal, { stateEnter: true });
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event) =>
      event.content === "go"
        ? { nextState: atom("b"), actions: [{ type: "timeout", time: 50, content: "t" }] }
        : undefined,
    );
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "go");
      await sys.getState(self, pid);
    });
    clock.advance(50);
    await waitFor(() => journal.length === 4, "the event timeout");
    assert.deepEqual(journal, ["a: enter a", 'a: cast <<"go">>', "b: enter a", 'b: timeout <<"t">>']);
  });

  test("a zero event timeout fires before messages not yet handled; queued events cancel it", async (t) => {
    const { rt } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event) => {
      if (event.content === "zero") return { keepState: true, actions: [{ type: "timeout", time: 0, content: "z" }] };
      if (event.content === "zero+event") {
        return {
          keepState: true,
          actions: [
            { type: "timeout", time: 0, content: "never" },
            { type: "next_event", event: { type: "internal", content: "ev" } },
          ],
        };
      }
      return undefined;
    });
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "zero");
      GenStatem.cast(self, pid, "zero+event");
      GenStatem.cast(self, pid, "after");
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, [
      'a: cast <<"zero">>',
      'a: timeout <<"z">>',
      'a: cast <<"zero+event">>',
      'a: internal <<"ev">>',
      'a: cast <<"after">>',
    ]);
  });

  test("the state timeout survives keepState and ends with a state change", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script((event) => {
      if (event.content === "arm")
        return { keepState: true, actions: [{ type: "state_timeout", time: 500, content: "st" }] };
      if (event.content === "move") return { nextState: atom("b") };
      return undefined;
    });
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "arm");
      await sys.getState(self, pid);
      clock.advance(400);
      GenStatem.cast(self, pid, "stay");
      await sys.getState(self, pid);
      clock.advance(100);
      await waitFor(() => journal.length === 3, "the state timeout");
      GenStatem.cast(self, pid, "arm");
      GenStatem.cast(self, pid, "move");
      await sys.getState(self, pid);
      clock.advance(1000);
      GenStatem.cast(self, pid, "end");
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, [
      'a: cast <<"arm">>',
      'a: cast <<"stay">>',
      'a: state_timeout <<"st">>',
      'a: cast <<"arm">>',
      'a: cast <<"move">>',
      'b: cast <<"end">>',
    ]);
  });

  test("state and generic timeouts: cancel, update, restart, several names at once, abs", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    const actionsFor: Record<string, Action[]> = {
      start: [
        { type: "generic_timeout", name: atom("x"), time: 100, content: "x1" },
        { type: "generic_timeout", name: atom("y"), time: 200, content: "y1" },
        { type: "state_timeout", time: 300, content: "s1" },
      ],
      edit: [
        { type: "generic_timeout", name: atom("x"), time: "update", content: "x2" }, // same timer, new content
        { type: "generic_timeout", name: atom("y"), time: 500 }, // restarted: 500 from now, content 500
        { type: "state_timeout", time: "cancel" },
      ],
      late: [{ type: "generic_timeout", name: atom("z"), time: "update", content: "z-now" }], // none ran: fires now
      abs: [{ type: "state_timeout", time: clock.now() + 2000, abs: true, content: "absolute" }],
    };
    m.script((event) => {
      const actions = typeof event.content === "string" ? actionsFor[event.content] : undefined;
      return actions === undefined ? undefined : { keepState: true, actions };
    });
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "start");
      await sys.getState(self, pid);
      clock.advance(50);
      GenStatem.cast(self, pid, "edit");
      await sys.getState(self, pid);
      clock.advance(50); // x fires at 100 with its new content
      await waitFor(() => journal.length === 3, "x");
      clock.advance(1000); // y at 550; the state timeout was cancelled
      await waitFor(() => journal.length === 4, "y");
      GenStatem.cast(self, pid, "late");
      GenStatem.cast(self, pid, "abs");
      await sys.getState(self, pid);
      clock.advanceTo(1999);
      GenStatem.cast(self, pid, "tick");
      await sys.getState(self, pid);
      clock.advanceTo(2000);
      await waitFor(() => journal.length === 9, "the absolute timeout");
    });
    assert.deepEqual(journal, [
      'a: cast <<"start">>',
      'a: cast <<"edit">>',
      'a: generic_timeout x <<"x2">>',
      "a: generic_timeout y 500",
      'a: cast <<"late">>',
      'a: generic_timeout z <<"z-now">>',
      'a: cast <<"abs">>',
      'a: cast <<"tick">>',
      'a: state_timeout <<"absolute">>',
    ]);
  });

  test("a timeout cancelled after its timer fired is dropped, never seen as info", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const callbacks: HandleEventCallbacks<Term, null> = {
      init: () => ({ state: atom("a"), data: null }),
      async handleEvent(_self, event) {
        journal.push(line(event));
        if (event.type !== "cast") return { keepState: true };
        if (event.content === "arm")
          return { keepState: true, actions: [{ type: "state_timeout", time: 10, content: "st" }] };
        if (event.content === "slow") {
          await gate; // meanwhile the timer fires and its message waits in the mailbox
          return { keepState: true, actions: [{ type: "state_timeout", time: "cancel" }] };
        }
        return { keepState: true };
      },
    };
    const pid = started(await GenStatem.start(rt, callbacks, undefined));
    await rt.run(async (self) => {
      GenStatem.cast(self, pid, "arm");
      GenStatem.cast(self, pid, "slow");
      await waitFor(() => journal.length === 2, "the slow event");
      clock.advance(10);
      await waitFor(() => rt.processInfo(pid)!.messageQueueLen === 1, "the timer's message");
      release();
      GenStatem.cast(self, pid, "after");
      await sys.getState(self, pid);
    });
    assert.deepEqual(journal, ['cast <<"arm">>', 'cast <<"slow">>', 'cast <<"after">>']);
  });

  test("a {timeout, Ref, Msg} from the user's own timer is an info event", async (t) => {
    const { rt, clock } = runtime(t);
    const journal: string[] = [];
    const pid = started(await GenStatem.start(rt, scripted(journal).callbacks, undefined));
    const ref = rt.startTimer(10, pid, "mine");
    clock.advance(10);
    await waitFor(() => journal.length === 1, "the timer");
    assert.deepEqual(journal, [`a: info ${format(tuple(atom("timeout"), ref, "mine"))}`]);
  });
});

describe("abnormal ends", () => {
  test("a crashing callback runs terminate and logs OTP's report; callers exit {Reason, {gen_statem, call, [Server, Request, Timeout]}}", async (t) => {
    const { rt, logs } = runtime(t);
    const journal: string[] = [];
    const m = scripted(journal);
    const pid = started(await GenStatem.start(rt, m.callbacks, undefined));
    m.script(() => {
      throw new ProcessExit(atom("boom"));
    });
    await rt.run(async (self) => {
      const reason = await exitOf(GenStatem.call(self, pid, "x"));
      assertTerm(reason, tuple(atom("boom"), tuple(atom("gen_statem"), atom("call"), [pid, "x", atom("infinity")])));
      const gone = await exitOf(GenStatem.call(self, pid, "x", { timeout: 100 }));
      assertTerm(gone, tuple(atom("noproc"), tuple(atom("gen_statem"), atom("call"), [pid, "x", 100])));
    });
    assert.deepEqual(journal, ['a: call <<"x">>', "terminate boom in a"]);
    await waitFor(() => logs.some((e) => e.meta.what === "gen_statem_terminate"), "the terminate report");
    const text = logs.find((e) => e.meta.what === "gen_statem_terminate")!.text.replace(/<\d+\.\d+\.\d+>/g, "<pid>");
    assert.match(text, /^\*\* State machine <pid> terminating$/m);
    assert.match(text, /^\*\* Last event = \{\{call,\{<pid>,\[alias\|#Ref<[\d.]+>\]\}\},<<"x">>\}$/m);
    assert.match(text, /^\*\* When server state {2}= \{a,null\}$/m);
    assert.match(text, /^\*\* Reason for termination = exit:boom$/m);
    assert.match(text, /^\*\* Callback mode = handle_event_function$/m);
    assert.match(text, /^\*\* Client <pid> is alive$/m);
  });

  test("a call times out as the caller's exit", async (t) => {
    const { rt, clock } = runtime(t);
    const pid = started(await GenStatem.start(rt, scripted([]).callbacks, undefined));
    await rt.run(async (self) => {
      const call = exitOf(GenStatem.call(self, pid, "unanswered", { timeout: 100 }));
      await waitFor(() => rt.processInfo(pid)!.messageQueueLen === 0, "the call to arrive");
      clock.advance(100);
      assertTerm(await call, tuple(atom("timeout"), tuple(atom("gen_statem"), atom("call"), [pid, "unanswered", 100])));
    });
  });

  test("a bad result, a bad action, or a state without a function ends the machine with OTP's reasons", async (t) => {
    const { rt } = runtime(t);
    const ends = async (callbacks: never, event: Term): Promise<Term> => {
      const pid = started(await GenStatem.start(rt, callbacks, undefined));
      return rt.run(async (self) => {
        const ref = self.monitor(pid);
        GenStatem.cast(self, pid, event);
        return reasonOf(await self.receive(downFor(ref)));
      });
    };
    const bad = scripted([]);
    bad.script(() => ({ next: "nonsense" }));
    assertTerm(elements(await ends(bad.callbacks as never, 1))[0], atom("bad_return_from_state_function"));
    const badAction = scripted([]);
    badAction.script(() => ({ keepState: true, actions: [{ type: "teleport" }] }));
    assertTerm(elements(await ends(badAction.callbacks as never, 1))[0], atom("bad_action_from_state_function"));
    const missing = {
      init: () => ({ state: "nowhere", data: null }),
      states: { somewhere: () => ({ keepState: true }) },
    };
    assertTerm(await ends(missing as never, 1), tuple(atom("undef"), "nowhere"));
  });
});

describe("sys", () => {
  test("getState is {State, Data}; replaceState, getStatus through formatStatus, codeChange while suspended", async (t) => {
    const { rt } = runtime(t);
    const callbacks: HandleEventCallbacks<Term, { secret: string; n: number }> = {
      init: () => ({ state: atom("idle"), data: { secret: "pw", n: 1 } }),
      handleEvent: () => ({ keepState: true }),
      formatStatus: ({ state, data }) => ({ state, data: { secret: "***", n: data.n } }),
      codeChange: (_old, state, data, extra) => ({ state, data: { ...data, n: data.n + (extra as number) } }),
    };
    const pid = started(await GenStatem.start(rt, callbacks, undefined));
    await rt.run(async (self) => {
      const [state, data] = elements((await sys.getState(self, pid)) as Term);
      assertTerm(state, atom("idle"));
      assert.deepEqual(data, { secret: "pw", n: 1 });
      await sys.replaceState<Tuple>(self, pid, (s) => tuple(atom("busy"), s.at(1)!));
      const status = elements(await sys.getStatus(self, pid));
      assertTerm(status[2], tuple(atom("module"), atom("gen_statem")));
      const shown = elements((status[3] as Term[])[4]); // [PDict, running, Parent, Debug, State]
      assertTerm(shown[0], atom("busy"));
      assert.deepEqual(shown[1], { secret: "***", n: 1 });
      await sys.suspend(self, pid);
      assertTerm(await sys.changeCode(self, pid, atom("m"), 1, 41), OK);
      await sys.resume(self, pid);
      assert.deepEqual(elements((await sys.getState(self, pid)) as Term)[1], { secret: "pw", n: 42 });
      await GenStatem.stop(self, pid);
      const gone = await exitOf(sys.getState(self, pid));
      assertTerm(gone, tuple(atom("noproc"), tuple(atom("sys"), atom("get_state"), [pid])));
    });
  });
});

describe("sys debug options", () => {
  test("statistics count events in and replies out; trace logs each as a *DBG* line", async (t) => {
    const { rt, logs } = runtime(t);
    const pid = started(await GenStatem.start(rt, lightSwitch([]), undefined));
    await rt.run(async (self) => {
      assert.equal(await sys.statistics(self, pid, "get"), undefined);
      await sys.statistics(self, pid, true);
      await sys.trace(self, pid, true);
      await GenStatem.call(self, pid, atom("flip"));
      GenStatem.cast(self, pid, atom("flip"));
      self.send(pid, atom("hello"));
      const stats = await sys.statistics(self, pid, "get");
      assert.equal(stats?.messagesIn, 3);
      assert.equal(stats?.messagesOut, 1);
      assert.ok(stats!.reductions > 0);
      await sys.statistics(self, pid, false);
      await sys.trace(self, pid, false);
      assert.equal(await sys.statistics(self, pid, "get"), undefined);
      await GenStatem.call(self, pid, atom("get"));
    });
    await waitFor(() => logs.some((e) => e.text.includes("got info hello")), "the trace lines");
    const lines = logs
      .filter((e) => e.meta.what === "sys_trace")
      .map((e) => e.text.replace(/<\d+\.\d+\.\d+>/g, "<pid>"));
    assert.deepEqual(lines, [
      `*DBG* <pid> got call flip from <pid> in state <<"off">>`,
      "*DBG* <pid> sent ok to <pid>",
      `*DBG* <pid> transition to state <<"on">>`,
      `*DBG* <pid> got cast flip in state <<"on">>`,
      `*DBG* <pid> transition to state <<"off">>`,
      `*DBG* <pid> got info hello in state <<"off">>`,
    ]);
  });
});

describe("types", () => {
  test("a typed machine refuses wrongly typed calls and unknown states at compile time", async (t) => {
    const { rt } = runtime(t);
    const typed: StateFunctionCallbacks<"idle" | "busy", null, undefined, number, string, number> = {
      init: () => ({ state: "idle", data: null }),
      states: {
        idle: (_self, event) =>
          event.type === "call"
            ? { nextState: "busy", actions: [{ type: "reply", to: event.from, reply: event.content + 1 }] }
            : { keepState: true },
        // @ts-expect-error: "asleep" is no state of this machine
        busy: () => ({ nextState: "asleep" }),
      },
    };
    const pid = started(await GenStatem.start(rt, typed, undefined));
    await rt.run(async (self) => {
      const start = await GenStatem.start(self, typed, undefined);
      assert.ok("pid" in start);
      assert.equal(await GenStatem.call(self, start.pid, 41), 42);
      // Checked by the type checker only: these lines never run.
      const wrong = async () => {
        // @ts-expect-error: this machine's calls take numbers
        await GenStatem.call(self, start.pid, "no");
        // @ts-expect-error: its casts take strings
        GenStatem.cast(self, start.pid, 5);
      };
      assert.equal(typeof wrong, "function");
    });
    assert.ok(rt.isAlive(pid));
  });
});
