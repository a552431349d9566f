// `otter epmd`: an embedded EPMD run in the foreground until SIGINT or SIGTERM (or `epmd -kill` with no node left).
import { isIPv6 } from "node:net";
import { EpmdServer } from "./server.ts";

/** Serves until stopped; `log` hears where it listens. Resolves with the exit status. */
export async function runEpmd(
  options: { port?: number; host?: string },
  log: (line: string) => void = console.log,
): Promise<number> {
  const server = await EpmdServer.start(options);
  log(`otter epmd: listening on ${isIPv6(server.host) ? `[${server.host}]` : server.host}:${server.port}`);
  const stop = () => void server.close();
  process.once("SIGINT", stop).once("SIGTERM", stop);
  await server.closed;
  process.off("SIGINT", stop).off("SIGTERM", stop);
  return 0;
}
