// The local node of term text: which node's pids, refs and ports `format` and `parse` write without a node name.
import { type Atom, atom } from "../atom.ts";

/** Which node is "this node", for pids, refs and ports (shared by `format` and `parse`). */
export interface TermTextOptions {
  /** This node's name; default `nonode@nohost`, the name of a node without distribution. */
  localNode?: Atom;
  /** This node's creation; default 0. */
  localCreation?: number;
}

/** The node identity `format` and `parse` treat as local. @internal */
export interface LocalNode {
  readonly node: Atom;
  readonly creation: number;
}

/** @internal */
export function localNodeOf(options: TermTextOptions | undefined): LocalNode {
  return { node: options?.localNode ?? atom("nonode@nohost"), creation: options?.localCreation ?? 0 };
}
