// An Elixir node and an Otter node: Elixir's `GenServer.call({name, node}, req)` reaches an Otter GenServer and
// `:rpc.call` runs an exported function. Debian's `elixir` must be installed: under CI (CI=true) a missing elixir
// fails the test (.ci/run installs it); elsewhere the test is skipped, and says so in its name.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { test } from "node:test";
import { atom, GenServer, type GenServerCallbacks, type Term } from "../../src/index.ts";
import { startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";

const haveElixir = spawnSync("elixir", ["--version"], { stdio: "ignore" }).status === 0;
const underCi = process.env.CI === "true";

test(`an Elixir node calls an Otter GenServer and rpc-calls an exported function${
  haveElixir || underCi ? "" : " (skipped: elixir is not installed and this is not CI)"
}`, { skip: !haveElixir && !underCi }, async (t) => {
  assert.ok(haveElixir, "elixir is missing: .ci/run installs Debian's elixir package");
  const cookie = `c${randomBytes(8).toString("hex")}`;
  const epmdPort = await freePort();
  const suffix = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const node = await startNode({
    name: `otter_ex_${suffix}@127.0.0.1`,
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
  });
  t.after(() => node.stop());
  const adder: GenServerCallbacks<number, number, Term, Term, Term> = {
    init: (_self, n) => ({ state: n }),
    handleCall: (_self, request, _from, n) => ({ reply: n + (request as number), state: n + (request as number) }),
  };
  await GenServer.start(node.runtime, adder, 10, { name: atom("adder") });
  node.exportModule("calc", { add: (_self, a, b) => (a as number) + (b as number) });

  const script = `
      otter = :"${node.name.name}"
      first = GenServer.call({:adder, otter}, 5)
      second = GenServer.call({:adder, otter}, 1)
      sum = :rpc.call(otter, :calc, :add, [2, 3])
      IO.puts("RESULT " <> inspect({first, second, sum, Node.list()}))`;
  const elixir = spawn(
    "elixir",
    [
      "--name",
      `elixir_${suffix}@127.0.0.1`,
      "--cookie",
      cookie,
      "--erl",
      "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}",
      "-e",
      script,
    ],
    { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => {
    if (elixir.exitCode === null && elixir.signalCode === null) elixir.kill("SIGKILL");
  });
  let out = "";
  elixir.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  elixir.stderr.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const deadline = setTimeout(() => elixir.kill("SIGKILL"), 20_000);
  const [code] = await once(elixir, "exit");
  clearTimeout(deadline);
  assert.equal(code, 0, `elixir exited with ${code}:\n${out}`);
  assert.match(out, new RegExp(`RESULT \\{15, 16, 5, \\[:"${node.name.name}"\\]\\}`), out);
});
