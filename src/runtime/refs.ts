// Unique references of one runtime, and the map keys that identify a reference or pid by value.
import type { Atom } from "../term/atom.ts";
import { type Pid, Ref } from "../term/types.ts";

const TWO_32 = 4294967296;

/** The low bits of a reference's third word: the index of the scheduler that made it (see SchedulerSeat). */
const SCHEDULER_BITS = 0xff;
/** The most schedulers a node may have: their index must fit SCHEDULER_BITS. */
export const MAX_SCHEDULERS = SCHEDULER_BITS + 1;

/**
 * Makes the references of one runtime: three words, a 52-bit counter in the first two, a per-runtime salt in the
 * third, whose low byte is the runtime's scheduler index.
 */
export class RefMaker {
  private counter = 0;
  private readonly salt: number;

  constructor(
    private readonly node: Atom,
    private readonly creation: number,
    scheduler = 0,
  ) {
    this.salt = (((Math.random() * TWO_32) & ~SCHEDULER_BITS) | scheduler) >>> 0;
  }

  make(): Ref {
    const n = ++this.counter;
    return new Ref(this.node, this.creation, [n % TWO_32, Math.floor(n / TWO_32), this.salt]);
  }

  /**
   * A key for maps of references: a number for this runtime's own references (the counter, cheap to hash), a
   * string for any other, so an equal reference decoded from the network finds the same entry.
   */
  key(ref: Ref): number | string {
    const ids = ref.ids;
    if (ref.node === this.node && ref.creation === this.creation && ids.length === 3 && ids[2] === this.salt) {
      return ids[0]! + ids[1]! * TWO_32;
    }
    return `${ref.node.name}/${ref.creation}/${ids.join(".")}`;
  }
}

/** The scheduler that made a reference of this node (0 for one not made by a RefMaker). */
export function schedulerOfRef(ref: Ref): number {
  return ref.ids.length === 3 ? ref.ids[2]! & SCHEDULER_BITS : 0;
}

/** A key for maps of pids: the slot id for a local pid, a string for a pid of another node. */
export function pidKey(pid: Pid, node: Atom): number | string {
  return pid.node === node ? pid.id : `${pid.node.name}/${pid.creation}/${pid.id}.${pid.serial}`;
}
