// What the observer reads a node through: its runtime, and what a full node adds (code server, dirty pools, its
// schedulers' loads, the distribution's connections, erpc to other nodes). An OtterNode fits it as it is; a bare
// Runtime is wrapped.
//
// Observe must not import node/ (node/ imports observe), so the node is described here by the shape it has.
import { Runtime } from "../runtime/index.ts";
import type { Atom } from "../term/atom.ts";
import type { Term } from "../term/types.ts";

/** A connection's traffic counters (dist's ConnectionStats). */
export interface ObservedConnectionStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

/** A dirty pool's load (dirty's PoolStats). */
export interface ObservedPoolLoad {
  readonly workers: number;
  /** Calls waiting for a worker. */
  readonly queued: number;
  /** Calls held by each worker. */
  readonly held: readonly number[];
  /** Calls answered so far. */
  readonly calls: number;
}

export interface ObservedVersion {
  readonly serial: number;
  readonly file: string;
  readonly loadedAt: number;
}

export interface ObservedNode {
  readonly runtime: Runtime;
  /** The code server: loaded modules and their versions. */
  readonly code?: {
    allLoaded(): readonly { readonly name: string; readonly file: string }[];
    versions(name: string): { readonly current?: ObservedVersion; readonly old?: ObservedVersion };
  };
  /** The dirty pools (a pool not started yet is undefined). */
  readonly dirty?: {
    stats(): { readonly cpu: ObservedPoolLoad | undefined; readonly io: ObservedPoolLoad | undefined };
  };
  /**
   * The node's schedulers: each one's load as it last sampled it (a few times a second, into memory every thread
   * reads): its live processes and those queued to run.
   */
  readonly schedulers?: {
    loads(): readonly { readonly scheduler: number; readonly processes: number; readonly runQueue: number }[];
  };
  /** The distribution: each connected node's connection. */
  readonly distribution?: {
    connectionTo(node: Atom): { readonly stats: ObservedConnectionStats; readonly peerCreation: number } | undefined;
  };
  /** erpc to connected nodes, for reading them (another Otter node's observer module, a BEAM node's BIFs). */
  readonly erpc?: {
    call(node: Atom, module: string, fn: string, args: readonly Term[], options?: { timeout?: number }): Promise<Term>;
  };
}

/** `node` as the observer reads it: a Runtime alone is a node without distribution, code server or dirty pools. */
export function observedNode(node: Runtime | ObservedNode): ObservedNode {
  return node instanceof Runtime ? { runtime: node } : node;
}
