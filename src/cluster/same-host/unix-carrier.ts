// The same-host carrier over a Unix domain socket: a listener in the node's private socket directory, advertised
// through EPMD, and dialled by Otter nodes on this host instead of loopback TCP.
import { connect, createServer, type Server, type Socket } from "node:net";
import type { SameHostCarrier } from "../../dist/same-host-carrier.ts";
import { DistError, ErrorCodes } from "../../errors.ts";
import { encodeAdvertisement, parseAdvertisement, thisHostId } from "./advertisement.ts";
import { clearStaleSocket, ensurePrivateDir } from "./socket-dir.ts";

/**
 * A local socket opens at once or not at all (a listener's full backlog is the slow case); past this the dial
 * gives up and the distribution uses TCP, with most of the setup time left.
 */
const DIAL_TIMEOUT_MS = 1000;

export class UnixSocketCarrier implements SameHostCarrier {
  readonly name = "unix";
  readonly advertisement: Uint8Array;
  private server: Server | undefined;

  constructor(
    /** The socket's directory (made private if missing) and path in it. */
    private readonly dir: string,
    readonly path: string,
    private readonly nodeName: string,
  ) {
    this.advertisement = encodeAdvertisement(path);
  }

  async listen(accepted: (socket: Socket) => void): Promise<void> {
    await ensurePrivateDir(this.dir);
    await clearStaleSocket(this.path, this.nodeName);
    const server = createServer(accepted);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
  }

  dial(extra: Uint8Array): Promise<Socket> | undefined {
    const advertised = parseAdvertisement(extra);
    if (advertised === undefined || advertised.hostId !== thisHostId) return undefined;
    return new Promise((resolve, reject) => {
      const socket = connect({ path: advertised.path });
      const fail = (why: string, cause?: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new DistError(ErrorCodes.DIST_CONNECTION_LOST, `same-host socket ${advertised.path}: ${why}`, { cause }),
        );
      };
      const timer = setTimeout(() => fail(`no connection in ${DIAL_TIMEOUT_MS} ms`), DIAL_TIMEOUT_MS);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(socket);
      });
      // Stays on after the connect (a no-op then) until the handshake puts its own listener on.
      socket.once("error", (e) => fail(e.message, e));
    });
  }

  /** Stops listening; the socket file goes with the listener (libuv unlinks a bound path on close). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
