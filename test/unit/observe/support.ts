// Helpers of the observer's tests: a page's WebSocket client (waiting for a pushed message with a deadline), and a
// small supervised application to observe.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import WebSocket from "ws";
import {
  Application,
  atom,
  DynamicSupervisor,
  GenServer,
  type GenServerCallbacks,
  type Observer,
  type ObserverOptions,
  type Pid,
  Runtime,
  Supervisor,
  startObserver,
} from "../../../src/index.ts";
import type { ClientMessage, ServerMessage, View, ViewData } from "../../../src/observe/protocol.ts";

/** A bare runtime and its observer for the tests of one `describe`: started before them, stopped after. */
export function observedRuntime(options?: ObserverOptions): { readonly rt: Runtime; readonly observer: Observer } {
  const observed = {} as { rt: Runtime; observer: Observer };
  before(async () => {
    observed.rt = new Runtime({ logger: () => {} });
    observed.observer = await startObserver(observed.rt, options);
  });
  after(async () => {
    await observed.observer?.close();
    observed.rt?.shutdown();
  });
  return observed;
}

export const isHello = (m: ServerMessage): m is Extract<ServerMessage, { type: "hello" }> => m.type === "hello";

/** A page's end of `/ws`: what it received, taken in order by `next`. */
export class PageClient {
  private readonly queue: ServerMessage[] = [];
  private waiting: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.queue.push(JSON.parse(String(data)) as ServerMessage);
      this.waiting?.();
    });
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  static async open(observerUrl: string, headers?: Record<string, string>): Promise<PageClient> {
    const socket = new WebSocket(`${observerUrl.replace(/^http/, "ws")}ws`, { headers });
    const client = new PageClient(socket); // listening before `open`: the hello may come in the same read
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return client;
  }

  send(message: ClientMessage | string): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /**
   * The first message received (and not taken yet) that `matches`; those before it are dropped. Fails after
   * `deadlineMs`.
   */
  async next<M extends ServerMessage>(
    matches: (m: ServerMessage) => m is M,
    what: string,
    deadlineMs?: number,
  ): Promise<M>;
  async next(matches: (m: ServerMessage) => boolean, what: string, deadlineMs?: number): Promise<ServerMessage>;
  async next(matches: (m: ServerMessage) => boolean, what: string, deadlineMs = 5000): Promise<ServerMessage> {
    const deadline = performance.now() + deadlineMs;
    for (;;) {
      const index = this.queue.findIndex(matches);
      if (index >= 0) return this.queue.splice(0, index + 1)[index]!;
      this.queue.length = 0;
      const left = deadline - performance.now();
      if (left <= 0) assert.fail(`timed out after ${deadlineMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  /** The next view pushed of `kind`. */
  view<K extends string>(kind: K, what = `a ${kind} view`, deadlineMs?: number) {
    return this.next(
      (m): m is Extract<ServerMessage, { type: "view" }> & { data: { kind: K } } =>
        m.type === "view" && m.data.kind === kind,
      what,
      deadlineMs,
    );
  }

  /**
   * Watches `view` of `node` and resolves with the first push that answers it (a push of the view watched before,
   * sent before the server read this watch, may still arrive: it is skipped).
   */
  async watch<K extends View["kind"]>(
    node: string,
    view: Extract<View, { kind: K }>,
    what: string,
    deadlineMs = 15_000,
  ) {
    this.send({ type: "watch", node, view });
    const pushed = await this.next(
      (m): m is Extract<ServerMessage, { type: "view" }> & { data: Extract<ViewData, { kind: K }> } =>
        m.type === "view" && m.node === node && answers(view, m.data),
      what,
      deadlineMs,
    );
    return pushed.data;
  }

  close(): Promise<void> {
    this.socket.close();
    return this.closed;
  }
}

/** Whether `data` can be the answer to `view` (the right kind; a processes page of that offset, filter and order). */
function answers(view: View, data: ViewData): boolean {
  if (data.kind !== view.kind) return false;
  if (view.kind === "process") return data.kind === "process" && data.detail.pid === view.pid.trim();
  if (view.kind !== "processes" || data.kind !== "processes") return true;
  const { rows, offset } = data.page;
  const needle = view.filter.toLowerCase();
  const matching = rows.every((r) =>
    [r.pid, r.name ?? "", r.currentFunction].some((t) => t.toLowerCase().includes(needle)),
  );
  const key = (r: (typeof rows)[number]) => (view.sort === "pid" ? Number(r.pid.split(".")[1]) : r[view.sort]);
  const ordered = rows.every((r, i) => {
    if (i === 0) return true;
    const [a, b] = [key(rows[i - 1]!), key(r)];
    if (a === null || b === null || a === b) return true;
    return view.descending ? a > b : a < b;
  });
  return offset === view.offset && rows.length <= view.limit && matching && ordered;
}

/** A counter GenServer: its state is `{ count }`. */
export const counter: GenServerCallbacks<{ count: number }, number> = {
  init: (_self, count) => ({ state: { count } }),
  handleCall: (_self, _request, _from, state) => ({ reply: state.count, state }),
};

/**
 * Starts application `shop`: a top supervisor with a `counter` worker (registered `shop_counter`) and a `rooms`
 * DynamicSupervisor with two counters. Resolves with the top supervisor's pid.
 */
export async function startShop(rt: Runtime): Promise<Pid> {
  const loaded = Application.load(rt, {
    name: "shop",
    description: "a shop to observe",
    vsn: "1.2.3",
    async start(self) {
      return Supervisor.startLink(
        self,
        {
          init: () => ({
            flags: { intensity: 10, period: 5 },
            children: [
              {
                id: "counter",
                start: (p) => GenServer.startLink(p, counter, 7, { name: atom("shop_counter") }),
              },
              { id: "rooms", type: "supervisor", start: (p) => DynamicSupervisor.startLink(p, { intensity: 10 }) },
            ],
          }),
        },
        undefined,
      );
    },
  });
  assert.deepEqual(loaded, { ok: true });
  assert.deepEqual(await Application.start(rt, "shop"), { ok: true });
  const top = Application.topSupervisor(rt, "shop");
  assert.ok(top !== undefined, "shop has a top supervisor");
  const children = await rt.run((self) => Supervisor.whichChildren(self, top));
  const rooms = children.find((c) => c.id === "rooms")!.pid as Pid;
  for (const n of [1, 2]) {
    await rt.run((self) =>
      DynamicSupervisor.startChild(self, rooms, { start: (p) => GenServer.startLink(p, counter, n) }),
    );
  }
  return top;
}
