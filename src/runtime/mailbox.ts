// A process's message queue: FIFO order, selective removal, and the receive marker that lets a receive for a fresh
// reference skip every message queued before the reference existed (BEAM's receive optimisation).
import type { Ref, Term } from "../term/types.ts";

/** One queued message (a singly linked list keeps removal from the middle O(1) once found). */
export class MessageNode {
  next: MessageNode | null = null;
  constructor(readonly value: Term) {}
}

/** What a scan returns when nothing matched (distinct from every term). */
export const NO_MESSAGE: unique symbol = Symbol("no message");

/** A receive predicate: true for the messages it takes. */
export type Match = (message: Term) => boolean;

export class Mailbox {
  /** @internal */ head: MessageNode | null = null;
  /** @internal */ tail: MessageNode | null = null;
  /** @internal */ queueLength = 0;
  /**
   * @internal The receive marker: the newest reference this process made, and the last message queued at that
   * moment (null: the queue was empty). Messages up to and including that node cannot mention the reference.
   */
  markerRef: Ref | null = null;
  /** @internal */ markerNode: MessageNode | null = null;

  /** @internal Appends a message. */
  enqueue(value: Term): void {
    const node = new MessageNode(value);
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.queueLength++;
  }

  /** @internal Removes and returns the oldest message, or NO_MESSAGE. */
  takeFirst(): Term | typeof NO_MESSAGE {
    const node = this.head;
    if (node === null) return NO_MESSAGE;
    this.removeNode(null, node);
    return node.value;
  }

  /**
   * @internal Removes and returns the oldest message that `match` accepts, or NO_MESSAGE. With `since` equal to the
   * current marker's reference, the scan starts after the marker. `match` may throw; the queue is then unchanged.
   */
  takeMatching(match: Match | undefined, since: Ref | undefined): Term | typeof NO_MESSAGE {
    let prev: MessageNode | null = null;
    if (since !== undefined && since === this.markerRef) prev = this.markerNode;
    let node = prev === null ? this.head : prev.next;
    while (node !== null) {
      if (match === undefined || match(node.value)) {
        this.removeNode(prev, node);
        return node.value;
      }
      prev = node;
      node = node.next;
    }
    return NO_MESSAGE;
  }

  /** @internal Marks the queue's current end for a reference just made by this process. */
  setMarker(ref: Ref): void {
    this.markerRef = ref;
    this.markerNode = this.tail;
  }

  /** @internal Drops every message (the process has exited). */
  clearMailbox(): void {
    this.head = null;
    this.tail = null;
    this.queueLength = 0;
    this.markerRef = null;
    this.markerNode = null;
  }

  /** @internal The queued messages, oldest first (for introspection). */
  messages(): Term[] {
    const out: Term[] = [];
    for (let n = this.head; n !== null; n = n.next) out.push(n.value);
    return out;
  }

  private removeNode(prev: MessageNode | null, node: MessageNode): void {
    if (prev === null) this.head = node.next;
    else prev.next = node.next;
    if (this.tail === node) this.tail = prev;
    // The marker means "after this node"; once the node is gone, its predecessor marks the same place.
    if (this.markerNode === node) this.markerNode = prev;
    this.queueLength--;
  }
}
