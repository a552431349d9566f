// The distributed node's public API.
export * as erpc from "../dist/erpc.ts";
export { ErlangThrow, type ExportedFunction } from "../dist/modules.ts";
export * as rpc from "../dist/rpc.ts";
export { spawnRemote, spawnRemoteLink, spawnRemoteMonitor } from "../dist/spawn-remote.ts";
export { type NodeOptions, OtterNode, startNode } from "./node.ts";
