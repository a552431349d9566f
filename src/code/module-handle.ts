// A module called through its name: an object whose every property read goes to the module's current version,
// as an Erlang call `Module:Function(...)` always reaches the current code — from outside the node's processes
// (`code.module(name)`) or from a process of any of its schedulers (`moduleNamed(self.runtime, name)`).
import { CodeError, ErrorCodes } from "../errors.ts";
import type { Runtime } from "../runtime/index.ts";
import type { ModuleVersion } from "./module-version.ts";

/** Each runtime's modules: the current version of a module by name (its code server's, or its scheduler's copy). */
const currents = new WeakMap<Runtime, (name: string) => ModuleVersion | undefined>();

/** @internal Where `moduleNamed` finds `runtime`'s modules (the code server or a scheduler's copy says, once). */
export function setModules(runtime: Runtime, current: (name: string) => ModuleVersion | undefined): void {
  currents.set(runtime, current);
}

/**
 * Module `name` called through its name from a process of `runtime` (`moduleNamed(self.runtime, "counter")`):
 * every read reaches the version current on the process's scheduler at that moment, whichever scheduler it runs
 * on. CODE_NOT_LOADED at a read when no version is current (or the node has no code server).
 */
export function moduleNamed<M = Record<string, unknown>>(runtime: Runtime, name: string): M {
  return moduleHandle(name, () => currents.get(runtime)?.(name)) as M;
}

/** A handle on module `name`; `current` gives its current version at each read. */
export function moduleHandle(name: string, current: () => ModuleVersion | undefined): object {
  const version = (): ModuleVersion => {
    const v = current();
    if (v === undefined) throw new CodeError(ErrorCodes.CODE_NOT_LOADED, `module ${name} is not loaded`);
    return v;
  };
  return new Proxy(Object.create(null) as object, {
    get(_, key) {
      // Not a thenable, whatever the module exports: awaiting a handle gives the handle.
      if (typeof key !== "string" || key === "then") return undefined;
      return version().exported(key);
    },
    has(_, key) {
      return typeof key === "string" && key in version().exports;
    },
    ownKeys() {
      return Object.keys(version().exports);
    },
    getOwnPropertyDescriptor(_, key) {
      if (typeof key !== "string") return undefined;
      const v = version();
      if (!(key in v.exports)) return undefined;
      return { value: v.exported(key), enumerable: true, configurable: true, writable: false };
    },
    set() {
      throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `module ${name}'s exports cannot be assigned`);
    },
    defineProperty() {
      throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, `module ${name}'s exports cannot be assigned`);
    },
  });
}
