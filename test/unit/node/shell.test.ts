// Tests for the node-side shell: one session's variables across inputs, top-level await, TypeScript, values
// printed with Erlang terms in Erlang syntax, exceptions as error replies, the helpers (i, regs, processInfo,
// getState, l, pid, flush), completion, interrupting an input, and the ends of a session (idle, close).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { startCodeServer } from "../../../src/code/index.ts";
import { atom, GenServer, type GenServerCallbacks, type Process } from "../../../src/index.ts";
import { Shell } from "../../../src/node/shell.ts";
import type { Reply, ShellSession } from "../../../src/node/shell-session.ts";
import { runtime, waitFor } from "../../support/runtime.ts";

const TIMEOUT = { timeout: 30_000 };

/** A shell on a bare runtime with a code server, and one session of it; `run` evaluates an input. */
async function harness(t: TestContext, options: { idleMs?: number } = {}) {
  const { rt, clock } = runtime(t, { node: "shell@host", creation: 7 });
  const code = startCodeServer(rt, { workers: 1 });
  t.after(() => code.stop());
  const shell = new Shell({ name: rt.node, runtime: rt, code, nodes: () => [] }, options);
  const session = await shell.open("session-1");
  const run = (source: string): Promise<Reply> => rt.run((self: Process) => session.evaluate(self, source));
  const value = async (source: string): Promise<string> => {
    const reply = await run(source);
    assert.equal(reply.kind, "ok", `${source} → ${reply.text}`);
    return reply.text;
  };
  return { rt, clock, code, shell, session, run, value };
}

describe("shell", () => {
  test("declarations last across inputs; closures see later assignments", TIMEOUT, async (t) => {
    const { value } = await harness(t);
    assert.equal(await value("const x = 1"), "undefined");
    assert.equal(await value("x + 1"), "2");
    assert.equal(await value("let { a, b: [c, d = 4] } = { a: 1, b: [3] }"), "undefined");
    assert.equal(await value("[a, c, d]"), "[ 1, 3, 4 ]");
    assert.equal(await value("const get = () => x; x = 10; get()"), "10");
    assert.equal(await value("f(2); function f(n) { return n * 3 }"), "undefined", "a function is hoisted");
    assert.equal(await value("f(2)"), "6");
    assert.equal(await value("class Point { constructor(public x: number) {} }\nnew Point(5).x"), "5");
    assert.equal(await value("const x = 'again'; x"), "'again'", "a name may be declared again");
  });

  test("top-level await, TypeScript syntax, imports, and object literals", TIMEOUT, async (t) => {
    const { value } = await harness(t);
    assert.equal(await value("const n: number = await Promise.resolve(41)\nn + 1"), "42");
    assert.equal(await value("enum Color { Red, Green }\nColor.Green"), "1");
    assert.equal(await value("type Pair = [number, number]; const p: Pair = [1, 2]; p.length"), "2");
    assert.equal(await value("import { sep } from 'node:path'\nsep"), "'/'");
    assert.equal(await value("{ a: 1 }"), "{ a: 1 }");
    assert.equal(await value("`two\nlines`"), "'two\\nlines'");
  });

  test("Erlang terms print in Erlang syntax, also inside arrays and objects", TIMEOUT, async (t) => {
    const { value } = await harness(t);
    assert.equal(await value("tuple(atom('ok'), [1, 2])"), "{ok,[1,2]}");
    assert.equal(await value("[atom('a'), { who: pid(0, 5, 0) }]"), "[ a, { who: <0.5.0> } ]");
    assert.equal(await value("'text'"), "'text'");
    assert.equal(await value("console.log('seen', atom('x')); 3"), "3");
  });

  test("what an input prints comes before its value", TIMEOUT, async (t) => {
    const { run } = await harness(t);
    const reply = await run("console.log('seen', atom('x'), [tuple(1)]); 3");
    assert.deepEqual(reply, { kind: "ok", printed: "seen x [ {1} ]\n", text: "3" });
  });

  test("an exception is an error reply with its stack; the session goes on", TIMEOUT, async (t) => {
    const { run, value } = await harness(t);
    const thrown = await run("const before = 1\nthrow new TypeError('bad')");
    assert.equal(thrown.kind, "error");
    assert.match(thrown.text, /^Uncaught TypeError: bad\n {4}at shell:2:7$/);
    const undeclared = await run("notDeclared = 3");
    assert.equal(undeclared.kind, "error");
    assert.match(undeclared.text, /ReferenceError: notDeclared is not defined/, "strict mode: no accidental globals");
    assert.equal((globalThis as Record<string, unknown>).notDeclared, undefined);
    assert.match((await run("await Promise.reject(atom('nope'))")).text, /^Uncaught nope$/);
    assert.equal(await value("before"), "1", "declarations before the throw stay");
  });

  test("a syntax error is an error; an input cut short is incomplete", TIMEOUT, async (t) => {
    const { run } = await harness(t);
    const bad = await run("x = }");
    assert.equal(bad.kind, "error");
    assert.match(bad.text, /^SyntaxError: .* \(shell:1:5\)\n {2}x = \}\n {6}\^$/);
    for (const open of ["const o = {", "f(1,", "`template", "function g() {\n  return 1"]) {
      assert.equal((await run(open)).kind, "incomplete", open);
    }
    assert.equal((await run('"unterminated')).kind, "error", "a quoted string does not span lines");
  });

  test("i(), regs(), processInfo, getState and flush look at the node's processes", TIMEOUT, async (t) => {
    const { rt, run, value } = await harness(t);
    const counter: GenServerCallbacks<{ count: number }> = {
      init: () => ({ state: { count: 3 } }),
      handleCall: (_self, _request, _from, state) => ({ reply: state.count, state }),
    };
    await GenServer.start(rt, counter, undefined, { name: atom("counter") });
    const listing = await run("i()");
    assert.equal(listing.text, "ok");
    assert.match(listing.printed, /^Pid +Registered +Current function +Status +Reds +Msgs +Memory\n/);
    assert.match(listing.printed, /<0\.\d+\.0> +counter /);
    assert.match(listing.printed, /shellEvaluator +running/, "the shell's own process is listed");
    assert.match(listing.printed, /\nTotal: \d+ /);
    const names = await run("regs()");
    assert.match(names.printed, /^\*\* Registered procs on node shell@host \*\*\nName +Pid/);
    assert.match(names.printed, /\ncounter +<0\.\d+\.0>/);
    assert.equal(await value("(await processInfo('counter')).registeredName"), "counter");
    assert.equal(await value("(await processInfo(atom('counter'))).messageQueueLen"), "0");
    assert.equal(await value("await getState('counter')"), "{ count: 3 }");
    assert.equal(await value("await GenServer.call(self, atom('counter'), atom('get'))"), "3");
    assert.match((await run("processInfo('nobody')")).text, /no process is registered as nobody/);
    const flushed = await run("self.send(self.pid, tuple(atom('hello'), 1)); self.send(self.pid, 2); flush()");
    assert.equal(flushed.printed, "Shell got {hello,1}\nShell got 2\n");
    assert.equal(await value("pid(0, 42, 1)"), "<0.42.1>");
    assert.match((await run("pid(1, 2, 3)")).text, /RangeError/);
  });

  test("l(path) loads a module into the code server, and l(name) reloads it", TIMEOUT, async (t) => {
    const { code, value } = await harness(t);
    const dir = await mkdtemp(join(tmpdir(), "otter-shell-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "greeter.ts");
    await writeFile(path, 'export function hello(who: string): string { return "hi " + who; }\n');
    assert.equal(await value(`l(${JSON.stringify(path)})`), "{module,greeter}");
    assert.equal(await value("node.code.current('greeter').hello('joe')"), "'hi joe'");
    await writeFile(path, 'export function hello(who: string): string { return "hello " + who; }\n');
    assert.equal(await value("load('greeter')"), "{module,greeter}");
    assert.equal(code.current<{ hello(w: string): string }>("greeter").hello("ann"), "hello ann");
  });

  test("completion: session variables, helpers, exports, properties, registered names", TIMEOUT, async (t) => {
    const { rt, session, value } = await harness(t);
    await value("const myCounter = 1");
    rt.register(
      atom("my_server"),
      rt.spawn(async (self) => void (await self.receive())),
    );
    assert.deepEqual(session.complete("myC"), { words: ["myCounter"], prefix: "myC" });
    assert.ok(session.complete("1 + reg").words.includes("regs"));
    assert.ok(session.complete("GenS").words.includes("GenServer"));
    assert.ok(session.complete("runtime.proc").words.includes("processInfo"));
    assert.deepEqual(session.complete("getState('my_s"), { words: ["my_server'"], prefix: "my_s" });
    assert.ok(session.complete("Prom").words.includes("Promise"), "JavaScript's globals too");
  });

  test("an interrupt kills the input's process; the next input gets a new one, variables kept", TIMEOUT, async (t) => {
    const { rt, session, run, value } = await harness(t);
    await value("const kept = 'yes'");
    const first = await value("self.pid");
    const stuck = run("await self.receive(() => false)");
    await waitFor(() => session.interrupt(), "the input to be running");
    assert.deepEqual(await stuck, { kind: "error", printed: "", text: "** exception exit: killed" });
    assert.equal(session.interrupt(), false, "nothing runs after the kill");
    assert.notEqual(await value("self.pid"), first);
    assert.equal(await value("kept"), "'yes'");
    assert.equal(session.interrupt(), false, "nothing runs now");
    assert.ok(rt.processCount > 0);
  });

  test("a session ends when idle too long, or when closed", TIMEOUT, async (t) => {
    const { clock, shell, session, value } = await harness(t, { idleMs: 60_000 });
    await value("1");
    assert.equal(shell.size, 1);
    clock.advance(59_000);
    await value("2");
    clock.advance(59_000);
    assert.equal(shell.size, 1, "each input starts the idle time again");
    clock.advance(2_000);
    await waitFor(() => shell.size === 0, "the idle session to end");
    const other: ShellSession = await shell.open("session-2");
    assert.notEqual(other, session);
    other.close();
    assert.equal(shell.size, 0);
  });
});
