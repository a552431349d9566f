// The observer's processes page of a local node: sorted, filtered and paged server-side, pid order read without
// reading every process, and a random sample (flagged `sampled`) past READ_CAP processes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { atom, type Pid, type Process, type Runtime } from "../../../src/index.ts";
import type { ProcessPage } from "../../../src/observe/protocol.ts";
import { localProcessPage, READ_CAP } from "../../../src/observe/views/local-processes.ts";
import type { ProcessesView } from "../../../src/observe/views/process-page.ts";
import { runtime } from "../../support/runtime.ts";

function view(overrides: Partial<ProcessesView> = {}): ProcessesView {
  return { kind: "processes", sort: "pid", descending: false, filter: "", offset: 0, limit: 100, ...overrides };
}

function page(rt: Runtime, overrides: Partial<ProcessesView> = {}): Promise<ProcessPage> {
  return localProcessPage(rt, view(overrides), { node: rt.node, creation: rt.creation });
}

/** A process that keeps `queued` messages in its queue, named `name` when given. */
function holder(rt: Runtime, queued: number, name?: string): Pid {
  const pid = rt.spawn(
    async function holdsMessages(self: Process) {
      await self.receive((m) => m === atom("never"));
    },
    name === undefined ? undefined : { name: atom(name) },
  );
  for (let i = 0; i < queued; i++) rt.send(pid, i);
  return pid;
}

describe("the processes page", () => {
  test("pages in pid order, both ways, with the total", async (t) => {
    const { rt } = runtime(t);
    for (let i = 0; i < 25; i++) holder(rt, 0);
    await rt.idle();
    const first = await page(rt, { limit: 10 });
    assert.equal(first.total, 25);
    assert.equal(first.sampled, false);
    assert.deepEqual(
      first.rows.map((r) => r.pid),
      Array.from({ length: 10 }, (_, i) => `<0.${i + 1}.0>`),
    );
    const last = await page(rt, { offset: 20, limit: 10 });
    assert.deepEqual(
      last.rows.map((r) => r.pid),
      ["<0.21.0>", "<0.22.0>", "<0.23.0>", "<0.24.0>", "<0.25.0>"],
    );
    const descending = await page(rt, { descending: true, limit: 2 });
    assert.deepEqual(
      descending.rows.map((r) => r.pid),
      ["<0.25.0>", "<0.24.0>"],
    );
  });

  test("sorts by queue length and memory, and filters by name, pid or current function", async (t) => {
    const { rt } = runtime(t);
    for (let i = 0; i < 10; i++) holder(rt, 0);
    const busy = holder(rt, 50, "busy_one");
    holder(rt, 5, "fairly_busy");
    await rt.idle();
    const byQueue = await page(rt, { sort: "messageQueueLen", descending: true, limit: 2 });
    assert.deepEqual(
      byQueue.rows.map((r) => [r.name, r.messageQueueLen]),
      [
        ["busy_one", 50],
        ["fairly_busy", 5],
      ],
    );
    const byMemory = await page(rt, { sort: "memory", descending: true, limit: 1 });
    assert.equal(byMemory.rows[0]!.name, "busy_one", "the longest queue holds the most memory");
    const named = await page(rt, { filter: "BUSY", sort: "name" });
    assert.deepEqual(
      named.rows.map((r) => r.name),
      ["busy_one", "fairly_busy"],
    );
    assert.equal(named.total, 2);
    const byName = await page(rt, { sort: "name", descending: true, limit: 3 });
    assert.deepEqual(
      byName.rows.map((r) => r.name),
      ["fairly_busy", "busy_one", null],
      "named processes first, either way",
    );
    const byPid = await page(rt, { filter: `<0.${busy.id}.` });
    assert.deepEqual(
      byPid.rows.map((r) => r.name),
      ["busy_one"],
    );
    const byFunction = await page(rt, { filter: "holdsmessages" });
    assert.equal(byFunction.total, 12);
    assert.ok(byFunction.rows.every((r) => r.currentFunction === "holdsMessages" && r.status === "waiting"));
  });

  test("a first page of many processes is in the same order as a full sort would give", async (t) => {
    const { rt } = runtime(t);
    const lengths = Array.from({ length: 200 }, (_, i) => (i * 37) % 101); // repeats, in no order
    for (const queued of lengths) holder(rt, queued);
    await rt.idle();
    const expected = [...lengths].sort((a, b) => b - a).slice(5, 15);
    const top = await page(rt, { sort: "messageQueueLen", descending: true, offset: 5, limit: 10 });
    assert.deepEqual(
      top.rows.map((r) => r.messageQueueLen),
      expected,
    );
    const tied = top.rows.filter((r) => r.messageQueueLen === expected[1]).map((r) => Number(r.pid.split(".")[1]));
    assert.equal(tied.length, 2);
    assert.ok(tied[0]! < tied[1]!, "ties in pid order");
    const bottom = await page(rt, { sort: "messageQueueLen", limit: 3 });
    assert.deepEqual(
      bottom.rows.map((r) => r.messageQueueLen),
      [0, 0, 1],
    );
  });

  test("past READ_CAP processes a sorted page comes from a sample, and says so; pid order still reads all", async (t) => {
    const { rt } = runtime(t);
    const count = READ_CAP + 500;
    for (let i = 0; i < count - 1; i++) rt.spawn({ handleMessage() {} });
    holder(rt, 0, "needle_in_haystack");
    const sorted = await page(rt, { sort: "memory", descending: true, limit: 500 });
    assert.equal(sorted.sampled, true);
    // The sample, and the registered process unless the sample has it already.
    assert.ok(sorted.total === READ_CAP || sorted.total === READ_CAP + 1, "the total counts the matches in the sample");
    assert.equal(sorted.rows.length, 500);
    for (let i = 0; i < 5; i++) {
      const found = await page(rt, { filter: "needle_in" });
      assert.deepEqual(
        [found.sampled, found.rows.map((r) => r.name)],
        [true, ["needle_in_haystack"]],
        "a registered process is in every sample",
      );
    }
    const byPid = await page(rt, { offset: count - 1, limit: 5 });
    assert.equal(byPid.sampled, false);
    assert.equal(byPid.total, count);
    assert.deepEqual(
      byPid.rows.map((r) => r.pid),
      [`<0.${count}.0>`],
    );
  });

  test("processes that exit while a page is being read are left out", async (t) => {
    const { rt } = runtime(t);
    const pids = Array.from({ length: READ_CAP + 10 }, () => rt.spawn({ handleMessage() {} }));
    const reading = page(rt, { sort: "reductions" });
    // The page read its first slice before yielding; the others are read after these exits.
    for (const pid of pids.slice(0, 5000)) rt.exit(pid, atom("kill"));
    const result = await reading;
    assert.equal(result.sampled, true);
    assert.ok(result.total <= READ_CAP - 3990, `${result.total} rows: at most 1,010 of the dead read before they died`);
  });
});
