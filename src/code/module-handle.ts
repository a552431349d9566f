// A module called through its name: an object whose every property read goes to the module's current version,
// as an Erlang call `Module:Function(...)` always reaches the current code.
import { CodeError, ErrorCodes } from "../errors.ts";
import type { ModuleVersion } from "./module-version.ts";

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
