// The registry of local names (Erlang's register/unregister/whereis/registered) with Erlang's refusals.
import { ErrorCodes, ProcessError } from "../errors.ts";
import { type Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import { type Process, Status } from "./process.ts";

const UNDEFINED = atom("undefined");

export class Registry {
  private readonly names = new Map<Atom, Process>();

  /** Throws unless `name` is free and registrable. */
  checkName(name: Atom): void {
    if (name === UNDEFINED) {
      throw new ProcessError(ErrorCodes.PROC_BAD_NAME, "the name 'undefined' cannot be registered");
    }
    if (this.names.has(name)) {
      throw new ProcessError(ErrorCodes.PROC_NAME_TAKEN, `the name ${format(name)} is already registered`);
    }
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
    this.names.set(name, p!);
    p!.extras().name = name;
  }

  unregister(name: Atom): void {
    const p = this.names.get(name);
    if (p === undefined) throw notRegistered(name);
    this.names.delete(name);
    p.extra!.name = undefined;
  }

  whereis(name: Atom): Process | undefined {
    return this.names.get(name);
  }

  /** Drops `name` if `p` holds it (the process exited). */
  remove(name: Atom, p: Process): void {
    if (this.names.get(name) === p) this.names.delete(name);
  }

  registered(): Atom[] {
    return [...this.names.keys()];
  }
}

export function notRegistered(name: Atom): ProcessError {
  return new ProcessError(ErrorCodes.PROC_NOT_REGISTERED, `no process is registered as ${format(name)}`);
}
