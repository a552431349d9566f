// The node-wide views of a node of two schedulers see the processes of scheduler 1 as they see scheduler 0's: the
// shell's i(), regs() and processInfo, the observer's overview and /metrics (count, memory estimate), its
// applications view and kill action, a supervisor taking its child's exit, and an application's stop, which kills
// every process whose group leader is its master (application_master's kill_all_procs walks the node's processes).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  Application,
  type Atom,
  atom,
  equals,
  format,
  KILLED,
  NORMAL,
  Pid,
  type Process,
  Supervisor,
  tuple,
} from "../../src/index.ts";
import type { OtterNode } from "../../src/node/index.ts";
import { Shell } from "../../src/node/shell.ts";
import type { Reply } from "../../src/node/shell-session.ts";
import { act } from "../../src/observe/actions.ts";
import { Metrics } from "../../src/observe/metrics.ts";
import { termText } from "../../src/observe/term-text.ts";
import { LocalViews } from "../../src/observe/views/local.ts";
import { localApplications } from "../../src/observe/views/local-applications.ts";
import {
  assertTerm,
  downReason,
  receiveWithin,
  schedulerOf,
  spawnOn,
  startSchedulersNode,
  waitUntil,
} from "../fixtures/schedulers/harness.ts";

const GO = atom("go");

describe("node-wide views on a node of two schedulers", () => {
  let node: OtterNode;
  before(async () => {
    node = await startSchedulersNode("sched_views", 2);
  });
  after(() => node.stop());

  it("i(), regs() and processInfo show a registered process of scheduler 1", async () => {
    const session = await new Shell(node).open("views");
    try {
      await node.runtime.run(async (self) => {
        const name = atom(`sched_views_${process.pid}`);
        const far = await spawnOn(self, 1, "sched_workers", "named", [name]);
        assert.equal(schedulerOf(far, 2), 1);
        await echoed(self, far); // it has registered its name by the time it echoes
        const run = async (source: string): Promise<Reply> => {
          const reply = await session.evaluate(self, source);
          assert.equal(reply.kind, "ok", `${source} → ${reply.text}`);
          return reply;
        };
        const shown = `<0.${far.id}.${far.serial}>`;
        const pattern = shown.replace(/\./g, "\\.");
        assert.match((await run("i()")).printed, new RegExp(`\n${pattern} +${name.name} +\\S+ +waiting `));
        assert.match((await run("regs()")).printed, new RegExp(`\n${name.name} +${pattern} `));
        assert.equal((await run(`(await processInfo('${name.name}')).pid`)).text, shown);
        assert.match((await run(`i(0, ${far.id}, ${far.serial})`)).text, /registeredName: '?sched_views_/);
        self.exit(far, atom("kill"));
      });
    } finally {
      session.close();
    }
  });

  it("the overview and /metrics count the processes of scheduler 1 and estimate what they hold", async () => {
    const views = new LocalViews(node);
    const metrics = new Metrics(node);
    try {
      await node.runtime.run(async (self) => {
        // Processes that keep every message but `go` in their queue: they hold far more than scheduler 0's.
        const hoarders: Pid[] = [];
        for (let i = 0; i < 3; i++) hoarders.push(await spawnOn(self, 1, "sched_workers", "exitOnGo", [NORMAL]));
        for (const pid of hoarders) for (let i = 0; i < 2000; i++) self.send(pid, i);
        let held = 0;
        await waitUntil(async () => {
          const now = await node.runtime.nodeProcessInfo(hoarders);
          held = now.reduce((sum, info) => sum + (info?.memory ?? 0), 0);
          return now.every((info) => info?.messageQueueLen === 2000);
        }, "2000 messages in each hoarder's queue");
        // The count of the other scheduler is its load meter's last sample: it catches up within a period.
        await waitUntil(async () => {
          const all = (await node.runtime.nodeProcesses()).length;
          const sample = views.overview();
          return sample.processCount === all && metric(metrics.text(), "otter_processes") === all;
        }, "the overview and /metrics to count every scheduler's processes");
        assert.ok(views.overview().processCount >= node.runtime.processCount + hoarders.length);
        // The memory sample of the other schedulers is taken in the background: a later read has it.
        await waitUntil(
          async () =>
            (views.overview().memory.processes ?? 0) >= held &&
            metric(metrics.text(), "otter_process_memory_bytes") >= held,
          `an estimate of at least the ${held} bytes the hoarders hold`,
        );
        for (const pid of hoarders) self.send(pid, GO);
      });
    } finally {
      views.stopSampling();
      metrics.stop();
    }
  });

  it("the observer's applications view names a worker of scheduler 1, and its kill action reaches it", async () => {
    const app = `sched_views_tree_${process.pid}`;
    const workerName = atom(`${app}_worker`);
    const loaded = Application.load(node.runtime, {
      name: app,
      async start(self) {
        const worker = {
          id: "worker",
          restart: "temporary" as const,
          start: async (p: Process) => ({
            pid: await spawnOn(p, 1, "sched_workers", "named", [workerName], { link: true }),
          }),
        };
        const started = await Supervisor.startLink(self, { init: () => ({ children: [worker] }) }, undefined);
        return "pid" in started ? { pid: started.pid } : { error: atom("no_supervisor") };
      },
    });
    assert.deepEqual(loaded, { ok: true });
    assert.deepEqual(await Application.start(node.runtime, app), { ok: true });
    const at = { node: node.name, creation: node.creation };
    try {
      await node.runtime.run(async (self) => {
        const worker = node.runtime.whereis(workerName) ?? (await registeredWithin(node, workerName));
        assert.equal(schedulerOf(worker, 2), 1);
        const entry = (await localApplications(node.runtime, at)).find((a) => a.name === app);
        const child = entry?.tree?.children[0];
        assert.equal(child?.pid, termText(worker, at));
        assert.equal(child?.name, workerName.name);
        const down = self.monitor(worker);
        await act(node.runtime, at, { kind: "kill", pid: termText(worker, at) });
        assertTerm(await downReason(self, down, "DOWN of the worker the observer killed"), KILLED);
        const top = Application.topSupervisor(node.runtime, app)!;
        await waitUntil(
          async () => (await Supervisor.whichChildren(self, top)).length === 0,
          "the supervisor to drop its temporary worker", // so that the stop below finds no child to shut down
        );
      });
    } finally {
      await Application.stop(node.runtime, app);
      Application.unload(node.runtime, app);
    }
  });

  it("a supervisor restarts its permanent child of scheduler 1 when it is killed", async () => {
    await node.runtime.run(async (self) => {
      const worker = {
        id: "echo",
        start: async (p: Process) => ({ pid: await spawnOn(p, 1, "sched_workers", "echo", [], { link: true }) }),
      };
      const started = await Supervisor.start(self, { init: () => ({ children: [worker] }) }, undefined);
      assert.ok("pid" in started);
      const childPid = async () => (await Supervisor.whichChildren(self, started.pid))[0]?.pid;
      const first = (await childPid()) as Pid;
      self.exit(first, atom("kill"));
      // Its `{'EXIT', Pid, killed}` came through the ring: a pid decoded anew, equal to the one kept, not the same.
      await waitUntil(async () => {
        const now = await childPid();
        return now instanceof Pid && !equals(now, first);
      }, "a new child in place of the killed one");
      self.exit(started.pid, atom("shutdown"));
    });
  });

  it("stopping an application kills its process on scheduler 1, and not another process there", async () => {
    const name = `sched_views_app_${process.pid}`;
    let far: Pid | undefined;
    const loaded = Application.load(node.runtime, {
      name,
      async start(self) {
        far = await spawnOn(self, 1, "sched_workers", "echo"); // spawned by the master: in its group
        const started = await Supervisor.startLink(self, { init: () => ({ children: [] }) }, undefined);
        return "pid" in started ? { pid: started.pid } : { error: atom("no_supervisor") };
      },
    });
    assert.deepEqual(loaded, { ok: true });
    assert.deepEqual(await Application.start(node.runtime, name), { ok: true });
    try {
      await node.runtime.run(async (self) => {
        const top = Application.topSupervisor(node.runtime, name)!;
        const master = node.runtime.processInfo(top)?.groupLeader;
        const [info] = await node.runtime.nodeProcessInfo([far!]);
        assert.ok(master !== undefined && info?.groupLeader !== undefined && equals(info.groupLeader, master));
        const bystander = await spawnOn(self, 1, "sched_workers", "echo"); // in the group of the test's process
        const farDown = self.monitor(far!);
        await Application.stop(node.runtime, name);
        assertTerm(await downReason(self, farDown, "DOWN of the application's process"), KILLED);
        await echoed(self, bystander);
        self.exit(bystander, atom("kill"));
      });
    } finally {
      Application.unload(node.runtime, name);
    }
  });
});

/** The process registered as `name`, once it has registered (a process of another scheduler does so as it starts). */
async function registeredWithin(node: OtterNode, name: Atom): Promise<Pid> {
  let pid: Pid | undefined;
  await waitUntil(async () => {
    pid = node.runtime.whereis(name);
    return pid !== undefined;
  }, `a process registered as ${name.name}`);
  return pid!;
}

/** Has the `echo` process `pid` answer once. */
async function echoed(self: Process, pid: Pid): Promise<void> {
  const ping = self.makeRef();
  self.send(pid, tuple(self.pid, ping));
  await receiveWithin(self, (m) => equals(m, tuple(pid, ping)), `the echo of ${format(pid)}`);
}

/** The value of the one sample of `name` in a /metrics text. */
function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line !== undefined, `a sample of ${name}`);
  return Number(line.slice(name.length + 1));
}
