// Turning a prepared module into a module version on the main thread, in time slices: its imports and literal
// data, then its segments compiled from their code caches and run by the segment protocol (see prepared.ts).
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { CodeError, ErrorCodes, thrownMessage } from "../errors.ts";
import { LiteralBuilder, type PreparedLiteral } from "./literals/index.ts";
import type { PreparedImport, PreparedModule, SegmentInstance } from "./prepared.ts";
import type { TimeSlices } from "./time-slices.ts";

/** A module's namespace: its exports by name. */
export type Namespace = Record<string, unknown>;

/** Where a module's imports come from (other than its literal data). */
export type ImportModule = (specifier: string, importer: string) => Promise<Namespace>;

export interface Installable {
  readonly module: PreparedModule;
  readonly literals: Readonly<Record<string, PreparedLiteral>>;
  /** The module's file (an absolute path). */
  readonly filename: string;
}

/** An installed module: its namespace, and the functions among its exports (in the order of its export list). */
export interface Installed {
  readonly exports: Namespace;
  readonly functions: readonly ((...args: never) => unknown)[];
}

/**
 * Builds the module's namespace: imports, then its top-level code. CODE_BAD_MODULE when an import is missing,
 * CODE_LOAD_FAILED (the exception as `cause`) when its top-level code throws.
 */
export async function install(what: Installable, importModule: ImportModule, slices: TimeSlices): Promise<Installed> {
  const { module, filename } = what;
  const scope: Namespace = Object.create(null);
  const namespaces = new Map<string, Namespace>();
  for (const imported of module.imports) {
    const namespace =
      imported.literal === undefined
        ? await importOrFail(imported.specifier, filename, importModule)
        : { default: await buildLiteral(what.literals[imported.specifier]!, slices) };
    namespaces.set(imported.specifier, namespace);
    bind(scope, imported, namespace, filename);
  }
  scope.__otter_import_meta = importMeta(filename);
  scope.__otter_import = (specifier: string) => importModule(String(specifier), filename);

  const segments: SegmentInstance[] = [];
  for (const segment of module.segments) {
    await slices.next();
    const script = new vm.Script(textOf(segment.utf8), {
      filename: segment.filename,
      lineOffset: segment.lineOffset,
      ...(segment.cache === undefined ? {} : { cachedData: segment.cache }),
    });
    const instantiate = script.runInThisContext() as (scope: Namespace) => SegmentInstance;
    segments.push(instantiate(scope));
  }
  for (const segment of segments) {
    await slices.next();
    segment.hoisted();
  }
  await linkAll(segments, slices);
  try {
    for (const segment of segments) {
      await slices.next();
      const running = segment.run();
      if (running !== undefined) await running;
      segment.values();
      // A later statement may call a function of any segment that reads what this one just set.
      await linkAll(segments, slices);
    }
  } catch (error) {
    throw new CodeError(ErrorCodes.CODE_LOAD_FAILED, `${filename} threw as it loaded: ${thrownMessage(error)}`, {
      cause: error,
    });
  }

  // The functions are listed here, as the exports are written: listing them from a namespace of 20,000 names
  // (a dictionary, whose Object.values sorts them) would hold the main thread for 6 ms at once.
  const exports: Namespace = Object.create(null);
  const functions: ((...args: never) => unknown)[] = [];
  const exported = (name: string, value: unknown): void => {
    exports[name] = value;
    if (typeof value === "function") functions.push(value as (...args: never) => unknown);
  };
  for (const specifier of module.exportAllFrom) {
    for (const [name, value] of Object.entries(namespaces.get(specifier)!)) {
      if (name !== "default") exported(name, value);
    }
  }
  let n = 0;
  for (const e of module.exports) {
    exported(e.exported, scope[e.local]);
    if (++n % 1024 === 0) await slices.next();
  }
  return { exports, functions };
}

/** UTF-8 bytes as text (Buffer's own decoder: faster than TextDecoder for a few tens of KB). */
function textOf(utf8: Uint8Array): string {
  return Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString("utf8");
}

async function linkAll(segments: readonly SegmentInstance[], slices: TimeSlices): Promise<void> {
  for (const segment of segments) {
    await slices.next();
    segment.link();
  }
}

async function buildLiteral(prepared: PreparedLiteral, slices: TimeSlices): Promise<unknown> {
  const builder = new LiteralBuilder(prepared);
  while (!builder.step(slices.deadline)) await slices.next();
  return builder.value;
}

async function importOrFail(specifier: string, importer: string, importModule: ImportModule): Promise<Namespace> {
  try {
    return await importModule(specifier, importer);
  } catch (error) {
    throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `${importer} imports ${specifier}: ${thrownMessage(error)}`, {
      cause: error,
    });
  }
}

/** Puts an import's bindings in the module's scope; a name the imported module does not export fails, as in ESM. */
function bind(scope: Namespace, imported: PreparedImport, namespace: Namespace, importer: string): void {
  for (const { imported: name, local } of imported.bindings) {
    if (name === "*") {
      scope[local] = namespace;
    } else if (name in namespace) {
      scope[local] = namespace[name];
    } else {
      throw new CodeError(
        ErrorCodes.CODE_BAD_MODULE,
        `${importer} imports ${name} from ${imported.specifier}, which does not export it`,
      );
    }
  }
}

function importMeta(filename: string): Record<string, unknown> {
  const url = pathToFileURL(filename).href;
  return { url, filename, dirname: dirname(filename), resolve: (specifier: string) => new URL(specifier, url).href };
}
