// The process table: pid allocation (slot id + reuse serial, as BEAM does) and lookup of live local processes.
//
// On a node with several schedulers each has a table of its own, and a pid's id says whose it is: scheduler
// `index` of `count` gives its slot s the id s × count + index (slot 0 is the scheduler's root pid). A scheduler
// whose thread died and was started again is a new incarnation: the high bits of its pids' serials say which, so
// a pid of an earlier incarnation held anywhere never names one of its processes.
import { ErrorCodes, ProcessError } from "../errors.ts";
import type { Atom } from "../term/atom.ts";
import { Pid } from "../term/types.ts";
import type { Process } from "./process.ts";
import { RingQueue } from "./ring-queue.ts";

/** Freed slots are reused only once this many wait, so a fresh pid rarely repeats a recent id. */
const REUSE_AFTER = 1024;
const MAX_ID = 0x0fff_ffff; // BEAM's limit on local process ids (28 bits), over all of a node's schedulers
/** A serial's low bits count a slot's reuses; the bits above are the incarnation (the serial is 32 bits). */
const REUSE_BITS = 20;
const REUSE_MASK = (1 << REUSE_BITS) - 1;
/** Incarnations a table tells apart (they wrap around after this many restarts of one scheduler). */
export const INCARNATIONS = 1 << (32 - REUSE_BITS);

export class ProcessTable {
  /** A live process, or for a freed slot the serial its last process had (slot 0: the runtime's root pid). */
  private readonly slots: (Process | number)[] = [0];
  private readonly free = new RingQueue<number>();
  private live = 0;

  /** The most slots this table may have, so that no id passes MAX_ID. */
  private readonly maxSlots: number;
  /** The serial of a slot's first process: the incarnation in the high bits, no reuses. */
  private readonly firstSerial: number;

  constructor(
    private readonly node: Atom,
    private readonly creation: number,
    private readonly index = 0,
    private readonly count = 1,
    incarnation = 0,
  ) {
    this.maxSlots = Math.floor((MAX_ID - index) / count) + 1;
    this.firstSerial = ((incarnation % INCARNATIONS) << REUSE_BITS) >>> 0;
  }

  /** The pid id of slot `slot`. */
  private idOf(slot: number): number {
    return slot * this.count + this.index;
  }

  /** The slot of a pid id of this table's scheduler, or -1 for another scheduler's. */
  private slotOf(id: number): number {
    if (this.count === 1) return id;
    const rest = id - this.index;
    return rest % this.count === 0 ? rest / this.count : -1;
  }

  get size(): number {
    return this.live;
  }

  /** A pid for a new process, not yet in the table. */
  allocate(): Pid {
    if (this.free.length > REUSE_AFTER || this.slots.length >= this.maxSlots) {
      if (this.free.length === 0) {
        throw new ProcessError(
          ErrorCodes.PROC_SYSTEM_LIMIT,
          `the process table is full (${this.maxSlots} processes on this scheduler)`,
        );
      }
      const slot = this.free.shift()!;
      const serial = ((this.slots[slot] as number) + 1) >>> 0;
      this.slots[slot] = serial;
      return new Pid(this.node, this.idOf(slot), serial, this.creation);
    }
    const slot = this.slots.length;
    this.slots.push(this.firstSerial);
    return new Pid(this.node, this.idOf(slot), this.firstSerial, this.creation);
  }

  /** Gives back a pid that `allocate` made but no process took (a spawn that failed). */
  release(pid: Pid): void {
    this.freeSlot(this.slotOf(pid.id), pid.serial);
  }

  insert(process: Process): void {
    this.slots[this.slotOf(process.pid.id)] = process;
    this.live++;
  }

  remove(process: Process): void {
    const pid = process.pid;
    const slot = this.slotOf(pid.id);
    if (this.slots[slot] !== process) return;
    this.slots[slot] = pid.serial;
    this.live--;
    this.freeSlot(slot, pid.serial);
  }

  /** Queues a slot for reuse, unless its reuses are used up (its next serial would be the next incarnation's). */
  private freeSlot(slot: number, serial: number): void {
    if ((serial & REUSE_MASK) !== REUSE_MASK) this.free.push(slot);
  }

  /**
   * The live process a pid of this node names, or undefined (dead, never existed, from an earlier incarnation, or
   * another scheduler's).
   */
  lookup(pid: Pid): Process | undefined {
    const slot = this.slotOf(pid.id);
    if (slot < 0) return undefined;
    const p = this.slots[slot];
    return typeof p === "object" && p.pid.serial === pid.serial && pid.creation === this.creation ? p : undefined;
  }

  /** Whether a pid of this node belongs to this table's scheduler. */
  owns(pid: Pid): boolean {
    return this.count === 1 || pid.id % this.count === this.index;
  }

  /** Every live process, in id order. */
  *all(): IterableIterator<Process> {
    for (const p of this.slots) if (typeof p === "object") yield p;
  }
}
