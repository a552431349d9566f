// The observer's server: HTTP for the page and `/metrics`, `/ws` for the pages' sessions, and the interval that
// samples this node and pushes each session its view. The interval runs only while a page is connected, so an
// observer nobody looks at costs nothing but its listening socket (STYLE.md 9).
//
// Only pages from this server may open `/ws` (an Origin header naming another site is refused), since a session
// can kill processes: a web page elsewhere in the same browser must not reach a node on 127.0.0.1.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Runtime } from "../runtime/index.ts";
import { httpRoutes } from "./http-routes.ts";
import { Metrics } from "./metrics.ts";
import { NodeDirectory } from "./nodes.ts";
import { type ObservedNode, observedNode } from "./observed-node.ts";
import { OverviewSamples } from "./samples.ts";
import { Session, type SessionContext } from "./session.ts";
import { LocalViews } from "./views/local.ts";

export interface ObserverOptions {
  /** The HTTP port (default 0: any free port). */
  readonly port?: number;
  /** The address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** How often views are pushed and overview samples taken (default 1,000 ms). */
  readonly intervalMs?: number;
}

export interface Observer {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** How long a read of another node may take (an erpc call's timeout). */
const REMOTE_TIMEOUT_MS = 5000;
/** The largest WebSocket message taken from a page. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Serves the observer of `node` (an OtterNode, or a bare Runtime: a node without distribution) at
 * `http://host:port/`; resolves once it listens.
 */
export async function startObserver(node: Runtime | ObservedNode, options: ObserverOptions = {}): Promise<Observer> {
  const { port, host, intervalMs } = checkedOptions(options);
  const observed = observedNode(node);
  const local = new LocalViews(observed);
  const directory = new NodeDirectory(observed, local, REMOTE_TIMEOUT_MS);
  const samples = new OverviewSamples();
  const metrics = new Metrics(observed);
  const sessions = new Set<Session>();
  let tick = 0;
  let timer: NodeJS.Timeout | undefined;
  const context: SessionContext = { runtime: observed.runtime, directory, samples, intervalMs, tick: () => tick };
  const localName = observed.runtime.node.name;

  const interval = () => {
    tick++;
    samples.forTick(localName, tick, async () => local.overview()).catch(() => {});
    for (const session of sessions) session.refresh();
  };
  const opened = (socket: WebSocket) => {
    // A malformed frame or an oversized message closes this connection (ws emits the error first); nothing else.
    socket.on("error", () => {});
    const session = new Session(socket, context);
    sessions.add(session);
    if (timer === undefined) {
      interval(); // the first sample now, so the overview has one to show
      timer = setInterval(interval, intervalMs);
    }
    socket.on("close", () => {
      sessions.delete(session);
      if (sessions.size === 0) {
        clearInterval(timer);
        timer = undefined;
        local.stopSampling();
      }
    });
    session.hello().catch(() => socket.close());
  };

  const http = createServer(httpRoutes(() => metrics.text()));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? "/", "http://observer").pathname;
    if (path !== "/ws" || !fromThisServer(request)) {
      socket.end(`HTTP/1.1 ${path === "/ws" ? "403 Forbidden" : "404 Not Found"}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, opened);
  });
  directory.watch(() => {
    for (const session of sessions) session.hello().catch(() => {});
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    directory.stop();
    throw error;
  }
  const bound = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/`,
    port: bound,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        timer = undefined;
        directory.stop();
        local.stopSampling();
        metrics.stop();
        for (const client of wss.clients) client.close(1001, "observer closing");
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** Whether a WebSocket request comes from a page of this server (or from no browser page at all: no Origin). */
function fromThisServer(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function checkedOptions(options: ObserverOptions): Required<ObserverOptions> {
  const { port = 0, host = "127.0.0.1", intervalMs = 1000 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`observer port must be an integer from 0 to 65535, not ${String(port)}`);
  }
  if (typeof host !== "string" || host === "")
    throw new RangeError(`observer host must be an address, not ${String(host)}`);
  if (typeof intervalMs !== "number" || !(intervalMs >= 50 && intervalMs <= 3_600_000)) {
    throw new RangeError(`observer intervalMs must be from 50 to 3,600,000 ms, not ${String(intervalMs)}`);
  }
  return { port, host, intervalMs };
}
