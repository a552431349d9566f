// The observer's WebSocket protocol: what the web page asks for and what the node pushes back, as JSON.
//
// A page watches one view of one node at a time (the node it shows: this one, or a connected Otter or BEAM node);
// the server pushes that view's data at once and then every `intervalMs` until the page watches something else.
// The overview's charts need a past: watching it first sends the samples kept so far (`history`), then one new
// sample each interval. Actions (kill, send) are requests with an id, answered once.
// Pids travel in Erlang syntax (`<0.42.0>`, `<9123.80.0>` for another node's); terms as `format` prints them.

/** What `/ws` sends first, and again whenever the set of connected nodes changes. */
export interface Hello {
  readonly type: "hello";
  /** The node serving the page. */
  readonly node: string;
  /** The nodes the page can switch to: this one first, then the connected ones. */
  readonly nodes: readonly NodeEntry[];
  readonly intervalMs: number;
}

export interface NodeEntry {
  readonly name: string;
  /** What runs there: read through Otter's own observer module, or through Erlang's rpc. */
  readonly kind: "otter" | "beam";
}

export type ProcessSortKey = "pid" | "name" | "currentFunction" | "memory" | "messageQueueLen" | "reductions";

export type View =
  | { readonly kind: "overview" }
  | {
      readonly kind: "processes";
      readonly sort: ProcessSortKey;
      readonly descending: boolean;
      /** Case-insensitive substring of the pid, registered name or current function; "" for all. */
      readonly filter: string;
      readonly offset: number;
      /** At most 500. */
      readonly limit: number;
    }
  | { readonly kind: "process"; readonly pid: string }
  | { readonly kind: "applications" }
  | { readonly kind: "distribution" }
  | { readonly kind: "code" };

export type Action =
  | {
      readonly kind: "kill";
      readonly pid: string;
      /** An exit reason in Erlang syntax; default `kill`. */
      readonly reason?: string;
    }
  | {
      readonly kind: "send";
      readonly pid: string;
      /** The message, in Erlang syntax (`{hello, 1}`). */
      readonly message: string;
    };

export type ClientMessage =
  | {
      readonly type: "watch";
      readonly node: string;
      readonly view: View;
      /** The page's number for this watch, echoed in its pushes: a push that crossed the next watch is told apart. */
      readonly id?: number;
    }
  | { readonly type: "act"; readonly id: number; readonly node: string; readonly action: Action };

/** One overview sample. A field a node cannot tell (a BEAM node has no event loop) is null. */
export interface OverviewSample {
  /** Milliseconds since the epoch, when taken. */
  readonly time: number;
  readonly uptimeMs: number;
  readonly processCount: number;
  readonly runQueue: number | null;
  readonly memory: {
    /** Bytes the OS process holds (RSS), or erlang:memory(total). */
    readonly total: number;
    /** The JS heap in use, or erlang:memory(processes). */
    readonly heapUsed: number | null;
    /** What the processes hold by the runtime's estimate, or erlang:memory(processes_used). */
    readonly processes: number | null;
  };
  /** Event-loop utilisation since the last sample (0..1): the share of time the scheduler thread was busy. */
  readonly utilisation: number | null;
  /** Event-loop delay over the last interval, in ms. */
  readonly loopDelay: { readonly meanMs: number; readonly maxMs: number } | null;
  /** Messages sent per second over the last interval: by local processes, from outside any, or from other nodes. */
  readonly messagesPerSecond: number | null;
  /** The dirty pools: calls waiting, and the share of workers busy (0..1). */
  readonly dirty: {
    readonly cpu: { readonly queued: number; readonly busy: number };
    readonly io: { readonly queued: number; readonly busy: number };
  } | null;
  readonly connectedNodes: number;
}

export interface ProcessRow {
  readonly pid: string;
  readonly name: string | null;
  readonly currentFunction: string;
  readonly status: string;
  readonly memory: number;
  readonly messageQueueLen: number;
  readonly reductions: number;
}

export interface ProcessPage {
  /** Processes matching the filter. */
  readonly total: number;
  readonly offset: number;
  readonly rows: readonly ProcessRow[];
  /**
   * True when there were too many processes to read them all: the page comes from a random sample of them, and
   * `total` counts the matches in the sample.
   */
  readonly sampled: boolean;
}

export interface ProcessDetail {
  readonly pid: string;
  readonly alive: boolean;
  /** process_info's items, formatted (links, monitors and the like as lists of pids in Erlang syntax). */
  readonly info: Readonly<Record<string, string | number | boolean | null | readonly string[]>>;
  /** `sys.getState`, formatted; null when the process does not answer sys calls (in time). */
  readonly state: string | null;
}

/** A supervision tree node: a supervisor with its children, or a worker. */
export interface TreeNode {
  readonly pid: string | null;
  /** The child id in its supervisor, formatted; the application's name at the root. */
  readonly id: string;
  readonly name: string | null;
  readonly kind: "supervisor" | "worker";
  /** Restarts of this child by its supervisor since the supervisor started; null where none are counted (BEAM). */
  readonly restarts: number | null;
  readonly children: readonly TreeNode[];
  /** Children left out of `children` (a supervisor with very many, such as a DynamicSupervisor's). */
  readonly omitted?: number;
}

export interface ApplicationEntry {
  readonly name: string;
  readonly description: string;
  readonly vsn: string;
  /** The application's top supervisor and below; null for a library application. */
  readonly tree: TreeNode | null;
}

export interface ConnectionEntry {
  readonly node: string;
  readonly kind: "visible" | "hidden";
  readonly bytesIn: number | null;
  readonly bytesOut: number | null;
  readonly messagesIn: number | null;
  readonly messagesOut: number | null;
  /** Milliseconds since something last arrived from the node (ticks included). */
  readonly lastHeardMs: number | null;
}

export interface ModuleEntry {
  readonly name: string;
  /** Where it was loaded from, or null for source given directly. */
  readonly path: string | null;
  readonly current: string | null;
  readonly old: string | null;
}

export type ViewData =
  | { readonly kind: "overview"; readonly sample: OverviewSample; readonly history?: readonly OverviewSample[] }
  | { readonly kind: "processes"; readonly page: ProcessPage }
  | { readonly kind: "process"; readonly detail: ProcessDetail }
  | { readonly kind: "applications"; readonly applications: readonly ApplicationEntry[] }
  | { readonly kind: "distribution"; readonly connections: readonly ConnectionEntry[] }
  | { readonly kind: "code"; readonly modules: readonly ModuleEntry[] };

export type ServerMessage =
  | Hello
  | {
      readonly type: "view";
      readonly node: string;
      readonly data: ViewData /** The watch's id. */;
      readonly watch?: number;
    }
  | { readonly type: "acted"; readonly id: number; readonly ok: true }
  | { readonly type: "acted"; readonly id: number; readonly ok: false; readonly error: string }
  /** The watched view failed (the node went away, a bad pid): the page shows it; the watch stays. */
  | { readonly type: "error"; readonly node: string; readonly error: string };
