// The `npm start` demo, as npm runs it: it prints where its HTTP API and observer are; PUT and GET work, and so
// does rpc from another node; its chaos monkey crashes and is restarted, one log line a crash; SIGINT stops it
// cleanly after answering a request it had accepted, and it exits 0.
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { test } from "node:test";
import { format } from "../../src/index.ts";
import { startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { OtterChild } from "../support/otter-child.ts";

test("the demo serves its HTTP API and rpc, shows a restart, and stops on SIGINT without losing a request", {
  timeout: 120_000,
}, async (t) => {
  const epmdPort = await freePort();
  const demo = OtterChild.start(t, ["demo"], {
    source: true,
    env: { ERL_EPMD_PORT: String(epmdPort), OTTER_APP_KV_CHAOS_EVERY_MS: "500" },
  });
  await demo.waitFor(/Stop it with Ctrl-C/, "stdout", 60_000);
  const [, http] = demo.stdout.match(/curl (http:\/\/127\.0\.0\.1:\d+)\/kv\n/)!;
  const [, observer] = demo.stdout.match(/observer +(\S+)/)!;
  const [, name] = demo.stdout.match(/node (demo@\S+) runs/)!;
  const [, cookie] = demo.stdout.match(/-setcookie (\S+)/)!;

  const put = await fetch(`${http}/kv/greeting`, { method: "PUT", body: "hello" });
  assert.equal(put.status, 200);
  assert.equal(await (await fetch(`${http}/kv/greeting`)).text(), "hello");
  assert.deepEqual(await (await fetch(`${http}/kv`)).json(), { greeting: "hello" });
  assert.equal((await fetch(`${http}/kv/nothing`)).status, 404);
  assert.equal((await fetch(observer!)).status, 200, `the observer at ${observer}`);

  const other = await startNode({ sname: `probe_${process.pid}`, cookie, epmdPort, embeddedEpmd: false });
  t.after(() => other.stop());
  assert.equal(format(await other.rpc.call(name!, "kv", "get", [Buffer.from("greeting")])), '{ok,<<"hello">>}');
  assert.equal(format(await other.rpc.call(name!, "kv", "put", [Buffer.from("n"), 42])), "ok");
  assert.equal(await (await fetch(`${http}/kv/n`)).text(), "42");

  // A second crash line means a restarted monkey crashed: its supervisor restarted it.
  await demo.waitFor(
    /chaos_monkey terminated: \{chaos,<<"a crash on purpose">>\} \(handling timeout\)\n(.*\n)*.*chaos_monkey terminated/,
    "stderr",
  );
  const monkeyLines = demo.stderr.split("\n").filter((line) => /chaos|crashed|supervisor/.test(line));
  assert.ok(monkeyLines.length >= 2, demo.stderr);
  for (const line of monkeyLines) assert.match(line, /error chaos_monkey terminated/, "one line a crash");

  // A request whose headers the server has taken (it said 100 Continue), its body still to come.
  const accepted = request(`${http}/kv/late`, {
    method: "PUT",
    headers: { expect: "100-continue", "content-length": "5" },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    accepted.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    accepted.on("error", reject);
  });
  await new Promise((resolve) => accepted.once("continue", resolve));
  demo.kill("SIGINT");
  await demo.waitFor(/stopping \(SIGINT\)/);
  await refusesConnections(http!);
  accepted.end("later");
  assert.deepEqual(await answered, { status: 200, body: "ok\n" });
  assert.equal(await demo.exited, 0, demo.output);
  assert.match(demo.stdout, /stopped \(SIGINT\)\n$/);
});

/** Resolves once `url` refuses new connections (the server stopped listening); rejects after 10 s. */
async function refusesConnections(url: string): Promise<void> {
  const { port } = new URL(url);
  const deadline = Date.now() + 10_000;
  while (await connects(Number(port))) {
    if (Date.now() > deadline) throw new Error(`${url} still accepts connections`);
  }
}

/**
 * Whether a connection to 127.0.0.1:`port` may still be accepted (it is closed at once); false when refused. A
 * connection reset while the server's listening socket closes counts as "still accepting": the next try tells.
 */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED") resolve(false);
      else if (error.code === "ECONNRESET") resolve(true);
      else reject(error);
    });
  });
}
