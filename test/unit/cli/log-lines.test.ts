// The `otter` command's log: one line an event, and one line a crash (not OTP's three reports of it).
import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { lineHandler } from "../../../src/cli/log-lines.ts";
import { atom, GenServer, type GenServerCallbacks, type Pid, Runtime, Supervisor, tuple } from "../../../src/index.ts";
import { waitFor } from "../../support/runtime.ts";

const WORKER = atom("worker");
const CRASH = atom("crash");
const THROW = atom("throw");

const worker: GenServerCallbacks<null> = {
  init: () => ({ state: null }),
  handleCast: (_self, message, state) => {
    if (message === THROW) throw new Error("boom");
    return { stop: tuple(atom("chaos"), "on purpose"), state };
  },
};

/** A runtime whose log lines are collected, with a supervised worker. */
async function supervised(t: { after(fn: () => void): void }) {
  const lines: string[] = [];
  const rt = new Runtime({ logger: lineHandler({ write: (line) => lines.push(line) }) });
  t.after(() => rt.shutdown());
  await Supervisor.start(
    rt,
    {
      init: () => ({
        flags: { intensity: 10 },
        children: [{ id: WORKER, start: (sup) => GenServer.startLink(sup, worker, undefined, { name: WORKER }) }],
      }),
    },
    undefined,
    { name: atom("sup") },
  );
  /** Crashes the worker with `how`; resolves once its supervisor has restarted it and every report is out. */
  const crash = async (how: (pid: Pid) => void) => {
    const before = rt.whereis(WORKER)!;
    how(before);
    await waitFor(() => {
      const now = rt.whereis(WORKER);
      return now !== undefined && now !== before;
    }, "the worker's restart");
    await turn();
    return lines.splice(0);
  };
  return { rt, lines, crash };
}

test("a supervised server's crash is one line: its terminate report, with the reason and the last message", async (t) => {
  const { rt, crash } = await supervised(t);
  const lines = await crash((pid) => GenServer.cast(rt, pid, CRASH));
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(
    lines[0]!,
    /^\d\d:\d\d:\d\d\.\d{3} error worker terminated: \{chaos,<<"on purpose">>\} \(handling \{'\$gen_cast',crash\}\)\n$/,
  );
});

test("a thrown error is its name, message and first frame", async (t) => {
  const { rt, crash } = await supervised(t);
  const lines = await crash((pid) => GenServer.cast(rt, pid, THROW));
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(lines[0]!, /error worker terminated: Error: boom \(at .+\) \(handling \{'\$gen_cast',throw\}\)\n$/);
});

test("a killed child, which reports nothing itself, gets its supervisor's line", async (t) => {
  const { rt, crash } = await supervised(t);
  const lines = await crash((pid) => rt.exit(pid, atom("kill")));
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(lines[0]!, /error supervisor \{local,sup\}: child terminated of worker \(<0\.\d+\.0>\): killed\n$/);
});

test("any other event: its text on one line", async () => {
  const lines: string[] = [];
  const rt = new Runtime({ logger: lineHandler({ write: (line) => lines.push(line) }) });
  rt.logger.warning("two\n  lines");
  await turn();
  rt.shutdown();
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} warning two lines\n$/);
});
