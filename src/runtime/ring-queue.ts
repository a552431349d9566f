// A FIFO queue on a growable circular array: O(1) push and shift without the per-item nodes of a linked list.

const INITIAL_CAPACITY = 16;
/** An empty queue above this capacity gives its array back (a run queue that held a million spawns: 8 MiB). */
const KEEP_CAPACITY = 4096;

export class RingQueue<T> {
  private items: (T | undefined)[] = new Array(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** The oldest item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    if (--this.count === 0 && this.items.length > KEEP_CAPACITY) this.clear();
    return item;
  }

  clear(): void {
    this.items = new Array(INITIAL_CAPACITY);
    this.head = 0;
    this.count = 0;
  }

  /** Doubles the capacity (always a power of two, so indices wrap with a mask). */
  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
