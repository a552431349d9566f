// Remote spawn as erlang:spawn/4, spawn_link/4 and spawn_monitor/4 do it since OTP 23: a spawn request, then the
// new pid from its answer. A node that cannot be reached still gives a pid, as on the BEAM (erts_internal:crasher):
// that of a local process that exits at once with `noconnection`, so a link or monitor reports the failure the
// way it would report the remote process's end.
import { DistError, ErrorCodes, ProcessError } from "../errors.ts";
import { isSpawnReply, logger, NOCONNECTION, type Process } from "../runtime/index.ts";
import type { CarriedSpawnOptions } from "../runtime/spawn-options.ts";
import { Atom, atom } from "../term/atom.ts";
import { format } from "../term/format.ts";
import type { Pid, Ref, Term, Tuple } from "../term/types.ts";
import type { Name } from "./erpc.ts";

const OK = atom("ok");
const BADOPT = atom("badopt");

/**
 * Where on a node a process is spawned, whether it is linked to the spawner, and the local spawn's `priority`,
 * `trapExit` and `name` for it (a value with no term form, or one the node cannot honour, is a bad option).
 */
export interface RemoteSpawnOptions extends CarriedSpawnOptions {
  link?: boolean;
  /** The scheduler of `node` to run it on, when the node runs several (default: the node chooses). */
  scheduler?: number;
}

/**
 * erlang:spawn/4 (with `link`, spawn_link/4): a process on `node` running `module:fn(...args)`. Throws a
 * ProcessError PROC_BAD_ARG for bad arguments, a DistError DIST_SPAWN when `node` cannot spawn (`notsup` …).
 */
export async function spawnRemote(
  self: Process,
  node: Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
  options: RemoteSpawnOptions = {},
): Promise<Pid> {
  return (await spawnOn(self, node, module, fn, args, { ...options, monitor: false })).pid;
}

/** erlang:spawn_link/4: `spawnRemote` linked to `self`. */
export function spawnRemoteLink(
  self: Process,
  node: Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
): Promise<Pid> {
  return spawnRemote(self, node, module, fn, args, { link: true });
}

/** erlang:spawn_monitor/4: `spawnRemote` monitored by `self`; the DOWN message carries `ref`. */
export async function spawnRemoteMonitor(
  self: Process,
  node: Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
  options: Omit<RemoteSpawnOptions, "link"> = {},
): Promise<{ pid: Pid; ref: Ref }> {
  const { pid, ref } = await spawnOn(self, node, module, fn, args, { ...options, link: false, monitor: true });
  return { pid, ref: ref! };
}

async function spawnOn(
  self: Process,
  node: Name,
  module: Name,
  fn: Name,
  args: readonly Term[],
  options: RemoteSpawnOptions & { monitor: boolean },
): Promise<{ pid: Pid; ref?: Ref }> {
  const [to, m, f] = [asAtom(node), asAtom(module), asAtom(fn)];
  const { monitor, scheduler, priority, trapExit, name } = options;
  const link = options.link === true;
  const ref = self.spawnRequest(to, m, f, args, { link, monitor, scheduler, priority, trapExit, name });
  const reply = (await self.receive((message) => isSpawnReply(message, ref), { since: ref })) as Tuple;
  const [, , status, result] = reply.elements as [Term, Term, Term, Term];
  if (status === OK) return { pid: result as Pid, ref };
  if (result === NOCONNECTION) return stillborn(self, to, m, f, args, link, monitor);
  const mfa = `${format(m)}:${format(f)}/${args.length} on ${format(to)}`;
  if (result === BADOPT) throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `spawn of ${mfa}: bad option`);
  throw new DistError(ErrorCodes.DIST_SPAWN, `spawn of ${mfa} failed: ${format(result)}`);
}

/** The pid the BEAM gives for an unreachable node: a local process that exits with `noconnection` at once. */
function stillborn(
  self: Process,
  node: Atom,
  m: Atom,
  f: Atom,
  args: readonly Term[],
  link: boolean,
  monitor: boolean,
): { pid: Pid; ref?: Ref } {
  const body = async (crasher: Process) => {
    logger(crasher).warning(`** Can not start ${format(m)}:${format(f)},${format([...args])} on ${format(node)} **`);
    crasher.exit(crasher.pid, NOCONNECTION); // an exit signal, as erlang:exit/1 from the BEAM's crasher: no crash report
  };
  if (monitor) return self.spawnMonitor(body);
  return { pid: self.spawn(body, { link }) };
}

function asAtom(name: Name): Atom {
  return name instanceof Atom ? name : atom(name);
}
