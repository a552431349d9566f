// `otter start`'s configuration: the config file (JSON and Erlang terms), environment variables and flags, their
// precedence, the Erlang → JavaScript value mapping, and the one-line messages that name a bad setting.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type ApplicationKeys,
  applicationEnv,
  applicationVariable,
  ConfigError,
  type Environment,
  readStartConfig,
  type StartFlags,
} from "../../../src/cli/config.ts";
import { jsonErrorOffset } from "../../../src/cli/config-file.ts";
import { atom, Tuple } from "../../../src/index.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "otter-config-"));
});
after(() => rm(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `text` to a new file with extension `ext`; its path. */
async function file(ext: string, text: string): Promise<string> {
  const path = join(dir, `c${++files}${ext}`);
  await writeFile(path, text);
  return path;
}

const KV: ApplicationKeys = {
  name: "kv",
  env: { port: 0, label: "x", verbose: false, mode: atom("slow"), peers: [], limits: {}, anything: undefined },
};

async function config(flags: StartFlags, env: Environment = {}) {
  return readStartConfig(flags, env);
}

async function rejects(promise: Promise<unknown> | (() => unknown), message: string): Promise<void> {
  await assert.rejects(
    async () => (typeof promise === "function" ? promise() : promise),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.message, message);
      return true;
    },
  );
}

describe("node settings", () => {
  test("from a JSON file", async () => {
    const path = await file(".json", '{"node": {"sname": "demo", "cookie": "c", "distPort": 9100, "observer": 8080}}');
    const { node } = await config({ config: path });
    assert.deepEqual(node, { sname: "demo", cookie: "c", distPort: 9100, observer: 8080, hidden: false, log: "line" });
  });

  test("from Erlang terms, as sys.config writes them", async () => {
    const path = await file(
      ".config",
      "%% the node\n[{node, [{name, 'a@127.0.0.1'}, {hidden, true}, {observer, true}, {log, otp}]}].\n",
    );
    const { node } = await config({ config: path });
    assert.deepEqual(node, { name: "a@127.0.0.1", hidden: true, observer: 0, log: "otp" });
  });

  test("flags beat the environment, which beats the file, which beats the defaults", async () => {
    const path = await file(".json", '{"node": {"sname": "file", "distPort": 1, "cookie": "file"}}');
    const env = { OTTER_NAME: "env@127.0.0.1", OTTER_DIST_PORT: "2" };
    const all = await readStartConfig({ config: path, sname: "flag" }, env, { cookie: "default", log: "json" });
    assert.deepEqual(all.node, { sname: "flag", distPort: 2, cookie: "file", hidden: false, log: "json" });
    assert.equal(all.nameFrom, "--sname");
    const noFlag = await readStartConfig({ config: path }, env, { sname: "default" });
    assert.equal(noFlag.node.name, "env@127.0.0.1");
    assert.equal(noFlag.node.sname, undefined, "a long name from a higher source replaces a short one");
    assert.equal(noFlag.nameFrom, "environment: OTTER_NAME");
    assert.equal((await readStartConfig({}, {}, { sname: "default" })).nameFrom, "default");
    assert.equal((await config({}, { OTTER_SNAME: "" })).node.sname, undefined, "an empty variable is unset");
  });

  test("the observer: --observer alone, a port, or off", async () => {
    assert.equal((await config({ observer: "" })).node.observer, 0);
    assert.equal((await config({ observer: "8080" })).node.observer, 8080);
    assert.equal((await config({}, { OTTER_OBSERVER_PORT: "9000" })).node.observer, 9000);
    const off = await file(".json", '{"node": {"observer": false}}');
    assert.equal((await readStartConfig({ config: off }, {}, { observer: 0 })).node.observer, undefined);
  });

  test("--rebalance, OTTER_REBALANCE, or the file's rebalance: off unless set", async () => {
    assert.equal((await config({})).node.rebalance, undefined);
    assert.equal((await config({ rebalance: true })).node.rebalance, true);
    assert.equal((await config({}, { OTTER_REBALANCE: "1" })).node.rebalance, true);
    const on = await file(".config", "[{node, [{rebalance, true}]}].");
    assert.equal((await config({ config: on })).node.rebalance, true);
    const off = await file(".json", '{"node": {"rebalance": false}}');
    assert.equal((await config({ config: off })).node.rebalance, false);
    await rejects(
      config({}, { OTTER_REBALANCE: "yes" }),
      'environment: OTTER_REBALANCE must be true or false, got "yes"',
    );
  });

  test("--seeds, OTTER_SEEDS, or the file's seeds: node names for the membership --rebalance starts", async () => {
    const on = { rebalance: true };
    assert.equal((await config(on)).node.seeds, undefined);
    assert.deepEqual((await config({ ...on, seeds: "a@h, b@h.example" })).node.seeds, ["a@h", "b@h.example"]);
    assert.deepEqual((await config(on, { OTTER_SEEDS: "c@h" })).node.seeds, ["c@h"]);
    assert.deepEqual((await config({ ...on, seeds: "a@h" }, { OTTER_SEEDS: "c@h" })).node.seeds, ["a@h"]);
    const json = await file(".json", '{"node": {"rebalance": true, "seeds": ["a@h", "b@h"]}}');
    assert.deepEqual((await config({ config: json })).node.seeds, ["a@h", "b@h"]);
    const erl = await file(".config", '[{node, [{rebalance, true}, {seeds, [\'a@h\', <<"b@h">>, "c@h"]}]}].');
    assert.deepEqual((await config({ config: erl })).node.seeds, ["a@h", "b@h", "c@h"]);
    const what = "node names alive@host, comma-separated (in a file, also a list)";
    await rejects(config({ ...on, seeds: "a@h,b" }), `--seeds must be ${what}, got "a@h,b"`);
    await rejects(config(on, { OTTER_SEEDS: "@h" }), `environment: OTTER_SEEDS must be ${what}, got "@h"`);
    const empty = await file(".json", '{"node": {"rebalance": true, "seeds": []}}');
    await rejects(config({ config: empty }), `config ${empty}: node.seeds must be ${what}, got []`);
    await rejects(
      config({ seeds: "a@h" }),
      "seeds are set but rebalance is not: the cluster membership that connects to them starts with it",
    );
  });

  test("a bad value is named with its source and what it must be", async () => {
    const path = await file(".json", '{"node": {"distPort": "abc"}}');
    await rejects(config({ config: path }), `config ${path}: node.distPort must be an integer 0..65535, got "abc"`);
    await rejects(config({ distPort: "70000" }), '--dist-port must be an integer 0..65535, got "70000"');
    await rejects(
      config({}, { OTTER_DIST_PORT: "x" }),
      'environment: OTTER_DIST_PORT must be an integer 0..65535, got "x"',
    );
    await rejects(
      config({}, { OTTER_HIDDEN: "maybe" }),
      'environment: OTTER_HIDDEN must be true or false, got "maybe"',
    );
    await rejects(config({ log: "xml" }), '--log must be one of line, otp, json, got "xml"');
    const erl = await file(".config", '[{node, [{distPort, <<"9100">>}]}].');
    await rejects(config({ config: erl }), `config ${erl}: node.distPort must be an integer 0..65535, got <<"9100">>`);
  });

  test("an unknown key under node, and a name given twice", async () => {
    const path = await file(".json", '{"node": {"snmae": "x"}}');
    await rejects(
      config({ config: path }),
      `config ${path}: unknown key node.snmae (known: sname, name, cookie, distPort, address, hidden, observer, log, rebalance, seeds)`,
    );
    const both = await file(".json", '{"node": {"sname": "a", "name": "b@h.x"}}');
    await rejects(config({ config: both }), `config ${both}: node.sname and node.name cannot both be set`);
    await rejects(config({ sname: "a", name: "b@h.x" }), "--sname and --name cannot both be set");
  });

  test("a file that does not parse: its line and column", async () => {
    const json = await file(".json", '{\n  "node": {"sname": "x",}\n}');
    await rejects(config({ config: json }), `config ${json}: line 2, column 25: unexpected "}"`);
    const erl = await file(".config", "[{node,\n  [{sname demo}]}].");
    await rejects(config({ config: erl }), `config ${erl}: line 2, column 11: expected ',' or '}' in a tuple`);
    const shape = await file(".config", "[{node, sname}].");
    await rejects(
      config({ config: shape }),
      `config ${shape}: expected a list of {Application, [{Key, Value}, …]}, as sys.config has; got {node,sname}`,
    );
    const missing = join(dir, "missing.json");
    await rejects(config({ config: missing }), `config ${missing}: cannot read it (ENOENT)`);
    const yaml = await file(".yaml", "node: {}");
    await rejects(
      config({ config: yaml }),
      `config ${yaml}: unknown kind of file: use .json, or .config for Erlang terms`,
    );
  });
});

describe("application env", () => {
  test("flags beat the environment, which beats the file; the spec's defaults stay with Application.load", async () => {
    const path = await file(".json", '{"kv": {"port": 1, "label": "file"}}');
    const env = { OTTER_APP_KV_PORT: "2", OTTER_APP_KV_VERBOSE: "true" };
    assert.deepEqual(applicationEnv(await config({ config: path, set: ["kv.port=3"] }, env), KV), {
      port: 3,
      label: "file",
      verbose: true,
    });
    assert.deepEqual(applicationEnv(await config({ config: path }, env), KV), {
      port: 2,
      label: "file",
      verbose: true,
    });
    assert.deepEqual(applicationEnv(await config({}), KV), {});
  });

  test("Erlang terms become the kind of each key's default", async () => {
    const path = await file(
      ".config",
      `[{kv, [{port, 8080}, {label, "text"}, {verbose, true}, {mode, fast}, {peers, ['a@h', <<"b">>]},
              {limits, #{max => 3, name => <<"n">>}}, {anything, {tag, 1}}]}].`,
    );
    const env = applicationEnv(await config({ config: path }), KV);
    assert.deepEqual(
      { ...env, anything: undefined },
      {
        port: 8080,
        label: "text",
        verbose: true,
        mode: atom("fast"),
        peers: ["a@h", "b"],
        limits: { max: 3, name: "n" },
        anything: undefined,
      },
    );
    assert.ok(env.anything instanceof Tuple, "a tuple stays a term where no type is expected");
    const binary = await file(".config", '[{kv, [{label, <<"bin">>}, {limits, [{a, 1}]}]}].');
    assert.deepEqual(applicationEnv(await config({ config: binary }), KV), { label: "bin", limits: { a: 1 } });
  });

  test("text from flags and variables is read as the kind of the default", async () => {
    const env = { OTTER_APP_KV_PEERS: '["x"]', OTTER_APP_KV_MODE: "fast", OTTER_APP_KV_ANYTHING: "raw" };
    assert.deepEqual(applicationEnv(await config({ set: ['kv.limits={"a":1}', "kv.label=a=b"] }, env), KV), {
      peers: ["x"],
      mode: atom("fast"),
      anything: "raw",
      limits: { a: 1 },
      label: "a=b",
    });
  });

  test("a key the application does not declare, and a value of the wrong kind", async () => {
    await rejects(
      async () => applicationEnv(await config({ set: ["kv.prot=1"] }), KV),
      "--set kv.prot is not in application kv's env (known: port, label, verbose, mode, peers, limits, anything)",
    );
    const path = await file(".json", '{"kv": {"port": "8080"}}');
    await rejects(
      async () => applicationEnv(await config({ config: path }), KV),
      `config ${path}: kv.port must be a number, got "8080"`,
    );
    await rejects(
      async () => applicationEnv(await config({ set: ["kv.port=abc"] }), KV),
      '--set kv.port must be a number, got "abc"',
    );
    await rejects(
      async () => applicationEnv(await config({ set: ["kv.port=1"] }), { name: "kv" }),
      "--set kv.port is not in application kv's env (kv declares no env)",
    );
  });

  test("a variable or a section for no loaded application", async () => {
    await rejects(
      async () => applicationEnv(await config({}, { OTTER_APP_KV_PROT: "1" }), KV),
      "environment: OTTER_APP_KV_PROT names no application env key (kv's are OTTER_APP_KV_PORT, OTTER_APP_KV_LABEL, " +
        "OTTER_APP_KV_VERBOSE, OTTER_APP_KV_MODE, OTTER_APP_KV_PEERS, OTTER_APP_KV_LIMITS, OTTER_APP_KV_ANYTHING)",
    );
    const path = await file(".json", '{"other": {"port": 1}}');
    await rejects(
      async () => applicationEnv(await config({ config: path }), KV),
      `config ${path}: other.port: no application other is loaded (loaded: kv)`,
    );
    await rejects(
      async () => applicationEnv(await config({ set: ["kv.port=1"] }), undefined),
      "--set kv.port: no application kv is loaded (none is)",
    );
    await rejects(
      async () => applicationEnv(await config({}, { OTTER_APP_KV_PORT: "1" }), undefined),
      "environment: OTTER_APP_KV_PORT names no application env key (none is)",
    );
    await rejects(config({ set: ["kv"] }), '--set takes APP.KEY=VALUE, got "kv"');
  });

  test("variable names: upper case, camelCase and punctuation as _", () => {
    assert.equal(applicationVariable("kv", "chaosEveryMs"), "OTTER_APP_KV_CHAOS_EVERY_MS");
    assert.equal(applicationVariable("my-app", "http.port"), "OTTER_APP_MY_APP_HTTP_PORT");
  });
});

test("where JSON.parse gave up", () => {
  for (const [text, at] of [
    ['{"a": }', 6],
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['{"a": 1', 7],
    ['{"a": tru}', 6],
    ["[1,2,,3]", 5],
    ['{"a": "x}', 9],
    ["", 0],
    ['{"a": 1} x', 9],
  ] as const) {
    assert.equal(jsonErrorOffset(text), at, text);
  }
  const valid = '{"a": [1, {"b": null}], "c": "\\"q", "d": -1.5e3}';
  assert.equal(jsonErrorOffset(valid), valid.length, "valid JSON ends at its end");
});
