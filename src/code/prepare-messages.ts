// What the main thread and a preparing worker say to each other: a module to prepare, and the prepared module.
import type { PreparedLiteral } from "./literals/index.ts";
import type { PreparedExport, PreparedModule, PreparedSegment } from "./prepared.ts";

export interface PrepareRequest {
  readonly id: number;
  /** The module's file (an absolute path): read unless `source` is given, and the base of relative imports. */
  readonly filename: string;
  /** The module's text, when it does not come from the file. */
  readonly source?: string;
  /** TypeScript, to transpile first. */
  readonly typescript: boolean;
  /** The size the splitter cuts segments at, bytes. */
  readonly segmentBytes: number;
}

/** A worker's answers to one request: its segments, one message each and in order, then the rest; or a failure. */
export type PrepareAnswer =
  | { readonly kind: "segment"; readonly id: number; readonly segment: PreparedSegment }
  | {
      readonly kind: "prepared";
      readonly id: number;
      /** The module but its segments, and its exports packed (see packExports). */
      readonly module: Omit<PreparedModule, "segments" | "exports">;
      readonly exports: PackedExports;
      /** The prepared data of the module's literal imports, by specifier. */
      readonly literals: Readonly<Record<string, PreparedLiteral>>;
      /** Why the module is one segment, when it is (the splitter's reason). */
      readonly whole?: string;
    }
  | { readonly kind: "failed"; readonly id: number; readonly code: string; readonly message: string };

/** A prepared module, its segments gathered. */
export interface PreparedAnswer {
  readonly module: PreparedModule;
  readonly literals: Readonly<Record<string, PreparedLiteral>>;
  readonly whole?: string;
}

/**
 * A module's exports as they cross threads: one string instead of an object per export, which the main thread
 * would otherwise deserialize all in one go (12 ms for 20,000 exports here). Names that hold the separators
 * (possible with `export { x as "…" }`) travel as they are.
 */
export type PackedExports = string | readonly PreparedExport[];

const PAIR = "\u0000";
const NEXT = "\n";

export function packExports(exports: readonly PreparedExport[]): PackedExports {
  const parts: string[] = [];
  for (const { exported, local } of exports) {
    if (`${exported}${local}`.includes(PAIR) || `${exported}${local}`.includes(NEXT)) return exports;
    parts.push(exported === local ? exported : `${exported}${PAIR}${local}`);
  }
  return parts.join(NEXT);
}

export function unpackExports(packed: PackedExports): PreparedExport[] {
  if (typeof packed !== "string") return [...packed];
  if (packed === "") return [];
  return packed.split(NEXT).map((pair) => {
    const at = pair.indexOf(PAIR);
    return at < 0 ? { exported: pair, local: pair } : { exported: pair.slice(0, at), local: pair.slice(at + 1) };
  });
}
