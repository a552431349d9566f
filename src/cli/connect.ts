// How a command reaches a running node: it starts a hidden node of its own (not in the target's `nodes()`, as
// erl's `-remsh` and `-hidden` do) and connects it to the target.
import { type OtterNode, startNode } from "../node/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { CommandFailed, UsageError } from "./failures.ts";

export interface ClientOptions {
  /** The running node, `name@host`. */
  readonly target: string;
  readonly cookie: string | undefined;
  /** The command, in this node's default name: `otter_<command>_<os pid>`. */
  readonly command: string;
  /** This node's own name (`--sname`/`--name`), if given. */
  readonly own?: { sname: string } | { name: string };
}

/** A hidden node for this command, not yet connected to the target; the caller stops it. */
export function startClientNode(options: ClientOptions): Promise<OtterNode> {
  checkTarget(options.target);
  const own = options.own ?? ownName(options.target, `otter_${options.command}_${process.pid}`);
  return startNode({ ...own, cookie: options.cookie, hidden: true });
}

/** A hidden node connected to the target; a target it cannot reach is a CommandFailed (the node is stopped then). */
export async function connectClient(options: ClientOptions): Promise<{ node: OtterNode; target: Atom }> {
  const node = await startClientNode(options);
  const target = atom(options.target);
  if (await node.connect(target)) return { node, target };
  await node.stop();
  throw new CommandFailed(
    `cannot reach ${options.target} (is it running, registered with EPMD, with the same cookie?)`,
  );
}

/** Throws a UsageError for a target that is not `name@host`. */
export function checkTarget(target: string): void {
  if (!/^[^@\s]+@[^@\s]+$/.test(target)) throw new UsageError(`not a node name (name@host): ${target}`);
}

/**
 * A node name of the same kind as the target's (short or long names do not mix); on the target's host when that
 * is this machine's loopback.
 */
function ownName(target: string, alive: string): { sname: string } | { name: string } {
  const host = target.slice(target.indexOf("@") + 1);
  if (!host.includes(".")) return { sname: alive };
  return { name: host.startsWith("127.") ? `${alive}@${host}` : alive };
}
