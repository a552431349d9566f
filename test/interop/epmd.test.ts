// EPMD against the reference: our client with OTP's epmd (and erl looking at it), real erl nodes with our server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { EpmdRefusedError, names, portPlease, register } from "../../src/dist/epmd/client.ts";
import { EpmdServer } from "../../src/dist/epmd/server.ts";
import { atom } from "../../src/index.ts";
import { ErlNode, type SystemEpmd, startSystemEpmd } from "../../src/testing/index.ts";
import { waitFor, within } from "../support/runtime.ts";

const DEADLINE_MS = 10_000;
const unique = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`;
const aliveOf = (node: ErlNode) => node.name.slice(0, node.name.indexOf("@"));

/** Resolves once `condition()` (a question to EPMD, so each turn waits for its answer) holds; fails past the deadline. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`timed out after ${DEADLINE_MS} ms waiting for ${what}`);
  }
}

/** The alive names an erl sees through `net_adm:names()`, as strings. */
async function namesSeenBy(erl: ErlNode): Promise<string[]> {
  const listed = await erl.eval("{ok, Names} = net_adm:names(), [unicode:characters_to_binary(N) || {N, _} <- Names]");
  assert.ok(Array.isArray(listed));
  return listed.map((name) => Buffer.from(name as Uint8Array).toString("utf8"));
}

describe("our client against OTP's epmd", () => {
  let epmd: SystemEpmd;
  before(async () => {
    epmd = await startSystemEpmd();
  });
  after(() => epmd?.stop());

  test("register, port please, names; the name goes with the connection", async () => {
    const alive = unique("otter_bär😈");
    const extra = Buffer.from("ABC\0\0");
    const registration = await register(alive, 5555, { port: epmd.port, extra });
    assert.ok(registration.creation >= 4 && registration.creation < 2 ** 32, `creation ${registration.creation}`);
    assert.deepEqual(await portPlease(alive, { port: epmd.port }), {
      port: 5555,
      nodeType: 77,
      protocol: 0,
      highestVersion: 6,
      lowestVersion: 6,
      name: alive,
      extra: new Uint8Array(extra),
    });
    assert.deepEqual(
      (await names({ port: epmd.port })).filter((entry) => entry.name === alive),
      [{ name: alive, port: 5555 }],
    );
    await registration.close();
    await until(async () => !(await names({ port: epmd.port })).some((e) => e.name === alive), "epmd to drop the name");
    assert.equal(await portPlease(alive, { port: epmd.port }), undefined);
  });

  test("a hidden registration is type 72", async () => {
    const alive = unique("otter_hidden");
    const registration = await register(alive, 5556, { port: epmd.port, hidden: true });
    assert.equal((await portPlease(alive, { port: epmd.port }))?.nodeType, 72);
    await registration.close();
  });

  test("epmd refuses a duplicate name: EpmdRefusedError", async () => {
    const alive = unique("otter_dup");
    const registration = await register(alive, 5557, { port: epmd.port });
    await assert.rejects(register(alive, 5558, { port: epmd.port }), EpmdRefusedError);
    await registration.close();
  });

  test("epmd numbers a name's registrations one apart, as our server does", async () => {
    const alive = unique("otter_cr");
    const first = await register(alive, 5559, { port: epmd.port });
    await first.close();
    await until(async () => (await portPlease(alive, { port: epmd.port })) === undefined, "epmd to drop the name");
    const second = await register(alive, 5559, { port: epmd.port });
    assert.equal(second.creation, first.creation + 1);
    await second.close();
  });

  test("erl's net_adm:names() sees our registration, and we find erl", async () => {
    const alive = unique("otter_seen");
    const registration = await register(alive, 5560, { port: epmd.port });
    const erl = await ErlNode.start({ epmdPort: epmd.port });
    try {
      assert.ok((await namesSeenBy(erl)).includes(alive));
      const info = await portPlease(aliveOf(erl), { port: epmd.port });
      assert.equal(info?.port, erl.distPort);
      assert.equal(info?.nodeType, 77);
      assert.equal(info?.highestVersion, 6);
    } finally {
      await erl.stop();
      await registration.close();
    }
  });
});

describe("erl nodes with our embedded EPMD", () => {
  const NOW_MS = 1_700_000_000_000;
  let server: EpmdServer;
  before(async () => {
    server = await EpmdServer.start({ port: 0, now: () => NOW_MS });
  });
  after(() => server?.close());

  test("erl registers with us: port please, names, OTP's `epmd -names` find it; its creation is the one we gave", async () => {
    const erl = await ErlNode.start({ epmdPort: server.port });
    const alive = aliveOf(erl);
    try {
      const info = await portPlease(alive, { port: server.port });
      assert.equal(info?.port, erl.distPort);
      assert.equal(info?.nodeType, 77);
      assert.equal(info?.protocol, 0);
      assert.equal(info?.highestVersion, 6);
      assert.ok(info !== undefined && info.lowestVersion <= 6);
      assert.ok((await names({ port: server.port })).some((e) => e.name === alive && e.port === erl.distPort));
      assert.equal(await erl.eval("erlang:system_info(creation)"), NOW_MS / 1000 + 1);
      assert.ok((await namesSeenBy(erl)).includes(alive));
      const { stdout } = await within(
        promisify(execFile)("epmd", ["-port", `${server.port}`, "-names"]),
        DEADLINE_MS,
        "epmd -names",
      );
      assert.match(stdout, new RegExp(`^name ${alive} at port ${erl.distPort}$`, "m"));
    } finally {
      await erl.stop();
    }
    await waitFor(() => server.names().every((e) => e.name !== alive), "erl's name to go when it stops", DEADLINE_MS);
  });

  test("a second erl pings the first through our EPMD", async () => {
    const cookie = randomBytes(16).toString("hex");
    const [first, second] = await Promise.all([
      ErlNode.start({ epmdPort: server.port, cookie }),
      ErlNode.start({ epmdPort: server.port, cookie }),
    ]);
    try {
      assert.equal(await second.eval(`net_adm:ping('${first.name}')`), atom("pong"));
      assert.equal(await first.eval(`lists:member('${second.name}', nodes())`), true);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
