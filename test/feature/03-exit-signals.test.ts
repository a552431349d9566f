// Exit signals as the Erlang reference manual's "Processes" chapter has them: exit/2 with normal, kill and other
// reasons, trapExit, kill → killed, exit(self(), normal), crashes of throwing bodies and their crash reports.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  type CrashReport,
  EXIT,
  KILL,
  KILLED,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  ProcessExitError,
  Runtime,
  SHUTDOWN,
  type Term,
  tuple,
} from "../../src/index.ts";
import { ManualClock } from "../../src/testing/index.ts";
import {
  assertTerm,
  crashReports,
  downFor,
  elements,
  exitFrom,
  recorder,
  reportOf,
  runtime,
  sleeper,
  spawnWatched,
  waitFor,
} from "../support/runtime.ts";

const BYE = atom("bye");

/** A process that traps exits and records every message it gets. */
const trapper = (rt: Runtime) => recorder(rt, { trapExit: true });

describe("exit/2", () => {
  test("a normal exit signal to a process that does not trap exits is ignored", async (t) => {
    const { rt } = runtime(t);
    const target = sleeper(rt);
    await rt.run(async (self) => self.exit(target, NORMAL));
    rt.exit(target, NORMAL);
    await rt.idle();
    assert.ok(rt.isAlive(target));
  });

  test("a normal exit signal to a process that traps exits becomes {'EXIT', From, normal}", async (t) => {
    const { rt } = runtime(t);
    const target = trapper(rt);
    const from = await rt.run(async (self) => {
      self.exit(target.pid, NORMAL);
      return self.pid;
    });
    await rt.idle();
    assertTerm(target.messages, [tuple(EXIT, from, NORMAL)]);
    assert.ok(rt.isAlive(target.pid));
  });

  test("any other reason ends a process that does not trap exits, with that reason", async (t) => {
    const { rt, logs } = runtime(t);
    const target = await spawnWatched(rt, async (self) => self.receive());
    rt.exit(target.pid, tuple(BYE, 1));
    assertTerm(await target.exit, tuple(BYE, 1));
    await rt.idle();
    assert.deepEqual(crashReports(logs), [], "a process killed by a signal writes no crash report");
  });

  test("a trapping process gets the other reason as a message and lives on", async (t) => {
    const { rt } = runtime(t);
    const target = trapper(rt);
    rt.exit(target.pid, BYE);
    await rt.idle();
    assertTerm(target.messages, [tuple(EXIT, rt.rootPid, BYE)]);
    assert.ok(rt.isAlive(target.pid));
  });

  test("kill ends a process that does not trap exits with reason killed", async (t) => {
    const { rt } = runtime(t);
    const target = await spawnWatched(rt, async (self) => self.receive());
    rt.exit(target.pid, KILL);
    assertTerm(await target.exit, KILLED);
  });

  test("kill cannot be trapped: a trapping process dies with killed too", async (t) => {
    const { rt } = runtime(t);
    const target = await spawnWatched(rt, async (self) => self.receive(), { trapExit: true });
    await rt.run(async (self) => self.exit(target.pid, KILL));
    assertTerm(await target.exit, KILLED);
  });

  test("exit(self(), kill) kills the caller even while it traps exits", async (t) => {
    const { rt } = runtime(t);
    const target = await spawnWatched(
      rt,
      async (self) => {
        self.exit(self.pid, KILL);
        await self.receive();
      },
      { trapExit: true },
    );
    assertTerm(await target.exit, KILLED);
  });

  test("exit(self(), normal) ends a process that does not trap exits, with reason normal", async (t) => {
    const { rt } = runtime(t);
    let reached = false;
    const target = await spawnWatched(rt, async (self) => {
      self.exit(self.pid, NORMAL);
      await self.receive(undefined, { timeout: 0 });
      reached = true;
    });
    assertTerm(await target.exit, NORMAL);
    await rt.idle();
    assert.equal(reached, false, "a receive after the process died never returns");
  });

  test("exit(self(), normal) while trapping exits gives {'EXIT', Self, normal} and the process lives on", async (t) => {
    const { rt } = runtime(t);
    const [self, message, alive] = await rt.run(
      async (self) => {
        self.exit(self.pid, NORMAL);
        const message = await self.receive(undefined, { timeout: 0 });
        return [self.pid, message, rt.isAlive(self.pid)] as const;
      },
      { trapExit: true },
    );
    assertTerm(message, tuple(EXIT, self, NORMAL));
    assert.equal(alive, true);
  });

  test("setTrapExit switches trapping at run time and returns the old setting", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(async (self) => {
      const was = self.setTrapExit(true);
      self.exit(self.pid, BYE);
      const message = await self.receive(exitFrom(self.pid), { timeout: 0 });
      return [was, self.setTrapExit(false), self.trapExit, message!, self.pid];
    });
    assert.deepEqual(got.slice(0, 3), [false, true, false]);
    assertTerm(got[3], tuple(EXIT, got[4]!, BYE));
  });

  test("messages sent before an exit signal arrive before the {'EXIT', …} message", async (t) => {
    const { rt } = runtime(t);
    const target = trapper(rt);
    const from = await rt.run(async (self) => {
      self.send(target.pid, 1);
      self.send(target.pid, 2);
      self.exit(target.pid, BYE);
      self.send(target.pid, 3);
      return self.pid;
    });
    await rt.idle();
    assertTerm(target.messages, [1, 2, tuple(EXIT, from, BYE), 3]);
  });
});

describe("exit signals through links", () => {
  test("a linked process that ends normally sends normal: ignored unless trapping", async (t) => {
    const { rt } = runtime(t);
    // The DOWN comes after the link's exit signal (one pair, one order), so by then the signal was handled.
    const survived = await rt.run(async (self) => {
      const child = self.spawnLink(async () => "done");
      await self.receive(downFor(self.monitor(child)));
      return rt.isAlive(self.pid);
    });
    assert.equal(survived, true);
    const got = await rt.run(
      async (self) => {
        const child = self.spawnLink(async () => "done");
        return [child, await self.receive(exitFrom(child))];
      },
      { trapExit: true },
    );
    assertTerm(got[1], tuple(EXIT, got[0]!, NORMAL));
  });

  test("a linked process that crashes takes a non-trapping process down with the same reason", async (t) => {
    const { rt } = runtime(t);
    const parent = await spawnWatched(rt, async (self) => {
      self.spawnLink(async () => {
        throw new ProcessExit(tuple(atom("error"), 42));
      });
      await self.receive();
    });
    assertTerm(await parent.exit, tuple(atom("error"), 42));
  });

  test("a trapping process gets {'EXIT', Pid, Reason} from a linked process that ends", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(
      async (self) => {
        const normal = self.spawnLink(async () => "done");
        const crash = self.spawnLink(async () => {
          throw new ProcessExit(BYE);
        });
        const first = await self.receive(exitFrom(normal));
        const second = await self.receive(exitFrom(crash));
        return [first, second, tuple(normal, crash)];
      },
      { trapExit: true },
    );
    const [normal, crash] = elements(got[2]);
    assertTerm(got[0], tuple(EXIT, normal!, NORMAL));
    assertTerm(got[1], tuple(EXIT, crash!, BYE));
  });

  test("a process killed with kill sends killed to its links: a non-trapping linked process dies with killed", async (t) => {
    const { rt } = runtime(t);
    let victim: Pid | undefined;
    const linked = await spawnWatched(rt, async (self) => {
      victim = self.spawnLink(async (s) => s.receive());
      await self.receive();
    });
    await waitFor(() => victim !== undefined, "the victim to be spawned");
    rt.exit(victim!, KILL);
    assertTerm(await linked.exit, KILLED);
  });

  test("a trapping linked process gets {'EXIT', Victim, killed}", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(
      async (self) => {
        const victim = self.spawnLink(async (s) => s.receive());
        self.exit(victim, KILL);
        return [victim, await self.receive(exitFrom(victim))];
      },
      { trapExit: true },
    );
    assertTerm(got[1], tuple(EXIT, got[0]!, KILLED));
  });

  test("kill through a link is an ordinary reason: trappable, and a non-trapping process dies with kill (not killed)", async (t) => {
    const { rt } = runtime(t);
    const exitsWithKill = async () => {
      throw new ProcessExit(KILL);
    };
    const trapped = await rt.run(
      async (self) => {
        const child = self.spawnLink(exitsWithKill);
        return [child, await self.receive(exitFrom(child)), rt.isAlive(self.pid)];
      },
      { trapExit: true },
    );
    assertTerm(trapped[1], tuple(EXIT, trapped[0]!, KILL));
    assert.equal(trapped[2], true);

    const plain = await spawnWatched(rt, async (self) => {
      self.spawnLink(exitsWithKill);
      await self.receive();
    });
    assertTerm(await plain.exit, KILL);
  });

  test("an exit propagates along a chain of 10,000 links without overflowing the stack", async (t) => {
    const { rt } = runtime(t);
    const chain = async (self: Process, depth: number): Promise<Term> => {
      if (depth > 0) self.spawnLink((s) => chain(s, depth - 1));
      else throw new ProcessExit(atom("end_of_chain"));
      return self.receive();
    };
    const head = await spawnWatched(rt, (self) => chain(self, 10_000));
    assertTerm(await head.exit, atom("end_of_chain"));
    await rt.idle();
    assert.equal(rt.processCount, 0);
  });

  test("a trapping process in a chain stops the propagation", async (t) => {
    const { rt } = runtime(t);
    const head = await spawnWatched(rt, async (self) => {
      self.spawnLink(async (middle) => {
        middle.setTrapExit(true);
        middle.spawnLink(async () => {
          throw new ProcessExit(BYE);
        });
        return middle.receive().then(() => middle.receive());
      });
      await self.receive();
    });
    await rt.idle();
    assert.ok(rt.isAlive(head.pid));
    assert.equal(rt.processCount, 3, "head, the trapping middle and the watcher survive");
  });
});

describe("crashes", () => {
  test("a throwing async body exits with {{Name, Message}, Stack}, logs a crash report, rejects nothing in Node", async (t) => {
    const { rt, logs } = runtime(t);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    t.after(() => process.off("unhandledRejection", onRejection));

    const crashing = await spawnWatched(rt, async function crashing(self) {
      await self.receive(undefined, { timeout: 0 });
      throw new RangeError("out of range");
    });
    const reason = elements(await crashing.exit);
    assertTerm(reason[0], tuple(atom("RangeError"), "out of range"));
    const stack = reason[1];
    assert.ok(Array.isArray(stack) && stack.length > 0, "the stack is a list of frames");
    assert.ok(stack.every((line) => typeof line === "string" && line.startsWith("at ")));
    assert.ok(
      stack.some((line) => String(line).includes("crashing")),
      "the frames name the body",
    );

    await waitFor(() => crashReports(logs).length === 1, "the crash report");
    const [event] = crashReports(logs);
    assert.equal(event!.level, "error");
    assertTerm(event!.meta.pid, crashing.pid);
    const report = reportOf<CrashReport>(event!);
    assertTerm(report.reason, tuple(reason[0]!, stack));
    assert.ok(report.error instanceof RangeError);
    assert.match(event!.text, /exception error: RangeError: out of range\n +at \S*crashing /);

    // Give Node every chance to report an unhandled rejection before looking.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(rejections, []);
  });

  test("a throwing behaviour callback crashes its process the same way, without an unhandled rejection", async (t) => {
    const { rt, logs } = runtime(t);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    t.after(() => process.off("unhandledRejection", onRejection));

    const sync = await spawnWatched(rt, {
      handleMessage() {
        throw new Error("sync failure");
      },
    });
    const async = await spawnWatched(rt, {
      async handleMessage() {
        throw new TypeError("async failure");
      },
    });
    rt.send(sync.pid, 1);
    rt.send(async.pid, 1);
    assertTerm(elements(await sync.exit)[0], tuple(atom("Error"), "sync failure"));
    assertTerm(elements(await async.exit)[0], tuple(atom("TypeError"), "async failure"));
    await waitFor(() => crashReports(logs).length === 2, "two crash reports");
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(rejections, []);
  });

  test("throwing a value that is not an Error exits with {{nocatch, Value}, []}", async (t) => {
    const { rt } = runtime(t);
    const thrower = await spawnWatched(rt, async () => {
      throw tuple(atom("my"), "term");
    });
    assertTerm(await thrower.exit, tuple(tuple(atom("nocatch"), tuple(atom("my"), "term")), []));
  });

  test("no crash report for normal, shutdown and {shutdown, _} exits", async (t) => {
    const { rt, logs } = runtime(t);
    const reasons: Term[] = [NORMAL, SHUTDOWN, tuple(SHUTDOWN, atom("done"))];
    for (const reason of reasons) {
      const p = await spawnWatched(rt, async () => {
        throw new ProcessExit(reason);
      });
      assertTerm(await p.exit, reason);
    }
    await rt.idle();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(crashReports(logs), []);
  });

  test("a crash report names the registered name", async (t) => {
    const { rt, logs } = runtime(t);
    const p = await spawnWatched(
      rt,
      async () => {
        throw new ProcessExit(BYE);
      },
      { name: atom("named_crasher") },
    );
    assertTerm(await p.exit, BYE);
    await waitFor(() => crashReports(logs).length === 1, "the crash report");
    assert.match(crashReports(logs)[0]!.text, /registered_name: named_crasher/);
  });

  test("a logger that throws does not hurt the runtime", async (t) => {
    let calls = 0;
    const rt = new Runtime({
      clock: new ManualClock(),
      logger: () => {
        calls++;
        throw new Error("logger down");
      },
    });
    t.after(() => rt.shutdown());
    await assert.rejects(
      rt.run(async () => {
        throw new ProcessExit(BYE);
      }),
      ProcessExitError,
    );
    await waitFor(() => calls === 1, "the logger call");
    assert.equal(await rt.run(async () => "still running"), "still running");
  });
});
