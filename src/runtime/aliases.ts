// Process aliases (OTP 24+): references that address a process until deactivated, alone or tied to a monitor.
//
// OTP's gen calls monitor the server with `{alias, demonitor}` and send the monitor's ref as the reply address:
// the alias dies with the monitor, so a late reply after a timeout is dropped instead of polluting the queue.
import type { Ref } from "../term/types.ts";
import type { Process } from "./process.ts";
import type { Runtime } from "./runtime.ts";

/**
 * `explicit`: active until `unalias` (or the process exits). `reply`: the first message deactivates it.
 * `demonitor`: (a monitor's ref) deactivated when the monitor ends. `replyDemonitor`: like `demonitor`, and the
 * first message also removes the monitor.
 */
export type AliasMode = "explicit" | "reply" | "demonitor" | "replyDemonitor";

interface AliasEntry {
  readonly process: Process;
  readonly ref: Ref;
  readonly mode: AliasMode;
}

export class Aliases {
  private readonly entries = new Map<number | string, AliasEntry>();

  constructor(private readonly rt: Runtime) {}

  /** Active aliases on this node. */
  get size(): number {
    return this.entries.size;
  }

  /** Makes `ref` (made by `p`) an alias of `p`. */
  create(p: Process, ref: Ref, mode: AliasMode): void {
    const key = this.rt.refs.key(ref);
    this.entries.set(key, { process: p, ref, mode });
    // An alias tied to a monitor ends with it, also when the process exits: only the others need a record there.
    if (mode === "explicit" || mode === "reply") p.extras().addAlias(key);
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
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.mode === "reply") this.drop(key);
    else if (entry.mode === "replyDemonitor") this.rt.signals.demonitor(entry.process, entry.ref, false);
    return entry.process;
  }

  /** The monitor with this key ended (DOWN delivered or demonitor): an alias tied to it ends too. */
  monitorEnded(key: number | string): void {
    const mode = this.entries.get(key)?.mode;
    if (mode === "demonitor" || mode === "replyDemonitor") this.drop(key);
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
