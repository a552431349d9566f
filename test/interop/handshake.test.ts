// The handshake against a real erl: we connect to erl's distribution port (right cookie, wrong cookie, only the 25
// digest bit, a missing mandatory flag), and erl connects to us.
//
// No EPMD client is involved. erl registers with a private epmd (startSystemEpmd) and we dial the port it listens
// on. For erl to dial us, erl runs with `-erl_epmd_port P`, which makes it skip the EPMD lookup and assume every
// node listens on port P: erl listens on 127.0.0.1:P and we on 127.0.0.2:P (Linux routes all of 127/8 to loopback).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { advertisedFlags, DFlag, MANDATORY, MANDATORY_26, negotiatedFlags } from "../../src/dist/flags.ts";
import { accept, type HandshakeIdentity, initiate } from "../../src/dist/handshake/index.ts";
import { DistError, ErrorCodes } from "../../src/errors.ts";
import { atom } from "../../src/term/index.ts";
import { ErlNode, freePort, type SystemEpmd, startSystemEpmd } from "../../src/testing/erl-node.ts";

let epmd: SystemEpmd;
let erl: ErlNode;
/** The port erl listens on, and where it expects every other node to listen (-erl_epmd_port). */
let port: number;
let erlFlags: bigint;
const sockets: Socket[] = [];

before(async () => {
  epmd = await startSystemEpmd();
  port = await freePort();
  erl = await ErlNode.start({ epmdPort: epmd.port, distPort: port, args: ["-erl_epmd_port", String(port)] });
  erlFlags = BigInt((await erl.eval("element(2, erts_internal:get_dflags())")) as number | bigint);
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await erl?.stop();
  await epmd?.stop();
});

let counter = 0;
function us(flags = advertisedFlags(), host = "127.0.0.1"): HandshakeIdentity {
  counter += 1;
  return {
    name: `otter_${process.pid}_${counter}_${randomBytes(3).toString("hex")}@${host}`,
    creation: counter,
    flags,
  };
}

async function dialErl(): Promise<Socket> {
  const socket = connect({ port: erl.distPort, host: "127.0.0.1" });
  sockets.push(socket);
  await once(socket, "connect");
  return socket;
}

/** Whether `name` is (true) or is not (false) in erl's nodes(connected) within 5 s, waited for on erl's side. */
async function erlSeesConnected(name: string, connected: boolean): Promise<boolean> {
  const answer = await erl.eval(
    `Wait = fun W(0) -> false;
                W(N) -> case lists:member(Node, nodes(connected)) of
                          Want -> true;
                          _ -> receive after 10 -> W(N - 1) end
                        end
            end,
     Wait(500)`,
    { bindings: { Node: atom(name), Want: connected } },
  );
  return answer === true;
}

describe("we connect to erl", () => {
  test("with erl's cookie: the connection is up, with the flags both offer, and erl lists us as connected", async () => {
    const self = us();
    const socket = await dialErl();
    const result = await initiate(socket, { self, peer: erl.name, cookie: erl.cookie, timeoutMs: 7000 });
    assert.equal(result.peer, erl.name);
    assert.ok(result.peerCreation > 0);
    assert.equal(result.flags, negotiatedFlags(self.flags, erlFlags | DFlag.PUBLISHED));
    assert.equal(result.flags & MANDATORY, MANDATORY);
    // The connection is real: a tick goes through, erl lists us, and our close is its nodedown.
    socket.write(Buffer.alloc(4));
    assert.ok(await erlSeesConnected(self.name, true), "erl does not list us in nodes(connected)");
    assert.deepEqual(await erl.eval("[N || N <- nodes(), N =:= Node]", { bindings: { Node: atom(self.name) } }), [
      atom(self.name),
    ]);
    socket.destroy();
    assert.ok(await erlSeesConnected(self.name, false), "erl still lists us after we closed");
  });

  test("with a wrong cookie: DIST_BAD_COOKIE, and erl lives on", async () => {
    const self = us();
    const socket = await dialErl();
    await assert.rejects(
      initiate(socket, { self, peer: erl.name, cookie: "not-erls-cookie", timeoutMs: 7000 }),
      (error: unknown) => error instanceof DistError && error.code === ErrorCodes.DIST_BAD_COOKIE,
    );
    assert.equal(await erl.eval("1 + 1"), 2);
    assert.ok(await erlSeesConnected(self.name, false));
  });

  test("dflag_mandatory_25: erl takes MANDATORY_25_DIGEST (bit 26) for the whole OTP 25 set", async () => {
    const self = us(DFlag.MANDATORY_25_DIGEST | MANDATORY_26 | DFlag.PUBLISHED);
    const socket = await dialErl();
    const result = await initiate(socket, { self, peer: erl.name, cookie: erl.cookie, timeoutMs: 7000 });
    assert.equal(result.flags & MANDATORY, MANDATORY);
    assert.ok(await erlSeesConnected(self.name, true));
    socket.destroy();
  });

  test("missing a mandatory flag: erl answers not_allowed (DIST_NOT_ALLOWED)", async () => {
    const self = us(advertisedFlags() & ~DFlag.UTF8_ATOMS & ~DFlag.MANDATORY_25_DIGEST);
    const socket = await dialErl();
    await assert.rejects(
      initiate(socket, { self, peer: erl.name, cookie: erl.cookie, timeoutMs: 7000 }),
      (error: unknown) => error instanceof DistError && error.code === ErrorCodes.DIST_NOT_ALLOWED,
    );
    assert.equal(await erl.eval("1 + 1"), 2);
  });

  test("the flags we offer are erl's own preferred set (without OTP 28's ALTACT_SIG)", () => {
    assert.equal(advertisedFlags({ hidden: true }), erlFlags & ~DFlag.ALTACT_SIG);
  });
});

describe("erl connects to us", () => {
  let server: Server;
  const incoming: Socket[] = [];
  let arrived: (() => void) | undefined;

  before(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      incoming.push(socket);
      arrived?.();
    });
    server.listen(port, "127.0.0.2");
    await once(server, "listening");
  });
  after(() => server.close());

  async function nextIncoming(): Promise<Socket> {
    while (incoming.length === 0) await new Promise<void>((resolve) => (arrived = resolve));
    return incoming.shift()!;
  }

  test("with erl's cookie: accept finishes, and connect_node is true", async () => {
    const self = us(advertisedFlags(), "127.0.0.2");
    const admitted: string[] = [];
    const connecting = erl.eval("net_kernel:connect_node(Node)", { bindings: { Node: atom(self.name) } });
    const result = await accept(await nextIncoming(), {
      self,
      cookie: erl.cookie,
      timeoutMs: 7000,
      admit: (peer) => {
        admitted.push(peer);
        return "ok";
      },
    });
    assert.deepEqual(admitted, [erl.name]);
    assert.equal(result.peer, erl.name);
    assert.equal(result.flags, negotiatedFlags(self.flags, erlFlags | DFlag.PUBLISHED));
    assert.equal(await connecting, true);
    result.socket.destroy();
    assert.ok(await erlSeesConnected(self.name, false));
  });

  test("with another cookie: DIST_BAD_COOKIE, and connect_node is false", async () => {
    const self = us(advertisedFlags(), "127.0.0.2");
    const connecting = erl.eval("net_kernel:connect_node(Node)", { bindings: { Node: atom(self.name) } });
    await assert.rejects(
      accept(await nextIncoming(), { self, cookie: "not-erls-cookie", timeoutMs: 7000, admit: () => "ok" }),
      (error: unknown) => error instanceof DistError && error.code === ErrorCodes.DIST_BAD_COOKIE,
    );
    assert.equal(await connecting, false);
  });
});
