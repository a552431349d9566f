// The distributed node's public API.
export { ErlangThrow, type ExportedFunction } from "../dist/modules.ts";
export { type NodeOptions, OtterNode, startNode } from "./node.ts";
