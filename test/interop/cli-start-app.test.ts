// `otter start … APP_MODULE`: an application module run as a node, configured from a file, the environment and
// flags; a real erl pings it and calls into it; SIGTERM stops it cleanly (its stop callbacks run, in order, and its
// EPMD name and connections go); a permanent application's end stops the node with status 1; a second signal
// exits at once; configuration errors exit 2 with one line naming the setting.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { names } from "../../src/dist/epmd/client.ts";
import { ensureEpmd } from "../../src/dist/epmd/server.ts";
import { atom } from "../../src/index.ts";
import { ErlNode, freePort } from "../../src/testing/erl-node.ts";
import { otter } from "../support/cli.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { OtterChild } from "../support/otter-child.ts";

const TIMEOUT = { timeout: 90_000 };
const GREETER = "test/fixtures/apps/greeter.ts";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "otter-start-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A node of the fixture application, named and configured by an Erlang-terms config file; up and running. */
async function startGreeter(t: Parameters<typeof tempDir>[0] & { after(fn: () => void): void }, extra: string[] = []) {
  const dir = await tempDir(t);
  const epmdPort = await freePort();
  // The test's own EPMD, so that it outlives the node and can say whether the node's name went.
  const epmd = await ensureEpmd({ port: epmdPort });
  t.after(() => epmd?.close());
  const cookie = uniqueCookie();
  const name = uniqueNodeName("cli_app");
  const trace = join(dir, "trace");
  const config = join(dir, "greeter.config");
  await writeFile(
    config,
    `[{node, [{name, '${name}'}, {cookie, '${cookie}'}, {address, "127.0.0.1"}]},
      {greeter, [{greeting, <<"Howdy">>}, {trace, ${JSON.stringify(trace)}}]}].\n`,
  );
  const child = OtterChild.start(t, ["start", "--config", config, ...extra, GREETER], {
    env: { ERL_EPMD_PORT: String(epmdPort) },
  });
  await child.waitFor(/application greeter is running/);
  return { child, name, cookie, epmdPort, trace };
}

test(
  "erl pings and calls an application started by otter start; SIGTERM runs its stop callbacks and exits 0",
  TIMEOUT,
  async (t) => {
    const { child, name, cookie, epmdPort, trace } = await startGreeter(t, ["--set", "greeter.greeting=Hi"]);
    const erl = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
    t.after(() => erl.stop());
    assert.equal(await erl.eval(`net_adm:ping('${name}')`), atom("pong"));
    const hello = await erl.eval(`rpc:call('${name}', greeter, hello, [<<"joe">>])`);
    assert.equal(Buffer.from(hello as Uint8Array).toString(), "Hi, joe", "the flag beats the config file");
    assert.equal(await erl.eval(`rpc:call('${name}', greeter, count, [])`), 1);
    assert.equal(await erl.eval(`rpc:call('${name}', greeter, count, [])`), 2);
    // The operator's tools on the same node: one expression, then a remote shell reading the application's env.
    const evaluated = await otter(
      ["eval", "--node", name, "--cookie", cookie, "runtime.whereis(atom('greeter_server')) !== undefined"],
      {
        epmdPort,
      },
    );
    assert.deepEqual([evaluated.code, evaluated.stdout], [0, "true\n"], evaluated.stderr);
    const shell = await otter(["remsh", name, "--cookie", cookie], {
      epmdPort,
      input: 'const env = Application.getAllEnv(runtime, "greeter")\nenv.greeting + "!"\n',
    });
    assert.equal(shell.code, 0, shell.stderr);
    assert.match(shell.stdout, /'Hi!'/);

    child.kill("SIGTERM");
    assert.equal(await child.exited, 0, child.output);
    assert.match(child.stdout, /stopping \(SIGTERM\)\n.*stopped \(SIGTERM\)\n$/);
    assert.deepEqual((await readFile(trace, "utf8")).split("\n"), ["prepStop", "terminate shutdown", "stop", ""]);
    const alive = name.slice(0, name.indexOf("@"));
    assert.ok(!(await names({ port: epmdPort })).some((entry) => entry.name === alive), "its EPMD name is gone");
    assert.equal(await erl.eval(`net_adm:ping('${name}')`), atom("pang"));
    assert.deepEqual(await erl.eval("nodes()"), [], "erl saw the connection close");
  },
);

test("a permanent application that ends stops the node: exit status 1, and why", TIMEOUT, async (t) => {
  const { child, name, cookie, epmdPort, trace } = await startGreeter(t);
  const erl = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
  t.after(() => erl.stop());
  await erl.eval(`rpc:call('${name}', greeter, crash, [])`);
  assert.equal(await child.exited, 1, child.output);
  assert.match(child.stderr, new RegExp(`otter: node ${name} stopped: application greeter terminated: killed\n$`));
  // The server's terminate runs as its supervisor's exit reaches it, beside (not in order with) the master's callbacks.
  const ran = (await readFile(trace, "utf8")).trimEnd().split("\n");
  assert.deepEqual(ran.sort(), ["prepStop", "stop", "terminate killed"]);
});

test("a second signal while the node stops exits at once, with 128 + the signal", TIMEOUT, async (t) => {
  const { child } = await startGreeter(t, ["--set", "greeter.slowStopMs=600000"]);
  child.kill("SIGTERM");
  await child.waitFor(/stopping \(SIGTERM\)/);
  child.kill("SIGINT");
  assert.equal(await child.exited, 130, child.output);
  assert.match(child.stderr, /SIGINT while stopping: exiting now/);
});

test("configuration errors exit 2 with one line naming the setting", TIMEOUT, async (t) => {
  const dir = await tempDir(t);
  const epmdPort = String(await freePort());
  const run = async (args: string[], files: Record<string, string> = {}, env: Record<string, string> = {}) => {
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    const child = OtterChild.start(t, ["start", ...args], { env: { ERL_EPMD_PORT: epmdPort, ...env } });
    return { code: await child.exited, stdout: child.stdout, stderr: child.stderr };
  };
  const name = uniqueNodeName("cli_config");
  const badPort = join(dir, "port.json");
  assert.deepEqual(
    await run(["--config", badPort, GREETER], { "port.json": `{"node": {"name": "${name}", "distPort": "abc"}}` }),
    {
      code: 2,
      stdout: "",
      stderr: `otter: config ${badPort}: node.distPort must be an integer 0..65535, got "abc"\n`,
    },
  );
  assert.deepEqual(await run(["--name", name, "--set", "greeter.colour=red", GREETER]), {
    code: 2,
    stdout: "",
    stderr: "otter: --set greeter.colour is not in application greeter's env (known: greeting, trace, slowStopMs)\n",
  });
  const unparsable = join(dir, "bad.config");
  assert.deepEqual(
    await run(["--name", name, "--config", unparsable, GREETER], { "bad.config": "[{greeter,\n [{greeting hi}]}]." }),
    {
      code: 2,
      stdout: "",
      stderr: `otter: config ${unparsable}: line 2, column 13: expected ',' or '}' in a tuple\n`,
    },
  );
  assert.deepEqual(await run(["--name", name, GREETER], {}, { OTTER_APP_GREETER_GRETING: "hi" }), {
    code: 2,
    stdout: "",
    stderr:
      "otter: environment: OTTER_APP_GREETER_GRETING names no application env key (greeter's are " +
      "OTTER_APP_GREETER_GREETING, OTTER_APP_GREETER_TRACE, OTTER_APP_GREETER_SLOW_STOP_MS)\n",
  });
});
