// The server node of `npm run bench -- dist` as an Otter node, run alone in a fresh `node` (bench/lib/child.ts):
// what bench/beam/dist_bench.erl's `main([server])` does, written the way an Otter user would.
//
//   node server.mjs NAME COOKIE EPMD_PORT
//
// Registers `echo_srv` (a GenServer answering `ping` with `pong`), `sink` (counts `{From, I}`, acks
// `{From, {sync, K}}` with `{ack, K}`, answers `{From, get_count}` with `{count, N}`) and `bench_ctl`
// (`{From, hello}` → `ready`; `stop` stops the node), exports `dist_bench:echo/0` (what the client spawns on
// this node: `{From, _}` → `From ! true`, in a loop), prints `ready`, and runs until told to stop (240 s at most).
// Peers reach it over loopback TCP only, unless OTTER_BENCH_SAME_HOST=1 (then its same-host Unix socket too).
import {
  atom,
  type Behaviour,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Process,
  startNode,
  type Term,
  Tuple,
  tuple,
} from "../../dist/index.js";

const PONG = atom("pong");
const SYNC = atom("sync");
const ACK = atom("ack");
const GET_COUNT = atom("get_count");
const COUNT = atom("count");
const HELLO = atom("hello");
const READY = atom("ready");
const STOP = atom("stop");
const SERVER_LIFETIME_MS = 240_000;

const [name, cookie, epmdPort] = process.argv.slice(2);
if (name === undefined || cookie === undefined || epmdPort === undefined) {
  throw new Error("usage: server.mjs NAME COOKIE EPMD_PORT");
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

const echoServer: GenServerCallbacks<number, undefined, Term, Term, Term> = {
  init: () => ({ state: 0 }),
  handleCall: (_self, _request, _from, n) => ({ reply: PONG, state: n + 1 }),
};
await GenServer.start(rt, echoServer, undefined, { name: atom("echo_srv") });

/** The sink: a behaviour process, the cheap kind for a process that only reacts to messages. */
const sink: Behaviour<{ n: number }> = {
  handleMessage(self, m, s) {
    if (m instanceof Tuple && m.size === 2) {
      const body = m.at(1);
      if (typeof body === "number") s.n++;
      else if (body instanceof Tuple && body.size === 2 && body.at(0) === SYNC) {
        self.send(m.at(0) as Pid, tuple(ACK, body.at(1)!));
      } else if (body === GET_COUNT) self.send(m.at(0) as Pid, tuple(COUNT, s.n));
    }
    return s;
  },
};
rt.spawn(sink, { name: atom("sink"), arg: { n: 0 } });

node.exportModule("dist_bench", {
  echo: async (self: Process) => {
    for (;;) {
      const m = await self.receive();
      if (m instanceof Tuple && m.size === 2) self.send(m.at(0) as Pid, true);
      else if (m === STOP) return atom("ok");
    }
  },
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await node.stop();
  process.exit(0);
}

rt.spawn(
  async (self) => {
    for (;;) {
      const m = await self.receive();
      if (m === STOP) break;
      if (m instanceof Tuple && m.size === 2 && m.at(1) === HELLO) self.send(m.at(0) as Pid, READY);
    }
    void stop();
  },
  { name: atom("bench_ctl") },
);

setTimeout(() => void stop(), SERVER_LIFETIME_MS).unref();
process.on("SIGTERM", () => void stop());
process.stdout.write(`ready ${node.name.name}\n`);
