// `otter remsh` end to end, with inputs piped in: TypeScript on an Otter node (variables across inputs, regs(),
// i(), nodes(), loading a module file, an exception, multi-line input, .exit), Erlang on a real erl, and a node
// that cannot be reached.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { format, type Pid } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { otter } from "../support/cli.ts";
import { startNodeBesideErl, uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";

const TIMEOUT = { timeout: 90_000 };

/** The node's shell evaluators: one per open session. */
function evaluators(node: OtterNode): Pid[] {
  return node.runtime.processes().filter((p) => node.runtime.processInfo(p)?.currentFunction === "shellEvaluator");
}

test("otter remsh evaluates TypeScript on an Otter node, input after input", TIMEOUT, async (t) => {
  const epmdPort = await freePort();
  const cookie = uniqueCookie();
  const node = await startNode({ name: uniqueNodeName("remsh"), cookie, epmdPort, listen: { host: "127.0.0.1" } });
  t.after(() => node.stop());
  const dir = await mkdtemp(join(tmpdir(), "otter-remsh-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const module = join(dir, "greeter.ts");
  await writeFile(module, 'export function hello(who: string): string { return "hello " + who; }\n');
  const input = [
    "const answer: number = 6 * 7",
    "answer + 0",
    "regs()",
    "i()",
    "nodes()",
    'nodes("hidden")',
    `l(${JSON.stringify(module)})`,
    'node.code.current("greeter").hello("remsh")',
    "const o = {",
    "  doubled: answer * 2,",
    "}",
    "o",
    'throw new Error("on purpose")',
    "await Promise.resolve(answer)",
    ".exit",
    "answer",
  ].join("\n");
  const run = await otter(["remsh", node.name.name, "--cookie", cookie], { epmdPort, input });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`^Otter .* on node ${node.name.name.replace(/\./g, "\\.")}`));
  assert.match(run.stderr, /^Uncaught Error: on purpose\n {4}at shell:1:7$/m);
  const out = run.stdout;
  assert.match(out, /^undefined\n42\n/);
  assert.match(
    out,
    /\*\* Registered procs on node .*\nName +Pid +Current function +Reds +Msgs\nnet_kernel +<0\.\d+\.0>/,
  );
  assert.match(out, /\nrex +<0\.\d+\.0> /);
  assert.match(out, /\nPid +Registered +Current function +Status +Reds +Msgs +Memory\n/);
  assert.match(out, /shellEvaluator +running/);
  assert.match(out, /\nTotal: \d+ /);
  assert.match(out, /\n\[\]\n\[ 'otter_remsh_\d+@127\.0\.0\.1' \]\n/, "the shell's node is hidden");
  assert.match(out, /\n\{module,greeter\}\n'hello remsh'\n/);
  assert.match(out, /\nundefined\n\{ doubled: 84 \}\n42\n$/, "multi-line input; .exit ends the input");
  assert.equal(node.code.isLoaded("greeter"), module);
  await waitFor(() => evaluators(node).length === 0, "the shell session to end with its client", 10_000);
});

test("otter remsh evaluates Erlang on a BEAM node, bindings kept across inputs", TIMEOUT, async (t) => {
  const both = await startNodeBesideErl("remsh_erl");
  t.after(() => both.stop());
  const input = ["X = 6 * 7.", "X + 1.", 'io:format("out ~p~n", [X]).', "1 = 2.", "Y = [X,", "1].", "b()."].join("\n");
  const run = await otter(["remsh", both.erl.name, "--cookie", both.cookie], { epmdPort: both.epmdPort, input });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /^Eshell on node .* \(Erlang\/OTP \d+\)/);
  assert.match(run.stderr, /^\*\* exception error: no match of right hand side value 2$/m);
  assert.equal(run.stdout, "42\n43\nout 42\nok\n[42,1]\nX = 42\nY = [42,1]\nok\n");
});

test("a shell session used from erl ends when erl's node goes down", TIMEOUT, async (t) => {
  const both = await startNodeBesideErl("shell_from_erl");
  t.after(() => both.stop());
  const { node, erl } = both;
  const call = (source: string) => `rpc:call('${node.name.name}', otter_shell, eval, [S, "${source}"])`;
  const replies = await erl.eval(
    `begin S = make_ref(), {${call("const kept: number = 41")}, ${call("kept + 1")}, ${call("kept.x.y")}} end`,
  );
  assert.match(
    format(replies),
    /^\{\{ok,<<>>,<<"undefined">>\},\{ok,<<>>,<<"42">>\},\{error,<<>>,<<"Uncaught TypeError: Cannot read properties of undefined/,
  );
  assert.equal(evaluators(node).length, 1, "the session's evaluator waits for more");
  await erl.stop();
  await waitFor(() => evaluators(node).length === 0, "the session to end with its client's node", 10_000);
});

test("otter remsh to a node nobody runs: one line on stderr, exit 1", TIMEOUT, async (t) => {
  const epmdPort = await freePort();
  const node = await startNode({ name: uniqueNodeName("remsh_epmd"), cookie: uniqueCookie(), epmdPort });
  t.after(() => node.stop());
  const run = await otter(["remsh", uniqueNodeName("nobody"), "--cookie", uniqueCookie()], { epmdPort });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^otter: cannot reach nobody_\S+ \(.*\)\n$/);
  assert.equal(run.stdout, "");
});
