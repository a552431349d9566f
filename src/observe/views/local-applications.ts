// The running applications of this node, each with its supervision tree read through `Supervisor.whichChildren`
// from the top supervisor down (the application contract says `start` returns a supervisor, as OTP's observer
// assumes too), with each child's restart count. Every call has a deadline; a supervisor that does not answer in
// time shows without children.
import { Application } from "../../otp/application.ts";
import { type ChildInfo, Supervisor } from "../../otp/supervisor.ts";
import type { Runtime } from "../../runtime/index.ts";
import { Pid } from "../../term/types.ts";
import type { ApplicationEntry, TreeNode } from "../protocol.ts";
import { type NodeIdentity, termText } from "../term-text.ts";
import { boundedCall } from "./bounded-call.ts";

/** Children shown under one supervisor; the rest are counted in `omitted`. */
export const MAX_CHILDREN_SHOWN = 100;
/** Supervisors below this depth are shown without their children. */
const MAX_DEPTH = 12;
const CALL_TIMEOUT_MS = 1000;

export function localApplications(rt: Runtime, at: NodeIdentity): Promise<ApplicationEntry[]> {
  return Promise.all(
    Application.whichApplications(rt).map(async ({ name, description, vsn }) => {
      const top = Application.topSupervisor(rt, name);
      const tree =
        top === undefined ? null : await supervisorNode(rt, at, top, { id: name, kind: "supervisor", restarts: 0 }, 0);
      return { name, description, vsn, tree };
    }),
  );
}

interface Place {
  readonly id: string;
  readonly kind: "supervisor" | "worker";
  readonly restarts: number;
}

async function supervisorNode(rt: Runtime, at: NodeIdentity, pid: Pid, place: Place, depth: number): Promise<TreeNode> {
  const [info] = await rt.nodeProcessInfo([pid]); // a supervisor of any of the node's schedulers
  const node = { pid: termText(pid, at), name: info?.registeredName?.name ?? null, ...place };
  if (place.kind === "worker" || depth >= MAX_DEPTH) return { ...node, children: [] };
  let children: ChildInfo[];
  try {
    children = await boundedCall(rt, CALL_TIMEOUT_MS, "whichChildren", (self) => Supervisor.whichChildren(self, pid));
  } catch {
    return { ...node, children: [] };
  }
  const shown = children.slice(0, MAX_CHILDREN_SHOWN);
  const nodes = await Promise.all(shown.map((child) => childNode(rt, at, child, depth + 1)));
  return children.length > shown.length
    ? { ...node, children: nodes, omitted: children.length - shown.length }
    : { ...node, children: nodes };
}

function childNode(rt: Runtime, at: NodeIdentity, child: ChildInfo, depth: number): Promise<TreeNode> | TreeNode {
  const id = typeof child.id === "string" ? child.id : termText(child.id, at);
  const place: Place = { id, kind: child.type, restarts: child.restarts };
  if (child.pid instanceof Pid) return supervisorNode(rt, at, child.pid, place, depth);
  // Not running (stopped, or waiting for its restart): the spec stays in the tree without a process.
  return { pid: null, name: null, ...place, children: [] };
}
