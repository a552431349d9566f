// Process aliases (OTP 24+): references that address a process until deactivated, alone or tied to a monitor.
//
// OTP's gen calls monitor the server with `{alias, demonitor}` and send the monitor's ref as the reply address:
// the alias dies with the monitor, so a late reply after a timeout is dropped instead of polluting the queue. Such
// an alias is the monitor's own record (monitors.ts); this table holds the aliases that stand alone.
import type { Ref } from "../term/types.ts";
import type { Process } from "./process.ts";
import type { Runtime } from "./runtime.ts";

/**
 * `explicit`: active until `unalias` (or the process exits). `reply`: the first message deactivates it.
 * A monitor's ref may be an alias too (MonitorAliasMode).
 */
export type AliasMode = "explicit" | "reply";

interface AliasEntry {
  readonly process: Process;
  readonly ref: Ref;
  readonly mode: AliasMode;
}

export class Aliases {
  private readonly entries = new Map<number | string, AliasEntry>();

  constructor(private readonly rt: Runtime) {}

  /** Active aliases on this node, monitors' included. */
  get size(): number {
    return this.entries.size + this.rt.monitors.aliasCount;
  }

  /** Makes `ref` (made by `p`) an alias of `p`. */
  create(p: Process, ref: Ref, mode: AliasMode): void {
    const key = this.rt.refs.key(ref);
    this.entries.set(key, { process: p, ref, mode });
    p.extras().addAlias(key);
  }

  /** `unalias`: false unless `ref` is an active alias of `p`. */
  remove(p: Process, ref: Ref): boolean {
    const key = this.rt.refs.key(ref);
    if (this.entries.get(key)?.process !== p) return false;
    this.drop(key);
    return true;
  }

  /** The process a message to alias `ref` goes to (undefined: inactive, drop it); one-shot aliases end here. */
  route(ref: Ref): Process | undefined {
    const key = this.rt.refs.key(ref);
    const monitor = this.rt.monitors.get(key);
    if (monitor !== undefined) {
      if (monitor.alias === undefined) return undefined;
      if (monitor.alias === "replyDemonitor") this.rt.signals.endMonitor(monitor);
      return monitor.owner;
    }
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.mode === "reply") this.drop(key);
    return entry.process;
  }

  /** Forgets every alias of an exiting process (those tied to its monitors end with the monitors). */
  dropAll(p: Process): void {
    const keys = p.extra?.aliases;
    if (keys !== undefined) for (const key of keys) this.entries.delete(key);
  }

  private drop(key: number | string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    entry.process.extra?.aliases?.delete(key);
  }
}
