// The functions the dirty pools can run: modules loaded by path or URL (ES modules, or WebAssembly with no
// imports), each exported function numbered the same on the main thread and in every worker.
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DirtyError, ErrorCodes } from "../errors.ts";
import type { AnyFunction } from "../runtime/contracts.ts";
import { FunctionTiming } from "./adaptive.ts";
import type { ModuleSource } from "./messages.ts";

/** A loaded function: its id in the workers, and whether (and how fast) it runs on the main thread. */
export interface DirtyFunction {
  readonly id: number;
  readonly name: string;
  /** The function itself, as the main thread imported it. */
  readonly fn: AnyFunction;
  /** Whether it may run on the main thread when that is cheaper than the hand-off. */
  readonly mainThread: boolean;
  readonly timing: FunctionTiming;
}

/** A module ready to load into workers: where it comes from and the names and ids of its functions. */
export interface PreparedModule {
  readonly source: ModuleSource;
  readonly names: readonly string[];
  readonly base: number;
  /** The module's exports on the main thread (an ES module's namespace, or a WebAssembly instance's exports). */
  readonly exports: Record<string, unknown>;
}

export class ModuleTable {
  private readonly byFunction = new Map<AnyFunction, DirtyFunction>();
  private readonly byIds: DirtyFunction[] = [];
  private nextId = 0;

  /**
   * Imports `where` on the main thread and numbers its exported functions (DIRTY_LOAD_FAILED if it cannot be
   * imported or exports none). `mainThread`: they may also run inline.
   */
  async prepare(where: string | URL, mainThread: boolean): Promise<PreparedModule> {
    const url = typeof where === "string" && !/^[a-z][a-z0-9+.-]*:/i.test(where) ? toFileUrl(where) : String(where);
    let source: ModuleSource;
    let exports: Record<string, unknown>;
    try {
      if (new URL(url).pathname.endsWith(".wasm")) {
        const wasm = await WebAssembly.compile(await readFile(fileURLToPath(url)));
        exports = (await WebAssembly.instantiate(wasm, {})).exports;
        source = { wasm };
      } else {
        exports = (await import(url)) as Record<string, unknown>;
        source = { url };
      }
    } catch (error) {
      throw new DirtyError(ErrorCodes.DIRTY_LOAD_FAILED, `cannot load ${url}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const names = Object.keys(exports).filter((name) => typeof exports[name] === "function");
    if (names.length === 0) {
      throw new DirtyError(ErrorCodes.DIRTY_LOAD_FAILED, `${url} exports no function`);
    }
    const base = this.nextId;
    this.nextId += names.length;
    names.forEach((name, i) => {
      const fn = exports[name] as AnyFunction;
      const known = this.byFunction.get(fn);
      // A function exported twice (or by a module loaded twice) keeps its first id; the new id still runs it.
      const entry = known ?? { id: base + i, name, fn, mainThread, timing: new FunctionTiming() };
      this.byFunction.set(fn, entry);
      this.byIds[base + i] = entry;
    });
    return { source, names, base, exports };
  }

  /** The loaded function `fn`; DIRTY_UNKNOWN_FUNCTION if no loaded module exports it. */
  lookup(fn: AnyFunction): DirtyFunction {
    const found = this.byFunction.get(fn);
    if (found === undefined) {
      throw new DirtyError(
        ErrorCodes.DIRTY_UNKNOWN_FUNCTION,
        `${fn.name || "an anonymous function"} is not exported by a module loaded into the dirty pools`,
      );
    }
    return found;
  }

  /** The function numbered `id`. */
  byId(id: number): DirtyFunction | undefined {
    return this.byIds[id];
  }

  /** Every loaded function. */
  all(): IterableIterator<DirtyFunction> {
    return this.byFunction.values();
  }
}

function toFileUrl(path: string): string {
  return pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
}
