// Tests for the code server: loading modules from files and text (JavaScript and TypeScript), current and old
// versions, calls through a module's name, purge and soft purge of processes running old code, delete, failed
// and atomic loads, and installation in slices with the event loop turning between them.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { type CodeServer, startCodeServer } from "../../../src/code/index.ts";
import { type CodeError, ErrorCodes, GenServer, type GenServerCallbacks, type Pid, sys } from "../../../src/index.ts";
import { runtime, waitFor } from "../../support/runtime.ts";

const TIMEOUT = { timeout: 30_000 };

/** A code server on a fresh runtime, and a scratch folder for module files; both gone after the test. */
async function harness(
  t: TestContext,
): Promise<{ code: CodeServer; dir: string; rt: ReturnType<typeof runtime>["rt"] }> {
  const { rt } = runtime(t, { realClock: true });
  const code = startCodeServer(rt, { workers: 1 });
  const dir = await mkdtemp(join(tmpdir(), "otter-code-"));
  t.after(async () => {
    await code.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { code, dir, rt };
}

async function file(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The code a promise rejects with (undefined when it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as CodeError).code;
  }
}

function versionSource(n: number): string {
  return `export const version = ${n};\nexport function hello(who) { return "hello " + who + " from v" + version; }\n`;
}

describe("code server", () => {
  test("loads a module from a file and from text, and says where each came from", TIMEOUT, async (t) => {
    const { code, dir } = await harness(t);
    const path = await file(dir, "greeter.mjs", versionSource(1));
    const loaded = await code.load("greeter", { path });
    assert.deepEqual(loaded, { name: "greeter", serial: 1, file: path });
    assert.equal(code.current<{ hello(w: string): string }>("greeter").hello("joe"), "hello joe from v1");
    await code.load("adder", { source: "export const add = (a, b) => a + b;" });
    assert.equal(code.current<{ add(a: number, b: number): number }>("adder").add(2, 3), 5);
    assert.equal(code.which("greeter"), path);
    assert.equal(code.isLoaded("adder"), join(process.cwd(), "adder.js"));
    assert.equal(code.isLoaded("nothing"), false);
    assert.deepEqual(
      code
        .allLoaded()
        .map((m) => m.name)
        .sort(),
      ["adder", "greeter"],
    );
  });

  test("transpiles TypeScript, from a .ts file or when asked", TIMEOUT, async (t) => {
    const { code, dir } = await harness(t);
    const path = await file(dir, "typed.ts", "export function twice(n: number): number { return n * 2; }\n");
    await code.load("typed", { path });
    assert.equal(code.current<{ twice(n: number): number }>("typed").twice(21), 42);
    await code.load("typed2", { source: "export const id = <T,>(x: T): T => x;", typescript: true });
    assert.equal(code.current<{ id(x: number): number }>("typed2").id(7), 7);
  });

  test("a second load makes the first version old; a third waits for a purge", TIMEOUT, async (t) => {
    const { code } = await harness(t);
    const handle = code.module<{ hello(w: string): string; version: number }>("greeter");
    await code.load("greeter", { source: versionSource(1) });
    const v1 = code.current<{ hello(w: string): string }>("greeter");
    assert.equal(handle.hello("a"), "hello a from v1");
    await code.load("greeter", { source: versionSource(2) });
    assert.equal(handle.hello("a"), "hello a from v2", "a call through the name reaches the current version");
    assert.equal(v1.hello("a"), "hello a from v1", "the old version still runs for who holds it");
    assert.deepEqual([code.versions("greeter").current?.serial, code.versions("greeter").old?.serial], [2, 1]);
    assert.equal(await codeOf(code.load("greeter", { source: versionSource(3) })), ErrorCodes.CODE_NOT_PURGED);
    assert.equal(handle.version, 2);
    assert.equal(await code.purge("greeter"), false, "no process ran the old code");
    await code.load("greeter", { source: versionSource(3) });
    assert.equal(handle.version, 3);
  });

  test("purge kills the processes running old code; soft purge refuses while any do", TIMEOUT, async (t) => {
    const { code, rt } = await harness(t);
    const looper = `export async function loop(self) { for (;;) await self.receive(); }
export function start(rt) { return rt.spawn(async (self) => { for (;;) await self.receive(); }); }`;
    await code.load("looper", { source: looper });
    const m = code.module<{ loop: (self: unknown) => Promise<void>; start(rt: unknown): Pid }>("looper");
    const byExport = rt.spawn(code.current<{ loop: () => Promise<void> }>("looper").loop);
    const byClosure = m.start(rt);
    const unrelated = rt.spawn(async (self) => {
      for (;;) await self.receive();
    });
    await code.load("looper", { source: looper });
    const newer = rt.spawn(m.loop as never);
    assert.deepEqual(new Set(code.processesRunningOld("looper")), new Set([byExport, byClosure]));
    assert.equal(await code.softPurge("looper"), false);
    assert.ok(rt.isAlive(byExport) && rt.isAlive(byClosure));
    assert.equal(await code.purge("looper"), true);
    await waitFor(() => !rt.isAlive(byExport) && !rt.isAlive(byClosure), "the old code's processes to die");
    assert.ok(rt.isAlive(unrelated) && rt.isAlive(newer), "processes not running the old code live on");
    assert.equal(code.versions("looper").old, undefined);
    assert.equal(await code.softPurge("looper"), true);
  });

  test("delete makes the current version old: calls through the name fail", TIMEOUT, async (t) => {
    const { code } = await harness(t);
    await code.load("gone", { source: versionSource(1) });
    const handle = code.module<{ hello(w: string): string }>("gone");
    assert.equal(code.delete("gone"), true);
    assert.throws(() => handle.hello("x"), { code: ErrorCodes.CODE_NOT_LOADED });
    assert.equal(code.delete("gone"), false);
    assert.equal(code.which("gone"), undefined);
    assert.equal(await code.softPurge("gone"), true);
    assert.equal(code.delete("never"), false);
  });

  test("a load that fails leaves the current version serving, with a typed error", TIMEOUT, async (t) => {
    const { code, dir } = await harness(t);
    await code.load("m", { source: versionSource(1) });
    const handle = code.module<{ version: number }>("m");
    const failures = {
      syntax: await codeOf(code.load("m", { source: "export function (" })),
      throws: await codeOf(code.load("m", { source: "export const x = 1;\nthrow new Error('boom');" })),
      check: await codeOf(
        code.load("m", {
          source: versionSource(2),
          check: (exports) => {
            if (!("init" in exports)) throw new Error("no init");
          },
        }),
      ),
      missingFile: await codeOf(code.load("m", { path: join(dir, "nope.mjs") })),
      missingImport: await codeOf(
        code.load("m", { source: 'import { nope } from "node:path";\nexport const x = nope;' }),
      ),
      badName: await codeOf(code.load("", { source: "" })),
      both: await codeOf(code.load("m", { source: "", path: "x.js" })),
    };
    assert.deepEqual(failures, {
      syntax: ErrorCodes.CODE_BAD_MODULE,
      throws: ErrorCodes.CODE_LOAD_FAILED,
      check: ErrorCodes.CODE_LOAD_FAILED,
      missingFile: ErrorCodes.CODE_BAD_MODULE,
      missingImport: ErrorCodes.CODE_BAD_MODULE,
      badName: ErrorCodes.CODE_BAD_ARGUMENT,
      both: ErrorCodes.CODE_BAD_ARGUMENT,
    });
    assert.equal(handle.version, 1);
    assert.equal(code.versions("m").old, undefined, "no failed load made the current version old");
  });

  test("loadAll switches every module or none", TIMEOUT, async (t) => {
    const { code } = await harness(t);
    await code.loadAll([
      { name: "a", source: versionSource(1) },
      { name: "b", source: versionSource(1) },
    ]);
    const failed = codeOf(
      code.loadAll([
        { name: "a", source: versionSource(2) },
        { name: "b", source: "throw new Error('b is broken');" },
      ]),
    );
    assert.equal(await failed, ErrorCodes.CODE_LOAD_FAILED);
    assert.equal(code.current<{ version: number }>("a").version, 1, "a did not switch without b");
    await code.loadAll([
      { name: "a", source: versionSource(2) },
      { name: "b", source: versionSource(2) },
    ]);
    assert.deepEqual(
      [code.current<{ version: number }>("a").version, code.current<{ version: number }>("b").version],
      [2, 2],
    );
  });

  test("two loads of one module run one after the other", TIMEOUT, async (t) => {
    const { code } = await harness(t);
    await code.load("m", { source: versionSource(1) });
    const [second, third] = await Promise.allSettled([
      code.load("m", { source: versionSource(2) }),
      code.load("m", { source: versionSource(3) }),
    ]);
    assert.equal(second.status, "fulfilled");
    assert.equal(third.status === "rejected" && (third.reason as CodeError).code, ErrorCodes.CODE_NOT_PURGED);
    assert.equal(code.current<{ version: number }>("m").version, 2);
  });

  test("a module imports Node's built-ins, files beside it, and what the server was given", TIMEOUT, async (t) => {
    const { rt } = runtime(t, { realClock: true });
    const code = startCodeServer(rt, { workers: 1, modules: { "my-lib": { answer: 42 } } });
    t.after(() => code.stop());
    const dir = await mkdtemp(join(tmpdir(), "otter-code-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await file(dir, "helper.mjs", "export const helped = 'yes';\n");
    const path = await file(
      dir,
      "main.mjs",
      `import { basename } from "node:path";
import * as helper from "./helper.mjs";
import { answer } from "my-lib";
export const where = basename(import.meta.filename);
export const all = [helper.helped, answer];
export async function later() { return (await import("./helper.mjs")).helped; }\n`,
    );
    await code.load("main", { path });
    const m = code.current<{ where: string; all: unknown[]; later(): Promise<string> }>("main");
    assert.deepEqual([m.where, m.all, await m.later()], ["main.mjs", ["yes", 42], "yes"]);
  });

  test("stack traces name the module's file and its own line numbers", TIMEOUT, async (t) => {
    const { code, dir } = await harness(t);
    const lines = [
      "export function ok() { return 1; }",
      "",
      "export function fails() {",
      "  throw new Error('here');",
      "}",
    ];
    const path = await file(dir, "traced.mjs", `${lines.join("\n")}\n`);
    await code.load("traced", { path });
    const error = (() => {
      try {
        code.current<{ fails(): void }>("traced").fails();
      } catch (e) {
        return e as Error;
      }
    })();
    assert.match(error?.stack ?? "", new RegExp(`${path.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:4:`));
  });

  test("a large module installs across many event-loop turns", TIMEOUT, async (t) => {
    const { rt } = runtime(t, { realClock: true });
    const code = startCodeServer(rt, { workers: 1, segmentBytes: 2048, sliceMs: 0.5 });
    t.after(() => code.stop());
    const functions = Array.from(
      { length: 2000 },
      (_, i) => `export function f${i}(x) { return f${(i + 1) % 2000}.length + x + ${i}; }`,
    );
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    const loading = code.load("big", { source: functions.join("\n") });
    setImmediate(count);
    await loading;
    counting = false;
    const big = code.current<Record<string, (x: number) => number>>("big");
    assert.equal(big.f1999!(1), 1 + 1 + 1999, "a function reaches one in another segment");
    assert.ok(turns > 10, `the event loop turned ${turns} times during the load`);
  });

  test(
    "a GenServer started with a module's name takes new code at its next callback, and code_change migrates its state",
    TIMEOUT,
    async (t) => {
      const { code, rt } = await harness(t);
      const v1 = `export function init(self, start) { return { state: start }; }
export function handleCall(self, request, from, n) { return { reply: ["v1", n], state: n + 1 }; }`;
      const v2 = `export function init(self, start) { return { state: { count: start } }; }
export function handleCall(self, request, from, s) { return { reply: ["v2", s.count], state: { count: s.count + 1 } }; }
export function codeChange(oldVsn, n, extra) { return { count: n * extra }; }`;
      await code.load("counter", { source: v1 });
      const started = await GenServer.start(rt, code.module<GenServerCallbacks<unknown, number>>("counter"), 1);
      assert.ok("pid" in started);
      const pid = started.pid;
      const replies = await rt.run(async (self) => {
        assert.deepEqual(await GenServer.call(self, pid, "next"), ["v1", 1]);
        await sys.suspend(self, pid);
        await code.load("counter", { source: v2 });
        await sys.changeCode(self, pid, "counter", 1, 10);
        await sys.resume(self, pid);
        return [await GenServer.call(self, pid, "next"), await GenServer.call(self, pid, "next")];
      });
      assert.deepEqual(replies, [
        ["v2", 20],
        ["v2", 21],
      ]);
      assert.equal(await code.softPurge("counter"), true, "the server runs no old code between callbacks");
    },
  );
});
