// Where a loaded module's imports come from: modules the code server was given by name (Otter itself), Node's
// built-ins, and files and packages resolved from the importing module's own place, as Node would.
import { createRequire } from "node:module";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { ImportModule, Namespace } from "./install.ts";

/** Imports through Node's loader, except the `given` modules, which are handed over as they are. */
export function nodeImports(given: Readonly<Record<string, Namespace>>): ImportModule {
  return async (specifier, importer) => {
    const own = given[specifier];
    if (own !== undefined) return own;
    return (await import(resolveFrom(specifier, importer))) as Namespace;
  };
}

/** `specifier` as seen from the file `importer`: relative and absolute paths against it, packages from its folder. */
function resolveFrom(specifier: string, importer: string): string {
  if (specifier.startsWith("node:") || specifier.startsWith("file:") || specifier.startsWith("data:")) {
    return specifier;
  }
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    return new URL(specifier, pathToFileURL(importer)).href;
  }
  if (isAbsolute(specifier)) return pathToFileURL(specifier).href;
  try {
    // A package (or a Node built-in): its folder's node_modules, as a require from the importer finds it.
    const found = createRequire(importer).resolve(specifier);
    return isAbsolute(found) ? pathToFileURL(found).href : found;
  } catch {
    return specifier; // an ESM-only package's "import" condition: let Node's own resolution try
  }
}
