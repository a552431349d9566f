// A process's message queue: FIFO order, selective removal, and the receive marker that lets a receive for a fresh
// reference skip every message queued before the reference existed (BEAM's receive optimisation).
//
// Most queues hold zero or one message, so the one field a process pays for its queue holds null (empty), the lone
// message itself, or, from two messages on, the last node of a circular singly linked list (`tail.next` is the
// oldest). Removal from the middle is O(1) once a scan has found the node.
import type { Ref, Term } from "../term/types.ts";

/** One queued message. */
export class MessageNode {
  next: MessageNode;
  constructor(readonly value: Term) {
    this.next = this;
  }
}

/** The newest reference a process made, and the last node queued at that moment (null: none, scan from the start). */
export class Marker {
  constructor(
    public ref: Ref,
    public node: MessageNode | null,
  ) {}
}

/** What a scan returns when nothing matched (distinct from every term). */
export const NO_MESSAGE: unique symbol = Symbol("no message");

/** A receive predicate: true for the messages it takes. */
export type Match = (message: Term) => boolean;

export abstract class Mailbox {
  /** @internal null, the lone message, or the newest node of the list. A term is never a MessageNode. */
  queue: MessageNode | Term | null = null;

  /**
   * @internal Messages up to and including `marker.node` cannot mention `marker.ref`. Kept by the subclass outside
   * the object (few processes make references), so an idle process does not pay a field for it.
   */
  protected abstract get marker(): Marker | null;
  protected abstract set marker(marker: Marker | null);

  /** @internal Whether a message is queued. */
  get hasMessages(): boolean {
    return this.queue !== null;
  }

  /** @internal Appends a message. */
  enqueue(value: Term): void {
    const queue = this.queue;
    if (queue === null) {
      this.queue = value;
      return;
    }
    const tail = queue instanceof MessageNode ? queue : this.toList(queue);
    const node = new MessageNode(value);
    node.next = tail.next;
    tail.next = node;
    this.queue = node;
  }

  /** @internal Removes and returns the oldest message, or NO_MESSAGE. */
  takeFirst(): Term | typeof NO_MESSAGE {
    const queue = this.queue;
    if (queue === null) return NO_MESSAGE;
    if (!(queue instanceof MessageNode)) {
      this.queue = null;
      return queue;
    }
    const node = queue.next;
    this.removeNode(null, node, queue);
    return node.value;
  }

  /**
   * @internal Removes and returns the oldest message that `match` accepts, or NO_MESSAGE. With `since` equal to the
   * current marker's reference, the scan starts after the marker. `match` may throw; the queue is then unchanged.
   */
  takeMatching(match: Match | undefined, since: Ref | undefined): Term | typeof NO_MESSAGE {
    const queue = this.queue;
    if (queue === null) return NO_MESSAGE;
    if (!(queue instanceof MessageNode)) {
      // A lone message arrived after any marker (setting a marker turns a lone message into a node).
      if (match !== undefined && !match(queue)) return NO_MESSAGE;
      this.queue = null;
      return queue;
    }
    const marker = this.marker;
    let prev = since !== undefined && marker !== null && since === marker.ref ? marker.node : null;
    if (prev === queue) return NO_MESSAGE; // nothing arrived since the marker
    for (let node = prev === null ? queue.next : prev.next; ; node = node.next) {
      if (match === undefined || match(node.value)) {
        this.removeNode(prev, node, queue);
        return node.value;
      }
      if (node === queue) return NO_MESSAGE;
      prev = node;
    }
  }

  /** @internal Marks the queue's current end for a reference just made by this process. */
  setMarker(ref: Ref): void {
    const queue = this.queue;
    const last = queue === null ? null : queue instanceof MessageNode ? queue : this.toList(queue);
    const marker = this.marker;
    if (marker === null) this.marker = new Marker(ref, last);
    else {
      marker.ref = ref;
      marker.node = last;
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
    if (!(queue instanceof MessageNode)) return [queue];
    const out: Term[] = [];
    for (let node = queue.next; ; node = node.next) {
      out.push(node.value);
      if (node === queue) return out;
    }
  }

  /** Turns a lone message into a one-node list; returns its node. */
  private toList(lone: Term): MessageNode {
    const node = new MessageNode(lone);
    this.queue = node;
    return node;
  }

  /** Unlinks `node`, whose predecessor is `prev` (null: `node` is the oldest), from the list ending at `tail`. */
  private removeNode(prev: MessageNode | null, node: MessageNode, tail: MessageNode): void {
    if (node.next === node) this.queue = null;
    else {
      (prev ?? tail).next = node.next;
      if (node === tail) this.queue = prev ?? tail;
    }
    // The marker means "after this node"; once the node is gone, its predecessor marks the same place.
    const marker = this.marker;
    if (marker !== null && marker.node === node) marker.node = node.next === node ? null : prev;
  }
}
