// One scenario of `npm run bench -- messaging`, run alone in a fresh `node` (bench/lib/child.ts). Imports only
// node: modules and the compiled package. The scenarios are shared/bench-beam/msgbench.erl's, written the way
// an Otter user would, once with behaviour processes and once with async processes:
//
//   node scenario.mjs pingpong behaviour|async ROUND_TRIPS RUNS
//   node scenario.mjs ring     behaviour|async SIZE LAPS   RUNS
//   node scenario.mjs fanin    behaviour|async SENDERS MSGS_PER_SENDER RUNS
//
// A warm-up run at a tenth of the size comes first (the BEAM side, bench/beam/msg_bench.erl, does the same),
// then RUNS timed runs, each in a new Runtime. Messages have msgbench.erl's shapes ({Pid, ping}, pong,
// {token, K}, {data, I}); receivers check them as Erlang's receive patterns do. Prints one JSON line:
// { runs: [{ ms, count }] } where count is round trips or messages.
import {
  type AsyncBody,
  atom,
  type Behaviour,
  NORMAL,
  type Pid,
  type Process,
  Runtime,
  type Term,
  Tuple,
  tuple,
} from "../../dist/index.js";

const PING = atom("ping");
const PONG = atom("pong");
const STOP = atom("stop");
const START = atom("start");
const NEXT = atom("next");
const TOKEN = atom("token");
const RING_DONE = atom("ring_done");
const GO = atom("go");
const DATA = atom("data");
const FANIN_DONE = atom("fanin_done");
const DONE = atom("done");

type Kind = "behaviour" | "async";

function isTuple2(m: Term, tag: Term): m is Tuple {
  return m instanceof Tuple && m.size === 2 && m.at(0) === tag;
}

/** `{From, ping}`. */
function isPing(m: Term): m is Tuple {
  return m instanceof Tuple && m.size === 2 && m.at(1) === PING;
}

function unexpected(m: Term): never {
  throw new Error(`unexpected message ${String(m)}`);
}

// ------------------------------------------------------------------------------------------------ ping-pong

/** pong: `receive {From, ping} -> From ! pong; stop -> exit`. */
const pongBehaviour: Behaviour<undefined> = {
  handleMessage(self, m) {
    if (isPing(m)) self.send(m.at(0) as Pid, PONG);
    else if (m === STOP) self.exit(self.pid, NORMAL);
    else unexpected(m);
    return undefined;
  },
};

/** ping as a behaviour: on `{start, Pong}` sends the first ping; each pong sends the next, N in all. */
interface PingState {
  readonly main: Pid;
  pong: Pid | undefined;
  left: number;
}
const pingBehaviour: Behaviour<PingState> = {
  handleMessage(self, m, s) {
    if (m === PONG) {
      if (--s.left === 0) self.send(s.main, DONE);
      else self.send(s.pong!, tuple(self.pid, PING));
    } else if (isTuple2(m, START)) {
      s.pong = m.at(1) as Pid;
      self.send(s.pong, tuple(self.pid, PING));
    } else unexpected(m);
    return s;
  },
};

const pongAsync: AsyncBody = async (self) => {
  for (;;) {
    const m = await self.receive();
    if (isPing(m)) self.send(m.at(0) as Pid, PONG);
    else if (m === STOP) return;
    else unexpected(m);
  }
};

async function pingpong(rt: Runtime, kind: Kind, n: number): Promise<number> {
  return rt.run(async (self) => {
    if (kind === "async") {
      // msgbench.erl's ping runs in the benchmark process itself; so does this one.
      const pong = self.spawn(pongAsync);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        self.send(pong, tuple(self.pid, PING));
        if ((await self.receive()) !== PONG) throw new Error("expected pong");
      }
      const t1 = performance.now();
      self.send(pong, STOP);
      return t1 - t0;
    }
    const pong = self.spawn(pongBehaviour);
    const ping = self.spawn(pingBehaviour, { arg: { main: self.pid, pong: undefined, left: n } });
    const t0 = performance.now();
    self.send(ping, tuple(START, pong));
    if ((await self.receive()) !== DONE) throw new Error("expected done");
    const t1 = performance.now();
    self.send(pong, STOP);
    return t1 - t0;
  });
}

// ----------------------------------------------------------------------------------------------------- ring

/** A ring member: `{next, Pid}` first, then `{token, 0}` → main ! ring_done; `{token, K}` → Next ! {token, K-1}. */
function ringBehaviour(main: Pid): Behaviour<Pid | undefined> {
  return {
    handleMessage(self, m, next) {
      if (isTuple2(m, TOKEN)) {
        const k = m.at(1) as number;
        if (k === 0) self.send(main, RING_DONE);
        else self.send(next!, tuple(TOKEN, k - 1));
        return next;
      }
      if (isTuple2(m, NEXT)) return m.at(1) as Pid;
      return unexpected(m);
    },
  };
}

function ringAsync(main: Pid): AsyncBody {
  return async (self: Process) => {
    const first = await self.receive();
    if (!isTuple2(first, NEXT)) unexpected(first);
    const next = first.at(1) as Pid;
    for (;;) {
      const m = await self.receive();
      if (!isTuple2(m, TOKEN)) unexpected(m);
      const k = m.at(1) as number;
      if (k === 0) self.send(main, RING_DONE);
      else self.send(next, tuple(TOKEN, k - 1));
    }
  };
}

async function ring(rt: Runtime, kind: Kind, size: number, laps: number): Promise<number> {
  return rt.run(async (self) => {
    const body = kind === "behaviour" ? ringBehaviour(self.pid) : ringAsync(self.pid);
    const pids: Pid[] = [];
    for (let i = 0; i < size; i++) pids.push(self.spawn(body));
    for (let i = 0; i < size; i++) self.send(pids[i]!, tuple(NEXT, pids[(i + 1) % size]!));
    const hops = size * laps;
    const t0 = performance.now();
    self.send(pids[0]!, tuple(TOKEN, hops - 1)); // hops sends in all, this one included
    if ((await self.receive()) !== RING_DONE) throw new Error("expected ring_done");
    return performance.now() - t0;
  });
}

// --------------------------------------------------------------------------------------------------- fan-in

/** The receiver counts `{data, _}` messages; at `total` it sends `{fanin_done, T1}` to main. */
interface FaninState {
  readonly main: Pid;
  readonly total: number;
  got: number;
}
const faninReceiverBehaviour: Behaviour<FaninState> = {
  handleMessage(self, m, s) {
    if (!isTuple2(m, DATA)) unexpected(m);
    if (++s.got === s.total) self.send(s.main, tuple(FANIN_DONE, performance.now()));
    return s;
  },
};

/**
 * Messages a sender sends before it lets the others run. A callback or an async body cannot be preempted (BEAM
 * preempts msgbench.erl's send loop every 4000 reductions), so an Otter sender of many messages sends them in
 * slices: a behaviour continues with a message to itself, an async body awaits `self.yield()`.
 */
const SEND_SLICE = 1000;

/** A sender: on `go`, sends `{data, I}` for I = M … 1 to the receiver a slice at a time, then exits. */
const faninSenderBehaviour: Behaviour<{ recv: Pid; m: number }> = {
  handleMessage(self, msg, s) {
    if (msg !== GO) unexpected(msg);
    const stop = Math.max(0, s.m - SEND_SLICE);
    for (let i = s.m; i > stop; i--) self.send(s.recv, tuple(DATA, i));
    s.m = stop;
    if (stop === 0) self.exit(self.pid, NORMAL);
    else self.send(self.pid, GO);
    return s;
  },
};

function faninReceiverAsync(main: Pid, total: number): AsyncBody {
  return async (self: Process) => {
    for (let got = 0; got < total; got++) {
      const m = await self.receive();
      if (!isTuple2(m, DATA)) unexpected(m);
    }
    self.send(main, tuple(FANIN_DONE, performance.now()));
  };
}

function faninSenderAsync(recv: Pid, count: number): AsyncBody {
  return async (self: Process) => {
    if ((await self.receive()) !== GO) throw new Error("expected go");
    for (let i = count; i > 0; i--) {
      self.send(recv, tuple(DATA, i));
      if (i % SEND_SLICE === 0) await self.yield();
    }
  };
}

async function fanin(rt: Runtime, kind: Kind, senders: number, m: number): Promise<number> {
  return rt.run(async (self) => {
    const total = senders * m;
    const recv =
      kind === "behaviour"
        ? self.spawn(faninReceiverBehaviour, { arg: { main: self.pid, total, got: 0 } })
        : self.spawn(faninReceiverAsync(self.pid, total));
    const senderBody = kind === "behaviour" ? faninSenderBehaviour : faninSenderAsync(recv, m);
    const pids: Pid[] = [];
    for (let i = 0; i < senders; i++) pids.push(self.spawn(senderBody, { arg: { recv, m } }));
    const t0 = performance.now();
    for (const p of pids) self.send(p, GO);
    const done = await self.receive();
    if (!isTuple2(done, FANIN_DONE)) unexpected(done);
    return (done.at(1) as number) - t0;
  });
}

// ----------------------------------------------------------------------------------------------------- main

async function once(test: string, kind: Kind, a: number, b: number): Promise<{ ms: number; count: number }> {
  const rt = new Runtime();
  try {
    switch (test) {
      case "pingpong":
        return { ms: await pingpong(rt, kind, a), count: a };
      case "ring":
        return { ms: await ring(rt, kind, a, b), count: a * b };
      case "fanin":
        return { ms: await fanin(rt, kind, a, b), count: a * b };
      default:
        throw new Error(`unknown test ${test}`);
    }
  } finally {
    rt.shutdown();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [test = "", kind = "", ...rest] = argv;
  if (kind !== "behaviour" && kind !== "async") throw new Error(`unknown kind ${kind}`);
  const nums = rest.map(Number);
  const runs = nums.pop()!;
  const [a = 0, b = 0] = nums;
  // Warm-up at a tenth of the size (ring: a tenth of the laps; fan-in: of the messages per sender).
  if (test === "pingpong") await once(test, kind, Math.ceil(a / 10), b);
  else await once(test, kind, a, Math.ceil(b / 10));
  const results: { ms: number; count: number }[] = [];
  for (let r = 0; r < runs; r++) results.push(await once(test, kind, a, b));
  process.stdout.write(`${JSON.stringify({ test, kind, runs: results, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

await main(process.argv.slice(2));
