// This node's loaded modules with their current and old versions, from its code server (none without one).
import type { ObservedNode, ObservedVersion } from "../observed-node.ts";
import type { ModuleEntry } from "../protocol.ts";

export function localModules(observed: ObservedNode): ModuleEntry[] {
  const code = observed.code;
  if (code === undefined) return [];
  return code
    .allLoaded()
    .map(({ name, file }): ModuleEntry => {
      const { current, old } = code.versions(name);
      return { name, path: file, current: versionText(current), old: versionText(old) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** `v3, loaded 2026-11-24T23:20:01.000Z`. */
function versionText(version: ObservedVersion | undefined): string | null {
  return version === undefined ? null : `v${version.serial}, loaded ${new Date(version.loadedAt).toISOString()}`;
}
