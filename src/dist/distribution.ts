// A node's distribution: its listener, the table of connections to other nodes, connecting on demand, and the
// runtime's transport to them (runtime/contracts.ts SignalTransport).
//
// Sending to a node with no connection starts one (EPMD's PORT_PLEASE2, TCP, the handshake) and queues the
// signals meanwhile, in order; if it fails, links and monitors toward that node fire `noconnection` and the
// messages are dropped, as on the BEAM. A pid of an earlier incarnation of a node (another creation) names a
// dead process: a link to it gets `noproc`, a monitor a DOWN `noproc`, a message is dropped. Two nodes that
// connect to each other at once keep one connection (handshake/`simultaneousWinner`); a second connection from
// a node we are connected to replaces the first once its handshake proves it (`alive`).
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { DistError, ErrorCodes } from "../errors.ts";
import { NOCONNECTION, NOPROC, type Signal, type SignalSink, type SignalTransport } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { Pid } from "../term/types.ts";
import { Connection, type ConnectionOptions } from "./connection.ts";
import { portPlease } from "./epmd/client.ts";
import { type Admission, accept, type Handshaken, initiate, simultaneousWinner } from "./handshake/index.ts";
import { checkNodeName, hostMode, type NameMode, parseNodeName } from "./node-name.ts";
import { controlOf, signalOf, UnlinkIds } from "./signal-map.ts";
import type { ControlMessage } from "./wire/control.ts";

export interface DistributionOptions extends ConnectionOptions {
  /** This node's full name, `alive@host`. */
  name: string;
  /** Capability flags to offer (flags.ts `advertisedFlags`). */
  flags: bigint;
  cookie: string;
  /** How long connecting to a node may take, EPMD lookup and handshake included (net_setuptime, default 7 s). */
  setupTimeMs?: number;
  /** Where the peers' EPMD listens (default: its host's port 4369, or ERL_EPMD_PORT). */
  epmdPort?: number;
}

/** What happens to control messages that are no signal between two processes. */
export interface DistributionHandler {
  /** A spawn request, spawn reply or group leader change from `peer`. */
  control(message: ControlMessage, peer: Atom): void;
  nodeUp(node: Atom): void;
  nodeDown(node: Atom, reason: DistError | undefined): void;
  /** A node's attempt to connect here failed (wrong cookie, broken handshake, refused by us, timed out). */
  refused(error: unknown): void;
  /** A message queued behind a large one could not be encoded (logged by the node). */
  unsendable(node: Atom, message: ControlMessage, error: unknown): void;
}

interface Peer {
  connection: Connection | undefined;
  /** Signals waiting for the connection, with their senders. */
  queue: { message: ControlMessage; sender: unknown; signal: Signal | undefined }[];
  connecting: boolean;
  /** Callers of `connect` waiting for the connection to come up (true) or fail (false). */
  waiters: ((up: boolean) => void)[];
  /** We answered the peer's own attempt with `ok_simultaneous`: its connection, not ours, will come up. */
  yielded: boolean;
}

const DEFAULT_SETUP_TIME_MS = 7000;

export class Distribution implements SignalTransport {
  readonly name: Atom;
  /** Short or long names, as this node's own name is: the kind of peer name it may dial. */
  private readonly nameMode: NameMode;
  private readonly peers = new Map<Atom, Peer>();
  private readonly unlinkIds = new UnlinkIds();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private sink: SignalSink | undefined;
  private handler: DistributionHandler | undefined;
  /** This node's creation, from EPMD (known after `listen`, given by `attach`). */
  private creation = 0;
  private closed = false;

  constructor(private readonly options: DistributionOptions) {
    this.nameMode = hostMode(parseNodeName(options.name).host);
    this.name = atom(options.name);
    this.server = createServer((socket) => this.accepted(socket));
  }

  /** Starts listening on `port` (0: any) at `host`; resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const address = this.server.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  }

  /**
   * Connects the runtime, whose creation EPMD gave: `sink` receives the signals from other nodes, `handler` the
   * rest. Until then, nodes that connect are refused.
   */
  attach(sink: SignalSink, creation: number, handler: DistributionHandler): void {
    this.sink = sink;
    this.creation = creation;
    this.handler = handler;
  }

  /** SignalTransport: a signal to a process of another node. */
  send(signal: Signal): void {
    const sender = signal.from instanceof Pid ? signal.from : undefined;
    this.sendTo(signal.to.node, controlOf(signal, this.unlinkIds), sender, signal);
  }

  /** Sends a control message to `node`, connecting first if needed. */
  sendTo(node: Atom, message: ControlMessage, sender: unknown, signal?: Signal): void {
    if (this.closed) {
      this.failSignal(signal, NOCONNECTION);
      return;
    }
    const peer = this.peerOf(node);
    const connection = peer.connection;
    if (connection !== undefined) this.deliverOut(connection, message, sender, signal);
    else {
      peer.queue.push({ message, sender, signal });
      if (!peer.connecting) void this.connect(node);
    }
  }

  /** Connected nodes (`nodes(connected)`), or only the visible ones. */
  nodes(): Atom[] {
    const up: Atom[] = [];
    for (const [node, peer] of this.peers) if (peer.connection?.open === true) up.push(node);
    return up;
  }

  /** The connection to `node`, if up. */
  connectionTo(node: Atom): Connection | undefined {
    const connection = this.peers.get(node)?.connection;
    return connection?.open === true ? connection : undefined;
  }

  /** Connects to `node` (net_kernel:connect_node): true when a connection is up, false when it cannot be had. */
  async connect(node: Atom): Promise<boolean> {
    if (node === this.name) return true;
    const peer = this.peerOf(node);
    if (peer.connection?.open === true) return true;
    if (peer.connecting) return this.whenSettled(node);
    peer.connecting = true;
    try {
      const handshaken = await this.dial(node);
      this.up(handshaken);
      return true;
    } catch (e) {
      peer.connecting = false;
      if (this.connectionTo(node) !== undefined) return true; // the peer's own attempt won meanwhile
      if (peer.yielded && e instanceof DistError && e.code === ErrorCodes.DIST_NOT_ALLOWED) {
        return this.whenSettled(node); // the peer's connection is on its way
      }
      this.unreachable(node, peer);
      return false;
    }
  }

  /** Closes the connection to `node` (erlang:disconnect_node): true if there was one. */
  disconnect(node: Atom): boolean {
    const connection = this.peers.get(node)?.connection;
    if (connection?.open !== true) return false;
    connection.close();
    return true;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const peer of this.peers.values()) peer.connection?.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private peerOf(node: Atom): Peer {
    let peer = this.peers.get(node);
    if (peer === undefined) {
      peer = { connection: undefined, queue: [], connecting: false, waiters: [], yielded: false };
      this.peers.set(node, peer);
    }
    return peer;
  }

  /** EPMD lookup, TCP connect and handshake, within the setup time. */
  private async dial(node: Atom): Promise<Handshaken> {
    const timeoutMs = this.options.setupTimeMs ?? DEFAULT_SETUP_TIME_MS;
    const name = checkNodeName(node.name, this.nameMode);
    const info = await portPlease(name.alive, { host: name.host, port: this.options.epmdPort, timeoutMs });
    if (info === undefined) throw new DistError(ErrorCodes.DIST_EPMD, `${node.name} is not registered with EPMD`);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host: name.host, port: info.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new DistError(ErrorCodes.DIST_TIMEOUT, `connecting to ${node.name} took over ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(new DistError(ErrorCodes.DIST_CONNECTION_LOST, `connecting to ${node.name}: ${e.message}`));
      });
    });
    return initiate(socket, {
      self: { name: this.options.name, creation: this.creation, flags: this.options.flags },
      peer: node.name,
      cookie: this.options.cookie,
      timeoutMs,
    });
  }

  private accepted(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {}); // the handshake reports what matters
    accept(socket, {
      self: { name: this.options.name, creation: this.creation, flags: this.options.flags },
      cookie: this.options.cookie,
      timeoutMs: this.options.setupTimeMs ?? DEFAULT_SETUP_TIME_MS,
      admit: (peer) => this.admit(atom(peer)),
    }).then(
      (handshaken) => {
        this.sockets.delete(socket);
        this.up(handshaken);
      },
      (error: unknown) => {
        this.sockets.delete(socket);
        this.handler?.refused(error);
        for (const [node, peer] of this.peers) {
          if (peer.yielded && peer.connection === undefined && !peer.connecting) this.unreachable(node, peer);
        }
      },
    );
  }

  /** What the acceptor answers a node that wants to connect (dist_util's rules, via the connection table). */
  private admit(node: Atom): Admission {
    if (this.closed || this.sink === undefined) return "not_allowed";
    const peer = this.peers.get(node);
    if (peer?.connection?.open === true) return "alive";
    if (peer?.connecting === true) {
      if (simultaneousWinner(this.options.name, node.name) === "us") return "nok";
      peer.yielded = true;
      return "ok_simultaneous";
    }
    return "ok";
  }

  /** A handshake finished: the connection is up, and what waited for it goes out. */
  private up(handshaken: Handshaken): void {
    const node = atom(handshaken.peer);
    const peer = this.peerOf(node);
    const old = peer.connection;
    if (old?.open === true) old.close(); // `alive` answered true: the new connection replaces it
    const connection = new Connection(handshaken, this.options, {
      received: (message) => this.received(connection, message),
      closed: (why) => this.down(node, connection, why),
      unsendable: (message, error) => this.handler?.unsendable(node, message, error),
    });
    peer.connection = connection;
    peer.connecting = false;
    peer.yielded = false;
    this.handler?.nodeUp(node);
    for (const waiter of peer.waiters.splice(0)) waiter(true);
    const queue = peer.queue;
    peer.queue = [];
    for (const { message, sender, signal } of queue) this.deliverOut(connection, message, sender, signal);
    connection.startReading();
  }

  private deliverOut(
    connection: Connection,
    message: ControlMessage,
    sender: unknown,
    signal: Signal | undefined,
  ): void {
    if (signal !== undefined && targetsOldIncarnation(signal, connection.peerCreation)) {
      this.failSignal(signal, NOPROC);
      return;
    }
    try {
      connection.send(message, sender);
    } catch (e) {
      this.handler?.unsendable(connection.peer, message, e);
    }
  }

  private received(connection: Connection, message: ControlMessage): void {
    if (message.op === "unlink_id") {
      // The acknowledgement goes out before anything else to that sender (erl_dist_protocol.md).
      connection.send({ op: "unlink_id_ack", id: message.id, from: message.to, to: message.from }, message.to);
    }
    const signal = signalOf(message, this.name, connection.peer, unknownSender(connection));
    if (signal !== undefined) this.sink?.deliver(signal);
    else if (message.op !== "unlink_id_ack") this.handler?.control(message, connection.peer);
  }

  private down(node: Atom, connection: Connection, why: DistError | undefined): void {
    const peer = this.peers.get(node);
    if (peer === undefined || peer.connection !== connection) return; // a replaced connection
    peer.connection = undefined;
    if (peer.queue.length === 0 && !peer.connecting) this.peers.delete(node);
    this.sink?.nodeDown(node, NOCONNECTION);
    this.handler?.nodeDown(node, why);
  }

  /** `node` cannot be reached: what waited for it fails as the BEAM fails it. */
  private unreachable(node: Atom, peer: Peer): void {
    const queue = peer.queue;
    this.peers.delete(node);
    for (const { signal } of queue) this.failSignal(signal, NOCONNECTION);
    for (const waiter of peer.waiters.splice(0)) waiter(false);
    this.sink?.nodeDown(node, NOCONNECTION);
  }

  /** A link or monitor whose target cannot be reached gets its answer at once; anything else is dropped. */
  private failSignal(signal: Signal | undefined, reason: typeof NOPROC | typeof NOCONNECTION): void {
    if (signal === undefined || this.sink === undefined) return;
    if (signal.kind === "link") {
      this.sink.deliver({ kind: "exit", from: signal.to, to: signal.from, reason, link: true });
    } else if (signal.kind === "monitor") {
      this.sink.deliver({ kind: "down", from: signal.to, to: signal.from, ref: signal.ref, reason });
    }
  }

  /** Resolves when the connection attempt under way (ours or the peer's) comes up (true) or fails (false). */
  private whenSettled(node: Atom): Promise<boolean> {
    const peer = this.peers.get(node);
    if (peer?.connection?.open === true) return Promise.resolve(true);
    if (peer === undefined) return Promise.resolve(false);
    return new Promise((resolve) => peer.waiters.push(resolve));
  }
}

/** Whether `signal` goes to a pid of an earlier incarnation of the peer (a dead process). */
function targetsOldIncarnation(signal: Signal, creation: number): boolean {
  const to = signal.to;
  return to instanceof Pid && to.creation !== creation && signal.kind !== "down";
}

/** The sender of a SEND without one (older peers): a pid of the peer that names no process. */
function unknownSender(connection: Connection): Pid {
  return new Pid(connection.peer, 0, 0, connection.peerCreation);
}
