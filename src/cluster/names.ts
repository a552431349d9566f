// Cluster-wide names: a NameRegistry every connected Otter node running it holds a full copy of (a much simpler
// OTP `global`), so `{ via: names, name }` resolves the same on each node.
//
// How it stays one table (compare global.erl, which takes a cluster lock for every registration instead):
// - A registration is decided on the registering node from its copy (so `registerName` stays synchronous, as the
//   `via` contract wants) and then told to every peer, in order, by this node's `otter_names` process.
// - Two nodes that register one name at once each learn of the other's pid: every node keeps the pid that comes
//   first in Erlang term order (the same answer everywhere), and the node of the losing pid kills it, as global's
//   default resolver (`random_exit_name`) does, with a warning logged.
// - Every node monitors every pid in its copy and drops the name when the pid exits or its node goes down
//   (`noconnection`), as global frees the names of a node that goes down; nothing needs to be told for that.
// - When two nodes connect, each tells the other the names held by its own processes (each node speaks for its
//   own pids; a name held on a third node comes from that node).
// - `repoint` moves a name from one pid to another (a migrated server, a standby taking over) in one step.

import type { NameRegistry } from "../otp/names.ts";
import type { Behaviour, Process, Runtime } from "../runtime/index.ts";
import { DOWN, KILL } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { compare, equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import { TermMap } from "../term/term-map.ts";
import type { Pid, Ref, Term } from "../term/types.ts";
import { Tuple, tuple } from "../term/types.ts";

/** The registered name of the process that keeps a node's copy in step with its peers'. */
export const NAMES_SERVER = atom("otter_names");
/** Operations of this node's registry, to its names process; then told to the peers' as PEER_NAMES. */
const NAMES = atom("$otter_names");
const PEER_NAMES = atom("$otter_names_peer");
const REGISTER = atom("register");
const UNREGISTER = atom("unregister");
const REPOINT = atom("repoint");
const SYNC = atom("sync");
const NODEUP = atom("nodeup");

/** A node's copy of the cluster's names; use it as `{ via: names, name }`. */
export class ClusterNames implements NameRegistry {
  /** name → the pid holding it. */
  readonly table = new TermMap<Pid>();
  /** @internal This node's `otter_names` process (set once it is spawned). */
  server!: Pid;

  constructor(readonly runtime: Runtime) {}

  registerName(name: Term, pid: Pid): boolean {
    if (this.whereisName(name) !== undefined) return false;
    this.table.set(name, pid);
    this.runtime.send(this.server, tuple(NAMES, REGISTER, name, pid));
    return true;
  }

  unregisterName(name: Term): void {
    const pid = this.table.get(name);
    if (pid === undefined) return;
    this.table.delete(name);
    this.runtime.send(this.server, tuple(NAMES, UNREGISTER, name, pid));
  }

  whereisName(name: Term): Pid | undefined {
    const pid = this.table.get(name);
    // A holder of this scheduler that exited is gone at once, before the monitor's DOWN clears the entry (one of
    // another scheduler or node counts until then).
    if (pid !== undefined && this.runtime.isHere(pid) && !this.runtime.isAlive(pid)) return undefined;
    return pid;
  }

  /**
   * Moves `name` from `from` to `to` (a migrated server's new pid, a standby taking over). True when done: the
   * name was free or held by `from` (or already by `to`); false when another process holds it.
   */
  repoint(name: Term, from: Pid, to: Pid): boolean {
    const holder = this.whereisName(name);
    if (holder !== undefined && !equals(holder, from) && !equals(holder, to)) return false;
    this.table.set(name, to);
    this.runtime.send(this.server, tuple(NAMES, REPOINT, name, from, to));
    return true;
  }

  /** Every name and its pid, as this node sees them now. */
  names(): Array<[Term, Pid]> {
    return [...this.table.entries()].filter(([name]) => this.whereisName(name) !== undefined);
  }
}

/**
 * Starts cluster-wide names on `node`: its `otter_names` process, which syncs with every connected node that
 * runs one too, now and on each later nodeup. Use the result as `{ via: names, name }` on that node.
 */
export function startClusterNames(node: { readonly runtime: Runtime }): ClusterNames {
  const names = new ClusterNames(node.runtime);
  names.server = node.runtime.spawn(namesServer, { arg: names, name: NAMES_SERVER });
  return names;
}

/** The state of a node's `otter_names` process. */
class NamesState {
  /** The monitor watching each name's holder, by name, and the name each monitor watches for. */
  readonly monitorOf = new TermMap<Ref>();
  readonly nameOf = new TermMap<Term>();

  constructor(readonly names: ClusterNames) {}
}

const namesServer: Behaviour<NamesState, ClusterNames> = {
  name: "otter_names",
  init(self, names) {
    self.monitorNodes(true);
    for (const peer of self.runtime.nodes()) sync(self, names, peer, true);
    return new NamesState(names);
  },
  handleMessage(self, message, state) {
    if (!(message instanceof Tuple)) return state;
    const tag = message.at(0);
    if (tag === NAMES) {
      applyOperation(self, state, message, false);
      tellPeers(self, message);
    } else if (tag === PEER_NAMES) {
      applyOperation(self, state, message, true);
    } else if (tag === DOWN) {
      dropHolder(state, message);
    } else if (tag === NODEUP) {
      sync(self, state.names, message.at(1) as Atom, false);
    }
    return state;
  },
};

/**
 * `{Tag, Op, …}`: an operation this node's registry already applied to the table (`fromPeer` false: only the
 * monitors follow), or one a peer's names process tells (`fromPeer` true).
 */
function applyOperation(self: Process, state: NamesState, message: Tuple, fromPeer: boolean): void {
  const { names } = state;
  const op = message.at(1);
  const name = message.at(2)!;
  if (op === REGISTER) {
    const pid = message.at(3) as Pid;
    if (fromPeer) merge(self, state, name, pid);
    else if (holds(names, name, pid)) watch(self, state, name, pid);
  } else if (op === UNREGISTER) {
    const pid = message.at(3) as Pid;
    const holder = names.table.get(name);
    if (holder !== undefined && equals(holder, pid)) names.table.delete(name);
    if (names.table.get(name) === undefined) unwatch(self, state, name);
  } else if (op === REPOINT) {
    const [from, to] = [message.at(3) as Pid, message.at(4) as Pid];
    const holder = names.table.get(name);
    if (!fromPeer) {
      if (holds(names, name, to)) watch(self, state, name, to);
    } else if (holder === undefined || equals(holder, from)) {
      names.table.set(name, to);
      watch(self, state, name, to);
    } else {
      merge(self, state, name, to);
    }
  } else if (op === SYNC && fromPeer) {
    for (const entry of message.at(3) as Term[])
      merge(self, state, (entry as Tuple).at(0)!, (entry as Tuple).at(1) as Pid);
    if (message.at(4) === true) sync(self, names, name as Atom, false);
  }
}

/** Whether `pid` holds `name` in this node's copy still (a conflict may have moved it since). */
function holds(names: ClusterNames, name: Term, pid: Pid): boolean {
  const holder = names.table.get(name);
  return holder !== undefined && equals(holder, pid);
}

/** Tells every connected peer an operation of this node's registry. */
function tellPeers(self: Process, message: Tuple): void {
  const told = tuple(PEER_NAMES, ...message.elements.slice(1));
  for (const peer of self.runtime.nodes()) self.send({ name: NAMES_SERVER, node: peer }, told);
}

/** Tells `peer` the names held by this node's processes; `replyWanted` asks it for its own in return. */
function sync(self: Process, names: ClusterNames, peer: Atom, replyWanted: boolean): void {
  const own = names.names().filter(([, pid]) => pid.node === self.runtime.node);
  const entries = own.map(([name, pid]) => tuple(name, pid));
  self.send({ name: NAMES_SERVER, node: peer }, tuple(PEER_NAMES, SYNC, self.runtime.node, entries, replyWanted));
}

/** A peer says `pid` holds `name`: taken as is when the name is free here, else the conflict is resolved. */
function merge(self: Process, state: NamesState, name: Term, pid: Pid): void {
  const holder = state.names.whereisName(name);
  if (holder !== undefined && equals(holder, pid)) return;
  if (holder === undefined) {
    state.names.table.set(name, pid);
    watch(self, state, name, pid);
    return;
  }
  // Two pids claim the name: every node keeps the one first in term order; the loser's own node ends it.
  const [winner, loser] = compare(holder, pid) <= 0 ? [holder, pid] : [pid, holder];
  state.names.table.set(name, winner);
  watch(self, state, name, winner);
  if (loser.node === self.runtime.node) {
    self.runtime.logger.warning(
      `cluster names: name conflict for ${format(name)}: ${format(winner)} keeps it, terminating ${format(loser)}`,
    );
    self.exit(loser, KILL);
  }
}

/** Monitors the holder of `name`, so the name is dropped when it exits (or its node goes down). */
function watch(self: Process, state: NamesState, name: Term, pid: Pid): void {
  unwatch(self, state, name);
  const ref = self.monitor(pid);
  state.monitorOf.set(name, ref);
  state.nameOf.set(ref, name);
}

function unwatch(self: Process, state: NamesState, name: Term): void {
  const ref = state.monitorOf.get(name);
  if (ref === undefined) return;
  self.demonitor(ref, { flush: true });
  state.monitorOf.delete(name);
  state.nameOf.delete(ref);
}

/** `{'DOWN', Ref, process, Pid, Reason}` of a holder: its name is free (unless it moved to another pid since). */
function dropHolder(state: NamesState, down: Tuple): void {
  const ref = down.at(1)!;
  const name = state.nameOf.get(ref);
  if (name === undefined) return;
  state.nameOf.delete(ref);
  state.monitorOf.delete(name);
  const holder = state.names.table.get(name);
  if (holder !== undefined && equals(holder, down.at(3)!)) state.names.table.delete(name);
}
