// Registry: Elixir's Registry, local to a runtime: a table from keys to the processes registered under them (unique
// or duplicate keys, each entry with a value) that forgets a process's entries when it exits; also a `via` name
// registry, so a server can be named by a registry key.
//
// Registering is synchronous, as NameRegistry.registerName must be: the registering process writes the table itself,
// as Elixir's callers write the registry's ETS tables. That is safe because a runtime runs one process at a time on
// one thread: a register is one uninterrupted step, so no other register can come between a unique key's check and
// its insert. The registry process only cleans up: it traps exits, links to every process that has an entry (as
// Elixir's partitions do) and deletes a process's entries when its EXIT comes. Until then readers skip entries of
// processes that are no longer alive and a unique key they hold can be taken, so the delay is never seen (Elixir's
// `lookup` and `register` check liveness the same way). That check is synchronous, so it sees this scheduler's
// processes only: a pid of another scheduler or node (which only `registerName` with a pid other than the caller's
// puts here) counts as alive until its EXIT comes. There are no partitions: Elixir has them to spread writes over
// schedulers, and a runtime has one thread.
//
// API → what the registry process does:
//   Registry.start / startLink(self, { keys, name?, meta? })  →  init: traps exits; the table, empty
//   register / registerName (the caller writes the table)  →  at a process's first entry: links to it
//   unregister / unregisterMatch / unregisterName (the caller writes)  →  after a process's last entry: unlinks
//   lookup / keys / count / dispatch / meta / putMeta  →  nothing: they read or write the table directly
//   a registered process's `{'EXIT', Pid, _}`  →  its entries are deleted
//   its own exit  →  the table is emptied and refuses use; its exit signal reaches the registered processes
//     through the links, as in Elixir
import { ErrorCodes, ProcessError } from "../errors.ts";
import { EXIT, type Process, Runtime } from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import { TermMap } from "../term/term-map.ts";
import { Pid, type Term, Tuple, tuple } from "../term/types.ts";
import { GenServer, type GenServerCallbacks } from "./gen-server.ts";
import { type NameRegistry, resolve, type ServerRef, type ViaName } from "./names.ts";
import type { StartOptions } from "./start.ts";

export type RegistryKeys = "unique" | "duplicate";

export interface RegistryOptions extends StartOptions {
  /** A key has one process (`unique`) or any number, a process possibly several times (`duplicate`). */
  readonly keys: RegistryKeys;
  /** The registry's metadata to begin with (Elixir's `meta`); see `Registry.meta`. */
  readonly meta?: Iterable<readonly [Term, Term]>;
}

export type RegistryStart = { readonly pid: Pid; readonly registry: Registry } | { readonly error: Term };

/** One registration: `pid` under `key` with `value`. */
interface Entry {
  readonly key: Term;
  readonly pid: Pid;
  readonly value: Term;
}

const LINK = atom("$otter_registry_link");
const UNLINK = atom("$otter_registry_unlink");
const ALREADY_REGISTERED = atom("already_registered");
const UNDEFINED = atom("undefined");

/** The running registries of each runtime, by pid (for `Registry.of`). */
const running = new WeakMap<Runtime, TermMap<Registry>>();

/**
 * A registry: its table, and the handle every Registry function takes. As a NameRegistry it is what `Registry.via`
 * names go through (unique keys only).
 */
export class Registry implements NameRegistry {
  readonly keys: RegistryKeys;
  readonly #rt: Runtime;
  #pid: Pid | undefined = undefined;
  #closed = false;
  /** key → its entry (unique keys) or its entries in registration order (duplicate keys). */
  readonly #byKey = new TermMap<Entry | Set<Entry>>();
  /** pid → its entries in registration order; a pid is here exactly while it has entries. */
  readonly #byPid = new TermMap<Entry[]>();
  readonly #meta = new TermMap<Term>();
  #count = 0;

  private constructor(rt: Runtime, options: RegistryOptions) {
    if (options.keys !== "unique" && options.keys !== "duplicate") {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `Registry: keys are unique or duplicate, not ${options.keys}`);
    }
    this.keys = options.keys;
    this.#rt = rt;
    for (const [key, value] of options.meta ?? []) this.#meta.set(key, value);
  }

  /** The registry process. */
  get pid(): Pid {
    return this.#pid!;
  }

  // NameRegistry: what `{ via: registry, name: key }` names go through.

  registerName(name: Term, pid: Pid): boolean {
    this.#checkVia();
    return this.#register(name, pid, UNDEFINED) === undefined;
  }

  unregisterName(name: Term): void {
    this.#checkVia();
    const held = this.#byKey.get(name) as Entry | undefined;
    if (held !== undefined) this.#remove(held);
  }

  whereisName(name: Term): Pid | undefined {
    this.#checkVia();
    const held = this.#byKey.get(name) as Entry | undefined;
    return held !== undefined && this.#alive(held.pid) ? held.pid : undefined;
  }

  /** Starts a registry not linked to anyone; from a process or from outside (a Runtime). */
  static async start(from: Process | Runtime, options: RegistryOptions): Promise<RegistryStart> {
    const registry = new Registry(from instanceof Runtime ? from : from.runtime, options);
    const started = await GenServer.start(from, Registry.#server(registry, undefined), undefined, options);
    return Registry.#started(registry, started);
  }

  /** Starts a registry linked to `self` (its parent). */
  static async startLink(self: Process, options: RegistryOptions): Promise<RegistryStart> {
    const registry = new Registry(self.runtime, options);
    const server = Registry.#server(registry, self.pid);
    return Registry.#started(registry, await GenServer.startLink(self, server, undefined, options));
  }

  /** The running registry `server` names (its pid, or the name it was started with), if there is one. */
  static of(from: Process | Runtime, server: ServerRef): Registry | undefined {
    const rt = from instanceof Runtime ? from : from.runtime;
    const pid = resolve(rt, server);
    const registry = pid instanceof Pid ? running.get(rt)?.get(pid) : undefined;
    if (registry === undefined || rt.isAlive(registry.pid)) return registry;
    registry.#close();
    return undefined;
  }

  /**
   * The name of the server registered under `key` in `registry` (unique keys), for `{ name }` options and calls
   * (Elixir's `{:via, Registry, {registry, key}}`). A server registers under it with the value `undefined`.
   */
  static via(registry: Registry, key: Term): ViaName {
    registry.#checkVia();
    return { via: registry, name: key };
  }

  /**
   * Registers `self` under `key` with `value`. With unique keys, a key held by a live process gives
   * `{ error: {already_registered, Pid} }` (even when that is `self`); with duplicate keys it always succeeds.
   */
  static register(self: Process, registry: Registry, key: Term, value: Term): { ok: true } | { error: Term } {
    registry.#check();
    const holder = registry.#register(key, self.pid, value);
    return holder === undefined ? { ok: true } : { error: tuple(ALREADY_REGISTERED, holder) };
  }

  /** Removes every entry of `self` under `key`. */
  static unregister(self: Process, registry: Registry, key: Term): void {
    Registry.unregisterMatch(self, registry, key, () => true);
  }

  /** Removes the entries of `self` under `key` whose value `match` accepts. */
  static unregisterMatch(self: Process, registry: Registry, key: Term, match: (value: Term) => boolean): void {
    registry.#check();
    for (const entry of [...(registry.#byPid.get(self.pid) ?? [])]) {
      if (equals(entry.key, key) && match(entry.value)) registry.#remove(entry);
    }
  }

  /** The live processes under `key` with their values (in registration order). */
  static lookup(registry: Registry, key: Term): [Pid, Term][] {
    registry.#check();
    const found = registry.#byKey.get(key);
    if (found === undefined) return [];
    const live: [Pid, Term][] = [];
    for (const entry of found instanceof Set ? found : [found]) {
      if (registry.#alive(entry.pid)) live.push([entry.pid, entry.value]);
    }
    return live;
  }

  /** The keys `pid` is registered under (a duplicate key once for each registration); none once it exited. */
  static keys(registry: Registry, pid: Pid): Term[] {
    registry.#check();
    if (!registry.#alive(pid)) return [];
    return (registry.#byPid.get(pid) ?? []).map((entry) => entry.key);
  }

  /** How many entries there are (as Elixir's, those of an exited process until the registry has deleted them). */
  static count(registry: Registry): number {
    registry.#check();
    return registry.#count;
  }

  /** Calls `fn` with the live entries under `key` (not at all when there are none), in the calling process. */
  static dispatch(registry: Registry, key: Term, fn: (entries: [Pid, Term][]) => void): void {
    const entries = Registry.lookup(registry, key);
    if (entries.length > 0) fn(entries);
  }

  /** The registry's metadata under `key`, or undefined. */
  static meta(registry: Registry, key: Term): Term | undefined {
    registry.#check();
    return registry.#meta.get(key);
  }

  static putMeta(registry: Registry, key: Term, value: Term): void {
    registry.#check();
    registry.#meta.set(key, value);
  }

  /**
   * Adds `pid` under `key`, or returns the live process that holds the unique `key`. A holder that exited (the
   * registry has not heard yet) gives the key up.
   */
  #register(key: Term, pid: Pid, value: Term): Pid | undefined {
    const entry: Entry = { key, pid, value };
    if (this.keys === "unique") {
      const held = this.#byKey.get(key) as Entry | undefined;
      if (held !== undefined) {
        if (this.#alive(held.pid)) return held.pid;
        this.#remove(held);
      }
      this.#byKey.set(key, entry);
    } else {
      const entries = this.#byKey.get(key) as Set<Entry> | undefined;
      if (entries === undefined) this.#byKey.set(key, new Set([entry]));
      else entries.add(entry);
    }
    const own = this.#byPid.get(pid);
    if (own !== undefined) own.push(entry);
    else {
      this.#byPid.set(pid, [entry]);
      this.#rt.send(this.#pid!, tuple(LINK, pid));
    }
    this.#count++;
    return undefined;
  }

  #remove(entry: Entry): void {
    const found = this.#byKey.get(entry.key)!;
    if (!(found instanceof Set)) this.#byKey.delete(entry.key);
    else {
      found.delete(entry);
      if (found.size === 0) this.#byKey.delete(entry.key);
    }
    const own = this.#byPid.get(entry.pid)!;
    own.splice(own.indexOf(entry), 1);
    if (own.length === 0) {
      this.#byPid.delete(entry.pid);
      // A live process without entries need not take the registry's exit, nor the registry its.
      if (this.#alive(entry.pid)) this.#rt.send(this.#pid!, tuple(UNLINK, entry.pid));
    }
    this.#count--;
  }

  /**
   * Whether `pid`, which has entries, still runs, as far as a synchronous answer goes: a process of the registry's
   * scheduler is looked up; one of another scheduler or node (only `registerName` with a pid other than the caller's
   * puts one here) counts as running until the registry's link to it brings its exit, which deletes its entries.
   */
  #alive(pid: Pid): boolean {
    return !this.#rt.isHere(pid) || this.#rt.isAlive(pid);
  }

  /** Throws unless the registry process runs (Elixir raises for an unknown registry). */
  #check(): void {
    if (!this.#closed && this.#rt.isAlive(this.#pid!)) return;
    this.#close();
    throw new ProcessError(ErrorCodes.PROC_NOT_ALIVE, `the registry ${format(this.#pid!)} is not running`);
  }

  #checkVia(): void {
    this.#check();
    if (this.keys !== "unique") {
      throw new ProcessError(ErrorCodes.PROC_BAD_ARG, "a registry with duplicate keys cannot name processes (via)");
    }
  }

  /** The process started: the table is open. */
  #open(self: Process): void {
    this.#pid = self.pid;
    const registries = running.get(self.runtime) ?? new TermMap<Registry>();
    running.set(self.runtime, registries);
    registries.set(self.pid, this);
  }

  /** `pid` exited: its entries go. */
  #forget(pid: Pid): { state: Registry } {
    for (const entry of [...(this.#byPid.get(pid) ?? [])]) this.#remove(entry);
    return { state: this };
  }

  /** The process is gone (or going): the table is emptied and refuses use. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#byKey.clear();
    this.#byPid.clear();
    this.#count = 0;
    running.get(this.#rt)?.delete(this.#pid!);
  }

  /** The registry process: it keeps links to the processes with entries and deletes the entries of exited ones. */
  static #server(registry: Registry, parent: Pid | undefined): GenServerCallbacks<Registry, undefined> {
    return {
      init(self) {
        self.setTrapExit(true);
        registry.#open(self);
        return { state: registry };
      },
      handleInfo(self, message, reg) {
        if (!(message instanceof Tuple)) return { state: reg };
        const [tag, pid] = message.elements;
        if (!(pid instanceof Pid)) return { state: reg };
        // Each check reads the table as it is now: link and unlink requests may arrive in any mix, the last one wins.
        if (tag === LINK && message.size === 2 && reg.#byPid.has(pid)) {
          self.link(pid); // an exited pid: {'EXIT', Pid, noproc} comes, and cleans up as any exit does
        } else if (tag === UNLINK && message.size === 2 && !reg.#byPid.has(pid)) {
          if (parent === undefined || !equals(pid, parent)) self.unlink(pid);
        } else if (tag === EXIT && message.size === 3 && reg.#byPid.has(pid)) {
          // (An exit signal from a live process, `exit(registry, Reason)`, is no death: its entries stay. Whether
          // a process of another scheduler lives is asked of its scheduler.)
          if (!self.runtime.isHere(pid)) {
            return self.runtime.nodeIsAlive(pid).then((alive) => (alive ? { state: reg } : reg.#forget(pid)));
          }
          if (!self.runtime.isAlive(pid)) return reg.#forget(pid);
        }
        return { state: reg };
      },
      terminate(_self, _reason, reg) {
        reg.#close();
      },
    };
  }

  static #started(registry: Registry, started: { pid: Pid } | { ignore: true } | { error: Term }): RegistryStart {
    // (Its init never says ignore.)
    return "pid" in started ? { pid: started.pid, registry } : (started as { error: Term });
  }
}
