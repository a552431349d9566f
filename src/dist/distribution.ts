// A node's distribution: its listener, the table of connections to other nodes, connecting on demand, and the
// runtime's transport to them (runtime/contracts.ts SignalTransport).
//
// Sending to a node with no connection starts one (EPMD's PORT_PLEASE2, TCP, the handshake) and queues the
// signals meanwhile, in order; if it fails, links and monitors toward that node fire `noconnection` and the
// messages are dropped, as on the BEAM. A pid of an earlier incarnation of a node (another creation) names a
// dead process: a link to it gets `noproc`, a monitor a DOWN `noproc`, a message is dropped. Two nodes that
// connect to each other at once keep one connection (handshake/`simultaneousWinner`): the node whose attempt loses
// waits, within the setup time, for the other's, as dist_util's `nok` does; a second connection from a node we are
// connected to replaces the first once its handshake proves it (`alive`). The runtime hears of every connection
// that comes up or goes (sink nodeUp/nodeDown, for monitor_node and monitor_nodes). A peer whose EPMD entry
// advertises a same-host carrier we can open (same-host-carrier.ts) is dialled over it, else over TCP; either way
// the same handshake and connection run on the stream.
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { DistError, ErrorCodes } from "../errors.ts";
import {
  type BusyConnection,
  NOCONNECTION,
  NOPROC,
  type NodeKind,
  type Signal,
  type SignalSink,
  type SignalTransport,
} from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { Pid } from "../term/types.ts";
import { Connection, type ConnectionOptions } from "./connection.ts";
import { portPlease } from "./epmd/client.ts";
import { DFlag } from "./flags.ts";
import { type Admission, accept, type Handshaken, initiate, simultaneousWinner } from "./handshake/index.ts";
import { checkNodeName, hostMode, type NameMode, parseNodeName } from "./node-name.ts";
import { type Closer, nodedownReason } from "./nodedown-reason.ts";
import { type CarrierName, type SameHostCarrier, TCP } from "./same-host-carrier.ts";
import { controlOf, signalOf, spawnReplyOf, UnlinkIds } from "./signal-map.ts";
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
  /** A carrier to nodes on this host, accepted on beside TCP and dialled first when a peer advertises it. */
  sameHost?: SameHostCarrier;
}

/** What happens to control messages that are no signal between two processes. */
export interface DistributionHandler {
  /** A spawn request or group leader change from `peer` (this node's own name for its own spawn requests). */
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
  /** An attempt to connect is under way: ours, or the peer's that ours yielded to. */
  connecting: boolean;
  /** Our own attempt (EPMD, TCP, handshake) is running. */
  dialing: boolean;
  /** Callers of `connect` waiting for the connection to come up (true) or fail (false). */
  waiters: ((up: boolean) => void)[];
  /** We answered the peer's own attempt with `ok_simultaneous`: its connection, not ours, will come up. */
  yielded: boolean;
  /** Our attempt lost a simultaneous connect (`nok`): when the peer's has not come by then, we give up. */
  setupDeadline: NodeJS.Timeout | undefined;
}

/** spawn_request's answer from a node that cannot spawn. */
const NOTSUP = atom("notsup");
const DEFAULT_SETUP_TIME_MS = 7000;

export class Distribution implements SignalTransport {
  readonly name: Atom;
  /** Short or long names, as this node's own name is: the kind of peer name it may dial. */
  private readonly nameMode: NameMode;
  private readonly peers = new Map<Atom, Peer>();
  private readonly unlinkIds = new UnlinkIds();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Connections this side closed, and why (for the nodedown reason). */
  private readonly closers = new WeakMap<Connection, Closer>();
  /** How each connection's bytes travel. */
  private readonly carriers = new WeakMap<Connection, CarrierName>();
  private sink: SignalSink | undefined;
  private handler: DistributionHandler | undefined;
  /** This node's creation, from EPMD (known after `listen`, given by `attach`). */
  private creation = 0;
  private closed = false;

  constructor(private readonly options: DistributionOptions) {
    this.nameMode = hostMode(parseNodeName(options.name).host);
    this.name = atom(options.name);
    this.server = createServer((socket) => this.accepted(socket, TCP));
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
   * Starts accepting on the same-host carrier, if any. Called once EPMD holds our name (with the carrier's
   * advertisement), so that a node already running under that name is refused by EPMD before its socket is looked at.
   */
  async listenSameHost(): Promise<void> {
    const carrier = this.options.sameHost;
    await carrier?.listen((socket) => this.accepted(socket, carrier.name));
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
  send(signal: Signal): BusyConnection | undefined {
    const sender = signal.from instanceof Pid ? signal.from : undefined;
    const node = signal.kind === "spawn-request" ? signal.node : signal.to.node;
    return this.sendTo(node, controlOf(signal, this.unlinkIds), sender, signal);
  }

  /**
   * Sends a control message to `node`, connecting first if needed. Returns the connection if it is busy (see
   * Connection.send); the signals queued while a connection is set up count toward no limit.
   */
  sendTo(node: Atom, message: ControlMessage, sender: unknown, signal?: Signal): BusyConnection | undefined {
    if (this.closed) {
      this.failSignal(signal, NOCONNECTION);
      return undefined;
    }
    if (node === this.name) {
      this.toSelf(message);
      return undefined;
    }
    const peer = this.peerOf(node);
    const connection = peer.connection;
    if (connection !== undefined) return this.deliverOut(connection, message, sender, signal);
    peer.queue.push({ message, sender, signal });
    if (!peer.connecting) void this.connect(node);
    return undefined;
  }

  /** SignalTransport: the nodes connected now, of one kind (erlang:nodes/1). */
  nodes(kind: NodeKind): Atom[] {
    const up: Atom[] = [];
    for (const [node, peer] of this.peers) {
      const connection = peer.connection;
      if (connection?.open !== true) continue;
      if (kind === "connected" || (kind === "hidden") === isHidden(connection)) up.push(node);
    }
    return up;
  }

  /** The connection to `node`, if up. */
  connectionTo(node: Atom): Connection | undefined {
    const connection = this.peers.get(node)?.connection;
    return connection?.open === true ? connection : undefined;
  }

  /** How the bytes of the connection to `node` travel ("tcp", or the same-host carrier's name), if it is up. */
  carrierOf(node: Atom): CarrierName | undefined {
    const connection = this.connectionTo(node);
    return connection === undefined ? undefined : this.carriers.get(connection);
  }

  /**
   * Connects to `node` (net_kernel:connect_node, SignalTransport): true when a connection is up, false when it
   * cannot be had (the sink has heard `nodeDown` by then).
   */
  async connect(node: Atom): Promise<boolean> {
    if (node === this.name) return true;
    const peer = this.peerOf(node);
    if (peer.connection?.open === true) return true;
    if (peer.connecting) return this.whenSettled(node);
    peer.connecting = true;
    peer.dialing = true;
    let dialled: { handshaken: Handshaken; carrier: CarrierName };
    try {
      dialled = await this.dial(node);
    } catch (e) {
      peer.dialing = false;
      if (this.connectionTo(node) !== undefined) return true; // the peer's own attempt won meanwhile
      if (peer.yielded) return this.whenSettled(node); // the peer's attempt, under way here, decides
      if (e instanceof DistError && e.code === ErrorCodes.DIST_SIMULTANEOUS_LOST) {
        // `nok`: the peer is connecting to us too and its attempt wins, but it may not have reached us yet.
        // dist_util's loser waits for it (net_kernel then swaps the pending attempt), within the setup time.
        this.awaitPeerAttempt(node, peer);
        return this.whenSettled(node);
      }
      this.unreachable(node, peer);
      return false;
    }
    peer.dialing = false;
    this.up(dialled.handshaken, dialled.carrier);
    return true;
  }

  /** Closes the connection to `node` (erlang:disconnect_node): true if there was one. */
  disconnect(node: Atom): boolean {
    const connection = this.peers.get(node)?.connection;
    if (connection?.open !== true) return false;
    this.closers.set(connection, "disconnect");
    connection.close();
    return true;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { connection } of this.peers.values()) {
      if (connection === undefined) continue;
      this.closers.set(connection, "stop");
      connection.close();
    }
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.options.sameHost?.close();
  }

  private peerOf(node: Atom): Peer {
    let peer = this.peers.get(node);
    if (peer === undefined) {
      peer = {
        connection: undefined,
        queue: [],
        connecting: false,
        dialing: false,
        waiters: [],
        yielded: false,
        setupDeadline: undefined,
      };
      this.peers.set(node, peer);
    }
    return peer;
  }

  /**
   * EPMD lookup, a stream (the same-host carrier when the peer advertises one we reach, else TCP) and the
   * handshake, within the setup time.
   */
  private async dial(node: Atom): Promise<{ handshaken: Handshaken; carrier: CarrierName }> {
    const timeoutMs = this.options.setupTimeMs ?? DEFAULT_SETUP_TIME_MS;
    const name = checkNodeName(node.name, this.nameMode);
    const info = await portPlease(name.alive, { host: name.host, port: this.options.epmdPort, timeoutMs });
    if (info === undefined) throw new DistError(ErrorCodes.DIST_EPMD, `${node.name} is not registered with EPMD`);
    const carrier = this.options.sameHost;
    // A same-host listener that cannot be opened (gone, refusing, not ours to open) means TCP, at once.
    const local = await carrier?.dial(info.extra)?.catch(() => undefined);
    const socket = local ?? (await this.tcpDial(node, name.host, info.port, timeoutMs));
    const handshaken = await initiate(socket, {
      self: { name: this.options.name, creation: this.creation, flags: this.options.flags },
      peer: node.name,
      cookie: this.options.cookie,
      timeoutMs,
      // The peer holds a connection from us: stale unless ours is up (then the peer's own attempt beat this one
      // and this one gives up, as dist_util's is_pending answers false once net_kernel swapped the attempts).
      replaceAlive: () => this.connectionTo(node) === undefined,
    });
    return { handshaken, carrier: local === undefined ? TCP : carrier!.name };
  }

  private tcpDial(node: Atom, host: string, port: number, timeoutMs: number): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host, port });
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
  }

  /** Our attempt lost to the peer's, not here yet: wait for it until the setup time is over. */
  private awaitPeerAttempt(node: Atom, peer: Peer): void {
    peer.setupDeadline = setTimeout(() => {
      peer.setupDeadline = undefined;
      // An attempt admitted meanwhile has its own deadline and decides.
      if (peer.connection === undefined && !peer.yielded && this.peers.get(node) === peer) {
        this.unreachable(node, peer);
      }
    }, this.options.setupTimeMs ?? DEFAULT_SETUP_TIME_MS);
    peer.setupDeadline.unref();
  }

  private accepted(socket: Socket, carrier: CarrierName): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {}); // the handshake reports what matters
    /** The node whose attempt this is, when ours yielded to it (`ok_simultaneous`). */
    let yieldedTo: Atom | undefined;
    accept(socket, {
      self: { name: this.options.name, creation: this.creation, flags: this.options.flags },
      cookie: this.options.cookie,
      timeoutMs: this.options.setupTimeMs ?? DEFAULT_SETUP_TIME_MS,
      admit: (name) => {
        const node = atom(name);
        const admission = this.admit(node);
        if (admission === "ok_simultaneous") yieldedTo = node;
        return admission;
      },
    }).then(
      (handshaken) => {
        this.sockets.delete(socket);
        this.up(handshaken, carrier);
      },
      (error: unknown) => {
        this.sockets.delete(socket);
        this.handler?.refused(error);
        const peer = yieldedTo === undefined ? undefined : this.peers.get(yieldedTo);
        if (peer?.yielded === true && peer.connection === undefined) {
          // The attempt ours yielded to failed; ours, if it has ended, failed with it.
          peer.yielded = false;
          if (!peer.dialing) this.unreachable(yieldedTo!, peer);
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
  private up(handshaken: Handshaken, carrier: CarrierName): void {
    const node = atom(handshaken.peer);
    const old = this.peers.get(node)?.connection;
    // `alive` answered true: the new connection replaces the old one, whose nodedown goes before the nodeup.
    if (old?.open === true) old.close();
    const peer = this.peerOf(node); // after the close, which may have dropped the entry
    // Both ends of a same-host stream are Otter nodes (same-host-carrier.ts): they use the batch framing.
    const options = carrier === TCP ? this.options : { ...this.options, batchFraming: true };
    const connection = new Connection(handshaken, options, {
      received: (message) => this.received(connection, message),
      closed: (why) => this.down(node, connection, why),
      unsendable: (message, error) => this.handler?.unsendable(node, message, error),
    });
    this.carriers.set(connection, carrier);
    clearTimeout(peer.setupDeadline);
    peer.setupDeadline = undefined;
    peer.connection = connection;
    peer.connecting = false;
    peer.yielded = false;
    // Listed by nodes() first, then announced, and only then read: a nodeup precedes what the node sends.
    this.sink?.nodeUp(node, isHidden(connection));
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
  ): BusyConnection | undefined {
    if (signal !== undefined && targetsOldIncarnation(signal, connection.peerCreation)) {
      this.failSignal(signal, NOPROC);
      return undefined;
    }
    if (signal?.kind === "spawn-request" && (connection.flags & DFlag.SPAWN) === 0n) {
      // A peer without DFLAG_SPAWN cannot take the request: the BEAM answers `notsup` itself.
      this.sink?.spawnReplied({ to: signal.from, ref: signal.ref, result: NOTSUP, link: false, monitor: false });
      return undefined;
    }
    try {
      return connection.send(message, sender);
    } catch (e) {
      this.handler?.unsendable(connection.peer, message, e);
      return undefined;
    }
  }

  private received(connection: Connection, message: ControlMessage): void {
    if (message.op === "spawn_reply") {
      this.sink?.spawnReplied(spawnReplyOf(message));
      return;
    }
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
    const nodedown = nodedownReason(why, this.closers.get(connection));
    this.sink?.nodeDown(node, NOCONNECTION, { hidden: isHidden(connection), nodedownReason: nodedown });
    this.handler?.nodeDown(node, why);
  }

  /** `node` cannot be reached: what waited for it fails as the BEAM fails it. */
  private unreachable(node: Atom, peer: Peer): void {
    clearTimeout(peer.setupDeadline);
    peer.setupDeadline = undefined;
    peer.connecting = false;
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
    } else if (signal.kind === "spawn-request") {
      this.sink.spawnReplied({ to: signal.from, ref: signal.ref, result: NOCONNECTION, link: false, monitor: false });
    }
  }

  /**
   * A control message to this node itself: a spawn request to our own name (spawn_request(node(), …)) goes to the
   * handler as one from another node would, and its answer back to the runtime.
   */
  private toSelf(message: ControlMessage): void {
    if (message.op === "spawn_reply") this.sink?.spawnReplied(spawnReplyOf(message));
    else this.handler?.control(message, this.name);
  }

  /** Resolves when the connection attempt under way (ours or the peer's) comes up (true) or fails (false). */
  private whenSettled(node: Atom): Promise<boolean> {
    const peer = this.peers.get(node);
    if (peer?.connection?.open === true) return Promise.resolve(true);
    if (peer === undefined) return Promise.resolve(false);
    return new Promise((resolve) => peer.waiters.push(resolve));
  }
}

/** Whether a connection is hidden: either side is a hidden node, so the flags both use lack PUBLISHED. */
function isHidden(connection: Connection): boolean {
  return (connection.flags & DFlag.PUBLISHED) === 0n;
}

/** Whether `signal` goes to a pid of an earlier incarnation of the peer (a dead process). */
function targetsOldIncarnation(signal: Signal, creation: number): boolean {
  if (signal.kind === "down" || signal.kind === "spawn-request") return false;
  return signal.to instanceof Pid && signal.to.creation !== creation;
}

/** The sender of a SEND without one (older peers): a pid of the peer that names no process. */
function unknownSender(connection: Connection): Pid {
  return new Pid(connection.peer, 0, 0, connection.peerCreation);
}
