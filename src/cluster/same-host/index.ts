// The same-host transport's switch: whether a node offers and dials a Unix socket to the Otter nodes on its host
// (NodeOptions.sameHost, else OTTER_SAME_HOST; on by default), and the carrier its distribution gets.
import { DistError, ErrorCodes } from "../../errors.ts";
import { defaultSocketDir, socketPath } from "./socket-dir.ts";
import { UnixSocketCarrier } from "./unix-carrier.ts";

export { defaultSocketDir, socketPath } from "./socket-dir.ts";
export { UnixSocketCarrier } from "./unix-carrier.ts";

export interface SameHostOptions {
  /** The directory of the node's socket (default `$XDG_RUNTIME_DIR/otter`, else `<tmpdir>/otter-<uid>`; mode 0700). */
  dir?: string;
}

/** `false` turns the same-host transport off, `true` or options turn it on. */
export type SameHostSetting = boolean | SameHostOptions;

const OFF = new Set(["0", "false", "off", "no"]);
const ON = new Set(["1", "true", "on", "yes", ""]);

/**
 * The carrier of node `name` (its full name), or undefined when the transport is off: `setting` false, or absent
 * with OTTER_SAME_HOST=0, or on Windows (no Unix sockets in the file system there).
 */
export function sameHostCarrier(
  name: string,
  setting: SameHostSetting | undefined,
  env: NodeJS.ProcessEnv = process.env,
): UnixSocketCarrier | undefined {
  if (setting === undefined ? !fromEnv(env.OTTER_SAME_HOST) : !enabledBy(setting)) return undefined;
  if (process.platform === "win32") return undefined;
  const dir = (typeof setting === "object" ? setting.dir : undefined) ?? defaultSocketDir(env);
  return new UnixSocketCarrier(dir, socketPath(dir, name), name);
}

/** Whether the option turns the transport on; a malformed one is a DIST_BAD_OPTION. */
function enabledBy(setting: SameHostSetting): boolean {
  if (typeof setting === "boolean") return setting;
  if (typeof setting !== "object" || setting === null) {
    throw new DistError(ErrorCodes.DIST_BAD_OPTION, `sameHost must be a boolean or { dir }, not ${String(setting)}`);
  }
  if (setting.dir !== undefined && (typeof setting.dir !== "string" || setting.dir === "")) {
    throw new DistError(ErrorCodes.DIST_BAD_OPTION, "sameHost.dir must be a non-empty path");
  }
  return true;
}

function fromEnv(value: string | undefined): boolean {
  if (value === undefined) return true;
  const normalized = value.trim().toLowerCase();
  if (OFF.has(normalized)) return false;
  if (ON.has(normalized)) return true;
  throw new DistError(ErrorCodes.DIST_BAD_OPTION, `OTTER_SAME_HOST must be 0 or 1, not ${JSON.stringify(value)}`);
}
