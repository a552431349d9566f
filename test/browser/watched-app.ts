// The application the observer's browser tests (and the README's screenshot) watch: a shop with a counter, a
// dynamic supervisor of carts, a nested cache supervisor, and on request some load and a worker that crashes.
import {
  Application,
  type ApplicationSpec,
  atom,
  type ChildSpec,
  DynamicSupervisor,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  type Process,
  ProcessExit,
  type Runtime,
  Supervisor,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";

/** The counter's registered name: what a test types into the process filter. */
export const COUNTER = "shop_counter";
export const CARTS = "shop_carts";
const ADD = atom("add");

export interface ShopOptions {
  /** Carts started under the dynamic supervisor. */
  readonly carts?: number;
  /** Keep messages flowing: a ticker sends to every cart each `tickMs`. */
  readonly tickMs?: number;
  /** With the ticker: carts come and go (between half and twice `carts`), so the process count moves. */
  readonly churn?: boolean;
  /** A worker that crashes every this many ms, so restarts show in the tree. */
  readonly crashEveryMs?: number;
}

/**
 * The counter: its state is `{counter, Count, LastMessage}`; a `{add, N}` message adds N, any other message is
 * kept as the last one (so a test sees a sent message in `sys:get_state`).
 */
const counter: GenServerCallbacks<Term, undefined> = {
  init: () => ({ state: tuple(atom("counter"), 0, atom("none")) }),
  handleInfo(_self, message, state) {
    const [, count, last] = (state as Tuple).elements as [Term, number, Term];
    if (message instanceof Tuple && message.elements[0] === ADD && typeof message.elements[1] === "number") {
      return { noreply: true, state: tuple(atom("counter"), count + message.elements[1], last) };
    }
    return { noreply: true, state: tuple(atom("counter"), count, message) };
  },
};

/** A cart: `{cart, Id, Items}`; every message is an item added. */
const cart: GenServerCallbacks<Term, number> = {
  init: (_self, id) => ({ state: tuple(atom("cart"), id, 0) }),
  handleInfo(_self, _message, state) {
    const [tag, id, items] = (state as Tuple).elements as [Term, number, number];
    return { noreply: true, state: tuple(tag, id, items + 1) };
  },
};

/** The cache: holds a few entries; nothing calls it, it is there to be seen. */
const cache: GenServerCallbacks<Term, undefined> = {
  init: () => ({ state: [tuple(atom("price"), atom("apple"), 3), tuple(atom("price"), atom("pear"), 4)] }),
};

function startCart(self: Process, id: number): Promise<unknown> {
  return DynamicSupervisor.startChild(self, atom(CARTS), {
    start: (sup: Process) => GenServer.startLink(sup, cart, id),
  });
}

/** Sends to every cart each `tickMs`; with `churn`, now and then starts a cart or stops one. */
function ticker(tickMs: number, carts: number, churn: boolean): GenServerCallbacks<null, undefined> {
  return {
    init: () => ({ state: null, timeout: tickMs }),
    async handleInfo(self) {
      const children = await DynamicSupervisor.whichChildren(self, atom(CARTS));
      const pids = children.flatMap((child) => (typeof child.pid === "object" ? [child.pid] : []));
      for (const pid of pids) self.send(pid, atom("item"));
      self.send(atom(COUNTER), tuple(ADD, 1));
      const dice = Math.random();
      if (churn && dice < 0.05 && pids.length < carts * 2) await startCart(self, pids.length + 1);
      if (churn && dice > 0.95 && pids.length > carts / 2) {
        await DynamicSupervisor.terminateChild(self, atom(CARTS), pids[Math.floor(Math.random() * pids.length)]!);
      }
      return { noreply: true, state: null, timeout: tickMs };
    },
  };
}

/** A worker that exits abnormally after `ms`, to be restarted by its supervisor. */
function flaky(ms: number): GenServerCallbacks<null, undefined> {
  return {
    init: () => ({ state: null, timeout: ms }),
    handleInfo() {
      throw new ProcessExit(atom("flaked"));
    },
  };
}

function worker<S, A>(id: string, callbacks: GenServerCallbacks<S, A>, arg: A, name?: string): ChildSpec {
  return {
    id: atom(id),
    start: (self: Process) => GenServer.startLink(self, callbacks, arg, name ? { name: atom(name) } : undefined),
  };
}

function supervisor(id: string, name: string, children: ChildSpec[]): ChildSpec {
  return {
    id: atom(id),
    type: "supervisor",
    start: (self: Process) =>
      Supervisor.startLink(self, { init: () => ({ flags: { intensity: 100, period: 5 }, children }) }, undefined, {
        name: atom(name),
      }),
  };
}

export function shopApplication(options: ShopOptions = {}): ApplicationSpec<null> {
  const carts = options.carts ?? 3;
  const children = [
    worker("counter", counter, undefined, COUNTER),
    {
      id: atom("carts"),
      type: "supervisor",
      start: (self: Process) => DynamicSupervisor.startLink(self, { name: atom(CARTS) }),
    } satisfies ChildSpec,
    supervisor("cache_sup", "shop_cache_sup", [worker("cache", cache, undefined, "shop_cache")]),
    ...(options.tickMs !== undefined
      ? [worker("ticker", ticker(options.tickMs, carts, options.churn === true), undefined, "shop_ticker")]
      : []),
    ...(options.crashEveryMs !== undefined ? [worker("flaky", flaky(options.crashEveryMs), undefined)] : []),
  ];
  return {
    name: "shop",
    description: "a shop to observe",
    vsn: "1.0.0",
    async start(self) {
      const started = await Supervisor.startLink(
        self,
        { init: () => ({ flags: { intensity: 100, period: 5 }, children }) },
        undefined,
        { name: atom("shop_sup") },
      );
      if (!("pid" in started)) return { error: atom("no_supervisor") };
      for (let id = 1; id <= carts; id++) await startCart(self, id);
      return { pid: started.pid, state: null };
    },
  };
}

/** Loads and starts the shop on `rt`; resolves with its top supervisor's pid. */
export async function startShop(rt: Runtime, options: ShopOptions = {}): Promise<Pid> {
  const loaded = Application.load(rt, shopApplication(options));
  if (!("ok" in loaded)) throw new Error(`the shop did not load: ${JSON.stringify(loaded)}`);
  const started = await Application.start(rt, "shop");
  if (!("ok" in started)) throw new Error(`the shop did not start: ${JSON.stringify(started)}`);
  const top = rt.whereis(atom("shop_sup"));
  if (top === undefined) throw new Error("the shop's supervisor is not registered");
  return top;
}
