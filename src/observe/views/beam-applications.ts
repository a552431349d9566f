// The running applications of a BEAM node with their supervision trees, as OTP's observer reads them:
// application:which_applications/0; each one's master (application_controller:get_master/1, undefined for a library
// application) and its top supervisor (application_master:get_child/1, `{Pid, Module}`); then
// supervisor:which_children/1 down the children marked `supervisor`, each level in parallel. BEAM's supervisors
// count no restarts per child: `restarts` is null.
import { Atom, atom } from "../../term/atom.ts";
import { Pid, type Term, Tuple } from "../../term/types.ts";
import type { ApplicationEntry, TreeNode } from "../protocol.ts";
import { type BeamRpc, PROCESS_INFO, stringOf } from "./beam-rpc.ts";
import { MAX_CHILDREN_SHOWN } from "./local-applications.ts";

const MAX_DEPTH = 12;
const SUPERVISOR = atom("supervisor");
const REGISTERED_NAME = atom("registered_name");

export async function beamApplications(rpc: BeamRpc): Promise<ApplicationEntry[]> {
  const running = await rpc.call("application", "which_applications", []);
  if (!Array.isArray(running)) return [];
  const pids: Pid[] = [];
  const apps = running.filter((a): a is Tuple => a instanceof Tuple && a.size === 3 && a.at(0) instanceof Atom);
  const entries = await Promise.all(
    apps.map(async (app): Promise<ApplicationEntry> => {
      const name = app.at(0) as Atom;
      const top = await topSupervisor(rpc, name);
      return {
        name: name.name,
        description: stringOf(app.at(1), rpc),
        vsn: stringOf(app.at(2), rpc),
        tree: top === undefined ? null : await supervisorNode(rpc, pids, top, name.name, "supervisor", 0),
      };
    }),
  );
  return withNames(rpc, entries, pids);
}

async function topSupervisor(rpc: BeamRpc, app: Atom): Promise<Pid | undefined> {
  try {
    const master = await rpc.call("application_controller", "get_master", [app]);
    if (!(master instanceof Pid)) return undefined;
    const child = await rpc.call("application_master", "get_child", [master]);
    const pid = child instanceof Tuple ? child.at(0) : child;
    return pid instanceof Pid ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The tree under `pid`; every pid in it is added to `pids`. */
async function supervisorNode(
  rpc: BeamRpc,
  pids: Pid[],
  pid: Pid,
  id: string,
  kind: TreeNode["kind"],
  depth: number,
): Promise<TreeNode> {
  pids.push(pid);
  const node = { pid: rpc.text(pid), id, name: null, kind, restarts: null };
  if (kind === "worker" || depth >= MAX_DEPTH) return { ...node, children: [] };
  let rows: Term;
  try {
    rows = await rpc.call("supervisor", "which_children", [pid]);
  } catch {
    return { ...node, children: [] };
  }
  // `{Id, Child | restarting | undefined, worker | supervisor, Modules}`; a supervisor_bridge answers [].
  const children = Array.isArray(rows) ? rows.filter((r): r is Tuple => r instanceof Tuple && r.size === 4) : [];
  const shown = children.slice(0, MAX_CHILDREN_SHOWN);
  const nodes = await Promise.all(
    shown.map((child): TreeNode | Promise<TreeNode> => {
      const [childId, childPid, type] = child.elements as [Term, Term, Term];
      const childKind = type === SUPERVISOR ? "supervisor" : "worker";
      const text = childId instanceof Atom ? childId.name : rpc.text(childId);
      if (childPid instanceof Pid) return supervisorNode(rpc, pids, childPid, text, childKind, depth + 1);
      return { pid: null, id: text, name: null, kind: childKind, restarts: null, children: [] };
    }),
  );
  return children.length > shown.length
    ? { ...node, children: nodes, omitted: children.length - shown.length }
    : { ...node, children: nodes };
}

/** The trees with the registered name of each process in them, read in one call. */
async function withNames(rpc: BeamRpc, entries: ApplicationEntry[], pids: readonly Pid[]): Promise<ApplicationEntry[]> {
  if (pids.length === 0) return entries;
  let answer: Term;
  try {
    answer = await rpc.call("lists", "zipwith", [PROCESS_INFO, [...pids], pids.map(() => REGISTERED_NAME)]);
  } catch {
    return entries;
  }
  const names = new Map<string, string>();
  if (Array.isArray(answer)) {
    answer.forEach((item, i) => {
      // `{registered_name, Name}`, `[]` when it has none, `undefined` when it is gone.
      if (item instanceof Tuple && item.at(1) instanceof Atom) names.set(rpc.text(pids[i]!), (item.at(1) as Atom).name);
    });
  }
  const named = (node: TreeNode): TreeNode => ({
    ...node,
    name: node.pid === null ? null : (names.get(node.pid) ?? null),
    children: node.children.map(named),
  });
  return entries.map((entry) => ({ ...entry, tree: entry.tree === null ? null : named(entry.tree) }));
}
