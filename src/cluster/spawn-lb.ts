// spawnLb: spawn `module:fn(...args)` on the least loaded cluster member (this node included), chosen by the
// node's cluster service from the members' load reports (load-report.ts: nodeScore, leastLoaded), on that
// member's least loaded scheduler.
//
// The process is started by a spawn request to the chosen node, this node included (a request to our own name is
// served here, by the node's exported modules and code server), so it behaves as erlang:spawn/4 does wherever it
// lands: a module or function the node does not have still gives a pid, whose process exits with `undef`.
import { spawnRemote, spawnRemoteMonitor } from "../dist/spawn-remote.ts";
import { DistError, ErrorCodes } from "../errors.ts";
import type { Process } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import type { Pid, Ref, Term } from "../term/types.ts";
import { placement } from "./membership.ts";
import { leastLoadedScheduler } from "./schedulers/placement.ts";

export interface SpawnLbOptions {
  /** Only these nodes may be chosen (members or this node); default: every member and this node. */
  nodes?: readonly (string | Atom)[];
  /** Link the new process to `self` (spawn_link). */
  link?: boolean;
}

/**
 * A process running `module:fn(...args)` on the least loaded member. Throws a DistError CLUSTER_SERVICE when no
 * cluster service runs here, CLUSTER_NO_CANDIDATE when no candidate has a fresh report; the rest as spawnRemote.
 */
export async function spawnLb(
  self: Process,
  module: string | Atom,
  fn: string | Atom,
  args: readonly Term[],
  options: SpawnLbOptions = {},
): Promise<Pid> {
  const { node, scheduler } = await choosePlace(self, options);
  return spawnRemote(self, node, module, fn, args, { link: options.link === true, scheduler });
}

/** spawnLb linked to `self`. */
export function spawnLbLink(
  self: Process,
  module: string | Atom,
  fn: string | Atom,
  args: readonly Term[],
  options: Omit<SpawnLbOptions, "link"> = {},
): Promise<Pid> {
  return spawnLb(self, module, fn, args, { ...options, link: true });
}

/** spawnLb monitored by `self`; the DOWN message carries `ref`. */
export async function spawnLbMonitor(
  self: Process,
  module: string | Atom,
  fn: string | Atom,
  args: readonly Term[],
  options: Omit<SpawnLbOptions, "link"> = {},
): Promise<{ pid: Pid; ref: Ref }> {
  const { node, scheduler } = await choosePlace(self, options);
  return spawnRemoteMonitor(self, node, module, fn, args, { scheduler });
}

/**
 * The least loaded node and its least loaded scheduler: on this node as the schedulers sampled their loads just
 * now; on another, as its last load report has them (the spawn request carries `{scheduler, N}` there).
 */
async function choosePlace(self: Process, options: SpawnLbOptions): Promise<{ node: Atom; scheduler?: number }> {
  const { node, scheduler } = await chooseNode(self, options);
  return { node, scheduler: node === self.runtime.node ? leastLoadedScheduler(self.runtime) : scheduler };
}

async function chooseNode(self: Process, options: SpawnLbOptions): Promise<{ node: Atom; scheduler: number }> {
  const candidates = options.nodes?.map((node) => {
    if (node instanceof Atom) return node;
    if (typeof node === "string") return atom(node);
    throw new DistError(ErrorCodes.CLUSTER_BAD_OPTION, `spawnLb: a candidate is a node name, not ${String(node)}`);
  });
  const place = await placement(self, candidates);
  if (place === undefined) {
    const among = candidates === undefined ? "" : ` among ${candidates.map((c) => c.name).join(", ")}`;
    throw new DistError(ErrorCodes.CLUSTER_NO_CANDIDATE, `spawnLb: no member with a fresh load report${among}`);
  }
  return place;
}
