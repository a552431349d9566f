// An embedded EPMD: the name server erl and Otter nodes register with, answering as erts/epmd does.
//
// Each connection carries one request. ALIVE2 keeps its connection: the name lasts until it closes (or sends
// anything more). Every other request is answered and the connection closed. A request epmd would hang up on
// (bad length, bad frame, unknown tag, a silence longer than the packet timeout) is hung up on, without a word
// logged; the server goes on serving everyone else.
import { connect, createServer, type Server, type Socket } from "node:net";
import { DistError, ErrorCodes } from "../../errors.ts";
import { DEFAULT_EPMD_HOST, epmdPort } from "./address.ts";
import {
  type EpmdRequest,
  encodeAlive2Response,
  encodeNamesResponse,
  encodePort2Response,
  type NameEntry,
  parseRequest,
} from "./protocol.ts";
import { NodeRegistry } from "./registry.ts";
import { RequestReader } from "./request-reader.ts";

export interface EpmdServerOptions {
  /** Default `$ERL_EPMD_PORT`, else 4369; 0 picks any free port. */
  port?: number;
  /** The address to listen on. Default 127.0.0.1. */
  host?: string;
  /** How long a connection may stay silent before its request is complete, in ms (epmd's packet timeout: 60 s). */
  packetTimeoutMs?: number;
  /** Milliseconds since the epoch, for creation numbers (default `Date.now`). */
  now?: () => number;
}

const DEFAULT_PACKET_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 2_000;
/** epmd listens with SOMAXCONN: a crowd of nodes starting at once must not wait out SYN retries. */
const LISTEN_BACKLOG = 4096;
/** What epmd takes only from this host: registrations and kills. */
const LOCAL_ONLY: ReadonlySet<EpmdRequest["kind"]> = new Set(["alive2", "alive2Refused", "kill"]);
/** A creation number that says nothing: what epmd sends with a refusal. */
const REFUSED_CREATION = 99;

export class EpmdServer {
  /** The port it listens on (the one picked, when started with port 0). */
  readonly port: number;
  readonly host: string;
  /** Resolves when the server has stopped: after `close()`, or after a KILL_REQ with no node registered. */
  readonly closed: Promise<void>;
  readonly #registry: NodeRegistry;
  readonly #packetTimeoutMs: number;
  readonly #sockets = new Set<Socket>();
  #stop: (() => void) | undefined;

  private constructor(server: Server, host: string, options: EpmdServerOptions) {
    this.host = host;
    this.port = (server.address() as { port: number }).port;
    this.#registry = new NodeRegistry(options.now);
    this.#packetTimeoutMs = options.packetTimeoutMs ?? DEFAULT_PACKET_TIMEOUT_MS;
    this.closed = new Promise((resolve) => {
      this.#stop = () => {
        this.#stop = undefined;
        server.close(() => resolve());
        for (const socket of this.#sockets) socket.destroy();
      };
    });
    server.on("connection", (socket) => this.#serve(socket));
  }

  /** Listens and resolves once it does. Fails with DIST_EPMD (the cause says why, e.g. EADDRINUSE). */
  static start(options: EpmdServerOptions = {}): Promise<EpmdServer> {
    const host = options.host ?? DEFAULT_EPMD_HOST;
    const port = epmdPort(options.port);
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once("error", (error) => {
        reject(
          new DistError(ErrorCodes.DIST_EPMD, `EPMD cannot listen on ${host}:${port}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => resolve(new EpmdServer(server, host, options)));
    });
  }

  /** The registered names and their ports, newest first (the order NAMES answers in). */
  names(): NameEntry[] {
    return this.#registry.names();
  }

  /** Stops listening and drops every connection, which unregisters every node. */
  close(): Promise<void> {
    this.#stop?.();
    return this.closed;
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    const reader = new RequestReader();
    let registered: string | undefined;
    let answered = false;
    // A peer that resets is routine here; the close that follows does the cleanup.
    socket.on("error", () => {});
    socket.setTimeout(this.#packetTimeoutMs, () => socket.destroy());
    socket.on("close", () => {
      this.#sockets.delete(socket);
      if (registered !== undefined) this.#registry.unregister(registered);
    });
    socket.on("data", (chunk: Buffer) => {
      if (answered) {
        // More than one request: epmd drops the connection, and with it the name it registered.
        socket.destroy();
        return;
      }
      const read = reader.push(chunk);
      if (read.state === "partial") return;
      answered = true;
      if (read.state === "bad") socket.destroy();
      else registered = this.#answer(socket, read.body);
    });
  }

  /** Answers one complete request; returns the name it registered, if it did. */
  #answer(socket: Socket, body: Buffer): string | undefined {
    let request: EpmdRequest;
    try {
      request = parseRequest(body);
    } catch {
      socket.destroy();
      return undefined;
    }
    if (LOCAL_ONLY.has(request.kind) && !isLocal(socket)) {
      socket.destroy();
      return undefined;
    }
    switch (request.kind) {
      case "alive2": {
        const { node } = request;
        const creation = this.#registry.register(node);
        const extended = node.highestVersion >= 6;
        if (creation === undefined) {
          socket.end(encodeAlive2Response({ result: 1, creation: REFUSED_CREATION, extended }));
          return undefined;
        }
        socket.setTimeout(0);
        socket.write(encodeAlive2Response({ result: 0, creation, extended }));
        return node.name;
      }
      case "alive2Refused":
        socket.end(
          encodeAlive2Response({ result: 1, creation: REFUSED_CREATION, extended: request.highestVersion >= 6 }),
        );
        return undefined;
      case "portPlease2":
        socket.end(encodePort2Response(this.#registry.lookup(request.name)));
        return undefined;
      case "names":
        socket.end(encodeNamesResponse(this.port, this.#registry.names()));
        return undefined;
      case "kill":
        // Like epmd without -relaxed_command_check: no killing while nodes are registered.
        if (this.#registry.size > 0) socket.end("NO");
        else socket.end("OK", () => this.#stop?.());
        return undefined;
    }
  }
}

/** epmd takes registrations and kills only from the loopback or from this host's own address. */
function isLocal(socket: Socket): boolean {
  const remote = socket.remoteAddress ?? "";
  return (
    remote.startsWith("127.") || remote.startsWith("::ffff:127.") || remote === "::1" || remote === socket.localAddress
  );
}

/**
 * Makes sure an EPMD listens on the EPMD port: when nothing does, starts an embedded one and returns it (the
 * caller closes it); when something does (a real epmd), returns undefined.
 */
export async function ensureEpmd(options: EpmdServerOptions = {}): Promise<EpmdServer | undefined> {
  const host = options.host ?? DEFAULT_EPMD_HOST;
  const port = epmdPort(options.port);
  if (port !== 0 && (await answers(host, port))) return undefined;
  try {
    return await EpmdServer.start({ ...options, host, port });
  } catch (error) {
    // Someone took the port between our probe and our listen.
    if (((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE") return undefined;
    throw error;
  }
}

/** Whether something accepts connections at host:port (a silent host counts as nobody). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ host, port });
    const settle = (listening: boolean) => {
      probe.destroy();
      resolve(listening);
    };
    probe.setTimeout(PROBE_TIMEOUT_MS, () => settle(false));
    probe.once("connect", () => settle(true));
    probe.once("error", () => settle(false));
  });
}
