// A module version as the preparing worker hands it to the main thread: the module cut into segments (each a
// script compiled separately, with its V8 code cache) that share one module scope through the segment protocol.
//
// Why segments: V8 compiles a script in one piece on the thread that runs it, and even with a code cache the main
// thread's share grows with the script (about 4 ms for 5,000 small functions, 18 ms for 20,000 here). Cut into
// segments of a few hundred functions, a module installs in steps that each fit in a millisecond or so, between
// which the event loop and every process keep running.
//
// The segment protocol. Each segment is a classic script whose value is a function
// `(scope: Record<string, unknown>) => SegmentInstance`, in strict mode. `scope` is one object shared by every
// segment of the version: it maps each top-level name of the module (its declarations and its imports' local
// names) to its value. A segment declares, as `let` bindings of its own, the names of other segments (and
// imports) that it mentions, and copies them from `scope` in `link()`; its own declarations are its own
// bindings. Installing a version:
//   1. every segment is instantiated with the same `scope` (function declarations exist from here on);
//   2. the imports' bindings are written into `scope`, every segment writes its functions there (`hoisted()`),
//      and every segment `link()`s;
//   3. in source order, each segment `run()`s its top-level statements (awaited when it returns a promise) and
//      writes the names they set into `scope` (`values()`), and every segment `link()`s again: a later statement
//      may call a function of any segment, which must see what the statements before it set.
// Segments write into `scope` themselves, and the preparing worker calls `hoisted`, `link` and `values` once on a
// scratch scope before it makes the code cache, so that these functions come compiled from it.
// Only names that never change after their statement ran may cross segments (function declarations, `const`,
// `class`, imports): a module with a top-level `let` or `var`, or one the splitter cannot read, is one segment.
// Two scope names are reserved: `import.meta` is rewritten to `__otter_import_meta` (an object with `url`,
// `filename`, `dirname`, `resolve`), and a dynamic `import(x)` to `__otter_import(x)` (resolved against the
// module's file); the installer puts both in `scope`.

/** One binding an import brings in: `imported` is the exported name, "default", or "*" for the namespace. */
export interface ImportBinding {
  readonly imported: string;
  readonly local: string;
}

/**
 * An import of the module. `literal` marks a data file (`.json`, or `.etf` in the External Term Format) whose
 * default export is its decoded value; any other specifier is imported with Node's own loader.
 */
export interface PreparedImport {
  readonly specifier: string;
  readonly bindings: readonly ImportBinding[];
  readonly literal?: "json" | "etf";
}

/**
 * One name the module exports. `local` is a top-level name of the module; for a re-export
 * (`export { x } from "y"`, `export * as ns from "y"`) it is the local name the splitter gave the import.
 */
export interface PreparedExport {
  readonly exported: string;
  readonly local: string;
}

/** A script of the segment protocol, as the splitter writes it. */
export interface SegmentScript {
  readonly source: string;
  /** The name V8 and stack traces give the script: the module's file (a path or URL). */
  readonly filename: string;
  /**
   * The 0-based line of the module's text that is the segment's first line, minus the wrapper's lines before it
   * (vm.Script's `lineOffset`), so that stack traces show the module's own line numbers.
   */
  readonly lineOffset: number;
}

/**
 * A segment as the worker hands it over: its script's text as UTF-8 bytes (bytes move between threads without a
 * copy, and the main thread makes the text of one segment at a time, as it compiles it), with its code cache.
 */
export interface PreparedSegment extends Omit<SegmentScript, "source"> {
  readonly utf8: Uint8Array;
  /** V8's code cache for the script (compiled under the same `filename`); absent if it could not be made. */
  readonly cache?: Uint8Array;
}

/** What the worker hands over: everything but the main thread's own compile and run. */
export interface PreparedModule {
  readonly segments: readonly PreparedSegment[];
  readonly imports: readonly PreparedImport[];
  readonly exports: readonly PreparedExport[];
  /** `export * from "y"`: every name of these imports' namespaces (by specifier) that the module does not define. */
  readonly exportAllFrom: readonly string[];
}

/** What a segment's script returns when called with the shared scope. */
export interface SegmentInstance {
  /** Writes its function declarations into the shared scope: they exist before any top-level statement runs. */
  hoisted(): void;
  /** Copies the names of other segments and imports that it mentions from the shared scope. */
  link(): void;
  /** Runs its top-level statements, in order. */
  run(): void | Promise<void>;
  /** Writes its other top-level names (its `const`s and classes) into the shared scope, with their values now. */
  values(): void;
}
