// The `erlang` functions other nodes commonly call on a node (erlang:node/0, nodes/0, whereis/1, processes/0,
// is_process_alive/1, is_alive/0, system_time/0; processes of every scheduler): what `rpc:call(OtterNode, erlang, node, [])` from erl runs. Each takes the running
// process first, as every exported function does (modules.ts).
import type { ExportedFunction } from "../dist/modules.ts";
import { Atom, atom } from "../term/atom.ts";
import { Pid } from "../term/types.ts";
import type { OtterNode } from "./node.ts";

const UNDEFINED = atom("undefined");

export function builtinModules(node: OtterNode): Record<string, Record<string, ExportedFunction>> {
  return {
    erlang: {
      node: (_self) => node.name,
      nodes: (_self) => node.nodes(),
      is_alive: (_self) => true,
      whereis: (_self, name) => (name instanceof Atom ? (node.runtime.whereis(name) ?? UNDEFINED) : UNDEFINED),
      processes: (_self) => node.runtime.nodeProcesses(),
      is_process_alive: (_self, pid) => pid instanceof Pid && node.runtime.nodeIsAlive(pid),
      system_time: (_self) => BigInt(Date.now()) * 1_000_000n,
    },
  };
}
