// One version of a module: its exports, where it came from, and its functions as calls through the module's name
// see them — wrapped so that a process spawned during such a call is known to run this version's code.
import type { Namespace } from "./install.ts";

export type VersionState = "current" | "old" | "gone";

/** The version whose function, called through its module's name, is running now (innermost first). */
let calling: ModuleVersion | undefined;

/** The module version whose function is being called through its module's name now, if any. */
export function callingVersion(): ModuleVersion | undefined {
  return calling;
}

export class ModuleVersion {
  state: VersionState = "current";
  private readonly wrapped = new Map<string, unknown>();

  constructor(
    readonly module: string,
    /** 1 for the module's first version, then one more for each load. */
    readonly serial: number,
    /** The file it was loaded from, or the name given to a module loaded from source text. */
    readonly file: string,
    readonly exports: Namespace,
    readonly loadedAt: number,
  ) {}

  /** Export `name` as a call through the module's name gets it: a function comes wrapped (see callingVersion). */
  exported(name: string): unknown {
    const value = this.exports[name];
    if (typeof value !== "function") return value;
    let w = this.wrapped.get(name);
    if (w === undefined) {
      w = track(this, value as (...args: unknown[]) => unknown);
      this.wrapped.set(name, w);
    }
    return w;
  }
}

/** `fn`, marking `version` as the calling version while it runs (and staying a constructor if it is one). */
function track(version: ModuleVersion, fn: (...args: unknown[]) => unknown): unknown {
  const tracked = function (this: unknown, ...args: unknown[]): unknown {
    const outer = calling;
    calling = version;
    try {
      return new.target === undefined ? fn.apply(this, args) : Reflect.construct(fn, args, new.target);
    } finally {
      calling = outer;
    }
  };
  Object.defineProperty(tracked, "name", { value: fn.name });
  Object.defineProperty(tracked, "length", { value: fn.length });
  // Static members of a class read through; `instanceof` sees the class's own prototype.
  Object.setPrototypeOf(tracked, fn);
  if (fn.prototype !== undefined) tracked.prototype = fn.prototype;
  return tracked;
}
