// The names an EPMD server holds, and the creation number each registration gets, numbered as epmd numbers them.
//
// epmd (erts/epmd/src/epmd_srv.c) keeps a counter per name. A name it has never seen starts at the current time
// in seconds; every registration first bumps the counter (wrapping past 2^32 to 4, so never 0..3). A node that
// offers version 6 gets the counter itself as its 32-bit creation; an older node gets `counter % 3 + 1`.
// Unregistered names are remembered, oldest forgotten first past 1,000, so that a node restarting under the same
// name gets a creation its old pids cannot share.
import type { NameEntry, NodeInfo } from "./protocol.ts";

/** How many unregistered names keep their counter (epmd's MAX_UNREG_COUNT). */
export const REMEMBERED_NAMES = 1000;

interface Entry {
  node: NodeInfo;
  counter: number;
}

export class NodeRegistry {
  /** Registered nodes by name, oldest first. */
  readonly #registered = new Map<string, Entry>();
  /** The counters of unregistered names, oldest first. */
  readonly #forgotten = new Map<string, number>();
  readonly #now: () => number;

  /** `now` gives milliseconds since the epoch (default `Date.now`). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#registered.size;
  }

  /** Registers `node`; returns its creation number, or undefined when the name is taken. */
  register(node: NodeInfo): number | undefined {
    if (this.#registered.has(node.name)) return undefined;
    const last = this.#forgotten.get(node.name);
    this.#forgotten.delete(node.name);
    const counter = bump(last ?? Math.floor(this.#now() / 1000));
    this.#registered.set(node.name, { node, counter });
    return node.highestVersion >= 6 ? counter : (counter % 3) + 1;
  }

  unregister(name: string): void {
    const entry = this.#registered.get(name);
    if (entry === undefined) return;
    this.#registered.delete(name);
    this.#forgotten.set(name, entry.counter);
    if (this.#forgotten.size > REMEMBERED_NAMES) this.#forgotten.delete(this.#forgotten.keys().next().value!);
  }

  lookup(name: string): NodeInfo | undefined {
    return this.#registered.get(name)?.node;
  }

  /** Name and port of every registered node, newest first, the order epmd answers NAMES in. */
  names(): NameEntry[] {
    return [...this.#registered.values()].reverse().map(({ node }) => ({ name: node.name, port: node.port }));
  }
}

function bump(counter: number): number {
  const next = (counter + 1) % 2 ** 32;
  return Math.max(next, 4);
}
