// The scheduler: fairness between processes (a flooded or endlessly busy process does not starve the others),
// priorities as on BEAM, and the event loop staying responsive under full message load: the only place in the
// suite where real time is asserted, and only as a generous bound.
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { describe, test } from "node:test";
import {
  atom,
  type Behaviour,
  Pid,
  type Process,
  ProcessError,
  type Runtime,
  type Term,
  tuple,
} from "../../src/index.ts";
import { RUN_REDUCTIONS } from "../../src/runtime/slices.ts";
import { elements, runtime, waitFor, within } from "../support/runtime.ts";

const SPIN = atom("spin");

/** A behaviour that keeps itself busy forever: every message it handles sends it another. */
const spinner: Behaviour<number> = {
  name: "spinner",
  init(self) {
    self.send(self.pid, SPIN);
    return 0;
  },
  handleMessage(self, _message, n) {
    self.send(self.pid, SPIN);
    return n + 1;
  },
};

/** An async body that keeps itself busy forever, one receive per message it sends itself. */
async function asyncSpinner(self: Process): Promise<never> {
  for (;;) {
    self.send(self.pid, SPIN);
    await self.receive();
  }
}

/** Replies to `{From, X}` with `{self, X}`. */
const echo: Behaviour = {
  name: "echo",
  handleMessage(self, message) {
    const [from, x] = elements(message);
    self.send(from as Pid, tuple(self.pid, x!));
  },
};

type Form = "behaviour" | "async";
const FORMS: readonly Form[] = ["behaviour", "async"];

/** A pinger behaviour: sends `{self, N}` to the echo `peer` until `rounds` replies came, then tells `parent`. */
const pinger: Behaviour<{ peer: Pid; parent: Pid; rounds: number; done: number }> = {
  name: "pinger",
  init(self, arg: { peer: Pid; parent: Pid; rounds: number }) {
    self.send(arg.peer, tuple(self.pid, 0));
    return { ...arg, done: 0 };
  },
  handleMessage(self, _reply, state) {
    const done = state.done + 1;
    if (done === state.rounds) self.send(state.parent, atom("done"));
    else self.send(state.peer, tuple(self.pid, done));
    return { ...state, done };
  },
};

/** `rounds` round trips between a pinger (of the given form) and an echo process; resolves when all are done. */
function pingPong(rt: Runtime, rounds: number, form: Form, priority?: "low" | "normal" | "high"): Promise<number> {
  const options = priority === undefined ? undefined : { priority };
  return rt.run(async (self) => {
    const peer = self.spawn(echo, options);
    if (form === "behaviour") {
      self.spawn(pinger, { ...options, arg: { peer, parent: self.pid, rounds } });
      await self.receive();
      return rounds;
    }
    for (let i = 0; i < rounds; i++) {
      self.send(peer, tuple(self.pid, i));
      await self.receive();
    }
    return rounds;
  }, options);
}

/** The next turn of the event loop, as the check phase sees it. */
const nextImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A busy process spends RUN_REDUCTIONS reductions (a message handled or sent costs one) per run of its own, and a
 * round trip takes two runs (pinger and echo), so a fair scheduler lets it spend about twice that per round trip.
 * Allow 4 times that.
 */
const FAIR_SHARE_PER_ROUND_TRIP = 4 * 2 * RUN_REDUCTIONS;

describe("fairness", () => {
  for (const form of FORMS) {
    const aForm = `${form === "async" ? "an" : "a"} ${form}`;
    test(`a process with a flooded mailbox does not starve ${aForm} ping-pong`, async (t) => {
      const { rt } = runtime(t);
      let handled = 0;
      const flooded = rt.spawn({
        handleMessage() {
          handled++;
        },
      });
      const rounds = 5;
      const total = 4 * rounds * FAIR_SHARE_PER_ROUND_TRIP;
      for (let i = 0; i < total; i++) rt.send(flooded, i);
      await within(pingPong(rt, rounds, form), 10_000, "the ping-pong");
      assert.ok(handled > 0, "the flooded process ran too");
      assert.ok(
        handled < rounds * FAIR_SHARE_PER_ROUND_TRIP,
        `the flooded process handled ${handled} messages during ${rounds} round trips of the ${form} ping-pong`,
      );
      await within(rt.idle(), 5000, "the flood to be handled");
      assert.equal(handled, total);
    });

    for (const [busyForm, body, did] of [
      ["a behaviour", spinner, "handled"],
      ["an async body", asyncSpinner, "resumed"],
    ] as const) {
      test(`${busyForm} that is busy forever leaves ${aForm} ping-pong its fair share`, async (t) => {
        const { rt } = runtime(t);
        const busy = rt.spawn(body);
        await within(pingPong(rt, 200, form), 10_000, "200 round trips beside the spinner");
        const spun = rt.processInfo(busy)!.reductions;
        assert.ok(spun > 0, "the spinner kept running");
        assert.ok(
          spun < 200 * FAIR_SHARE_PER_ROUND_TRIP,
          `the spinner ${did} ${spun} times during 200 round trips of the ${form} ping-pong`,
        );
        await within(nextImmediate(), 1000, "a setImmediate callback");
      });
    }
  }

  test("many busy processes all make progress", async (t) => {
    const { rt } = runtime(t);
    const busy = [
      ...Array.from({ length: 10 }, () => rt.spawn(spinner)),
      ...Array.from({ length: 10 }, () => rt.spawn(asyncSpinner)),
    ];
    await nextImmediate();
    const start = busy.map((pid) => rt.processInfo(pid)!.reductions);
    for (let i = 0; i < 20; i++) await nextImmediate();
    const progress = busy.map((pid, i) => rt.processInfo(pid)!.reductions - start[i]!);
    assert.ok(
      progress.every((n) => n > 0),
      `every busy process advanced: ${progress.join(" ")}`,
    );
  });
});

describe("yield and backpressure", () => {
  test("self.yield() lets every runnable process run before the yielding one goes on", async (t) => {
    const { rt } = runtime(t);
    const order: string[] = [];
    rt.spawn(async (self) => {
      order.push("a before");
      await self.yield();
      order.push("a after");
    });
    for (const label of ["b", "c"]) {
      rt.spawn(async () => {
        order.push(label);
      });
    }
    await rt.idle();
    assert.deepEqual(order, ["a before", "b", "c", "a after"]);
  });

  test("a message that arrives while a process yields waits for its next receive", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      self.spawn(async (other) => other.send(self.pid, atom("hello")));
      assert.equal(await self.yield(), undefined);
      return self.receive(undefined, { timeout: 0 });
    });
    assert.equal(got, atom("hello"));
  });

  test("a process that waits in a receive cannot yield", async (t) => {
    const { rt } = runtime(t);
    const error = await rt.run(async (self) => {
      const pending = self.receive();
      try {
        await self.yield();
        return undefined;
      } catch (error) {
        return error;
      } finally {
        self.send(self.pid, atom("done"));
        await pending;
      }
    });
    assert.ok(error instanceof ProcessError);
    assert.equal(error.code, "PROC_BAD_ARG");
  });

  for (const form of FORMS) {
    test(`four ${form} senders cannot bury their ${form} receiver: its queue stays short`, async (t) => {
      const { rt } = runtime(t);
      const SENDERS = 4;
      const EACH = 100_000;
      const SLICE = 1000; // messages a sender sends before it lets the others run
      let received = 0;
      let longest = 0;
      const count = (self: Process) => {
        if (++received % 100 === 0) longest = Math.max(longest, rt.processInfo(self.pid)!.messageQueueLen);
      };
      const receiver =
        form === "behaviour"
          ? rt.spawn({ handleMessage: count })
          : rt.spawn(async (self) => {
              for (;;) {
                await self.receive();
                count(self);
              }
            });
      const sliced: Behaviour<number> = {
        init(self) {
          self.send(self.pid, SPIN);
          return EACH;
        },
        handleMessage(self, _go, left) {
          for (let i = Math.min(left, SLICE); i > 0; i--) self.send(receiver, left - i);
          if (left > SLICE) self.send(self.pid, SPIN);
          return left - SLICE;
        },
      };
      const yielding = async (self: Process) => {
        for (let i = 1; i <= EACH; i++) {
          self.send(receiver, i);
          if (i % SLICE === 0) await self.yield();
        }
      };
      for (let i = 0; i < SENDERS; i++) rt.spawn(form === "behaviour" ? sliced : yielding);
      await waitFor(() => received === SENDERS * EACH, "every message received", 20_000);
      // Without the send cost (one reduction, more as the receiver's queue grows) behaviour senders get four runs
      // for the receiver's one; without its slice an async receiver takes one message per run. Either way its
      // queue ends up holding most of the 400,000 messages.
      assert.ok(longest < (SENDERS * EACH) / 8, `the receiver's queue reached ${longest} messages`);
    });
  }
});

describe("priorities", () => {
  test("queued high-priority processes run before normal ones, normal before low", async (t) => {
    const { rt } = runtime(t);
    const order: string[] = [];
    const body = (label: string) => async () => {
      order.push(label);
    };
    rt.spawn(body("low"), { priority: "low" });
    rt.spawn(body("normal 1"));
    rt.spawn(body("high"), { priority: "high" });
    rt.spawn(body("normal 2"));
    await rt.idle();
    assert.deepEqual(order, ["high", "normal 1", "normal 2", "low"]);
  });

  test("a message to a high-priority process is handled before the normal backlog", async (t) => {
    const { rt } = runtime(t);
    const order: Term[] = [];
    const recording: Behaviour = {
      handleMessage(_self, message) {
        order.push(message);
      },
    };
    const normals = Array.from({ length: 5 }, () => rt.spawn(recording));
    const high = rt.spawn(recording, { priority: "high" });
    await rt.idle();
    for (const pid of normals) rt.send(pid, atom("normal"));
    rt.send(high, atom("high"));
    await rt.idle();
    assert.equal(order[0], atom("high"));
    assert.equal(order.length, 6);
  });

  test("a low-priority process still runs while normal ones are busy forever", async (t) => {
    const { rt } = runtime(t);
    for (let i = 0; i < 4; i++) rt.spawn(spinner);
    for (let i = 0; i < 4; i++) rt.spawn(asyncSpinner);
    for (const form of FORMS) {
      const rounds = await within(pingPong(rt, 50, form, "low"), 10_000, `the low-priority ${form} ping-pong`);
      assert.equal(rounds, 50);
    }
  });

  test("setPriority changes where a process queues", async (t) => {
    const { rt } = runtime(t);
    const order: string[] = [];
    const a = rt.spawn({
      handleMessage(self, message) {
        if (message === atom("promote")) self.setPriority("high");
        else order.push("a");
      },
    });
    const b = rt.spawn({
      handleMessage() {
        order.push("b");
      },
    });
    rt.send(a, atom("promote"));
    await rt.idle();
    assert.equal(rt.processInfo(a)!.priority, "high");
    rt.send(b, 1);
    rt.send(a, 1);
    await rt.idle();
    assert.deepEqual(order, ["a", "b"]);
  });
});

describe("responsiveness under load (real time)", () => {
  interface Load {
    /** Round trips of the behaviour pairs and of the async pairs so far. */
    readonly rounds: { behaviour: number; async: number };
  }

  /** Two pairs of behaviour processes and two pairs of async processes playing ping-pong flat out, forever. */
  function startLoad(rt: Runtime): Load {
    const rounds = { behaviour: 0, async: 0 };
    const bouncer: Behaviour<Pid | undefined> = {
      name: "bouncer",
      handleMessage(self, message, peer) {
        if (message instanceof Pid) {
          self.send(message, atom("ball")); // learns its peer and serves
          return message;
        }
        rounds.behaviour++;
        self.send(peer!, atom("ball"));
        return peer;
      },
    };
    for (let pair = 0; pair < 2; pair++) {
      const a = rt.spawn(bouncer);
      const b = rt.spawn(bouncer);
      rt.send(a, b);
      rt.send(b, a);
    }
    for (let pair = 0; pair < 2; pair++) {
      rt.spawn(async (self) => {
        const peer = self.spawn(async (s) => {
          for (;;) {
            const from = (await s.receive()) as Pid;
            s.send(from, s.pid);
          }
        });
        for (;;) {
          self.send(peer, self.pid);
          await self.receive();
          rounds.async++;
        }
      });
    }
    return { rounds };
  }

  const BOUND_MS = 200;

  test("a 10 ms setTimeout, a runtime timeout and a TCP echo on loopback answer promptly", async (t) => {
    const { rt } = runtime(t, { realClock: true });
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.pipe(socket);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    t.after(async () => {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    });
    await once(client, "connect");

    const { rounds } = startLoad(rt);
    await waitFor(() => rounds.behaviour > 10_000 && rounds.async > 10_000, "the ping-pong load to get going", 5000);

    for (let i = 0; i < 3; i++) {
      const before = { ...rounds };

      let start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
      const timerMs = performance.now() - start;

      start = performance.now();
      const timedOut = await rt.run(async (self) => self.receive((m) => m === atom("never"), { timeout: 10 }));
      const receiveTimeoutMs = performance.now() - start;

      start = performance.now();
      client.write(`ping ${i}`);
      const [echoed] = (await once(client, "data")) as [Buffer];
      const echoMs = performance.now() - start;

      assert.equal(timedOut, undefined);
      assert.equal(echoed.toString(), `ping ${i}`);
      assert.ok(timerMs < BOUND_MS, `the 10 ms timer took ${timerMs.toFixed(1)} ms under load`);
      assert.ok(receiveTimeoutMs < BOUND_MS, `the 10 ms receive timeout took ${receiveTimeoutMs.toFixed(1)} ms`);
      assert.ok(echoMs < BOUND_MS, `the TCP echo took ${echoMs.toFixed(1)} ms under load`);
      assert.ok(rounds.behaviour > before.behaviour, "the behaviour ping-pong kept running meanwhile");
      assert.ok(rounds.async > before.async, "the async ping-pong kept running meanwhile");
    }
  });
});
