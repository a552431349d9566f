// One scenario of `npm run bench -- processes`, run alone in a fresh `node --expose-gc` (bench/lib/child.ts), so
// the peak RSS it reports is this scenario's own. Imports only node: modules and the compiled package.
//
//   node scenario.mjs behaviour|async N
//
// N idle processes wait for a message; then the driver (an async process) sends each one `wake`, and each
// answers `done` to the driver and exits. The driver awaits `self.yield()` after every 1000 wakes, as any long loop
// in an async body should (BEAM preempts procs_bench.erl's loop every 4000 reductions): the woken run meanwhile. The BEAM counterpart is bench/beam/procs_bench.erl.
//   behaviour: { handleMessage(self, _msg, parent) { self.send(parent, done); self.exit(self.pid, normal) } },
//              spawned with { arg: driverPid } (a behaviour without init takes `arg` as its state);
//   async:     async (self) => { await self.receive(); self.send(driver, done); } — one function for all.
// Prints one JSON line (see ProcessesChildResult in bench/processes.ts).
import { getHeapStatistics } from "node:v8";
import { type AsyncBody, atom, type Behaviour, NORMAL, type Pid, type Process, Runtime } from "../../dist/index.js";

const WAKE = atom("wake");
const DONE = atom("done");

const sleeper: Behaviour<Pid> = {
  handleMessage(self: Process, _message, parent: Pid): Pid {
    self.send(parent, DONE);
    self.exit(self.pid, NORMAL); // exit(self(), normal): the process ends with reason normal
    return parent;
  },
};

let driver: Pid | undefined;
const asyncSleeper: AsyncBody = async (self: Process) => {
  await self.receive();
  self.send(driver!, DONE);
};

declare const gc: () => void;

function mib(bytes: number): number {
  return bytes / 1048576;
}

async function main(kind: string, n: number): Promise<void> {
  if (kind !== "behaviour" && kind !== "async") throw new Error(`unknown kind ${kind}`);
  if (!(n > 0)) throw new Error(`bad N ${n}`);
  const rt = new Runtime();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const result = await rt.run(async (self) => {
    driver = self.pid;
    const pids: Pid[] = new Array(n);
    const t0 = performance.now();
    if (kind === "behaviour") for (let i = 0; i < n; i++) pids[i] = self.spawn(sleeper, { arg: self.pid });
    else for (let i = 0; i < n; i++) pids[i] = self.spawn(asyncSleeper);
    const t1 = performance.now();
    // Every new process has run (its start) and waits for a message once the scheduler has nothing queued.
    await rt.idle();
    const t2 = performance.now();
    const alive = rt.processCount - 1;
    const rssIdle = process.memoryUsage().rss;
    const peakIdleKiB = process.resourceUsage().maxRSS;
    // A full GC, so the heap holds only live data: bytes per process. (It runs after the idle peak was read.)
    gc();
    const heapIdle = process.memoryUsage().heapUsed;
    const rssIdleAfterGc = process.memoryUsage().rss;
    const t3 = performance.now();
    for (let i = 0; i < n; i++) {
      self.send(pids[i]!, WAKE);
      if (i % 1000 === 999) await self.yield();
    }
    let got = 0;
    while (got < n) {
      const m = await self.receive();
      if (m === DONE) got++;
    }
    const t4 = performance.now();
    await rt.idle();
    return {
      spawnCallsMs: t1 - t0,
      spawnMs: t2 - t0,
      wakeFinishMs: t4 - t3,
      alive,
      rssIdle,
      peakIdleKiB,
      heapIdle,
      rssIdleAfterGc,
      left: rt.processCount - 1,
    };
  });
  rt.shutdown();
  const heap = getHeapStatistics();
  process.stdout.write(
    `${JSON.stringify({
      kind,
      n,
      node: process.version,
      ...result,
      heapBefore,
      rssBefore,
      bytesPerProcess: (result.heapIdle - heapBefore) / n,
      peakRssKiB: process.resourceUsage().maxRSS,
      heapLimitMiB: mib(heap.heap_size_limit),
    })}\n`,
  );
}

const [kind, n] = process.argv.slice(2);
await main(kind ?? "", Number(n));
