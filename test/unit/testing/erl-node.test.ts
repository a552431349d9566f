// ErlNode and startSystemEpmd: real distributed erl nodes on loopback, on a private epmd, that always go away.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { hostname } from "node:os";
import { after, before, describe, it } from "node:test";
import { atom, tuple } from "../../../src/term/index.ts";
import { ErlNode, freePort, type SystemEpmd, startSystemEpmd } from "../../../src/testing/index.ts";

/** The pid and every descendant pid (Linux /proc), e.g. beam.smp and its erl_child_setup. */
function processTree(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number),
  );
  return [pid, ...children.flatMap(processTree)];
}

/** Running means present and not a zombie (orphans reparented to a non-reaping init stay as zombies). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Waits until `condition` holds, checking every few ms, and fails after `ms`. */
async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("ErlNode on a private epmd", () => {
  const cookie = "otter_erl_node_test";
  let epmd: SystemEpmd;
  let a: ErlNode;
  let b: ErlNode;
  let short: ErlNode;
  let pinned: number;

  before(async () => {
    epmd = await startSystemEpmd();
    pinned = await freePort();
    [a, b, short] = await Promise.all([
      ErlNode.start({ epmdPort: epmd.port, cookie }),
      ErlNode.start({ epmdPort: epmd.port, cookie, distPort: pinned }),
      ErlNode.start({ epmdPort: epmd.port, nameDomain: "shortnames", name: `otter_short_${process.pid}` }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), short?.stop()]);
    await epmd?.stop();
  });

  it("names the nodes, on 127.0.0.1 or the short hostname, and reads their listen ports", async () => {
    assert.match(a.name, /^otter_test_\d+_\d+_[0-9a-f]{6}@127\.0\.0\.1$/);
    assert.equal(await a.eval("node()"), atom(a.name));
    assert.equal(a.cookie, cookie);
    assert.equal(await a.eval("erlang:get_cookie()"), atom(cookie));
    assert.equal(b.distPort, pinned);
    assert.equal(short.name, `otter_short_${process.pid}@${hostname().split(".")[0]}`);
    assert.equal(await short.eval("node()"), atom(short.name));
    assert.notEqual(short.cookie, cookie);
    // The private epmd has them registered at the ports read from erl.
    for (const node of [a, b, short]) {
      const [alive, host] = node.name.split("@");
      const answer = await a.eval(`erl_epmd:port_please("${alive}", "${host}")`);
      assert.deepEqual(answer, tuple(atom("port"), node.distPort, 6));
    }
  });

  it("evaluates expressions, with bindings, and decodes the values", async () => {
    assert.equal(await a.eval("6 * 7"), 42);
    assert.equal(await a.eval("1 bsl 70"), 1n << 70n);
    assert.deepEqual(await a.eval("{X + 1, [Y]}", { bindings: { X: 41, Y: atom("y") } }), tuple(43 - 1, [atom("y")]));
    assert.equal(a.otpRelease, "25");
  });

  it("turns an Erlang exception into ERL_RAISED with its class and reason, and keeps serving", async () => {
    await assert.rejects(a.eval("error({boom, 1})"), {
      name: "ErlError",
      code: "ERL_RAISED",
      erlClass: "error",
      erlReason: /^\{boom,1\}/,
    });
    await assert.rejects(a.eval("exit(bye)"), { code: "ERL_RAISED", erlClass: "exit", message: /bye/ });
    await assert.rejects(a.eval("timer:sleep(infinity)", { timeoutMs: 50 }), { code: "ERL_TIMEOUT" });
    assert.equal(await a.eval("ok"), atom("ok"));
  });

  it("connects the nodes over loopback distribution: ping is pong", async () => {
    assert.deepEqual(await a.eval("nodes()"), []);
    assert.equal(await a.eval(`net_adm:ping('${b.name}')`), atom("pong"));
    assert.deepEqual(await a.eval("nodes()"), [atom(b.name)]);
    assert.deepEqual(await b.eval("nodes()"), [atom(a.name)]);
    // A different cookie is refused.
    assert.equal(await a.eval(`net_adm:ping('${short.name}')`), atom("pang"));
  });

  it("stop() halts erl, leaves no OS process, refuses later evals, and is idempotent", async () => {
    const trees = [a, b, short].map((node) => processTree(node.osPid!));
    assert.ok(trees.every((tree) => tree.every(running)));
    await Promise.all([a.stop(), b.stop(), short.stop()]);
    await a.stop();
    assert.equal(a.alive, false);
    await assert.rejects(a.eval("1"), { code: "ERL_STOPPED" });
    for (const node of [a, b, short]) assert.throws(() => process.kill(node.osPid!, 0), /ESRCH/);
    await eventually(() => trees.flat().every((pid) => !running(pid)), 2000, "erl's children exit");

    const epmdPid = epmd.osPid!;
    await epmd.stop();
    await epmd.stop();
    assert.equal(running(epmdPid), false);
    assert.ok(await refused(epmd.port));
  });
});

describe("ErlNode failures", () => {
  it("stop() kills an erl that does not halt within the grace period", async (t) => {
    const epmd = await startSystemEpmd();
    t.after(() => epmd.stop());
    const node = await ErlNode.start({ epmdPort: epmd.port, stopGraceMs: 100 });
    t.after(() => node.stop());
    process.kill(node.osPid!, "SIGSTOP");
    const started = Date.now();
    await node.stop();
    assert.ok(Date.now() - started >= 100);
    assert.throws(() => process.kill(node.osPid!, 0), /ESRCH/);
  });

  it("says erl is missing, and epmd too", async () => {
    await assert.rejects(ErlNode.start({ erl: "/nonexistent/erl" }), { code: "ERL_MISSING", message: /erlang-nox/ });
    await assert.rejects(startSystemEpmd({ epmd: "/nonexistent/epmd" }), {
      code: "ERL_MISSING",
      message: /erlang-nox/,
    });
  });

  it("reports a node that cannot open its distribution listener as ERL_START", async (t) => {
    const epmd = await startSystemEpmd();
    t.after(() => epmd.stop());
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    t.after(() => taken.close());
    const distPort = (taken.address() as AddressInfo).port;
    await assert.rejects(ErlNode.start({ epmdPort: epmd.port, distPort }), { code: "ERL_START", message: /listen/ });
    // With epmdPort, erl does not start an epmd of its own: no EPMD there is a start failure, not a leaked daemon.
    await assert.rejects(ErlNode.start({ epmdPort: await freePort() }), { code: "ERL_START" });
  });
});
