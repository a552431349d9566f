// A process's message queue: FIFO order, selective removal, and the receive marker that lets a receive for a fresh
// reference skip every message queued before the reference existed (BEAM's receive optimisation).
//
// Most queues hold zero or one message, so the one field a process pays for its queue holds null (empty), the lone
// message itself, or, from two messages on, a ring buffer (8 bytes a message, no object per message: a long queue
// is one array for the garbage collector). Taking from the front is O(1); taking from the middle moves the
// shorter side of the ring by one slot, after a scan that already cost as much.
import type { Ref, Term } from "../term/types.ts";

/** Two or more queued messages, oldest at `head`. */
class MessageRing {
  items: (Term | undefined)[];
  head = 0;
  count = 2;

  constructor(first: Term, second: Term) {
    this.items = [first, second, undefined, undefined];
  }

  /** The message `i` places after the oldest. */
  at(i: number): Term {
    return this.items[(this.head + i) & (this.items.length - 1)]!;
  }

  push(value: Term): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = value;
    this.count++;
  }

  /** Removes the message `i` places after the oldest, closing the gap from the nearer end. */
  removeAt(i: number): void {
    const items = this.items;
    const mask = items.length - 1;
    const head = this.head;
    if (i < this.count >> 1) {
      for (let j = i; j > 0; j--) items[(head + j) & mask] = items[(head + j - 1) & mask];
      items[head] = undefined;
      this.head = (head + 1) & mask;
    } else {
      const last = this.count - 1;
      for (let j = i; j < last; j++) items[(head + j) & mask] = items[(head + j + 1) & mask];
      items[(head + last) & mask] = undefined;
    }
    this.count--;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<Term | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}

/** The newest reference a process made, and how many of the queued messages (from the oldest) predate it. */
export class Marker {
  constructor(
    public ref: Ref,
    public before: number,
  ) {}
}

/** What a scan returns when nothing matched (distinct from every term). */
export const NO_MESSAGE: unique symbol = Symbol("no message");

/** A receive predicate: true for the messages it takes. */
export type Match = (message: Term) => boolean;

export abstract class Mailbox {
  /** @internal null, the lone message, or a ring of two or more. A term is never a MessageRing. */
  queue: MessageRing | Term | null = null;

  /**
   * @internal The first `marker.before` queued messages cannot mention `marker.ref`. Kept by the subclass outside
   * the object (few processes make references), so an idle process does not pay a field for it.
   */
  protected abstract get marker(): Marker | null;
  protected abstract set marker(marker: Marker | null);

  /** @internal Whether a message is queued. */
  get hasMessages(): boolean {
    return this.queue !== null;
  }

  /** @internal How many messages are queued. */
  get queueLength(): number {
    const queue = this.queue;
    return queue === null ? 0 : queue instanceof MessageRing ? queue.count : 1;
  }

  /**
   * @internal What a send to this queue costs the sender, in reductions: one, and one more for every 2^shift
   * messages already queued.
   */
  sendCost(shift: number): number {
    const queue = this.queue;
    return queue instanceof MessageRing ? 1 + (queue.count >>> shift) : 1;
  }

  /** @internal Appends a message. */
  enqueue(value: Term): void {
    const queue = this.queue;
    if (queue === null) this.queue = value;
    else if (queue instanceof MessageRing) queue.push(value);
    else this.queue = new MessageRing(queue, value);
  }

  /** @internal Removes and returns the oldest message, or NO_MESSAGE. */
  takeFirst(): Term | typeof NO_MESSAGE {
    const queue = this.queue;
    if (queue === null) return NO_MESSAGE;
    if (!(queue instanceof MessageRing)) {
      this.taken(0, null);
      return queue;
    }
    const value = queue.at(0);
    this.taken(0, queue);
    return value;
  }

  /**
   * @internal Removes and returns the oldest message that `match` accepts, or NO_MESSAGE. With `since` equal to the
   * current marker's reference, the scan starts after the marker. `match` may throw; the queue is then unchanged.
   */
  takeMatching(match: Match | undefined, since: Ref | undefined): Term | typeof NO_MESSAGE {
    const queue = this.queue;
    if (queue === null) return NO_MESSAGE;
    const marker = since === undefined ? null : this.marker;
    const start = marker !== null && since === marker.ref ? marker.before : 0;
    if (!(queue instanceof MessageRing)) {
      if (start > 0 || (match !== undefined && !match(queue))) return NO_MESSAGE;
      this.taken(0, null);
      return queue;
    }
    for (let i = start; i < queue.count; i++) {
      const value = queue.at(i);
      if (match === undefined || match(value)) {
        this.taken(i, queue);
        return value;
      }
    }
    return NO_MESSAGE;
  }

  /** @internal Marks the queue's current end for a reference just made by this process. */
  setMarker(ref: Ref): void {
    const marker = this.marker;
    if (marker === null) this.marker = new Marker(ref, this.queueLength);
    else {
      marker.ref = ref;
      marker.before = this.queueLength;
    }
  }

  /** @internal Drops every message (the process has exited). */
  clearMailbox(): void {
    this.queue = null;
    if (this.marker !== null) this.marker = null;
  }

  /** @internal The queued messages, oldest first (for introspection). */
  messages(): Term[] {
    const queue = this.queue;
    if (queue === null) return [];
    if (!(queue instanceof MessageRing)) return [queue];
    return Array.from({ length: queue.count }, (_, i) => queue.at(i));
  }

  /** Removes the message at place `i` (of the ring, or the lone one) and keeps the marker's count right. */
  private taken(i: number, ring: MessageRing | null): void {
    if (ring === null) this.queue = null;
    else {
      ring.removeAt(i);
      if (ring.count === 0) this.queue = null;
    }
    const marker = this.marker;
    if (marker !== null && i < marker.before) marker.before--;
  }
}
