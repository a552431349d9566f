// `otter eval`, `otter ping` and the command line's usage and exit codes: 0 done, 1 failed (one line on stderr,
// no stack trace), 2 a usage error (the message and the usage on stderr); against an Otter node and a real erl.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { otter } from "../support/cli.ts";
import { startNodeBesideErl, uniqueCookie, uniqueNodeName } from "../support/dist.ts";

const TIMEOUT = { timeout: 90_000 };

describe("otter eval and otter ping", () => {
  test("eval prints a value (exit 0) or the exception (exit 1), on an Otter node and on erl", TIMEOUT, async (t) => {
    const both = await startNodeBesideErl("cli_eval");
    t.after(() => both.stop());
    const { epmdPort, cookie } = both;
    const evalOn = (node: string, expression: string) =>
      otter(["eval", expression, "--node", node, "--cookie", cookie], { epmdPort });
    const otterNode = both.node.name.name;

    const sum = await evalOn(otterNode, "[1, 2, 3].reduce((a, b) => a + b) + (await Promise.resolve(0))");
    assert.deepEqual(sum, { code: 0, stdout: "6\n", stderr: "" });
    const printed = await evalOn(otterNode, 'console.log("printed"); tuple(atom("ok"), node.name)');
    assert.deepEqual(printed, { code: 0, stdout: `printed\n{ok,'${otterNode}'}\n`, stderr: "" });
    const thrown = await evalOn(otterNode, 'throw new RangeError("out of range")');
    assert.equal(thrown.code, 1);
    assert.equal(thrown.stdout, "");
    assert.match(thrown.stderr, /^Uncaught RangeError: out of range\n {4}at shell:1:7\n$/);
    const cut = await evalOn(otterNode, "(1 +");
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /^otter: the expression is incomplete: SyntaxError: Unexpected end of file/);

    assert.deepEqual(await evalOn(both.erl.name, "lists:sum([1, 2, 3])"), { code: 0, stdout: "6\n", stderr: "" });
    const badmatch = await evalOn(both.erl.name, "1 = 2.");
    assert.equal(badmatch.code, 1);
    assert.equal(badmatch.stderr, "** exception error: no match of right hand side value 2\n");
  });

  test(
    "ping says pong for an Otter node and for erl, pang for a node nobody runs or another cookie",
    TIMEOUT,
    async (t) => {
      const both = await startNodeBesideErl("cli_ping");
      t.after(() => both.stop());
      const ping = (node: string, cookie = both.cookie) =>
        otter(["ping", node, "--cookie", cookie], { epmdPort: both.epmdPort });
      assert.deepEqual(await ping(both.node.name.name), { code: 0, stdout: "pong\n", stderr: "" });
      assert.deepEqual(await ping(both.erl.name), { code: 0, stdout: "pong\n", stderr: "" });
      assert.deepEqual(await ping(uniqueNodeName("nobody")), { code: 1, stdout: "pang\n", stderr: "" });
      assert.equal((await ping(both.erl.name, uniqueCookie())).stdout, "pang\n");
    },
  );

  test("eval against a node that cannot be reached: one line, exit 1", TIMEOUT, async (t) => {
    const both = await startNodeBesideErl("cli_unreachable");
    t.after(() => both.stop());
    const run = await otter(["eval", "1", "--node", uniqueNodeName("gone"), "--cookie", both.cookie], {
      epmdPort: both.epmdPort,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^otter: cannot reach gone_\S+ \(.*\)\n$/);
  });
});

describe("usage and exit codes", () => {
  test("--help, help COMMAND and COMMAND --help print usage on stdout and exit 0", TIMEOUT, async () => {
    const all = await otter(["--help"]);
    assert.equal(all.code, 0);
    assert.match(all.stdout, /^usage: otter <command> \[options\]\n/);
    for (const command of ["remsh", "eval", "ping", "start", "load", "encode"]) {
      assert.match(all.stdout, new RegExp(`\n  ${command} `), command);
    }
    for (const args of [
      ["help", "remsh"],
      ["remsh", "--help"],
      ["remsh", "-h"],
    ]) {
      const one = await otter(args);
      assert.equal(one.code, 0, args.join(" "));
      assert.match(one.stdout, /^usage: otter remsh NODE\n\n {2}an interactive shell/);
      assert.equal(one.stderr, "");
    }
  });

  test("otter load of a file it cannot read says so in one line and exits 1", TIMEOUT, async () => {
    const run = await otter(["load", "/nonexistent/m.ts", "--node", "a@127.0.0.1"]);
    assert.deepEqual([run.code, run.stdout, run.stderr], [1, "", "otter: cannot read /nonexistent/m.ts: ENOENT\n"]);
  });

  test("a usage error prints the message and the usage on stderr and exits 2", TIMEOUT, async () => {
    const cases: [string[], RegExp][] = [
      [[], /^otter: no command given\n\nusage: otter <command>/],
      [["frobnicate"], /^otter: unknown command: frobnicate\n\nusage: otter <command>/],
      [["eval", "1"], /^otter: eval needs --node NAME@HOST\n\nusage: otter eval EXPR/],
      [["eval", "--node", "a@b"], /^otter: eval takes an expression\n\nusage: otter eval EXPR/],
      [["ping", "no-host"], /^otter: not a node name \(name@host\): no-host\n\nusage: otter ping NODE/],
      [["ping", "a@b", "--bogus"], /^otter: Unknown option '--bogus'.*\n\nusage: otter ping NODE/],
      [["help", "nothing"], /^otter: unknown command: nothing\n/],
      [["remsh"], /^otter: remsh takes one node name\n\nusage: otter remsh NODE/],
      [
        ["load", "m.ts", "--node", "no-host"],
        /^otter: not a node name \(name@host\): no-host\n\nusage: otter load PATH/,
      ],
    ];
    for (const [args, stderr] of cases) {
      const run = await otter(args);
      assert.equal(run.code, 2, `otter ${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, stderr);
    }
  });
});
