// What scheduler 0 and a scheduler's thread tell each other outside the rings: how it starts, module loads, the
// code server's operations on its copy of the node's modules, the loss of another scheduler's thread, log events for
// the node's handlers, stop.
import type { ReplicaAnswer, ReplicaOp, ReplicaSnapshot } from "../../code/replica.ts";
import type { ExportedFunction } from "../../dist/modules.ts";
import type { BlobPorts, PairPorts } from "./blobs.ts";
import type { RelayedEvent } from "./log-relay.ts";
import type { MeshLayout } from "./mesh-memory.ts";
import type { SharedNamesLayout } from "./shared-names.ts";

/** What a scheduler's thread starts with. */
export interface ThreadData {
  readonly index: number;
  /** How many threads of this scheduler died before this one (SchedulerSeat.incarnation). */
  readonly incarnation: number;
  readonly node: string;
  readonly creation: number;
  readonly mesh: MeshLayout;
  readonly names: SharedNamesLayout;
  readonly busyWaitUs: number;
  /** Modules to load before it takes any signal: Erlang module name and the URL of its ES module. */
  readonly modules: readonly { name: string; url: string }[];
  /** The modules of the node's code server, to install before it takes any signal. */
  readonly code: ReplicaSnapshot;
  /** The nodes connected when it starts. */
  readonly nodes: readonly { node: string; hidden: boolean }[];
  /** Its ports for records too large for a ring. */
  readonly ports: BlobPorts;
  /** The node's logger's threshold, which its logger's relay reads (Logger.shareThreshold). */
  readonly logThreshold: Int32Array;
  /** The node's `{ global: Name }` names (global-names.ts). */
  readonly globalNames: SharedNamesLayout;
}

export type ToThread =
  | { kind: "load"; id: number; name: string; url: string }
  /** An operation on its copy of the code server's modules (code/replica.ts), applied in the order sent. */
  | { kind: "code"; id: number; op: ReplicaOp }
  /** Scheduler `index`'s thread died: handle its loss (port.ts `lost`) with these ports for its next thread. */
  | { kind: "lost"; index: number; ports: PairPorts }
  | { kind: "stop" };

export type FromThread =
  /** Started; `failed`: the code server's modules it could not install (it runs without them). */
  | { kind: "ready"; failed: readonly { name: string; error: string }[] }
  | { kind: "loaded"; id: number; error?: string }
  | { kind: "code-answer"; id: number; answer: ReplicaAnswer }
  /** This thread has handled the loss of scheduler `index`. */
  | { kind: "reset"; index: number }
  /** An event one of its processes (or its runtime) logged, for the node's log handlers (log-relay.ts). */
  | { kind: "log"; event: RelayedEvent };

/** The functions an ES module exports, as a module processes can be spawned from (`self` first, then the args). */
export async function loadFunctions(url: string): Promise<Record<string, ExportedFunction>> {
  const module = (await import(url)) as Record<string, unknown>;
  const functions: Record<string, ExportedFunction> = {};
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === "function") functions[name] = value as ExportedFunction;
  }
  return functions;
}
