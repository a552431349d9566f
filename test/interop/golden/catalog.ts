// Every golden vector spec, by category, and the setup the oracle needs before evaluating them.
import type { ErlOracle } from "../../../src/testing/index.ts";
import { atomSpecs } from "./cases/atoms.ts";
import { binarySpecs } from "./cases/binaries.ts";
import { compositeSpecs } from "./cases/composite.ts";
import { compressedSpecs } from "./cases/compressed.ts";
import { floatSpecs } from "./cases/floats.ts";
import { FUNS_MODULE, identifierSpecs } from "./cases/identifiers.ts";
import { integerSpecs } from "./cases/integers.ts";
import { legacySpecs } from "./cases/legacy.ts";
import { listSpecs } from "./cases/lists.ts";
import { mapSpecs } from "./cases/maps.ts";
import { nestingSpecs } from "./cases/nesting.ts";
import { rejectedSpecs } from "./cases/rejected.ts";
import type { Spec } from "./spec.ts";

/** All specs, in file order. Ids are unique (checked). */
export function catalog(): Spec[] {
  const specs = [
    ...integerSpecs(),
    ...floatSpecs(),
    ...atomSpecs(),
    ...binarySpecs(),
    ...listSpecs(),
    ...nestingSpecs(),
    ...mapSpecs(),
    ...identifierSpecs(),
    ...compressedSpecs(),
    ...compositeSpecs(),
    ...legacySpecs(),
    ...rejectedSpecs(),
  ];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.id)) throw new Error(`duplicate golden vector id ${spec.id}`);
    seen.add(spec.id);
  }
  return specs;
}

/** Loads what the specs' sources call (the funs module). */
export async function prepareOracle(oracle: ErlOracle): Promise<void> {
  await oracle.loadModule(FUNS_MODULE);
}
