// The modules of one scheduler's code: each module's current and old version (Erlang's two versions per module),
// the switches between them, and which version an exported function belongs to, for the processes spawned with
// one as their body. The code server keeps one on the main thread; each other scheduler keeps a copy (replica.ts).
import { KILL, type Runtime } from "../runtime/index.ts";
import { callingVersion, type ModuleVersion } from "./module-version.ts";
import type { TimeSlices } from "./time-slices.ts";

export interface ModuleEntry {
  current: ModuleVersion | undefined;
  old: ModuleVersion | undefined;
  /** The serial of the module's last version (the next one is one more). */
  serial: number;
}

export class ModuleTable {
  private readonly modules = new Map<string, ModuleEntry>();
  /** Every version's exported functions, for the processes spawned with one as their body. */
  private readonly functions = new WeakMap<object, ModuleVersion>();

  entry(name: string): ModuleEntry | undefined {
    return this.modules.get(name);
  }

  entries(): IterableIterator<[string, ModuleEntry]> {
    return this.modules.entries();
  }

  /** Makes `version` its module's current version; the current one becomes old (an old one before is gone). */
  install(version: ModuleVersion): void {
    let entry = this.modules.get(version.module);
    if (entry === undefined) {
      entry = { current: undefined, old: undefined, serial: 0 };
      this.modules.set(version.module, entry);
    }
    if (entry.current !== undefined) {
      if (entry.old !== undefined) entry.old.state = "gone";
      entry.old = entry.current;
      entry.old.state = "old";
    }
    entry.current = version;
    entry.current.state = "current";
    entry.serial = version.serial;
  }

  /** Drops module `name`'s current version and makes its old one current again; false when it has no old one. */
  revert(name: string): boolean {
    const entry = this.modules.get(name);
    if (entry?.old === undefined) return false;
    if (entry.current !== undefined) entry.current.state = "gone";
    entry.current = entry.old;
    entry.current.state = "current";
    entry.old = undefined;
    return true;
  }

  /** Makes module `name`'s current version old; false when it has none or an old one is still there. */
  delete(name: string): boolean {
    const entry = this.modules.get(name);
    if (entry?.current === undefined || entry.old !== undefined) return false;
    entry.old = entry.current;
    entry.old.state = "old";
    entry.current = undefined;
    return true;
  }

  /** Removes module `name`'s old version (the processes still running it run code no longer listed). */
  dropOld(name: string): void {
    const entry = this.modules.get(name);
    if (entry?.old === undefined) return;
    entry.old.state = "gone";
    entry.old = undefined;
  }

  /** Kills `runtime`'s processes running module `name`'s old version, then drops it; how many it killed. */
  purgeOld(name: string, runtime: Runtime): number {
    const old = this.modules.get(name)?.old;
    if (old === undefined) return 0;
    const running = runtime.processesRunningCode(old);
    for (const pid of running) runtime.exit(pid, KILL);
    this.dropOld(name);
    return running.length;
  }

  /** The version a process spawned now with `body` runs (see CodeTracker.codeOf). */
  codeOf(body: (...args: never[]) => unknown, spawnerCode: object | undefined): object | undefined {
    return this.functions.get(body) ?? callingVersion() ?? spawnerCode;
  }

  /** Notes that `functions` (exported by `version`) belong to it, a slice at a time. */
  async registerFunctions(version: ModuleVersion, functions: readonly object[], slices: TimeSlices): Promise<void> {
    for (let i = 0; i < functions.length; i++) {
      this.functions.set(functions[i]!, version);
      if ((i + 1) % 1024 === 0) await slices.next();
    }
  }
}
