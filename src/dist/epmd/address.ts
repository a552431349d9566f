// Where EPMD listens: the port given, else $ERL_EPMD_PORT (as erl reads it), else 4369; loopback by default.
import { DistError, ErrorCodes } from "../../errors.ts";

export const DEFAULT_EPMD_PORT = 4369;
export const DEFAULT_EPMD_HOST = "127.0.0.1";

/** The EPMD port: `port` when given, else `ERL_EPMD_PORT` from the environment, else 4369. */
export function epmdPort(port?: number): number {
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new DistError(ErrorCodes.DIST_EPMD, `EPMD port ${port} is not an integer in 0..65535`);
    }
    return port;
  }
  const fromEnv = process.env.ERL_EPMD_PORT;
  if (fromEnv === undefined || fromEnv === "") return DEFAULT_EPMD_PORT;
  const parsed = /^\d{1,5}$/.test(fromEnv) ? Number(fromEnv) : Number.NaN;
  if (!(parsed >= 1 && parsed <= 0xffff)) {
    throw new DistError(ErrorCodes.DIST_EPMD, `ERL_EPMD_PORT=${JSON.stringify(fromEnv)} is not a port number`);
  }
  return parsed;
}
