// Server names, as OTP's gen.erl resolves them: a local atom, `{ global: Name }` and `{ via: Registry, name }`.
//
// `global` names are the node's, not the cluster's (OTP's global is; between nodes, cluster/names.ts is): a table
// of the runtime's own on a node of one scheduler, one that all schedulers share on a node of several (installed
// with `setGlobalNames`: cluster/schedulers/global-names.ts). `via` names go through any object that implements
// NameRegistry (Otter's Registry does, as Elixir's does for `:via`).
import type { Process, RegisteredName, Runtime } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { TermMap } from "../term/term-map.ts";
import { Pid, type Term, tuple } from "../term/types.ts";

/** What `{ via: registry, name }` needs: the four callbacks of an Erlang `via` module. */
export interface NameRegistry {
  /** Registers `pid` under `name`; false if the name is taken. */
  registerName(name: Term, pid: Pid): boolean;
  unregisterName(name: Term): void;
  whereisName(name: Term): Pid | undefined;
}

/** The name a server registers under when it starts. */
export type ServerName = Atom | GlobalName | ViaName;
export interface GlobalName {
  readonly global: Term;
}
export interface ViaName {
  readonly via: NameRegistry;
  readonly name: Term;
}

/** How a server is addressed: a pid, or any name it may be registered under. */
export type ServerRef = Pid | ServerName | RegisteredName;

/** `{ global: Name }` names of a node of one scheduler: the local stand-in for OTP's `global`. */
class GlobalNames implements NameRegistry {
  private readonly names = new TermMap<Pid>();

  constructor(private readonly rt: Runtime) {}

  registerName(name: Term, pid: Pid): boolean {
    if (this.whereisName(name) !== undefined) return false;
    this.names.set(name, pid);
    return true;
  }

  unregisterName(name: Term): void {
    this.names.delete(name);
  }

  whereisName(name: Term): Pid | undefined {
    const pid = this.names.get(name);
    if (pid === undefined || this.rt.isAlive(pid)) return pid;
    this.names.delete(name); // its process exited: the name is free again, as global frees it on DOWN
    return undefined;
  }
}

const globals = new WeakMap<Runtime, NameRegistry>();

/** The `{ global: … }` table of `rt`. */
export function globalNames(rt: Runtime): NameRegistry {
  let table = globals.get(rt);
  if (table === undefined) {
    table = new GlobalNames(rt);
    globals.set(rt, table);
  }
  return table;
}

/** Has `rt` keep its `{ global: … }` names in `names` (set before any is registered): the node's shared table. */
export function setGlobalNames(rt: Runtime, names: NameRegistry): void {
  globals.set(rt, names);
}

/** The registry a global or via name lives in. */
function registryOf(rt: Runtime, name: GlobalName | ViaName): NameRegistry {
  return "global" in name ? globalNames(rt) : name.via;
}

function registryKey(name: GlobalName | ViaName): Term {
  return "global" in name ? name.global : name.name;
}

function isRegistryName(value: ServerRef): value is GlobalName | ViaName {
  return !(value instanceof Atom) && !(value instanceof Pid) && ("global" in value || "via" in value);
}

/** Registers the calling process under `name`; the pid holding it if taken. */
export function registerSelf(self: Process, name: ServerName): { ok: true } | { taken: Pid } {
  const rt = self.runtime;
  if (name instanceof Atom) {
    const holder = rt.whereis(name);
    if (holder !== undefined) return { taken: holder };
    self.register(name);
    return { ok: true };
  }
  const registry = registryOf(rt, name);
  if (registry.registerName(registryKey(name), self.pid)) return { ok: true };
  const holder = registry.whereisName(registryKey(name));
  // Taken by a process that exited since: registerName said no, whereisName freed it; one more try.
  if (holder === undefined && registry.registerName(registryKey(name), self.pid)) return { ok: true };
  return { taken: holder ?? self.pid };
}

/** Frees `name` (a server that fails to start, or stops, must not keep it). */
export function unregisterSelf(self: Process, name: ServerName): void {
  const rt = self.runtime;
  if (name instanceof Atom) {
    if (rt.whereis(name) === self.pid) rt.unregister(name);
    return;
  }
  const registry = registryOf(rt, name);
  const holder = registry.whereisName(registryKey(name));
  if (holder !== undefined && equals(holder, self.pid)) registry.unregisterName(registryKey(name));
}

/** Where messages for `server` go: a pid or `{ name, node }` elsewhere; undefined when no process has the name. */
export function resolve(rt: Runtime, server: ServerRef): Pid | RegisteredName | undefined {
  if (server instanceof Pid) return server;
  if (server instanceof Atom) return rt.whereis(server);
  if (isRegistryName(server)) return registryOf(rt, server).whereisName(registryKey(server));
  return server.node === rt.node ? rt.whereis(server.name) : server;
}

const GLOBAL = atom("global");
const VIA = atom("via");

/** The term OTP puts in exit reasons for a server reference (`Name`, `{global, N}`, `{via, M, N}`, a pid). */
export function serverTerm(server: ServerRef): Term {
  if (server instanceof Pid || server instanceof Atom) return server;
  if (isRegistryName(server)) {
    return "global" in server
      ? tuple(GLOBAL, server.global)
      : tuple(VIA, atom(server.via.constructor.name), server.name);
  }
  return tuple(server.name, server.node);
}
