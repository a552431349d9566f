// The demo application `kv`: a key-value store with one process per key, an HTTP API, a chaos monkey to watch
// restarts by, and functions other nodes call with rpc. `npm start` runs it; so does
// `npx otter start --sname kv examples/kv/kv.ts` (configured with `--set kv.port=8080`, OTTER_APP_KV_PORT, …).
//
// Its tree (rest_for_one: each child needs the ones before it, so a crash restarts the ones after it too):
//   kv_sup ┬ kv_registry   Registry: each key's process, by key (the processes' `via` names)
//          ├ kv_keys       DynamicSupervisor: one kv key process (a GenServer) per key, started by the key's first put
//          ├ kv_http       the HTTP API on 127.0.0.1:`port`; stopping, it answers the requests it had accepted (in 5 s)
//          └ chaos_monkey  crashes every `chaosEveryMs` (0: never), and is restarted (alone: it is last)
// A supervisor stops its children last started first, so the HTTP API stops while the key processes still answer.
//
// From erl, on the node this runs on (the module is named after its file, `kv`):
//   rpc:call(Node, kv, put, [<<"k">>, <<"v">>])  → ok
//   rpc:call(Node, kv, get, [<<"k">>])           → {ok, <<"v">>} | not_found
//   rpc:call(Node, kv, remove, [<<"k">>])        → ok | not_found
//   rpc:call(Node, kv, keys, [])                 → [<<"k">>]
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Application,
  type ApplicationSpec,
  Atom,
  atom,
  DynamicSupervisor,
  format,
  GenServer,
  type GenServerCallbacks,
  logger,
  NORMAL,
  type Pid,
  type Process,
  ProcessExit,
  Registry,
  type Runtime,
  Supervisor,
  type Term,
  Tuple,
  tuple,
} from "otter";

const REGISTRY = atom("kv_registry");
const KEYS = atom("kv_keys");
const HTTP = atom("kv_http");
const OK = atom("ok");
const NOT_FOUND = atom("not_found");
const GET = atom("get");
const ENTRY = atom("entry");
const PUT = atom("put");
const REMOVE = atom("remove");
const URL_REQUEST = atom("url");
/** The largest value the HTTP API takes. */
const MAX_BODY = 1 << 20;

// ── one process per key ────────────────────────────────────────────────────────────────────────────────────────

interface Entry {
  readonly key: string;
  readonly value: Term;
}

/** A key's process: `get`, `entry` ({Key, Value}), `{put, Value}`, `remove` (it then ends, normally). */
const keyServer: GenServerCallbacks<Entry, Entry> = {
  init: (_self, entry) => ({ state: entry }),
  handleCall: (_self, request, _from, entry) => {
    if (request === GET) return { reply: entry.value, state: entry };
    if (request === ENTRY) return { reply: tuple(entry.key, entry.value), state: entry };
    if (request === REMOVE) return { stop: NORMAL, reply: OK, state: entry };
    return { reply: OK, state: { key: entry.key, value: (request as Tuple).at(1)! } };
  },
};

/** A key as a string: given as a binary, a string or an atom. */
function keyOf(key: Term): string {
  if (typeof key === "string") return key;
  if (key instanceof Uint8Array) return Buffer.from(key).toString("utf8");
  if (key instanceof Atom) return key.name;
  throw new TypeError(`a key is a binary, a string or an atom, not ${format(key)}`);
}

function keyProcess(self: Process, key: string): Pid | undefined {
  const registry = Registry.of(self, REGISTRY);
  if (registry === undefined) throw new Error("kv is restarting");
  return registry.whereisName(key);
}

/** Calls the process of `key`; undefined when there is none (or it ended meanwhile). */
async function callKey(self: Process, key: string, request: Term): Promise<Term | undefined> {
  const pid = keyProcess(self, key);
  if (pid === undefined) return undefined;
  try {
    return await GenServer.call(self, pid, request);
  } catch (error) {
    if (error instanceof ProcessExit) return undefined;
    throw error;
  }
}

// ── the API: for the HTTP handlers, and for rpc from other nodes ────────────────────────────────────────────────

export async function get(self: Process, key: Term): Promise<Term> {
  const value = await callKey(self, keyOf(key), GET);
  return value === undefined ? NOT_FOUND : tuple(OK, value);
}

export async function put(self: Process, key: Term, value: Term): Promise<Term> {
  const name = keyOf(key);
  // Twice at most: a key's process started by someone else between our call and our start is there the second time.
  for (let attempt = 0; attempt < 2; attempt++) {
    if ((await callKey(self, name, tuple(PUT, value))) !== undefined) return OK;
    const via = Registry.via(Registry.of(self, REGISTRY)!, name);
    const started = await DynamicSupervisor.startChild(self, KEYS, {
      start: (sup) => GenServer.startLink(sup, keyServer, { key: name, value }, { name: via }),
      restart: "transient",
    });
    if ("pid" in started) return OK;
    if (!("error" in started && isAlreadyStarted(started.error))) throw new Error(`kv: cannot start ${name}'s process`);
  }
  throw new Error(`kv: ${name}'s process keeps ending`);
}

function isAlreadyStarted(reason: Term): boolean {
  return reason instanceof Tuple && reason.at(0) === atom("already_started");
}

export async function remove(self: Process, key: Term): Promise<Term> {
  return (await callKey(self, keyOf(key), REMOVE)) === undefined ? NOT_FOUND : OK;
}

export async function keys(self: Process): Promise<Term> {
  return (await entries(self)).map(([key]) => key);
}

/** Every key and its value, sorted by key. */
async function entries(self: Process): Promise<[string, Term][]> {
  const all: [string, Term][] = [];
  for (const child of await DynamicSupervisor.whichChildren(self, KEYS)) {
    if (typeof child.pid !== "object") continue;
    try {
      const entry = (await GenServer.call(self, child.pid, ENTRY)) as Tuple;
      all.push([entry.at(0) as string, entry.at(1)!]);
    } catch (error) {
      if (!(error instanceof ProcessExit)) throw error; // ended meanwhile
    }
  }
  return all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The HTTP API's address. */
export async function url(self: Process): Promise<Term> {
  return GenServer.call(self, HTTP, URL_REQUEST);
}

// ── the chaos monkey ───────────────────────────────────────────────────────────────────────────────────────────

/** Crashes `everyMs` after it starts; its supervisor starts it again, and so on. */
const chaosMonkey: GenServerCallbacks<number, number> = {
  init: (_self, everyMs) => (everyMs === 0 ? { ignore: true } : { state: everyMs, timeout: everyMs }),
  handleInfo: (_self, _timeout, everyMs) => ({ stop: tuple(atom("chaos"), "a crash on purpose"), state: everyMs }),
};

// ── the HTTP API ───────────────────────────────────────────────────────────────────────────────────────────────

interface Http {
  readonly server: Server;
  url: string;
  /** Set when it stops: responses then close their connections. */
  stopping: boolean;
}

const httpServer: GenServerCallbacks<Http, undefined> = {
  async init(self) {
    self.setTrapExit(true); // so that its supervisor's shutdown runs terminate, which lets requests finish
    const rt = self.runtime;
    const port = Application.getEnv(rt, "kv", "port") as number;
    const server = createServer((req, res) => void respond(rt, http, req, res));
    const http: Http = { server, url: "", stopping: false };
    const error = await listen(server, port);
    if (error !== undefined) return { stop: tuple(atom("listen"), port, error) };
    const bound = (server.address() as AddressInfo).port;
    // A restart (after kv_keys or kv_registry restarted) listens where this one did, even if the port was 0.
    Application.setEnv(rt, "kv", "port", bound);
    http.url = `http://127.0.0.1:${bound}`;
    logger(self).notice(`kv: HTTP API at ${http.url}/kv`);
    return { state: http };
  },
  handleCall: (_self, _url, _from, http) => ({ reply: http.url, state: http }),
  // Stops accepting connections, closes the idle ones, and returns once the requests in flight are answered.
  terminate: (_self, _reason, http) =>
    new Promise<void>((resolve) => {
      http.stopping = true;
      http.server.close(() => resolve());
    }),
};

function listen(server: Server, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(port, "127.0.0.1", () => resolve(undefined));
  });
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly json?: boolean;
}

async function respond(rt: Runtime, http: Http, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let answer: Answer;
  try {
    const body = await readBody(req);
    answer = body === undefined ? { status: 413, body: "too large\n" } : await rt.run((self) => route(self, req, body));
  } catch (error) {
    answer = { status: 500, body: `${(error as Error).message}\n` };
  }
  if (http.stopping) res.setHeader("connection", "close");
  res.writeHead(answer.status, { "content-type": answer.json ? "application/json" : "text/plain; charset=utf-8" });
  res.end(answer.body);
}

async function route(self: Process, req: IncomingMessage, body: string): Promise<Answer> {
  const path = new URL(req.url ?? "/", "http://kv").pathname;
  if (path === "/" || path === "/kv") {
    if (req.method !== "GET") return { status: 405, body: "GET only\n" };
    if (path === "/") return { status: 200, body: "kv: GET /kv, and GET, PUT or DELETE /kv/KEY\n" };
    const all = Object.fromEntries((await entries(self)).map(([key, value]) => [key, text(value)]));
    return { status: 200, body: `${JSON.stringify(all)}\n`, json: true };
  }
  const match = /^\/kv\/(.+)$/.exec(path);
  if (match === null) return { status: 404, body: "no such path\n" };
  const key = decodeURIComponent(match[1]!);
  switch (req.method) {
    case "GET": {
      const found = await get(self, key);
      return found instanceof Tuple ? { status: 200, body: text(found.at(1)!) } : { status: 404, body: "not found\n" };
    }
    case "PUT":
      await put(self, key, body);
      return { status: 200, body: "ok\n" };
    case "DELETE":
      return (await remove(self, key)) === OK ? { status: 200, body: "ok\n" } : { status: 404, body: "not found\n" };
    default:
      return { status: 405, body: "GET, PUT or DELETE\n" };
  }
}

/** A value as the HTTP API shows it: text as it is, any other term in Erlang syntax. */
function text(value: Term): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return format(value);
}

/** The request's body as text; undefined when it is over MAX_BODY. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

// ── the application ────────────────────────────────────────────────────────────────────────────────────────────

const application: ApplicationSpec = {
  name: "kv",
  description: "a key-value store: one process per key, an HTTP API, a chaos monkey",
  vsn: "1.0.0",
  env: {
    /** The HTTP API's port on 127.0.0.1 (0: any free port, printed). */
    port: 0,
    /** How often the chaos monkey crashes, ms (0: never). At least 500: kv_sup allows 10 restarts in 5 s. */
    chaosEveryMs: 10_000,
  },
  start(self) {
    const port = Application.getEnv(self.runtime, "kv", "port") as number;
    const chaosEveryMs = Application.getEnv(self.runtime, "kv", "chaosEveryMs") as number;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) return { error: tuple(atom("bad_port"), port) };
    if (chaosEveryMs !== 0 && !(chaosEveryMs >= 500)) return { error: tuple(atom("bad_chaos_every_ms"), chaosEveryMs) };
    const children = [
      { id: REGISTRY, start: (sup: Process) => Registry.startLink(sup, { keys: "unique", name: REGISTRY }) },
      { id: KEYS, type: "supervisor", start: (sup: Process) => DynamicSupervisor.startLink(sup, { name: KEYS }) },
      { id: HTTP, start: (sup: Process) => GenServer.startLink(sup, httpServer, undefined, { name: HTTP }) },
      {
        id: atom("chaos_monkey"),
        start: (sup: Process) => GenServer.startLink(sup, chaosMonkey, chaosEveryMs, { name: atom("chaos_monkey") }),
      },
    ] as const;
    const flags = { strategy: "rest_for_one", intensity: 10, period: 5 } as const;
    return Supervisor.startLink(self, { init: () => ({ flags, children }) }, undefined, { name: atom("kv_sup") });
  },
};

export default application;
