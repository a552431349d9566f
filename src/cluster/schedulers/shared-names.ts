// The registered names of a node with several schedulers: one hash table in shared memory that every scheduler's
// thread claims names in and looks them up in, so `register/2` stays node-wide and atomic.
//
// Writers (claim, release: rare) take a spin lock (its word says which scheduler holds it, so the lock of one whose
// thread died in it can be taken back) and bump a sequence number before and after their change;
// readers (lookup: every send to a name held on another scheduler) take no lock: they read, and read again if the
// sequence number was odd or moved meanwhile (a seqlock). A slot is never emptied: a released name keeps its slot
// and its bytes, so a probe never stops early and the same name registered again (a restarted server) reuses
// them. A slot whose name is free may take a different name that fits its bytes.
//
// The table keys names by their bytes (SharedDirectory): registered names, atoms, by their UTF-8 (SharedNames); the
// node's `{ global: Name }` names, any term, by their External Term Format (global-names.ts).
import { ErrorCodes, ProcessError } from "../../errors.ts";
import type { NameDirectory } from "../../runtime/index.ts";
import { type Atom, atom } from "../../term/atom.ts";
import { Pid } from "../../term/types.ts";

/** Words of a slot: its state, the name's hash, the holder's id and serial, where the name's bytes are, their length. */
const SLOT_WORDS = 6;
enum Slot {
  State = 0,
  Hash = 1,
  Id = 2,
  Serial = 3,
  NameAt = 4,
  NameLength = 5,
}
enum State {
  Empty = 0,
  Held = 1,
  Free = 2,
}
enum Meta {
  Lock = 0,
  Sequence = 1,
  ArenaUsed = 2,
  Words = 4,
}

/** The shape of a directory's shared memory (sent to each scheduler's thread with the memory itself). */
export interface SharedNamesLayout {
  readonly memory: SharedArrayBuffer;
  /** Slots: a power of two. */
  readonly slots: number;
  readonly arenaBytes: number;
}

/** Room for 16,384 names (BEAM has no fixed limit; a node registers hundreds) and 1 MiB of their UTF-8 bytes. */
export function sharedNamesLayout(slots = 16_384, arenaBytes = 1 << 20): SharedNamesLayout {
  const bytes = (Meta.Words + slots * SLOT_WORDS) * 4 + arenaBytes;
  return { memory: new SharedArrayBuffer(bytes), slots, arenaBytes };
}

/** A name's bytes in the table, and their hash. */
export interface NameKey {
  readonly bytes: Uint8Array;
  readonly hash: number;
}

/** How a directory keys its names: a name's bytes, and the name those bytes are. */
export interface NameKeys<Name> {
  key(name: Name): NameKey;
  name(bytes: Uint8Array): Name;
}

/** The key of a name whose bytes are `bytes`. */
export function nameKey(bytes: Uint8Array): NameKey {
  return { bytes, hash: fnv1a(bytes) };
}

/** Atoms by their UTF-8 bytes, each atom's computed once by this thread. */
class AtomKeys implements NameKeys<Atom> {
  private readonly keys = new Map<Atom, NameKey>();

  key(name: Atom): NameKey {
    let key = this.keys.get(name);
    if (key === undefined) {
      key = nameKey(Buffer.from(name.name, "utf8"));
      this.keys.set(name, key);
    }
    return key;
  }

  name(bytes: Uint8Array): Atom {
    return atom(Buffer.from(bytes).toString());
  }
}

/** Names of the node's processes in shared memory, each held once node-wide; `keys` says how a name is keyed. */
export class SharedDirectory<Name> {
  private readonly meta: Int32Array;
  private readonly table: Int32Array;
  private readonly arena: Uint8Array;
  private readonly mask: number;
  /** What this thread's writers put in the lock word while they hold it. */
  private readonly lockValue: number;
  private freed: ((name: Name, pid: Pid) => void) | undefined;

  /** The node and creation every pid of the directory has; `scheduler`: the one whose thread this is. */
  constructor(
    layout: SharedNamesLayout,
    private readonly node: Atom,
    private readonly creation: number,
    scheduler: number,
    private readonly keys: NameKeys<Name>,
  ) {
    this.lockValue = scheduler + 1;
    const { memory, slots, arenaBytes } = layout;
    this.meta = new Int32Array(memory, 0, Meta.Words);
    this.table = new Int32Array(memory, Meta.Words * 4, slots * SLOT_WORDS);
    this.arena = new Uint8Array(memory, (Meta.Words + slots * SLOT_WORDS) * 4, arenaBytes);
    this.mask = slots - 1;
  }

  claim(name: Name, pid: Pid): boolean {
    const { bytes, hash } = this.keys.key(name);
    return this.write(() => {
      const found = this.find(bytes, hash);
      if (found >= 0 && this.table[found + Slot.State] === State.Held) return false;
      const at = found >= 0 ? found : this.place(bytes, hash);
      this.table[at + Slot.Id] = pid.id;
      this.table[at + Slot.Serial] = pid.serial;
      this.table[at + Slot.State] = State.Held;
      return true;
    });
  }

  release(name: Name, pid: Pid): void {
    const { bytes, hash } = this.keys.key(name);
    const freed = this.write(() => {
      const at = this.find(bytes, hash);
      const t = this.table;
      if (at < 0 || t[at + Slot.State] !== State.Held) return false;
      if (t[at + Slot.Id] !== (pid.id | 0) || t[at + Slot.Serial] !== (pid.serial | 0)) return false;
      t[at + Slot.State] = State.Free;
      return true;
    });
    if (freed) this.freed?.(name, pid);
  }

  /** Has `freed` called for each name this thread frees (with its holder), so the holder's scheduler can be told. */
  whenFreed(freed: (name: Name, pid: Pid) => void): void {
    this.freed = freed;
  }

  transfer(name: Name, from: Pid, to: Pid): boolean {
    const { bytes, hash } = this.keys.key(name);
    return this.write(() => {
      const at = this.find(bytes, hash);
      const t = this.table;
      if (at < 0 || t[at + Slot.State] !== State.Held) return false;
      if (t[at + Slot.Id] !== from.id || t[at + Slot.Serial] !== (from.serial | 0)) return false;
      t[at + Slot.Id] = to.id;
      t[at + Slot.Serial] = to.serial;
      return true;
    });
  }

  /**
   * Scheduler `index` of `count` lost its thread: the lock is taken back if that thread died holding it (its change
   * half done: a slot it was placing stays unheld), and every name its processes held is freed.
   */
  releaseScheduler(index: number, count: number): void {
    const meta = this.meta;
    if (Atomics.compareExchange(meta, Meta.Lock, index + 1, this.lockValue) === index + 1) {
      if ((Atomics.load(meta, Meta.Sequence) & 1) !== 0) Atomics.add(meta, Meta.Sequence, 1);
      Atomics.store(meta, Meta.Lock, 0);
    }
    this.write(() => {
      const t = this.table;
      for (let at = 0; at < t.length; at += SLOT_WORDS) {
        if (t[at + Slot.State] === State.Held && (t[at + Slot.Id]! >>> 0) % count === index) {
          t[at + Slot.State] = State.Free;
        }
      }
    });
  }

  lookup(name: Name): Pid | undefined {
    const { bytes, hash } = this.keys.key(name);
    for (;;) {
      const before = Atomics.load(this.meta, Meta.Sequence);
      if ((before & 1) !== 0) continue; // a writer is at work
      const at = this.find(bytes, hash);
      const t = this.table;
      const held = at >= 0 && t[at + Slot.State] === State.Held;
      const id = held ? t[at + Slot.Id]! : 0;
      const serial = held ? t[at + Slot.Serial]! : 0;
      if (Atomics.load(this.meta, Meta.Sequence) !== before) continue;
      return held ? new Pid(this.node, id >>> 0, serial >>> 0, this.creation) : undefined;
    }
  }

  names(): Name[] {
    for (;;) {
      const before = Atomics.load(this.meta, Meta.Sequence);
      if ((before & 1) !== 0) continue;
      const found: Uint8Array[] = [];
      const t = this.table;
      for (let at = 0; at < t.length; at += SLOT_WORDS) {
        if (t[at + Slot.State] !== State.Held) continue;
        const from = t[at + Slot.NameAt]!;
        found.push(this.arena.slice(from, from + t[at + Slot.NameLength]!));
      }
      if (Atomics.load(this.meta, Meta.Sequence) === before) return found.map((bytes) => this.keys.name(bytes));
    }
  }

  /** The slot (word offset) holding the name, held or free, or -1. Reads only: safe under the seqlock. */
  private find(bytes: Uint8Array, hash: number): number {
    const t = this.table;
    for (let i = 0, probe = hash & this.mask; i <= this.mask; i++, probe = (probe + 1) & this.mask) {
      const at = probe * SLOT_WORDS;
      const state = t[at + Slot.State];
      if (state === State.Empty) return -1;
      if (t[at + Slot.Hash] === hash && this.nameIs(at, bytes)) return at;
    }
    return -1;
  }

  private nameIs(at: number, bytes: Uint8Array): boolean {
    const length = this.table[at + Slot.NameLength]!;
    if (length !== bytes.length) return false;
    const from = this.table[at + Slot.NameAt]!;
    for (let i = 0; i < length; i++) if (this.arena[from + i] !== bytes[i]) return false;
    return true;
  }

  /** A slot for a name not in the table (the writer's lock is held): a free slot its bytes fit, or an empty one. */
  private place(bytes: Uint8Array, hash: number): number {
    const t = this.table;
    for (let i = 0, probe = hash & this.mask; i <= this.mask; i++, probe = (probe + 1) & this.mask) {
      const at = probe * SLOT_WORDS;
      const state = t[at + Slot.State];
      if (state === State.Free && t[at + Slot.NameLength]! >= bytes.length) {
        this.arena.set(bytes, t[at + Slot.NameAt]!);
      } else if (state === State.Empty) {
        const used = Atomics.load(this.meta, Meta.ArenaUsed);
        if (used + bytes.length > this.arena.length) throw full("bytes for names");
        this.arena.set(bytes, used);
        Atomics.store(this.meta, Meta.ArenaUsed, used + bytes.length);
        t[at + Slot.NameAt] = used;
      } else continue;
      t[at + Slot.Hash] = hash;
      t[at + Slot.NameLength] = bytes.length;
      return at;
    }
    throw full("slots");
  }

  /** Runs `change` holding the writers' lock, inside an odd sequence number. */
  private write<T>(change: () => T): T {
    const meta = this.meta;
    while (Atomics.compareExchange(meta, Meta.Lock, 0, this.lockValue) !== 0) {
      // Another scheduler is registering: it holds the lock for a few hundred nanoseconds.
    }
    Atomics.add(meta, Meta.Sequence, 1);
    try {
      return change();
    } finally {
      Atomics.add(meta, Meta.Sequence, 1);
      Atomics.store(meta, Meta.Lock, 0);
    }
  }
}

/** The node's registered names (register/2 and whereis/1 on any scheduler). */
export class SharedNames extends SharedDirectory<Atom> implements NameDirectory {
  /** The node and creation every pid of the directory has; `scheduler`: the one whose thread this is. */
  constructor(layout: SharedNamesLayout, node: Atom, creation: number, scheduler = 0) {
    super(layout, node, creation, scheduler, new AtomKeys());
  }
}

function full(what: string): ProcessError {
  return new ProcessError(ErrorCodes.PROC_SYSTEM_LIMIT, `the node's table of registered names is out of ${what}`);
}

/** FNV-1a over the name's bytes, as a 32-bit integer. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h | 0;
}
