// Loading code into a running Otter node from outside: a real erl calling Erlang's `code` module on it over
// distribution (load_binary, which, is_loaded, purge, the error reasons), and `otter load` from the command line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { format } from "../../src/index.ts";
import { startNodeBesideErl } from "../support/dist.ts";

const TIMEOUT = { timeout: 60_000 };

function greeter(version: number): string {
  return `export function hello(self, who) { return "v${version} hello " + Buffer.from(who).toString(); }\n`;
}

test("erl loads a module into an Otter node with code:load_binary and calls it", TIMEOUT, async (t) => {
  const both = await startNodeBesideErl("code_load");
  t.after(() => both.stop());
  const { node, erl } = both;
  const target = `'${node.name.name}'`;
  const rpc = (call: string) => erl.eval(`rpc:call(${target}, ${call})`);
  const load = (source: string) =>
    rpc(`code, load_binary, [greeter, "/virtual/greeter.mjs", <<${JSON.stringify(source)}/utf8>>]`);
  assert.equal(format(await load(greeter(1))), "{module,greeter}");
  assert.deepEqual(Buffer.from((await rpc(`greeter, hello, [<<"joe">>]`)) as Uint8Array).toString(), "v1 hello joe");
  assert.equal(format(await rpc("code, is_loaded, [greeter]")), '{file,"/virtual/greeter.mjs"}');
  assert.equal(format(await rpc("code, which, [nothing]")), "non_existing");
  assert.equal(format(await load(greeter(2))), "{module,greeter}");
  assert.equal(format(await load(greeter(3))), "{error,not_purged}");
  assert.equal(await rpc("code, purge, [greeter]"), false, "no process ran the old version");
  assert.equal(format(await load("export function (")), "{error,badfile}");
  assert.equal(format(await load("throw new Error('no');")), "{error,on_load_failure}");
  assert.equal(Buffer.from((await rpc(`greeter, hello, [<<"ann">>]`)) as Uint8Array).toString(), "v2 hello ann");
  assert.equal(format(await rpc("greeter, nope, []")), "{badrpc,{'EXIT',{undef,[{greeter,nope,[],[]}]}}}");
  assert.ok((node.code.allLoaded().map((m) => m.name) as string[]).includes("greeter"));
  assert.equal(await rpc("code, delete, [greeter]"), true);
  assert.equal(await rpc("code, soft_purge, [greeter]"), true);
  assert.equal(node.code.isLoaded("greeter"), false);
});

test(
  "otter load loads a file into a running node, again after a change, and refuses a broken one",
  TIMEOUT,
  async (t) => {
    const both = await startNodeBesideErl("cli_load");
    t.after(() => both.stop());
    const dir = await mkdtemp(join(tmpdir(), "otter-load-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "greeter.ts");
    const otterLoad = async (...extra: string[]) => {
      const args = ["bin/otter.js", "load", path, "--node", both.node.name.name, "--cookie", both.cookie, ...extra];
      const child = spawn(process.execPath, args, {
        env: { ...process.env, ERL_EPMD_PORT: String(both.epmdPort) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      const [code] = await once(child, "exit");
      return { code: code as number, out };
    };
    const hello = () =>
      both.node.code
        .current<{ hello(self: unknown, who: Uint8Array): string }>("greeter")
        .hello(undefined, Buffer.from("x"));
    await writeFile(path, 'export function hello(self: unknown, who: Uint8Array): string { return "v1 " + who; }\n');
    const first = await otterLoad();
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /loaded greeter/);
    assert.equal(hello(), "v1 x");
    await writeFile(path, 'export function hello(self: unknown, who: Uint8Array): string { return "v2 " + who; }\n');
    const second = await otterLoad();
    assert.equal(second.code, 0, second.out);
    assert.equal(hello(), "v2 x");
    await writeFile(path, "export function hello(: {\n");
    const broken = await otterLoad("--module", "greeter");
    assert.equal(broken.code, 1, broken.out);
    assert.match(broken.out, /refused greeter: \{error,badfile\}/);
    assert.equal(hello(), "v2 x", "the running version serves on");
  },
);
