// Talking to EPMD as a node does: register our name (held as long as the connection stays open), look a node
// up, list the registered names. Every exchange has a deadline and fails with DIST_EPMD.
import { connect, type Socket } from "node:net";
import { DistError, ErrorCodes } from "../../errors.ts";
import { DEFAULT_EPMD_HOST, epmdPort } from "./address.ts";
import {
  alive2ResponseLength,
  DIST_VERSION,
  encodeAlive2Request,
  encodeNamesRequest,
  encodePortPlease2Request,
  MAX_EXTRA_BYTES,
  MAX_NAME_BYTES,
  type NameEntry,
  type NodeInfo,
  NodeType,
  parseAlive2Response,
  parseNamesResponse,
  parsePort2Response,
} from "./protocol.ts";

/** Where EPMD is and how long to wait for it. */
export interface EpmdOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `$ERL_EPMD_PORT`, else 4369. */
  port?: number;
  /** Deadline of the whole exchange (connect, request, answer), in ms. Default 10 s. */
  timeoutMs?: number;
}

export interface RegisterOptions extends EpmdOptions {
  /** Register as a hidden node (type 72) instead of a normal one (77). */
  hidden?: boolean;
  /** The ALIVE2 extra field (at most 1,020 bytes), returned to whoever looks us up. */
  extra?: Uint8Array;
}

/** A name held at EPMD. It lasts as long as its connection: `close()` gives the name up. */
export interface EpmdRegistration {
  readonly alive: string;
  /** The creation EPMD assigned (32-bit, from ALIVE2_X_RESP); pids, ports and refs of this node carry it. */
  readonly creation: number;
  /** Settles when the registration ends: undefined after `close()`, a DIST_EPMD error when EPMD dropped us. Never rejects. */
  readonly closed: Promise<DistError | undefined>;
  /** Gives the name up. Resolves once the connection is closed. */
  close(): Promise<void>;
}

/** EPMD answered our ALIVE2_REQ with a result other than 0: the name is taken (or EPMD would not take it). */
export class EpmdRefusedError extends DistError {
  constructor(
    readonly alive: string,
    readonly result: number,
  ) {
    super(
      ErrorCodes.DIST_EPMD,
      `EPMD refused to register ${JSON.stringify(alive)} (result ${result}): the name is taken`,
    );
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** PORT2_RESP's largest size: fixed fields, a name and an extra field. */
const MAX_PORT2_RESPONSE = 14 + MAX_NAME_BYTES + MAX_EXTRA_BYTES;
/** Far above what any epmd answers NAMES with (one line of at most 1,040 bytes per connection it can hold). */
const MAX_NAMES_RESPONSE = 2 * 1024 * 1024;

interface Settle<T> {
  succeed(value: T): void;
  fail(error: DistError): void;
}

/** Connects, sends `request` and lets `handle` read the answer; fails the whole exchange past its deadline. */
function exchange<T>(
  options: EpmdOptions,
  what: string,
  request: Buffer,
  handle: (socket: Socket, settle: Settle<T>) => void,
): Promise<T> {
  const host = options.host ?? DEFAULT_EPMD_HOST;
  const port = epmdPort(options.port);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<T>((resolve, reject) => {
    const socket = connect({ host, port });
    let done = false;
    const settle: Settle<T> = {
      succeed(value) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(value);
      },
      fail(error) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      },
    };
    const timer = setTimeout(
      () =>
        settle.fail(
          new DistError(ErrorCodes.DIST_EPMD, `${what}: no answer from EPMD at ${host}:${port} in ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    socket.on("error", (error) => {
      settle.fail(
        new DistError(ErrorCodes.DIST_EPMD, `${what}: EPMD at ${host}:${port}: ${error.message}`, { cause: error }),
      );
    });
    socket.write(request);
    handle(socket, settle);
  });
}

/** The exchange for requests EPMD answers and then hangs up on: everything it sent, at most `limit` bytes. */
function readToEnd(options: EpmdOptions, what: string, request: Buffer, limit: number): Promise<Buffer> {
  return exchange<Buffer>(options, what, request, (socket, { succeed, fail }) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(new DistError(ErrorCodes.DIST_EPMD, `${what}: EPMD sent over ${limit} bytes`));
      else chunks.push(chunk);
    });
    socket.on("end", () => succeed(Buffer.concat(chunks, size)));
  });
}

/** Registers `alive` (the name before the `@`) as listening on `distPort`, offering distribution version 6 only. */
export async function register(
  alive: string,
  distPort: number,
  options: RegisterOptions = {},
): Promise<EpmdRegistration> {
  const request = encodeAlive2Request({
    port: distPort,
    nodeType: options.hidden ? NodeType.hidden : NodeType.normal,
    protocol: 0,
    highestVersion: DIST_VERSION,
    lowestVersion: DIST_VERSION,
    name: alive,
    extra: options.extra ?? new Uint8Array(0),
  });
  return exchange<EpmdRegistration>(options, `registering ${alive}`, request, (socket, { succeed, fail }) => {
    let received = Buffer.alloc(0);
    const onEnd = () =>
      fail(new DistError(ErrorCodes.DIST_EPMD, `registering ${alive}: EPMD hung up without answering`));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        if (received.length < alive2ResponseLength(received[0]!)) return;
        const response = parseAlive2Response(received);
        socket.off("data", onData).off("end", onEnd);
        if (response.result !== 0) fail(new EpmdRefusedError(alive, response.result));
        else succeed(new HeldRegistration(alive, response.creation, socket));
      } catch (error) {
        fail(error as DistError);
      }
    };
    socket.on("data", onData).on("end", onEnd);
  });
}

/** Asks EPMD where node `alive` listens; undefined when EPMD has no node of that name. */
export async function portPlease(alive: string, options: EpmdOptions = {}): Promise<NodeInfo | undefined> {
  const request = encodePortPlease2Request(alive);
  return parsePort2Response(await readToEnd(options, `looking up ${alive}`, request, MAX_PORT2_RESPONSE));
}

/** The names registered at EPMD and their ports, in EPMD's order (newest first for epmd). */
export async function names(options: EpmdOptions = {}): Promise<NameEntry[]> {
  const answer = await readToEnd(options, "listing names", encodeNamesRequest(), MAX_NAMES_RESPONSE);
  return parseNamesResponse(answer).names;
}

class HeldRegistration implements EpmdRegistration {
  readonly closed: Promise<DistError | undefined>;
  readonly #socket: Socket;
  #closing = false;

  constructor(
    readonly alive: string,
    readonly creation: number,
    socket: Socket,
  ) {
    this.#socket = socket;
    let why: DistError | undefined;
    this.closed = new Promise((resolve) => {
      socket.on("error", (error) => {
        why ??= new DistError(ErrorCodes.DIST_EPMD, `EPMD connection of ${alive} failed: ${error.message}`, {
          cause: error,
        });
      });
      // EPMD never speaks again on this connection; bytes here mean it is not EPMD.
      socket.on("data", () => {
        why ??= new DistError(ErrorCodes.DIST_EPMD, `EPMD sent unexpected bytes on the connection of ${alive}`);
        socket.destroy();
      });
      socket.on("close", () => {
        resolve(this.#closing ? undefined : (why ?? new DistError(ErrorCodes.DIST_EPMD, `EPMD dropped ${alive}`)));
      });
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#socket.destroy();
    await this.closed;
  }
}
