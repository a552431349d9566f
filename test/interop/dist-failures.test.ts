// What goes wrong between nodes, and how an Otter node lives through it: a wrong cookie both ways (pang, a logged
// typed error), a name already registered at EPMD (DIST_EPMD), a frozen erl found by the tick timeout (monitors
// fire `noconnection`), and malformed frames from a peer that passed the handshake (distribution_SUITE's
// bad_dist_structure and bad_dist_fragments): the connection closes with a logged DIST_PROTOCOL error, the node
// lives on, and no process sees anything the bad frame carried.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { portPlease } from "../../src/dist/epmd/client.ts";
import { advertisedFlags, DFlag } from "../../src/dist/flags.ts";
import { initiate } from "../../src/dist/handshake/index.ts";
import {
  atom,
  DistError,
  DOWN,
  ErrorCodes,
  encode,
  type LogEvent,
  Pid,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { ErlNode, freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor, within } from "../support/runtime.ts";

const cookie = uniqueCookie();
const logs: LogEvent[] = [];
let epmdPort: number;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  epmdPort = await freePort();
  node = await startNode({
    name: uniqueNodeName("otter_failures"),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    runtime: { logger: (event) => logs.push(event) },
  });
  erl = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
});

after(async () => {
  await erl?.stop();
  await node?.stop();
});

/** The code of the typed error logged with each distribution event so far. */
function loggedCodes(): string[] {
  return logs.flatMap((e) => (e.meta.error instanceof DistError ? [e.meta.error.code] : []));
}

describe("distribution failures", () => {
  test("erl pings us with a wrong cookie: pang, our node logs DIST_BAD_COOKIE and keeps running", async () => {
    const stranger = await ErlNode.start({
      cookie: `wrong${randomBytes(4).toString("hex")}`,
      epmdPort,
      startEpmd: false,
    });
    try {
      assert.equal(await stranger.eval("net_adm:ping(Otter)", { bindings: { Otter: node.name } }), atom("pang"));
      await waitFor(() => loggedCodes().includes(ErrorCodes.DIST_BAD_COOKIE), "the logged refusal", 5000);
      assert.ok(!node.nodes().includes(atom(stranger.name)));
      assert.equal(await node.ping(erl.name), "pong");
    } finally {
      await stranger.stop();
    }
  });

  test("we ping an erl whose cookie differs: pang", async () => {
    const stranger = await ErlNode.start({
      cookie: `other${randomBytes(4).toString("hex")}`,
      epmdPort,
      startEpmd: false,
    });
    try {
      assert.equal(await node.ping(stranger.name), "pang");
      assert.ok(!node.nodes().includes(atom(stranger.name)));
    } finally {
      await stranger.stop();
    }
  });

  test("a second node with a name already registered at EPMD fails with DIST_EPMD", async () => {
    await assert.rejects(
      startNode({ name: node.name.name, cookie, epmdPort, listen: { host: "127.0.0.1" } }),
      (e: unknown) => e instanceof DistError && e.code === ErrorCodes.DIST_EPMD,
    );
    assert.equal(await node.ping(erl.name), "pong");
  });

  test("a frozen erl (SIGSTOP) stops ticking: monitors toward it fire noconnection within the tick time", async () => {
    const ticking = await startNode({
      name: uniqueNodeName("otter_tick"),
      cookie,
      epmdPort,
      listen: { host: "127.0.0.1" },
      tickTimeMs: 4000,
    });
    const frozen = await ErlNode.start({ cookie, epmdPort, startEpmd: false, args: ["-kernel", "net_ticktime", "4"] });
    let stopped = false;
    try {
      const erlPid = (await frozen.eval("spawn(fun() -> receive _ -> ok end end)")) as Pid;
      assert.equal(await ticking.ping(frozen.name), "pong");
      const down = ticking.runtime.run(async (self) => {
        const ref = self.monitor(erlPid);
        return { ref, down: await self.receive((m) => m instanceof Tuple && m.at(0) === DOWN, { timeout: 10_000 }) };
      });
      // The monitor must reach erl before it freezes.
      const monitored = await frozen.eval(
        "F = fun Wait(0) -> timeout; Wait(N) -> case process_info(P, monitored_by) of {monitored_by, [_ | _]} -> ok; _ -> erlang:yield(), Wait(N - 1) end end, F(100000)",
        { bindings: { P: erlPid } },
      );
      assert.equal(monitored, atom("ok"));
      const frozenAt = performance.now();
      process.kill(frozen.osPid!, "SIGSTOP");
      stopped = true;
      const { ref, down: message } = await down;
      const elapsed = performance.now() - frozenAt;
      assert.ok(message instanceof Tuple, "no DOWN within 10 s");
      assert.equal(message.at(1), ref);
      assert.equal(message.at(4), atom("noconnection"));
      // 4 intervals of 1 s without a byte from erl (the last one may have just arrived when it froze).
      assert.ok(elapsed >= 2900, `nodedown after ${Math.round(elapsed)} ms, before the tick time`);
      assert.ok(!ticking.nodes().includes(atom(frozen.name)));
    } finally {
      if (stopped) process.kill(frozen.osPid!, "SIGCONT");
      await frozen.stop();
      await ticking.stop();
    }
  });
});

describe("malformed frames from a peer past the handshake", () => {
  const victimName = atom("victim");
  let victim: Pid;
  let fakes = 0;

  before(() => {
    victim = node.runtime.spawn(async (self) => {
      await self.receive((m) => m === atom("never"));
    });
    node.runtime.register(victimName, victim);
  });

  /** A fake node that did the handshake with ours, with `flags` (default: without the atom cache header). */
  async function fakePeer(
    flags = advertisedFlags() & ~(DFlag.DIST_HDR_ATOM_CACHE | DFlag.FRAGMENTS),
  ): Promise<{ socket: Socket; pid: Pid; closed: Promise<void> }> {
    const name = uniqueNodeName(`fake${++fakes}`);
    const info = await portPlease(node.name.name.split("@")[0]!, { host: "127.0.0.1", port: epmdPort });
    const raw = connect({ host: "127.0.0.1", port: info!.port });
    await new Promise((resolve, reject) => raw.once("connect", resolve).once("error", reject));
    const handshaken = await initiate(raw, {
      self: { name, creation: 77, flags },
      peer: node.name.name,
      cookie,
      timeoutMs: 5000,
    });
    const socket = handshaken.socket;
    socket.on("error", () => {});
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.resume();
    return { socket, pid: new Pid(atom(name), 1, 0, 77), closed };
  }

  function frame(...parts: Uint8Array[]): Buffer {
    const body = Buffer.concat(parts);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, body]);
  }

  /** `112, 131 Control, 131 Message`: the pass-through form. */
  function passThrough(control: Term, message?: Term): Buffer {
    return frame(Uint8Array.of(112), encode(control), ...(message === undefined ? [] : [encode(message)]));
  }

  const REG_SEND = 6;
  const legit = (from: Pid, n: number): Buffer =>
    passThrough(tuple(REG_SEND, from, atom(""), victimName), tuple(atom("legit"), n));

  const cases: [string, (from: Pid) => Buffer, bigint?][] = [
    ["garbage after the pass-through byte", () => frame(Uint8Array.of(112, 0xde, 0xad, 0xbe, 0xef))],
    [
      "REG_SEND whose sender is no pid",
      () => passThrough(tuple(REG_SEND, atom("not_a_pid"), atom(""), victimName), atom("illegitimate")),
    ],
    ["SEND of the wrong arity", () => passThrough(tuple(2, victim), atom("illegitimate"))],
    ["an unknown control operation", (from) => passThrough(tuple(99, from, victim), atom("illegitimate"))],
    ["a control message that is no tuple", () => passThrough([2, victim], atom("illegitimate"))],
    [
      "a fragment continuation without a start",
      () => frame(Uint8Array.of(131, 70), Buffer.alloc(8, 1), Buffer.alloc(8, 0).fill(1, 7), encode(atom("x"))),
      advertisedFlags(),
    ],
    [
      "a header that declares more atom cache refs than it carries",
      () => frame(Uint8Array.of(131, 68, 5, 0)),
      advertisedFlags(),
    ],
  ];

  for (const [what, bad, flags] of cases) {
    test(`${what}: the connection closes, a DIST_PROTOCOL error is logged, the victim sees only legit mail`, async () => {
      const before = node.runtime.processInfo(victim)!.messageQueueLen;
      const logged = loggedCodes().filter((c) => c === ErrorCodes.DIST_PROTOCOL).length;
      const peer = await fakePeer(flags);
      try {
        if (flags === undefined) {
          peer.socket.write(legit(peer.pid, 1));
          await waitFor(
            () => node.runtime.processInfo(victim)!.messageQueueLen === before + 1,
            "the legit message",
            5000,
          );
        }
        peer.socket.write(bad(peer.pid));
        await within(peer.closed, 5000, "the Otter node to close the connection");
        await waitFor(
          () => loggedCodes().filter((c) => c === ErrorCodes.DIST_PROTOCOL).length > logged,
          "the logged DIST_PROTOCOL error",
          5000,
        );
        assert.equal(node.runtime.processInfo(victim)!.messageQueueLen, before + (flags === undefined ? 1 : 0));
        assert.ok(!node.nodes().includes(peer.pid.node));
        assert.equal(await node.ping(erl.name), "pong");
      } finally {
        peer.socket.destroy();
      }
    });
  }
});
