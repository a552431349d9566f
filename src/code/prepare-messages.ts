// What the main thread and a preparing worker say to each other: a module to prepare, and the prepared module.
import type { PreparedLiteral } from "./literals/index.ts";
import type { PreparedModule, PreparedSegment } from "./prepared.ts";

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
      readonly module: Omit<PreparedModule, "segments">;
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
