// The observer: a web page on a node's processes, applications, distribution and code, served over HTTP (with
// `/metrics` for Prometheus), and the module other nodes' observers read an Otter node through.
export type { ObservedNode } from "./observed-node.ts";
export { type Observer, type ObserverOptions, startObserver } from "./server.ts";
