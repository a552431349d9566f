// The registry of local names (Erlang's register/unregister/whereis/registered) with Erlang's refusals.
//
// On a node with several schedulers, names are the node's: each scheduler's registry keeps the names of its own
// processes, and claims each in the node's NameDirectory first, so a name is held once node-wide.
import { ErrorCodes, ProcessError } from "../errors.ts";
import { type Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { format } from "../term/format.ts";
import type { Pid } from "../term/types.ts";
import type { NameDirectory } from "./contracts.ts";
import { type Process, Status } from "./process.ts";

const UNDEFINED = atom("undefined");

export class Registry {
  private readonly names = new Map<Atom, Process>();

  /** `directory`: the node's names, shared with its other schedulers (none: this registry is the node's). */
  constructor(private readonly directory?: NameDirectory) {}

  /** Throws unless `name` is free and registrable. */
  checkName(name: Atom): void {
    if (name === UNDEFINED) {
      throw new ProcessError(ErrorCodes.PROC_BAD_NAME, "the name 'undefined' cannot be registered");
    }
    // With a directory it is the truth: a name freed on another scheduler may linger here until it hears of it.
    const taken = this.directory === undefined ? this.names.has(name) : this.directory.lookup(name) !== undefined;
    if (taken) throw nameTaken(name);
  }

  /** Throws unless `name` could be given to `p` now. */
  check(name: Atom, p: Process | undefined): void {
    this.checkName(name);
    if (p === undefined || p.status === Status.Exited) {
      throw new ProcessError(ErrorCodes.PROC_NOT_ALIVE, `cannot register ${format(name)}: the process is not alive`);
    }
    const had = p.extra?.name;
    if (had !== undefined) {
      throw new ProcessError(
        ErrorCodes.PROC_ALREADY_NAMED,
        `cannot register ${format(name)}: the process is already registered as ${format(had)}`,
      );
    }
  }

  register(name: Atom, p: Process | undefined): void {
    this.check(name, p);
    if (this.directory !== undefined && !this.directory.claim(name, p!.pid)) throw nameTaken(name);
    this.names.set(name, p!);
    p!.extras().name = name;
  }

  unregister(name: Atom): void {
    const p = this.names.get(name);
    if (p === undefined) {
      // erlang:unregister/1 frees any name of the node: one another scheduler's process holds is freed now, and
      // that scheduler hears of it (NameDirectory.release).
      const holder = this.directory?.lookup(name);
      if (holder === undefined) throw notRegistered(name);
      this.directory!.release(name, holder);
      return;
    }
    this.names.delete(name);
    this.directory?.release(name, p.pid);
    p.extra!.name = undefined;
  }

  /** Another scheduler freed `name`, which `pid` of this one held: it is dropped here too (if `pid` still has it). */
  freed(name: Atom, pid: Pid): void {
    const p = this.names.get(name);
    if (p === undefined || !equals(p.pid, pid)) return;
    this.names.delete(name);
    if (p.extra?.name === name) p.extra.name = undefined;
  }

  /** The process of this scheduler registered as `name`. */
  whereis(name: Atom): Process | undefined {
    return this.names.get(name);
  }

  /** The pid registered as `name` by a process of another scheduler of this node. */
  heldElsewhere(name: Atom): Pid | undefined {
    if (this.directory === undefined || this.names.has(name)) return undefined;
    return this.directory.lookup(name);
  }

  /** Drops `name` if `p` holds it (the process exited). */
  remove(name: Atom, p: Process): void {
    if (this.names.get(name) !== p) return;
    this.names.delete(name);
    this.directory?.release(name, p.pid);
  }

  /**
   * Gives `name`, held by `p`, to `to` (a process of this node, maybe of another scheduler) in one step: a send to
   * the name never finds it free. `to` then takes it into its own scheduler's registry with `adopt`. False when
   * `p` does not hold it.
   */
  handOver(name: Atom, p: Process, to: Pid): boolean {
    if (this.names.get(name) !== p) return false;
    if (this.directory !== undefined && !this.directory.transfer(name, p.pid, to)) return false;
    this.names.delete(name);
    p.extra!.name = undefined;
    return true;
  }

  /**
   * `p` takes `name` after a `handOver` to it (on a node of one scheduler: if the name is free), so its exit frees
   * it; false when the name is not its to take or `p` has a name already.
   */
  adopt(name: Atom, p: Process): boolean {
    if (p.status === Status.Exited || p.extra?.name !== undefined || this.names.has(name)) return false;
    const holder = this.directory?.lookup(name);
    if (this.directory !== undefined && (holder === undefined || !equals(holder, p.pid))) return false;
    this.names.set(name, p);
    p.extras().name = name;
    return true;
  }

  /** The node's registered names. */
  registered(): Atom[] {
    return this.directory?.names() ?? [...this.names.keys()];
  }
}

function nameTaken(name: Atom): ProcessError {
  return new ProcessError(ErrorCodes.PROC_NAME_TAKEN, `the name ${format(name)} is already registered`);
}

export function notRegistered(name: Atom): ProcessError {
  return new ProcessError(ErrorCodes.PROC_NOT_REGISTERED, `no process is registered as ${format(name)}`);
}
