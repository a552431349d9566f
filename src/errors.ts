// The error catalog: every error Otter raises is an OtterError with a stable `code`, listed here.
//
// This file sits below every layer (even term/ imports it): the catalog is one table for the whole
// project, so a code is never defined twice. Each class carries a `Symbol.for` brand, so `instanceof`
// works across copies of the package and across worker threads that rebuild errors from their code.

const BRAND = Symbol.for("otter.error");

/** Every stable code, by area. Tests and callers match on these, never on messages. */
export const ErrorCodes = {
  /** ETF: input ended before the term did. */
  ETF_TRUNCATED: "ETF_TRUNCATED",
  /** ETF: the first byte is not 131 (the external format version). */
  ETF_BAD_VERSION: "ETF_BAD_VERSION",
  /** ETF: an unknown tag, or a tag not allowed where it stands (e.g. compressed inside a term). */
  ETF_BAD_TAG: "ETF_BAD_TAG",
  /** ETF: a field holds an impossible value (bit count, duplicate map key, bad UTF-8, bad ref length …). */
  ETF_BAD_VALUE: "ETF_BAD_VALUE",
  /** ETF: a length field is larger than the input that is left. */
  ETF_BAD_LENGTH: "ETF_BAD_LENGTH",
  /** ETF: bytes remain after a complete term. */
  ETF_TRAILING_BYTES: "ETF_TRAILING_BYTES",
  /** ETF: nesting deeper than the `maxDepth` option. */
  ETF_TOO_DEEP: "ETF_TOO_DEEP",
  /** ETF: a compressed term inflates to more than `maxInflatedSize`, or to a size other than declared. */
  ETF_BAD_COMPRESSED: "ETF_BAD_COMPRESSED",
  /** ETF: `safe` decoding met an atom that does not exist yet. */
  ETF_UNSAFE_ATOM: "ETF_UNSAFE_ATOM",
  /** ETF: an ATOM_CACHE_REF with no entry in the cache table passed by the caller. */
  ETF_ATOM_CACHE_REF: "ETF_ATOM_CACHE_REF",
  /** ETF: the encoder met a JavaScript value with no Erlang counterpart (undefined, NaN, a symbol …). */
  ETF_UNENCODABLE: "ETF_UNENCODABLE",
  /** Terms: the atom table is full (BEAM's system_limit). */
  ATOM_TABLE_FULL: "ATOM_TABLE_FULL",
  /** Terms: an atom name longer than 255 characters, or not valid Unicode. */
  ATOM_BAD_NAME: "ATOM_BAD_NAME",
  /** Terms: a value out of range for a term constructor (negative pid id, creation over 32 bits …). */
  TERM_BAD_VALUE: "TERM_BAD_VALUE",
  /** Terms: `parse` met text that is not an Erlang term. */
  TERM_PARSE: "TERM_PARSE",
  /** Runtime: `register` (or a spawn `name`) with a name another process holds. */
  PROC_NAME_TAKEN: "PROC_NAME_TAKEN",
  /** Runtime: `register` of a name that cannot be registered (`undefined`). */
  PROC_BAD_NAME: "PROC_BAD_NAME",
  /** Runtime: `register` of a process that already has a name. */
  PROC_ALREADY_NAMED: "PROC_ALREADY_NAMED",
  /** Runtime: the process is not alive (or not local) where a live one is needed, e.g. `register`. */
  PROC_NOT_ALIVE: "PROC_NOT_ALIVE",
  /** Runtime: a send to, or `unregister` of, a name no process holds (Erlang's badarg). */
  PROC_NOT_REGISTERED: "PROC_NOT_REGISTERED",
  /** Runtime: an argument out of range (a negative timeout, an unknown priority, a body that is not one). */
  PROC_BAD_ARG: "PROC_BAD_ARG",
  /** Runtime: the process awaited by `run` exited abnormally; the error's `reason` is its exit reason. */
  PROC_EXITED: "PROC_EXITED",
  /** Runtime: no room for another process (BEAM's system_limit). */
  PROC_SYSTEM_LIMIT: "PROC_SYSTEM_LIMIT",
  /** Runtime: the runtime was shut down. */
  PROC_SHUTDOWN: "PROC_SHUTDOWN",
  /** OTP: a Task awaited, yielded to, ignored or shut down by a process other than its owner (Elixir's ArgumentError). */
  TASK_NOT_OWNER: "TASK_NOT_OWNER",
  /** OTP: TaskSupervisor.async or asyncNolink on a task supervisor that has its `maxChildren` tasks running. */
  TASK_MAX_CHILDREN: "TASK_MAX_CHILDREN",
  /** Distribution: a node name that is not `alive@host` (or not valid for short/long names). */
  DIST_BAD_NAME: "DIST_BAD_NAME",
  /** Distribution: an option out of range (a `distBufferBusyLimit` that is no positive whole number of bytes). */
  DIST_BAD_OPTION: "DIST_BAD_OPTION",
  /** Distribution: no cookie could be had (unreadable or badly permissioned ~/.erlang.cookie, bad option). */
  DIST_COOKIE: "DIST_COOKIE",
  /** Distribution: talking to EPMD failed (refused, closed, malformed reply, name taken). */
  DIST_EPMD: "DIST_EPMD",
  /** Distribution: the peer does not answer to the cookie (digest mismatch). */
  DIST_BAD_COOKIE: "DIST_BAD_COOKIE",
  /** Distribution: the handshake broke: malformed or unexpected packet, wrong version, name mismatch. */
  DIST_HANDSHAKE: "DIST_HANDSHAKE",
  /** Distribution: the peer refused us (`not_allowed`), or we it. */
  DIST_NOT_ALLOWED: "DIST_NOT_ALLOWED",
  /** Distribution: our attempt lost a simultaneous connect (`nok`): the peer's own attempt is to be used. */
  DIST_SIMULTANEOUS_LOST: "DIST_SIMULTANEOUS_LOST",
  /** Distribution: a handshake or connect did not finish within the setup time. */
  DIST_TIMEOUT: "DIST_TIMEOUT",
  /** Distribution: a connected peer sent a malformed frame, header, fragment or control message. */
  DIST_PROTOCOL: "DIST_PROTOCOL",
  /** Distribution: the connection closed or broke (nodedown). */
  DIST_CONNECTION_LOST: "DIST_CONNECTION_LOST",
  /** Distribution: the peer sent nothing, not even a tick, for net_ticktime (nodedown, `net_tick_timeout`). */
  DIST_TICK_TIMEOUT: "DIST_TICK_TIMEOUT",
  /** Distribution: a remote spawn (erlang:spawn/4 and friends) failed: `notsup`, `system_limit`, … */
  DIST_SPAWN: "DIST_SPAWN",
  /** Cluster membership: a bad option (a seed that is no node name, an interval that is no positive number of ms). */
  CLUSTER_BAD_OPTION: "CLUSTER_BAD_OPTION",
  /** Cluster: the cluster service (`otter_cluster`) does not run on this node (spawnLb), or runs already (start). */
  CLUSTER_SERVICE: "CLUSTER_SERVICE",
  /** Cluster: spawnLb's candidates hold no member with a fresh load report (nor this node). */
  CLUSTER_NO_CANDIDATE: "CLUSTER_NO_CANDIDATE",
  /** Migration: the server is not migratable (its state does not encode to ETF, or it was not started migratable). */
  CLUSTER_NOT_MIGRATABLE: "CLUSTER_NOT_MIGRATABLE",
  /** Migration: a step failed (the target could not start the server, the name moved); the server runs on. */
  CLUSTER_MIGRATION_FAILED: "CLUSTER_MIGRATION_FAILED",
  /** Replication: a replicated server could not start, or no primary answered a call before its deadline. */
  CLUSTER_REPLICATION_FAILED: "CLUSTER_REPLICATION_FAILED",
  /** erpc: the applied function raised; the ErpcError's `class` and `reason` are what erpc:call raises. */
  ERPC_EXCEPTION: "ERPC_EXCEPTION",
  /** erpc: the process applying the function was ended by an exit signal (`exit:{signal, Reason}`). */
  ERPC_SIGNAL: "ERPC_SIGNAL",
  /** erpc: the node could not be reached or its connection was lost (`error:{erpc, noconnection}`). */
  ERPC_NOCONNECTION: "ERPC_NOCONNECTION",
  /** erpc: no answer within the timeout (`error:{erpc, timeout}`); the function may or may not be applied. */
  ERPC_TIMEOUT: "ERPC_TIMEOUT",
  /** erpc: a bad node, module, function, argument list or timeout (`error:{erpc, badarg}`). */
  ERPC_BADARG: "ERPC_BADARG",
  /** erpc: any other `error:{erpc, Reason}` (`notsup`, `system_limit`, `badopt`). */
  ERPC_FAILED: "ERPC_FAILED",
  /** Dirty pools: a function threw (or its promise rejected) in a pool worker; `cause` is what it threw. */
  DIRTY_CALL_FAILED: "DIRTY_CALL_FAILED",
  /** Dirty pools: the worker running the call died (exit, out of memory, a WebAssembly trap that killed it). */
  DIRTY_WORKER_DIED: "DIRTY_WORKER_DIED",
  /** Dirty pools: the call ran past its timeout; its worker was terminated and restarted. */
  DIRTY_TIMEOUT: "DIRTY_TIMEOUT",
  /** Dirty pools: a function no loaded module exports, or a module that cannot be loaded. */
  DIRTY_UNKNOWN_FUNCTION: "DIRTY_UNKNOWN_FUNCTION",
  /**
   * Dirty pools: a module failed to load into the workers (not found, throws, not a module), or a call reached a
   * worker in which its function's module did not load (`cause`: the load's error).
   */
  DIRTY_LOAD_FAILED: "DIRTY_LOAD_FAILED",
  /** Dirty pools: a call after `stop()`, or a call the stop cut short. */
  DIRTY_STOPPED: "DIRTY_STOPPED",
  /** Dirty pools: its caller process exited before the call started; it was dropped. */
  DIRTY_CALLER_GONE: "DIRTY_CALLER_GONE",
  /** Dirty pools: a process asked for a dirty call in a runtime that has no pools. */
  DIRTY_NO_POOLS: "DIRTY_NO_POOLS",
  /** Dirty pools: a pool option out of range (size, busy wait, timeout). */
  DIRTY_BAD_OPTION: "DIRTY_BAD_OPTION",
  /** Dirty pools: ring bytes that do not decode (truncated, an unknown tag, a count past the end, too deep). */
  DIRTY_BAD_FRAME: "DIRTY_BAD_FRAME",
  /**
   * Dirty pools: an argument cannot be carried to a worker (a function, a symbol, what structured clone refuses, a
   * getter that throws); the call never ran; `cause` is the error the copy raised.
   */
  DIRTY_BAD_ARGUMENT: "DIRTY_BAD_ARGUMENT",
  /**
   * Dirty pools: the function ran, but its result cannot be carried back (what structured clone refuses, a getter
   * that throws); `cause` is the error the copy raised. The worker goes on serving.
   */
  DIRTY_BAD_RESULT: "DIRTY_BAD_RESULT",
  /** Code loading: the module's file cannot be read, or its text is not a module (a syntax error, a bad import). */
  CODE_BAD_MODULE: "CODE_BAD_MODULE",
  /** Code loading: the module's top-level code threw, or its `check` refused it; the current version serves on. */
  CODE_LOAD_FAILED: "CODE_LOAD_FAILED",
  /** Code loading: the module has an old version still (erl's `not_purged`): purge it before loading another. */
  CODE_NOT_PURGED: "CODE_NOT_PURGED",
  /** Code loading: no current version of the module is loaded (erl's `undef` for a call through its name). */
  CODE_NOT_LOADED: "CODE_NOT_LOADED",
  /** Code loading: a bad argument (a module name that is not a non-empty string, a path and a source both given). */
  CODE_BAD_ARGUMENT: "CODE_BAD_ARGUMENT",
  /** Code loading: the code server is stopped. */
  CODE_STOPPED: "CODE_STOPPED",
  /**
   * Code loading: a literal data file a module imports (`.etf`, `.json`) is malformed: truncated, a bad tag, bad
   * compression, invalid JSON; `cause` is the decoder's or parser's error. Found while preparing, never at install.
   */
  CODE_BAD_LITERAL: "CODE_BAD_LITERAL",
  /**
   * Code loading: a live upgrade failed and was rolled back; the UpgradeError names the failed `step` and process,
   * and `cause` is the original error (a failed load, a sys call that failed or timed out, a codeChange's reason).
   */
  CODE_UPGRADE_FAILED: "CODE_UPGRADE_FAILED",
  /** Test kit (erl oracle): the `erl` executable is not installed or not on PATH. */
  ERL_MISSING: "ERL_MISSING",
  /** Test kit: erl started but the oracle did not come up (bad flags, boot failure, start deadline). */
  ERL_START: "ERL_START",
  /** Test kit: erl exited (or was killed) while calls were pending. */
  ERL_EXITED: "ERL_EXITED",
  /** Test kit: a call passed its deadline. */
  ERL_TIMEOUT: "ERL_TIMEOUT",
  /** Test kit: the Erlang side raised; the error's `erlClass` is error/exit/throw. */
  ERL_RAISED: "ERL_RAISED",
  /** Test kit: `binary_to_term` refused the bytes with badarg where that is not an answer. */
  ERL_BADARG: "ERL_BADARG",
  /** Test kit: a call after `stop()`. */
  ERL_STOPPED: "ERL_STOPPED",
  /** Test kit: erl sent bytes that are not an oracle answer. */
  ERL_PROTOCOL: "ERL_PROTOCOL",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** What was thrown, as text for an error message: an Error's message, anything else as String() gives it. */
export function thrownMessage(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  try {
    return String(thrown);
  } catch {
    return `a thrown ${typeof thrown}`; // String() throws for an object without a prototype
  }
}

/** The base of every error Otter raises. `code` is stable; `message` is for people. */
export class OtterError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || (value as { [BRAND]?: unknown })[BRAND] !== true) {
      return false;
    }
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` was asked about.
    if (this === OtterError || (value as Error).name === this.name) return true;
    // Across copies of the package the classes differ, so classes match by name, along the prototype chain (a
    // subclass of a subclass is an instance of both).
    for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      // biome-ignore lint/complexity/noThisInStatic: as above.
      if (proto.constructor?.name === this.name) return true;
    }
    return false;
  }
}

/** Malformed, truncated or refused External Term Format input. `offset` is where decoding stopped. */
export class EtfDecodeError extends OtterError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(code, `${message} (at byte ${offset})`);
  }
}

/** A value the ETF encoder cannot represent. `path` locates it inside the term being encoded. */
export class EtfEncodeError extends OtterError {}

/** A term that cannot exist: atom table full, bad atom name, out-of-range identifiers. */
export class TermError extends OtterError {}

/** A runtime operation refused: a taken name, a dead process, a bad argument (Erlang's badarg cases). */
export class ProcessError extends OtterError {}

/** A process awaited with `run` exited with `reason` other than `normal`. */
export class ProcessExitError extends OtterError {
  constructor(
    message: string,
    readonly reason: unknown,
  ) {
    super(ErrorCodes.PROC_EXITED, message);
  }
}

/** Text that `parse` cannot read as an Erlang term. `offset` is the character where it failed. */
export class TermParseError extends OtterError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(ErrorCodes.TERM_PARSE, `${message} (at character ${offset})`);
  }
}

/** An Erlang distribution failure: EPMD, handshake, a malformed frame, a lost connection (the DIST_* codes). */
export class DistError extends OtterError {}

/** A dirty-pool call or pool that failed (the DIRTY_* codes); a function's own exception is the `cause`. */
export class DirtyError extends OtterError {}

/** A module that could not be loaded, purged or called through its name (the CODE_* codes). */
export class CodeError extends OtterError {}

/**
 * An exception erpc:call raises (the ERPC_* codes): `class` is its Erlang class and `reason` its reason, e.g.
 * `error` with `{exception, badarith, Stack}` for a remote runtime error, `throw` with the thrown value, `exit`
 * with `{exception, Reason}` or `{signal, Reason}`, `error` with `{erpc, noconnection}`.
 */
export class ErpcError extends OtterError {
  readonly class: "throw" | "exit" | "error";

  constructor(
    code: ErrorCode,
    erlangClass: "throw" | "exit" | "error",
    readonly reason: unknown,
    message: string,
  ) {
    super(code, message);
    this.class = erlangClass;
  }
}
