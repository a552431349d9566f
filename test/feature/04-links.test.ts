// Links: link/unlink, spawnLink, linking to a dead process (noproc), and links to other nodes, whose failure
// arrives later through the signal transport (noconnection).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  EXIT,
  NOCONNECTION,
  NOPROC,
  type Pid,
  type ProcessError,
  ProcessExit,
  type Signal,
  tuple,
} from "../../src/index.ts";
import {
  assertTerm,
  downFor,
  exitFrom,
  RecordingTransport,
  remotePid,
  runtime,
  sleeper,
  spawnWatched,
} from "../support/runtime.ts";

const BYE = atom("bye");

describe("links", () => {
  test("link is bidirectional, idempotent, ignores self, and shows in processInfo on both sides", async (t) => {
    const { rt } = runtime(t);
    const other = sleeper(rt);
    const [mine, theirs, me] = await rt.run(async (self) => {
      self.link(other);
      self.link(other); // linking twice is one link
      self.link(self.pid); // a link to oneself does nothing
      return [rt.processInfo(self.pid)!.links, rt.processInfo(other)!.links, self.pid] as const;
    });
    assertTerm(mine, [other]);
    assertTerm(theirs, [me]);
    // The linker ended normally: `other` ignores the normal exit signal and no longer lists the link.
    await rt.idle();
    assert.ok(rt.isAlive(other));
    assert.deepEqual(rt.processInfo(other)!.links, []);
  });

  test("a link carries a crash both ways", async (t) => {
    const { rt } = runtime(t);
    const target = await spawnWatched(rt, async (self) => self.receive());
    const linker = await spawnWatched(rt, async (self) => {
      self.link(target.pid);
      throw new ProcessExit(BYE);
    });
    assertTerm(await linker.exit, BYE);
    assertTerm(await target.exit, BYE, "the other end of the link");
  });

  test("unlink removes the link on both sides: a crash no longer spreads", async (t) => {
    const { rt } = runtime(t);
    const target = await spawnWatched(rt, async (self) => self.receive());
    const linker = await spawnWatched(rt, async (self) => {
      self.link(target.pid);
      self.unlink(target.pid);
      self.unlink(target.pid); // unlinking what is not linked does nothing
      assert.deepEqual(rt.processInfo(self.pid)!.links, []);
      assert.deepEqual(rt.processInfo(target.pid)!.links, []);
      throw new ProcessExit(BYE);
    });
    assertTerm(await linker.exit, BYE);
    await rt.idle();
    assert.ok(rt.isAlive(target.pid));
  });

  test("after unlink, a trapping process gets no {'EXIT', …} from its former link", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(
      async (self) => {
        const child = self.spawnLink(async (s) => {
          await s.receive();
          throw new ProcessExit(BYE);
        });
        self.unlink(child);
        const ref = self.monitor(child);
        self.send(child, atom("go"));
        await self.receive(downFor(ref));
        return self.receive(exitFrom(child), { timeout: 0 });
      },
      { trapExit: true },
    );
    assert.equal(got, undefined);
  });

  test("spawnLink links atomically: the child cannot die unnoticed before the link exists", async (t) => {
    const { rt } = runtime(t);
    const got = await rt.run(
      async (self) => {
        const child = self.spawnLink(async () => {
          throw new ProcessExit(BYE);
        });
        return [child, await self.receive(exitFrom(child))];
      },
      { trapExit: true },
    );
    assertTerm(got[1], tuple(EXIT, got[0]!, BYE));
  });

  test("linking to a dead process while trapping exits gives {'EXIT', Dead, noproc}", async (t) => {
    const { rt } = runtime(t);
    const dead = rt.spawn(async () => {});
    await rt.idle();
    const message = await rt.run(
      async (self) => {
        self.link(dead);
        return self.receive(undefined, { timeout: 0 });
      },
      { trapExit: true },
    );
    assertTerm(message, tuple(EXIT, dead, NOPROC));
  });

  test("linking to a dead process without trapping exits throws noproc at once (erlang:link/1's error)", async (t) => {
    const { rt } = runtime(t);
    const dead = rt.spawn(async () => {});
    await rt.idle();
    const outcome = await rt.run(async (self) => {
      try {
        self.link(dead);
        return "linked";
      } catch (error) {
        return (error as ProcessError).code;
      }
    });
    assert.equal(outcome, "PROC_NOT_ALIVE");
    assert.deepEqual(rt.processInfo(dead), undefined);
  });
});

describe("links and dead processes", () => {
  test("spawnLink from the code of a process killed meanwhile leaves no child linked to a dead pid", async (t) => {
    const { rt } = runtime(t);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const children: Pid[] = [];
    const parent = rt.spawn(async (self) => {
      await gate; // a promise from outside the runtime: the process can be killed while it waits
      children.push(self.spawnLink(async (s) => s.receive()));
    });
    await rt.idle();
    rt.exit(parent, atom("kill"));
    release();
    await rt.idle();
    // Erlang runs no code in a dead process; here the code runs on, and whatever it spawns linked must not
    // outlive the link to a process that is gone.
    const alive = children.filter((child) => rt.isAlive(child));
    assert.deepEqual(
      alive.map((child) => rt.processInfo(child)!.links.length),
      [],
      "a child of a dead process is alive, linked to the dead pid",
    );
  });
});

describe("links to other nodes", () => {
  test("a link to a pid on a node that is not connected returns, then fails with noconnection", async (t) => {
    const { rt } = runtime(t);
    const remote = remotePid();
    const got = await rt.run(
      async (self) => {
        self.link(remote); // does not throw: the failure comes later, as a signal
        const linkedAtOnce = rt.processInfo(self.pid)!.links.length;
        return [linkedAtOnce, await self.receive(exitFrom(remote))] as const;
      },
      { trapExit: true },
    );
    assert.equal(got[0], 1);
    assertTerm(got[1], tuple(EXIT, remote, NOCONNECTION));
  });

  test("without trapping exits, the process dies with noconnection", async (t) => {
    const { rt } = runtime(t);
    const linker = await spawnWatched(rt, async (self) => {
      self.link(remotePid());
      await self.receive();
    });
    assertTerm(await linker.exit, NOCONNECTION);
  });

  test("the link goes through the transport; when the node goes down, the link fires with its reason", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const remote = remotePid();
    const linker = await spawnWatched(rt, async (self) => {
      self.link(remote);
      await self.receive();
    });
    await rt.idle();
    assert.deepEqual(
      transport.sent.map((s) => s.kind),
      ["link"],
    );
    const [link] = transport.sent as [Extract<Signal, { kind: "link" }>];
    assertTerm(link.from, linker.pid);
    assertTerm(link.to, remote);
    assert.ok(rt.isAlive(linker.pid), "nothing happens until the transport reports");
    rt.nodeDown(atom("other@host"), NOCONNECTION);
    assertTerm(await linker.exit, NOCONNECTION);
  });

  test("an exit signal from a remote linked process arrives through the sink", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const remote = remotePid();
    const got = rt.run(
      async (self) => {
        self.link(remote);
        return self.receive(exitFrom(remote));
      },
      { trapExit: true },
    );
    await rt.idle();
    const [link] = transport.sent as [Extract<Signal, { kind: "link" }>];
    rt.deliver({ kind: "exit", from: remote, to: link.from, reason: BYE, link: true });
    assertTerm(await got, tuple(EXIT, remote, BYE));
  });

  test("unlink of a remote pid goes through the transport, and a process's death reaches its remote links", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const remote = remotePid();
    const other = remotePid(2);
    await assert.rejects(
      rt.run(async (self) => {
        self.link(remote);
        self.unlink(remote);
        self.link(other);
        throw new ProcessExit(BYE);
      }),
    );
    assert.deepEqual(
      transport.sent.map((s) => s.kind),
      ["link", "unlink", "link", "exit"],
    );
    const exit = transport.sent[3] as Extract<Signal, { kind: "exit" }>;
    assertTerm(exit.to, other);
    assertTerm(exit.reason, BYE);
    assert.equal(exit.link, true);
  });

  test("a link from a process of another node: its death reaches us, ours reaches it, node down breaks it", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const remote = remotePid();
    const dying = sleeper(rt);
    rt.deliver({ kind: "link", from: remote, to: dying });
    assertTerm(rt.processInfo(dying)!.links, [remote]);
    rt.exit(dying, BYE);
    const exit = transport.sent.find((s) => s.kind === "exit") as Extract<Signal, { kind: "exit" }>;
    assert.ok(exit !== undefined, "the linked remote process is told");
    assertTerm(exit.from, dying);
    assertTerm(exit.to, remote);
    assertTerm(exit.reason, BYE);
    assert.equal(exit.link, true);

    const survivor = await spawnWatched(rt, async (self) => self.receive());
    rt.deliver({ kind: "link", from: remote, to: survivor.pid });
    rt.nodeDown(remote.node, NOCONNECTION);
    assertTerm(await survivor.exit, NOCONNECTION);
  });

  test("a link request from another node to a dead process is answered with noproc", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const dead = rt.spawn(async () => {});
    await rt.idle();
    rt.deliver({ kind: "link", from: remotePid(), to: dead });
    const [exit] = transport.sent as [Extract<Signal, { kind: "exit" }>];
    assert.equal(exit.kind, "exit");
    assertTerm(exit.to, remotePid());
    assertTerm(exit.reason, NOPROC);
  });
});
