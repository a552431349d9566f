// The `{ global: Name }` names of a node of several schedulers: one table in shared memory that every scheduler
// registers them in and looks them up in, so a name registered on one scheduler is seen, sent to and freed on all
// (each scheduler's runtime uses it in place of a table of its own: otp/names.ts `setGlobalNames`).
//
// What it does, exactly (OTP's `global` is the cluster's; this is the node's):
// - A name is any term, keyed by its External Term Format. Its holder is a process of this node, on any scheduler;
//   a pid of another node is refused (PROC_BAD_ARG). Between nodes, `{ via: clusterNames, name }` (cluster/names.ts)
//   is the registry every Otter node shares; nothing here is told to other nodes.
// - registerName takes the name if no live process holds it, atomically across schedulers. A holder of the
//   registering scheduler that has exited is seen dead at once (a supervisor restarting a server there finds its
//   name free).
// - The scheduler that registered a name monitors its holder (a keeper process, spawned at its first registration)
//   and frees the name at the DOWN, as global's name server does. Until that DOWN has come, a lookup on another
//   scheduler may still give the pid of a process that has just exited, as global:whereis_name may: a send to it is
//   dropped, a call to it fails with noproc.
// - unregisterName frees the name whoever holds it, as global:unregister_name does.
// - A scheduler whose thread dies loses the names its processes held (threads.ts frees them with its registered
//   names). A name it registered for a process of another scheduler is then freed when a lookup on the holder's
//   own scheduler finds the holder gone.
import { ErrorCodes, ProcessError } from "../../errors.ts";
import type { NameRegistry } from "../../otp/names.ts";
import { DOWN, type Process, type Runtime } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { decode, encode } from "../../term/etf/index.ts";
import { format } from "../../term/format.ts";
import { TermMap } from "../../term/term-map.ts";
import { type Pid, type Term, Tuple, tuple } from "../../term/types.ts";
import { type NameKeys, nameKey, SharedDirectory, type SharedNamesLayout, sharedNamesLayout } from "./shared-names.ts";

/** To a scheduler's keeper: `{WATCH, Name, Pid}`, free Name when Pid exits. */
const WATCH = atom("$otter_global_watch");

/** Room for 1,024 global names (a node registers a handful) and 64 KiB of their encodings. */
export function globalNamesLayout(): SharedNamesLayout {
  return sharedNamesLayout(1024, 1 << 16);
}

const TERM_KEYS: NameKeys<Term> = { key: (name) => nameKey(encode(name)), name: (bytes) => decode(bytes) };

/** One scheduler's view of the node's global names. */
export class NodeGlobalNames implements NameRegistry {
  private readonly table: SharedDirectory<Term>;
  private keeper: Pid | undefined;

  constructor(
    private readonly rt: Runtime,
    readonly layout: SharedNamesLayout,
  ) {
    this.table = new SharedDirectory(layout, rt.node, rt.creation, rt.seat.index, TERM_KEYS);
  }

  registerName(name: Term, pid: Pid): boolean {
    if (pid.node !== this.rt.node) {
      throw new ProcessError(
        ErrorCodes.PROC_BAD_ARG,
        `a { global } name is the node's: its holder is a process of ${this.rt.node.name}, not ${format(pid)}`,
      );
    }
    if (this.whereisName(name) !== undefined || !this.table.claim(name, pid)) return false;
    this.rt.send(this.keeperPid(), tuple(WATCH, name, pid));
    return true;
  }

  unregisterName(name: Term): void {
    const holder = this.table.lookup(name);
    if (holder !== undefined) this.table.release(name, holder);
  }

  whereisName(name: Term): Pid | undefined {
    const pid = this.table.lookup(name);
    if (pid === undefined || !this.rt.isHere(pid) || this.rt.isAlive(pid)) return pid;
    this.table.release(name, pid); // its process exited: the name is free, before the keeper's DOWN says so
    return undefined;
  }

  /** Scheduler `index` of `count` lost its thread: the names its processes held are free. */
  releaseScheduler(index: number, count: number): void {
    this.table.releaseScheduler(index, count);
  }

  private keeperPid(): Pid {
    if (this.keeper === undefined || !this.rt.isAlive(this.keeper)) {
      this.keeper = this.rt.spawn((self) => keep(self, this.table));
    }
    return this.keeper;
  }
}

/** A scheduler's keeper: monitors each holder it is told of, and frees the holder's names at its DOWN. */
async function keep(self: Process, table: SharedDirectory<Term>): Promise<void> {
  const held = new TermMap<Term[]>();
  for (;;) {
    const m = await self.receive();
    if (!(m instanceof Tuple)) continue;
    if (m.at(0) === WATCH && m.size === 3) {
      const [, name, pid] = m.elements as [Term, Term, Pid];
      const names = held.get(pid);
      if (names === undefined) {
        held.set(pid, [name]);
        self.monitor(pid);
      } else if (!names.some((n) => equals(n, name))) names.push(name);
    } else if (m.at(0) === DOWN && m.size === 5) {
      const pid = m.at(3) as Pid;
      for (const name of held.get(pid) ?? []) table.release(name, pid); // unless someone else holds it by now
      held.delete(pid);
    }
  }
}
