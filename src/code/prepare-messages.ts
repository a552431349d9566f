// What the main thread and a preparing worker say to each other: a module to prepare, and the prepared module.
import type { PreparedLiteral } from "./literals/index.ts";
import type { PreparedModule } from "./prepared.ts";

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

export type PrepareAnswer =
  | {
      readonly kind: "prepared";
      readonly id: number;
      readonly module: PreparedModule;
      /** The prepared data of the module's literal imports, by specifier. */
      readonly literals: Readonly<Record<string, PreparedLiteral>>;
      /** Why the module is one segment, when it is (the splitter's reason). */
      readonly whole?: string;
    }
  | { readonly kind: "failed"; readonly id: number; readonly code: string; readonly message: string };
