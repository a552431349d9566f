// Our EPMD client against our embedded EPMD server, and OTP's epmd_SUITE offenders against the server (raw sockets).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { EpmdRefusedError, type EpmdRegistration, names, portPlease, register } from "../../../src/dist/epmd/client.ts";
import { encodeKillRequest, encodeNamesRequest } from "../../../src/dist/epmd/protocol.ts";
import { EpmdServer, ensureEpmd } from "../../../src/dist/epmd/server.ts";
import { DistError } from "../../../src/errors.ts";
import { assertBytes } from "../../support/bytes.ts";
import { waitFor, within } from "../../support/runtime.ts";

const DEADLINE_MS = 5000;
const CLI = new URL("../../../src/cli/main.ts", import.meta.url).pathname;
let nameCounter = 0;
const unique = (prefix: string) => `${prefix}_${process.pid}_${++nameCounter}`;

/** What a raw connection got back: every byte until the server closed, and the socket error if it reset. */
interface Outcome {
  data: Buffer;
  error?: string;
}

/**
 * Connects to the server, writes `pieces` one at a time (each flushed and followed by an event-loop turn, so
 * they arrive as separate reads), and collects the answer until the server closes the connection.
 */
async function exchange(port: number, pieces: readonly Buffer[], options: { reset?: boolean } = {}): Promise<Outcome> {
  const socket = connect({ host: "127.0.0.1", port, noDelay: true });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  for (const piece of pieces) {
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (options.reset) socket.resetAndDestroy();
  await within(closed, DEADLINE_MS, "the server to close the connection");
  return { data: Buffer.concat(chunks), ...(error === undefined ? {} : { error }) };
}

/** The connection was closed without a word. */
function assertHungUp(outcome: Outcome, what: string): void {
  assert.equal(outcome.data.length, 0, `${what}: expected no answer, got ${outcome.data.toString("hex")}`);
}

function framed(...parts: (Buffer | string | number[])[]): Buffer {
  const body = Buffer.concat(
    parts.map((part) => (typeof part === "string" || Array.isArray(part) ? Buffer.from(part) : part)),
  );
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length);
  return Buffer.concat([head, body]);
}

const u16 = (n: number) => {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(n);
  return out;
};

/** ALIVE2_REQ as epmd_SUITE's alive2_req/7 builds it. */
function alive2Request(
  port: number,
  nodeType: number,
  high: number,
  low: number,
  name: Buffer | string,
  extra = Buffer.alloc(0),
) {
  const nameBytes = Buffer.from(name);
  return framed(
    [120],
    u16(port),
    [nodeType, 0],
    u16(high),
    u16(low),
    u16(nameBytes.length),
    nameBytes,
    u16(extra.length),
    extra,
  );
}

/** Sends a raw ALIVE2_REQ on a connection of its own and waits for the answer; the connection stays open. */
async function registerRaw(port: number, request: Buffer): Promise<{ answer: Buffer; socket: Socket }> {
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  const answer = new Promise<Buffer>((resolve) => socket.once("data", resolve));
  socket.write(request);
  return { answer: await within(answer, DEADLINE_MS, "the ALIVE2 answer"), socket };
}

/** Registers a fresh name, finds it, lists it, gives it up: the server still serves. */
async function assertServes(server: EpmdServer): Promise<void> {
  const alive = unique("still");
  const registration = await register(alive, 4242, { port: server.port });
  assert.equal((await portPlease(alive, { port: server.port }))?.port, 4242);
  assert.ok((await names({ port: server.port })).some((entry) => entry.name === alive));
  await registration.close();
  await waitFor(() => !server.names().some((entry) => entry.name === alive), `${alive} to be unregistered`);
}

describe("our client against our server", () => {
  let server: EpmdServer;
  before(async () => {
    server = await EpmdServer.start({ port: 0 });
  });
  after(() => server.close());

  test("register, port please, names", async () => {
    const alive = unique("foo");
    const extra = Buffer.from("ABC\0\0");
    const registration = await register(alive, 1234, { port: server.port, extra });
    const info = await portPlease(alive, { port: server.port });
    assert.deepEqual(info, {
      port: 1234,
      nodeType: 77,
      protocol: 0,
      highestVersion: 6,
      lowestVersion: 6,
      name: alive,
      extra: new Uint8Array(extra),
    });
    assert.deepEqual(
      (await names({ port: server.port })).filter((e) => e.name === alive),
      [{ name: alive, port: 1234 }],
    );
    await registration.close();
  });

  test("a hidden node is registered as type 72; an empty extra comes back empty", async () => {
    const alive = unique("hidden");
    const registration = await register(alive, 1, { port: server.port, hidden: true });
    const info = await portPlease(alive, { port: server.port });
    assert.equal(info?.nodeType, 72);
    assert.deepEqual(info?.extra, new Uint8Array(0));
    await registration.close();
  });

  test("port please for a name nobody holds is undefined", async () => {
    assert.equal(await portPlease(unique("nobody"), { port: server.port }), undefined);
  });

  test("a duplicate name is refused with EpmdRefusedError (DIST_EPMD, result 1)", async () => {
    const alive = unique("dup");
    const registration = await register(alive, 1, { port: server.port });
    await assert.rejects(register(alive, 2, { port: server.port }), (error: unknown) => {
      assert.ok(error instanceof EpmdRefusedError);
      assert.equal(error.code, "DIST_EPMD");
      assert.equal(error.result, 1);
      assert.equal(error.alive, alive);
      return true;
    });
    assert.equal((await portPlease(alive, { port: server.port }))?.port, 1, "the first holder keeps the name");
    await registration.close();
  });

  test("closing the registration unregisters; closed settles with undefined", async () => {
    const alive = unique("gone");
    const registration = await register(alive, 1, { port: server.port });
    await registration.close();
    assert.equal(await registration.closed, undefined);
    await waitFor(() => server.names().every((e) => e.name !== alive), "the server to see the close");
    assert.equal(await portPlease(alive, { port: server.port }), undefined);
  });

  test("names lists the newest registration first, as epmd does", async () => {
    const first = await register(unique("older"), 11, { port: server.port });
    const second = await register(unique("newer"), 12, { port: server.port });
    const listed = (await names({ port: server.port })).map((e) => e.name);
    assert.deepEqual(listed.slice(0, 2), [second.alive, first.alive]);
    assert.deepEqual(
      server
        .names()
        .slice(0, 2)
        .map((e) => e.name),
      [second.alive, first.alive],
    );
    await Promise.all([first.close(), second.close()]);
  });
});

describe("creation numbers", () => {
  const NOW_MS = 1_700_000_000_500;

  test("the first is the time in seconds plus one; each re-registration of the name adds one", async () => {
    const server = await EpmdServer.start({ port: 0, now: () => NOW_MS });
    try {
      const alive = unique("cr");
      const creations: number[] = [];
      for (let i = 0; i < 3; i++) {
        const registration = await register(alive, 1, { port: server.port });
        creations.push(registration.creation);
        await registration.close();
        await waitFor(() => server.names().length === 0, "the unregistration");
      }
      assert.deepEqual(creations, [1_700_000_001, 1_700_000_002, 1_700_000_003]);
      const other = await register(unique("cr"), 1, { port: server.port });
      assert.equal(other.creation, 1_700_000_001, "another name has its own counter");
      await other.close();
    } finally {
      await server.close();
    }
  });

  test("a version 5 node gets ALIVE2_RESP with counter % 3 + 1; a refusal carries 99", async () => {
    const server = await EpmdServer.start({ port: 0, now: () => NOW_MS });
    try {
      const name = unique("v5");
      const { answer, socket } = await registerRaw(server.port, alive2Request(1, 77, 5, 5, name));
      assertBytes(answer, Buffer.of(121, 0, 0, (1_700_000_001 % 3) + 1));
      const refused = await exchange(server.port, [alive2Request(1, 77, 5, 5, name)]);
      assertBytes(refused.data, Buffer.of(121, 1, 0, 99));
      const refusedV6 = await exchange(server.port, [alive2Request(1, 77, 6, 6, name)]);
      assertBytes(refusedV6.data, Buffer.of(118, 1, 0, 0, 0, 99));
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  test("the counter wraps past 2^32 to 4, never 0..3", async () => {
    const server = await EpmdServer.start({ port: 0, now: () => (2 ** 32 - 1) * 1000 });
    try {
      const registration = await register(unique("wrap"), 1, { port: server.port });
      assert.equal(registration.creation, 4);
      await registration.close();
    } finally {
      await server.close();
    }
  });
});

describe("epmd_SUITE offenders", () => {
  let server: EpmdServer;
  let impatient: EpmdServer;
  before(async () => {
    // The default 60 s packet timeout: a close within the test's deadline is the server's answer, not a timeout.
    server = await EpmdServer.start({ port: 0 });
    impatient = await EpmdServer.start({ port: 0, packetTimeoutMs: 200 });
  });
  after(async () => {
    await Promise.all([server.close(), impatient.close()]);
  });

  const silentCases: [string, Buffer[]][] = [
    ["no_data", []],
    ["one_byte", [Buffer.of(0)]],
    ["two_bytes", [u16(3)]],
    ["partial_packet", [u16(100), Buffer.from("only a few bytes")]],
  ];
  for (const [name, pieces] of silentCases) {
    test(`${name}: closed at the packet timeout`, async () => {
      assertHungUp(await exchange(impatient.port, pieces), name);
      await assertServes(impatient);
    });
  }

  const hangUpCases: [string, Buffer[]][] = [
    ["zero_length", [Buffer.alloc(10)]],
    ["too_large", [u16(63000), Buffer.alloc(63000, "z")]],
    ["alive_req_too_small_1", [framed([120], u16(1000), [77, 0], u16(5), u16(5), u16(0))]],
    ["alive_req_too_small_2", [framed([120], u16(1000), [77, 0], u16(5), u16(5))]],
    ["name_with_null_inside", [alive2Request(1000, 77, 5, 5, "foo\0bar")]],
    ["name_null_terminated", [alive2Request(1000, 77, 5, 5, "foobar\0")]],
    ["unknown request", [framed([0])]],
    ["DUMP_REQ", [framed([100])]],
    ["STOP_REQ (refused, as epmd without -relaxed_command_check)", [framed("sfoo")]],
    ["two requests in one connection", [Buffer.concat([encodeNamesRequest(), encodeNamesRequest()])]],
    ["PORT_PLEASE2_REQ with a NUL in the name", [framed("zfo\0o")]],
  ];
  for (const [name, pieces] of hangUpCases) {
    test(`${name}: closed without an answer`, async () => {
      assertHungUp(await exchange(server.port, pieces), name);
      await assertServes(server);
    });
  }

  test("alive_req_too_large: a 600-character name is refused with ALIVE2_RESP result 1", async () => {
    const outcome = await exchange(server.port, [alive2Request(1000, 77, 5, 5, "a".repeat(600))]);
    assertBytes(outcome.data, Buffer.of(121, 1, 0, 99));
    await assertServes(server);
  });

  test("buffer_overrun_1: an extra length past the end, 1..10000, is hung up on", async () => {
    const lengths = Array.from({ length: 10_000 }, (_, i) => i + 1);
    for (let i = 0; i < lengths.length; i += 250) {
      await Promise.all(
        lengths.slice(i, i + 250).map(async (n) => {
          const body = Buffer.concat([
            Buffer.of(120),
            u16(4747),
            Buffer.of(77, 0),
            u16(5),
            u16(5),
            u16(5),
            Buffer.from("gurka"),
            u16(n),
          ]);
          assertHungUp(await exchange(server.port, [framed(body)]), `extra length ${n}`);
        }),
      );
    }
    await assertServes(server);
  });

  test("buffer_overrun_2: N bytes of extra, 1020..10000: registered at 1020, refused or hung up on past it", async () => {
    const request = (n: number) => {
      const extra = Buffer.alloc(n, 255);
      return framed([120], u16(4747), [77, 0], u16(5), u16(5), u16(5), "gurka", u16(n), extra);
    };
    const first = await registerRaw(server.port, request(1020));
    assert.deepEqual([...first.answer.subarray(0, 2)], [121, 0], "1,020 bytes of extra are taken");
    first.socket.destroy();
    await waitFor(() => server.names().every((e) => e.name !== "gurka"), "gurka to go with its connection");
    const lengths = Array.from({ length: 10_000 - 1020 }, (_, i) => 1021 + i);
    for (let i = 0; i < lengths.length; i += 250) {
      await Promise.all(
        lengths.slice(i, i + 250).map(async (n) => {
          const { data } = await exchange(server.port, [request(n)]);
          assert.ok(
            data.length === 0 || data.equals(Buffer.of(121, 1, 0, 99)),
            `extra of ${n}: ${data.toString("hex")}`,
          );
        }),
      );
    }
    await assertServes(server);
  });

  test("unicode_name and long_unicode_name (201 four-byte characters) register and come back", async () => {
    for (const name of [
      String.fromCodePoint(0x1f608),
      String.fromCodePoint(...Array.from({ length: 201 }, (_, i) => 0x1f600 + i)),
    ]) {
      const { answer, socket } = await registerRaw(server.port, alive2Request(4711, 72, 5, 5, name));
      assert.deepEqual([...answer.subarray(0, 2)], [121, 0]);
      const info = await portPlease(name, { port: server.port });
      assert.equal(info?.name, name);
      assert.equal(info?.port, 4711);
      socket.destroy();
      await waitFor(() => server.names().length === 0, "the unregistration");
    }
  });

  test("slow_get_port_nr: a PORT_PLEASE2_REQ arriving a byte at a time is answered", async () => {
    const alive = unique("slow");
    const registration = await register(alive, 1042, { port: server.port });
    const request = framed("z", alive);
    const outcome = await exchange(
      server.port,
      [...request].map((byte) => Buffer.of(byte)),
    );
    assert.equal(outcome.data[0], 119);
    assert.equal(outcome.data.readUInt16BE(2), 1042);
    await registration.close();
  });

  test("socket_reset_before_alive2_reply_is_written: no zombie registration", async () => {
    // Reset right after the request: whether or not the server registered it before the reset, it must go.
    const early = unique("test");
    await exchange(server.port, [alive2Request(4711, 77, 5, 5, early)], { reset: true });
    await waitFor(() => server.names().every((e) => e.name !== early), "no trace of the early reset");
    // Reset once registered and answered: the name must go, and be free to take again.
    const name = unique("test");
    const { socket } = await registerRaw(server.port, alive2Request(4711, 77, 5, 5, name));
    socket.resetAndDestroy();
    await waitFor(() => server.names().every((e) => e.name !== name), "the reset to unregister");
    const again = await register(name, 1, { port: server.port });
    await again.close();
  });

  test("bytes after a registration drop it", async () => {
    const alive = unique("chatty");
    const { socket } = await registerRaw(server.port, alive2Request(1, 77, 6, 6, alive));
    assert.ok(server.names().some((e) => e.name === alive));
    const closed = new Promise((resolve) => socket.on("close", resolve));
    socket.write(Buffer.of(0));
    await within(closed, DEADLINE_MS, "the server to hang up");
    await waitFor(() => server.names().every((e) => e.name !== alive), "the unregistration");
  });

  test("register_overflow: 1,000 names, dropped and registered again 10 times", async () => {
    const prefix = unique("foo");
    for (let round = 0; round < 10; round++) {
      const held = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => register(`${prefix}_${i + 1}`, 1000 + i + 1, { port: server.port })),
      );
      assert.equal(server.names().length, 1000);
      const order = round % 2 === 0 ? held : [...held].reverse();
      await Promise.all(order.map((registration) => registration.close()));
      await waitFor(() => server.names().length === 0, "every name to go", DEADLINE_MS);
    }
    await assertServes(server);
  });
});

describe("KILL_REQ", () => {
  test("refused with NO while a node is registered; OK and the server stops when none is", async () => {
    const server = await EpmdServer.start({ port: 0 });
    const registration = await register(unique("alive"), 1, { port: server.port });
    assert.equal((await exchange(server.port, [encodeKillRequest()])).data.toString(), "NO");
    await registration.close();
    await waitFor(() => server.names().length === 0, "the unregistration");
    assert.equal((await exchange(server.port, [encodeKillRequest()])).data.toString(), "OK");
    await within(server.closed, DEADLINE_MS, "the server to stop");
  });
});

describe("the registration learns that EPMD dropped it", () => {
  test("closed settles with DIST_EPMD when the server goes", async () => {
    const server = await EpmdServer.start({ port: 0 });
    const registration: EpmdRegistration = await register(unique("dropped"), 1, { port: server.port });
    await server.close();
    const why = await within(registration.closed, DEADLINE_MS, "closed");
    assert.ok(why instanceof DistError);
    assert.equal(why.code, "DIST_EPMD");
    await registration.close();
  });
});

describe("client errors and deadlines", () => {
  /** A fake EPMD that answers every connection with `reply` (then hangs up), or says nothing when undefined. */
  async function fake(reply?: Buffer): Promise<{ port: number; server: Server }> {
    const server = createServer((socket) => {
      socket.on("error", () => {});
      if (reply !== undefined) socket.end(reply);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as { port: number }).port, server };
  }

  function isEpmdError(error: unknown): boolean {
    return error instanceof DistError && error.code === "DIST_EPMD";
  }

  test("nobody listening: DIST_EPMD", async () => {
    const { port, server } = await fake();
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(register(unique("x"), 1, { port }), isEpmdError);
    await assert.rejects(portPlease("x", { port }), isEpmdError);
    await assert.rejects(names({ port }), isEpmdError);
  });

  test("a silent EPMD: DIST_EPMD at the deadline, for every operation", async (t) => {
    const { port, server } = await fake();
    t.after(() => {
      server.close();
    });
    const options = { port, timeoutMs: 100 };
    await assert.rejects(register(unique("x"), 1, options), /no answer/);
    await assert.rejects(portPlease("x", options), /no answer/);
    await assert.rejects(names(options), /no answer/);
  });

  test("malformed answers: DIST_EPMD", async (t) => {
    const cases: [string, Buffer, (port: number) => Promise<unknown>][] = [
      ["ALIVE2 answer cut short", Buffer.of(118, 0), (port) => register(unique("x"), 1, { port })],
      ["ALIVE2 answer with a wrong tag", Buffer.of(119, 0, 0, 0), (port) => register(unique("x"), 1, { port })],
      ["ALIVE2 answer with bytes after it", Buffer.of(121, 0, 0, 1, 7), (port) => register(unique("x"), 1, { port })],
      ["no PORT2 answer", Buffer.alloc(0), (port) => portPlease("x", { port })],
      ["PORT2 answer cut short", Buffer.of(119, 0, 0), (port) => portPlease("x", { port })],
      ["NAMES answer cut short", Buffer.of(0, 0), (port) => names({ port })],
    ];
    for (const [what, reply, run] of cases) {
      const { port, server } = await fake(reply);
      t.after(() => {
        server.close();
      });
      await assert.rejects(run(port), isEpmdError, what);
    }
  });

  test("ensureEpmd starts a server when nothing listens, and returns undefined when something does", async () => {
    const { port, server: squatter } = await fake();
    assert.equal(await ensureEpmd({ port }), undefined);
    await new Promise((resolve) => squatter.close(resolve));
    const started = await ensureEpmd({ port });
    assert.ok(started instanceof EpmdServer);
    assert.equal(started.port, port);
    assert.equal(await ensureEpmd({ port }), undefined);
    await started.close();
  });
});

describe("otter epmd", () => {
  test("serves in the foreground, says where, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "epmd", "--port", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const line = await within(
        new Promise<string>((resolve) => child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString()))),
        20_000,
        "the listening line",
      );
      const match = /^otter epmd: listening on 127\.0\.0\.1:(\d+)\n$/.exec(line);
      assert.ok(match, line);
      const port = Number(match[1]);
      const registration = await register(unique("cli"), 7, { port });
      assert.deepEqual(await names({ port }), [{ name: registration.alive, port: 7 }]);
      await registration.close();
      child.kill("SIGTERM");
      assert.equal(await within(exited, DEADLINE_MS, "otter epmd to exit"), 0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("a bad --port is a usage error", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "epmd", "--port", "x"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const status = await within(new Promise((resolve) => child.on("exit", resolve)), 20_000, "otter to exit");
    assert.equal(status, 2);
  });
});
