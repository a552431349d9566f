// Spawn requests of a process (erlang:spawn_request/5) against a recording transport: what goes out, the answer
// messages each `reply` mode lets through, the link and monitor a reply reports (recorded without a LINK or
// MONITOR_P of our own), `noconnection` for a lost node, and the new process let go when the requester is gone or
// abandoned the request.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atom,
  DOWN,
  ErrorCodes,
  EXIT,
  NOCONNECTION,
  type Pid,
  type Process,
  ProcessError,
  type Ref,
  type Runtime,
  type Signal,
  type SpawnOptions,
  type SpawnRequest,
  type SpawnRequestOptions,
  type Term,
  tuple,
} from "../../../src/index.ts";
import {
  assertTerm,
  elements,
  OTHER_NODE,
  RecordingTransport,
  remotePid,
  runtime,
  spawnWatched,
  waitFor,
} from "../../support/runtime.ts";

const OTHER = atom(OTHER_NODE);
const SPAWN_REPLY = atom("spawn_reply");
const OK = atom("ok");
const ERROR = atom("error");
const BYE = atom("bye");
const ABANDON = atom("abandon");
const STOP = atom("stop");

interface Requester {
  readonly pid: Pid;
  /** The request id. */
  readonly ref: Ref;
  /** What it received, in order (and whether `abandon` found the request). */
  readonly messages: Term[];
  readonly exit: Promise<Term>;
}

/**
 * A process that makes one spawn request of `m:f(1)` on OTHER_NODE, then records every message; on `abandon` it
 * abandons the request, on `stop` it ends.
 */
async function requester(rt: Runtime, options?: SpawnRequestOptions, spawn?: SpawnOptions): Promise<Requester> {
  const messages: Term[] = [];
  let made!: (ref: Ref) => void;
  const madeRef = new Promise<Ref>((resolve) => {
    made = resolve;
  });
  const watched = await spawnWatched(
    rt,
    async (self) => {
      const ref = self.spawnRequest(OTHER, atom("m"), atom("f"), [1], options);
      made(ref);
      for (;;) {
        const message = await self.receive();
        if (message === STOP) return;
        messages.push(message === ABANDON ? self.spawnRequestAbandon(ref) : message);
      }
    },
    spawn,
  );
  return { pid: watched.pid, ref: await madeRef, messages, exit: watched.exit };
}

function spawnRequestsIn(transport: RecordingTransport): SpawnRequest[] {
  return transport.sent.filter((s): s is SpawnRequest => s.kind === "spawn-request");
}

/** The signals sent besides spawn requests. */
function othersIn(transport: RecordingTransport): Signal[] {
  return transport.sent.filter((s) => s.kind !== "spawn-request");
}

describe("spawn requests", () => {
  test("a request goes out with link, monitor and the other options; the success message names the new pid", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const priority = tuple(atom("priority"), atom("high"));
    const r = await requester(rt, { link: true, monitor: true, spawnOptions: [priority] });
    const [request] = spawnRequestsIn(transport);
    assert.ok(request !== undefined);
    assertTerm(request.from, r.pid);
    assertTerm(request.ref, r.ref);
    assert.equal(request.node, OTHER);
    assert.equal(request.module, atom("m"));
    assert.equal(request.function, atom("f"));
    assertTerm([...request.args], [1]);
    assertTerm([...request.options], [atom("link"), atom("monitor"), priority]);
    assertTerm(request.groupLeader, rt.rootPid, "a process without a group leader names the node's root");
    const child = remotePid(7);
    rt.spawnReplied({ to: r.pid, ref: r.ref, result: child, link: true, monitor: true });
    await waitFor(() => r.messages.length === 1, "the success message");
    assertTerm(r.messages[0], tuple(SPAWN_REPLY, r.ref, OK, child));
  });

  test("the link and monitor a reply reports hold without a LINK or MONITOR_P of our own", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const r = await requester(rt, { link: true, monitor: true, reply: "no" }, { trapExit: true });
    const child = remotePid(7);
    rt.spawnReplied({ to: r.pid, ref: r.ref, result: child, link: true, monitor: true });
    assertTerm(rt.processInfo(r.pid)!.links, [child]);
    rt.deliver({ kind: "exit", from: child, to: r.pid, reason: BYE, link: true });
    rt.deliver({ kind: "down", from: child, to: r.pid, ref: r.ref, reason: BYE });
    await waitFor(() => r.messages.length === 2, "the exit and the DOWN");
    assertTerm(r.messages[0], tuple(EXIT, child, BYE));
    assertTerm(r.messages[1], tuple(DOWN, r.ref, atom("process"), child, BYE), "the monitor's ref is the request id");
    assert.deepEqual(othersIn(transport), []);
  });

  test("the reply's flags decide: what the other node did not set up does not exist here", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const r = await requester(rt, { link: true, monitor: true, reply: "no" }, { trapExit: true });
    const child = remotePid(7);
    rt.spawnReplied({ to: r.pid, ref: r.ref, result: child, link: false, monitor: false });
    assertTerm(rt.processInfo(r.pid)!.links, []);
    rt.deliver({ kind: "exit", from: child, to: r.pid, reason: BYE, link: true }); // no link: ignored
    rt.deliver({ kind: "down", from: child, to: r.pid, ref: r.ref, reason: BYE }); // no monitor: ignored
    rt.send(r.pid, atom("marker"));
    await waitFor(() => r.messages.length > 0, "the marker");
    assertTerm(r.messages, [atom("marker")]);
  });

  test("each reply mode lets through the answers it names, under the reply tag", async (t) => {
    const { rt } = runtime(t, { transport: new RecordingTransport() });
    const tag = tuple(atom("my_tag"), 1);
    const expected: Record<string, [boolean, boolean]> = {
      yes: [true, true],
      no: [false, false],
      error_only: [false, true],
      success_only: [true, false],
    };
    for (const [mode, [success, failure]] of Object.entries(expected)) {
      const options = { reply: mode as SpawnRequestOptions["reply"], replyTag: tag };
      const ok = await requester(rt, options);
      const failed = await requester(rt, options);
      const child = remotePid(9);
      rt.spawnReplied({ to: ok.pid, ref: ok.ref, result: child, link: false, monitor: false });
      rt.spawnReplied({ to: failed.pid, ref: failed.ref, result: atom("system_limit"), link: false, monitor: false });
      rt.send(ok.pid, atom("marker"));
      rt.send(failed.pid, atom("marker"));
      await waitFor(() => ok.messages.length > 0 && failed.messages.length > 0, `the markers (${mode})`);
      const okMessages = success ? [tuple(tag, ok.ref, OK, child), atom("marker")] : [atom("marker")];
      const errorMessages = failure
        ? [tuple(tag, failed.ref, ERROR, atom("system_limit")), atom("marker")]
        : [atom("marker")];
      assertTerm(ok.messages, okMessages, `success with reply ${mode}`);
      assertTerm(failed.messages, errorMessages, `failure with reply ${mode}`);
    }
  });

  test("a node lost before it answers fails the request with noconnection; after, the link fires", async (t) => {
    const { rt } = runtime(t, { transport: new RecordingTransport() });
    const pending = await requester(rt, { link: true });
    const answered = await requester(rt, { link: true, reply: "no" }, { trapExit: true });
    const child = remotePid(3);
    rt.spawnReplied({ to: answered.pid, ref: answered.ref, result: child, link: true, monitor: false });
    rt.nodeDown(OTHER, NOCONNECTION);
    await waitFor(() => pending.messages.length === 1 && answered.messages.length === 1, "both answers");
    assertTerm(pending.messages[0], tuple(SPAWN_REPLY, pending.ref, ERROR, NOCONNECTION));
    assertTerm(answered.messages[0], tuple(EXIT, child, NOCONNECTION));
    // A reply after the node went is for no request any more.
    rt.spawnReplied({ to: pending.pid, ref: pending.ref, result: remotePid(4), link: true, monitor: false });
    rt.send(pending.pid, atom("marker"));
    await waitFor(() => pending.messages.length === 2, "the marker");
    assertTerm(pending.messages[1], atom("marker"));
  });

  test("an abandoned request gives no answer; its new process is unlinked with `abandoned`, its monitor dropped", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const r = await requester(rt, { link: true, monitor: true });
    rt.send(r.pid, ABANDON);
    rt.send(r.pid, ABANDON);
    await waitFor(() => r.messages.length === 2, "both abandons");
    assert.deepEqual(r.messages, [true, false], "only a waiting request can be abandoned");
    const child = remotePid(5);
    rt.spawnReplied({ to: r.pid, ref: r.ref, result: child, link: true, monitor: true });
    assert.deepEqual(othersIn(transport), [
      { kind: "exit", from: r.pid, to: child, reason: atom("abandoned"), link: true },
      { kind: "demonitor", from: r.pid, to: child, ref: r.ref },
    ]);
    assertTerm(rt.processInfo(r.pid)!.links, []);
    rt.send(r.pid, atom("marker"));
    await waitFor(() => r.messages.length === 3, "the marker");
    assertTerm(r.messages[2], atom("marker"), "no spawn_reply message");
  });

  test("an answer that finds the requester gone breaks the new process's link with the requester's exit reason", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const r = await requester(rt, { link: true, monitor: true });
    rt.send(r.pid, STOP);
    await r.exit;
    const child = remotePid(6);
    rt.spawnReplied({ to: r.pid, ref: r.ref, result: child, link: true, monitor: true });
    assert.deepEqual(othersIn(transport), [
      { kind: "exit", from: r.pid, to: child, reason: atom("normal"), link: true },
      { kind: "demonitor", from: r.pid, to: child, ref: r.ref },
    ]);
  });

  test("bad arguments are PROC_BAD_ARG (erlang:spawn_request's badarg)", async (t) => {
    const { rt } = runtime(t, { transport: new RecordingTransport() });
    const m = atom("m");
    const cases: [string, (self: Process) => unknown][] = [
      ["node", (self) => self.spawnRequest("other@host" as never, m, m, [])],
      ["module", (self) => self.spawnRequest(OTHER, "m" as never, m, [])],
      ["function", (self) => self.spawnRequest(OTHER, m, 1 as never, [])],
      ["args", (self) => self.spawnRequest(OTHER, m, m, tuple(1) as never)],
      ["reply", (self) => self.spawnRequest(OTHER, m, m, [], { reply: "maybe" as never })],
    ];
    await rt.run(async (self) => {
      for (const [what, request] of cases) {
        assert.throws(
          () => request(self),
          (e: unknown) => e instanceof ProcessError && e.code === ErrorCodes.PROC_BAD_ARG,
          what,
        );
      }
    });
  });

  test("without distribution another node answers noconnection, and this one notsup", async (t) => {
    const { rt } = runtime(t);
    const answers = await rt.run(async (self) => {
      const far = self.spawnRequest(OTHER, atom("m"), atom("f"), []);
      const here = self.spawnRequest(rt.node, atom("m"), atom("f"), []);
      return [far, here, await self.receive(), await self.receive()] as const;
    });
    const [far, here, first, second] = answers;
    assertTerm(first, tuple(SPAWN_REPLY, far, ERROR, NOCONNECTION));
    assertTerm(second, tuple(SPAWN_REPLY, here, ERROR, atom("notsup")));
  });

  test("a reply for a pid of this node links and monitors both ways", async (t) => {
    const transport = new RecordingTransport();
    const { rt } = runtime(t, { transport });
    const r = await requester(rt, { link: true, monitor: true, reply: "no" }, { trapExit: true });
    const child = rt.spawn(async (self) => {
      await self.receive();
      throw new Error("bye");
    });
    rt.spawnReplied({ to: r.pid, ref: r.ref, result: child, link: true, monitor: true });
    assertTerm(rt.processInfo(child)!.links, [r.pid]);
    rt.send(child, atom("go"));
    await waitFor(() => r.messages.length === 2, "the exit and the DOWN");
    const [exit, down] = r.messages;
    assertTerm(elements(exit).slice(0, 2), [EXIT, child]);
    assertTerm(elements(down).slice(0, 4), [DOWN, r.ref, atom("process"), child]);
  });
});
