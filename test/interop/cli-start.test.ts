// `npx otter start --name … --cookie …`: a node a real erl can ping, that stops cleanly on SIGTERM.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { test } from "node:test";
import { atom } from "../../src/index.ts";
import { ErlNode, freePort } from "../../src/testing/erl-node.ts";

test("otter start runs a node erl can ping, until SIGTERM; it exits 0", async (t) => {
  const epmdPort = await freePort();
  const cookie = `c${randomBytes(8).toString("hex")}`;
  const name = `cli_${process.pid}_${randomBytes(3).toString("hex")}@127.0.0.1`;
  const child = spawn(
    process.execPath,
    ["bin/otter.js", "start", "--name", name, "--cookie", cookie, "--address", "127.0.0.1"],
    { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no "is up" within 20 s: ${out}`)), 20_000);
    child.stdout.on("data", (d: string) => {
      out += d;
      if (out.includes("is up")) {
        clearTimeout(deadline);
        resolve();
      }
    });
  });
  const erl = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
  t.after(() => erl.stop());
  assert.equal(await erl.eval(`net_adm:ping('${name}')`), atom("pong"));
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0, out);
  assert.match(out, /stopped \(SIGTERM\)/);
});
