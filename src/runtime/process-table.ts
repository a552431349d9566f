// The process table: pid allocation (slot id + reuse serial, as BEAM does) and lookup of live local processes.
import { ErrorCodes, ProcessError } from "../errors.ts";
import type { Atom } from "../term/atom.ts";
import { Pid } from "../term/types.ts";
import type { Process } from "./process.ts";
import { RingQueue } from "./ring-queue.ts";

/** Freed slots are reused only once this many wait, so a fresh pid rarely repeats a recent id. */
const REUSE_AFTER = 1024;
const MAX_ID = 0x0fff_ffff; // BEAM's limit on local process ids (28 bits)

export class ProcessTable {
  /** A live process, or for a freed slot the serial its last process had (slot 0: the runtime's root pid). */
  private readonly slots: (Process | number)[] = [0];
  private readonly free = new RingQueue<number>();
  private live = 0;

  constructor(
    private readonly node: Atom,
    private readonly creation: number,
  ) {}

  get size(): number {
    return this.live;
  }

  /** A pid for a new process, not yet in the table. */
  allocate(): Pid {
    if (this.free.length > REUSE_AFTER || this.slots.length > MAX_ID) {
      if (this.free.length === 0) {
        throw new ProcessError(ErrorCodes.PROC_SYSTEM_LIMIT, `the process table is full (${MAX_ID} processes)`);
      }
      const id = this.free.shift()!;
      const serial = ((this.slots[id] as number) + 1) >>> 0;
      this.slots[id] = serial;
      return new Pid(this.node, id, serial, this.creation);
    }
    const id = this.slots.length;
    this.slots.push(0);
    return new Pid(this.node, id, 0, this.creation);
  }

  /** Gives back a pid that `allocate` made but no process took (a spawn that failed). */
  release(pid: Pid): void {
    this.free.push(pid.id);
  }

  insert(process: Process): void {
    this.slots[process.pid.id] = process;
    this.live++;
  }

  remove(process: Process): void {
    const pid = process.pid;
    if (this.slots[pid.id] !== process) return;
    this.slots[pid.id] = pid.serial;
    this.live--;
    this.free.push(pid.id);
  }

  /** The live process a local pid names, or undefined (dead, never existed, or from an earlier incarnation). */
  lookup(pid: Pid): Process | undefined {
    const p = this.slots[pid.id];
    return typeof p === "object" && p.pid.serial === pid.serial && pid.creation === this.creation ? p : undefined;
  }

  /** Every live process, in id order. */
  *all(): IterableIterator<Process> {
    for (const p of this.slots) if (typeof p === "object") yield p;
  }
}
