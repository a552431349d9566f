// The client node of `npm run bench -- dist` as an Otter node, run alone in a fresh `node` (bench/lib/child.ts):
// bench/beam/dist_bench.erl's client scenarios, written the way an Otter user would, against a server node that
// is either an erl (dist_bench.erl) or an Otter node (bench/dist/server.ts).
//
//   node client.mjs NAME COOKIE EPMD_PORT SERVER_NODE big   NPROCS BYTES WARMUP_MS WINDOW_MS
//   node client.mjs NAME COOKIE EPMD_PORT SERVER_NODE small NSENDERS BATCH WARMUP_MS WINDOW_MS
//   node client.mjs NAME COOKIE EPMD_PORT SERVER_NODE call  NCALLERS WARMUP_MS WINDOW_MS
//
// Prints one JSON line: { test, carrier, ...figures } with the same figures as dist_bench.erl's `beam result` line;
// `carrier` is how the connection to the server carried its bytes: loopback "tcp", or "unix" when both nodes run
// with OTTER_BENCH_SAME_HOST=1 (the same-host transport, bench/cluster/transport.ts).
import {
  atom,
  GenServer,
  type Pid,
  type Process,
  type RegisteredName,
  spawnRemote,
  startNode,
  type Term,
  Tuple,
  tuple,
} from "../../dist/index.js";

const PING = atom("ping");
const PONG = atom("pong");
const SYNC = atom("sync");
const ACK = atom("ack");
const GET_COUNT = atom("get_count");
const COUNT = atom("count");
const HELLO = atom("hello");
const READY = atom("ready");
const STOP = atom("stop");
const GO = atom("go");
const SENT = atom("sent");
const KILL = atom("kill");

const [name, cookie, epmdPort, serverName, test, ...rest] = process.argv.slice(2);
const args = rest.map(Number);
if (name === undefined || cookie === undefined || epmdPort === undefined || serverName === undefined) {
  throw new Error("usage: client.mjs NAME COOKIE EPMD_PORT SERVER_NODE TEST ARGS...");
}

const node = await startNode({
  name,
  cookie,
  epmdPort: Number(epmdPort),
  embeddedEpmd: false,
  listen: { host: "127.0.0.1" },
  sameHost: process.env.OTTER_BENCH_SAME_HOST === "1",
});
const rt = node.runtime;
const server = atom(serverName);
const at = (registered: string): RegisteredName => ({ name: atom(registered), node: server });

/** timer:sleep/1. */
const sleep = (self: Process, ms: number): Promise<unknown> => self.receive(() => false, { timeout: ms });

/** Waits for the server's bench_ctl (connecting on the way), 100 ms per try. */
async function hello(self: Process): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    self.send(at("bench_ctl"), tuple(self.pid, HELLO));
    if ((await self.receive((m) => m === READY, { timeout: 100 })) !== undefined) return;
  }
  throw new Error(`${serverName} did not answer`);
}

type Figures = Record<string, number | string>;

async function big(self: Process, [nProcs, size, warmMs, winMs]: number[]): Promise<Figures> {
  let count = 0;
  const echos: Pid[] = [];
  for (let i = 0; i < nProcs!; i++) echos.push(await spawnRemote(self, server, "dist_bench", "echo", []));
  const senders = echos.map((echo) =>
    self.spawn(async (sender) => {
      const message = tuple(sender.pid, Buffer.alloc(size!));
      for (;;) {
        sender.send(echo, message);
        await sender.receive((m) => m === true);
        count++;
      }
    }),
  );
  await sleep(self, warmMs!);
  const c0 = count;
  const t0 = performance.now();
  await sleep(self, winMs!);
  const c1 = count;
  const s = (performance.now() - t0) / 1000;
  for (const p of senders) self.exit(p, KILL);
  for (const p of echos) self.exit(p, KILL);
  return {
    senders: nProcs!,
    bytes: size!,
    window_s: s,
    round_trips: c1 - c0,
    payload_MBps: ((c1 - c0) * size!) / 1e6 / s,
  };
}

async function small(self: Process, [nSenders, batch, warmMs, winMs]: number[]): Promise<Figures> {
  const main = self.pid;
  const sink = at("sink");
  const isAck = (k: number) => (m: Term) => m instanceof Tuple && m.size === 2 && m.at(0) === ACK && m.at(1) === k;
  const senders: Pid[] = [];
  for (let i = 0; i < nSenders!; i++) {
    senders.push(
      self.spawn(async (sender) => {
        await sender.receive((m) => m === GO);
        for (let k = 0, sent = 0; ; k++, sent += batch!) {
          for (let i = batch!; i > 0; i--) sender.send(sink, tuple(sender.pid, i));
          sender.send(sink, tuple(sender.pid, tuple(SYNC, k)));
          // wait for the ack of the previous batch: at most 2 batches in flight
          if (k > 0) await sender.receive(isAck(k - 1));
          if ((await sender.receive((m) => m === STOP, { timeout: 0 })) !== undefined) {
            await sender.receive(isAck(k), { timeout: 30_000 });
            sender.send(main, tuple(SENT, sender.pid, sent + batch!));
            return;
          }
        }
      }),
    );
  }
  const sinkCount = async (): Promise<number> => {
    self.send(sink, tuple(self.pid, GET_COUNT));
    const m = await self.receive((m) => m instanceof Tuple && m.size === 2 && m.at(0) === COUNT, {
      timeout: 30_000,
    });
    if (m === undefined) throw new Error("the sink did not answer");
    return (m as Tuple).at(1) as number;
  };
  for (const p of senders) self.send(p, GO);
  await sleep(self, warmMs!);
  const n0 = await sinkCount();
  const t0 = performance.now();
  await sleep(self, winMs!);
  const n1 = await sinkCount();
  const s = (performance.now() - t0) / 1000;
  for (const p of senders) self.send(p, STOP);
  let totalSent = 0;
  for (const p of senders) {
    const m = await self.receive((m) => m instanceof Tuple && m.at(0) === SENT && m.at(1) === p, {
      timeout: 30_000,
    });
    totalSent += m === undefined ? 0 : ((m as Tuple).at(2) as number);
  }
  return {
    senders: nSenders!,
    batch: batch!,
    window_s: s,
    msgs: n1 - n0,
    msgs_per_s: Math.round((n1 - n0) / s),
    total_sent: totalSent,
    total_received: await sinkCount(),
  };
}

async function call(self: Process, [nCallers, warmMs, winMs]: number[]): Promise<Figures> {
  const echoSrv = at("echo_srv");
  const callers = async (end: number): Promise<number[][]> => {
    const main = self.pid;
    const pids = [];
    for (let i = 0; i < nCallers!; i++) {
      pids.push(
        self.spawn(async (caller) => {
          const latencies: number[] = [];
          for (;;) {
            const t0 = performance.now();
            const reply = await GenServer.call(caller, echoSrv, PING, { timeout: 30_000 });
            const t1 = performance.now();
            if (reply !== PONG) throw new Error(`echo_srv answered ${String(reply)}`);
            latencies.push(t1 - t0);
            if (t1 >= end) break;
          }
          caller.send(main, tuple(caller.pid, latencies as unknown as Term));
        }),
      );
    }
    const all: number[][] = [];
    for (const p of pids) {
      const m = (await self.receive((m) => m instanceof Tuple && m.at(0) === p)) as Tuple;
      all.push(m.at(1) as unknown as number[]);
    }
    return all;
  };
  await callers(performance.now() + warmMs!);
  const t0 = performance.now();
  const latencies = (await callers(t0 + winMs!)).flat().sort((a, b) => a - b);
  const s = (performance.now() - t0) / 1000;
  const pct = (p: number): number => latencies[Math.max(1, Math.ceil(p * latencies.length)) - 1]! * 1000;
  return {
    callers: nCallers!,
    window_s: s,
    calls: latencies.length,
    calls_per_s: Math.round(latencies.length / s),
    p50_us: pct(0.5),
    p99_us: pct(0.99),
  };
}

const tests: Record<string, (self: Process, args: number[]) => Promise<Figures>> = { big, small, call };
const scenario = tests[test ?? ""];
if (scenario === undefined) throw new Error(`unknown test ${test}`);

let carrier: string | undefined;
const figures = await rt.run(async (self) => {
  await hello(self);
  carrier = node.carrierOf(server);
  return scenario(self, args);
});
// As the erl client does: stop the server node, and wait until it is gone.
await rt.run(async (self) => {
  self.monitorNode(server);
  self.send(at("bench_ctl"), STOP);
  await self.receive((m) => m instanceof Tuple && m.at(0) === atom("nodedown"), { timeout: 5000 });
});
await node.stop();
process.stdout.write(`${JSON.stringify({ test, carrier, ...figures })}\n`);
process.exit(0);
