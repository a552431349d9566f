// A scheduler's own thread: a runtime that is scheduler `index` of its node, its end of the mesh, the modules its
// processes may run (module name + function, as a spawn request names them: those loaded on every scheduler, and
// its copy of the code server's), its load meter, and its logger, which relays to the node's. Scheduler 0 (the main
// thread) starts it and tells it to load modules, apply the code server's operations or stop through its port.
import { parentPort, workerData } from "node:worker_threads";
import { nodeImports } from "../../code/imports.ts";
import type { Namespace } from "../../code/install.ts";
import { CodeReplica } from "../../code/replica.ts";
import { ExportedModules } from "../../dist/modules.ts";
import { setGlobalNames } from "../../otp/names.ts";
import { Runtime } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { MIGRATION_MODULE } from "../migration-server.ts";
import { migrationModule } from "../migration-target.ts";
import { Blobs } from "./blobs.ts";
import { bindSchedulerContext } from "./context.ts";
import { NodeGlobalNames } from "./global-names.ts";
import { LoadMeter } from "./load-meter.ts";
import { logRelay, type RelayedEvent } from "./log-relay.ts";
import { MeshMemory } from "./mesh-memory.ts";
import { SchedulerPort } from "./port.ts";
import { SharedNames } from "./shared-names.ts";
import { type FromThread, loadFunctions, type ThreadData, type ToThread } from "./thread-messages.ts";

const data = workerData as ThreadData;
const node = atom(data.node);
const names = new SharedNames(data.names, node, data.creation, data.index);
const runtime = new Runtime({
  node,
  creation: data.creation,
  scheduler: { index: data.index, count: data.mesh.count, incarnation: data.incarnation },
  names,
  busyWaitUs: data.busyWaitUs,
  // No handlers of its own: its processes' events go to the node's.
  logger: { handlers: {}, relay: logRelay(data.logThreshold, postEvent) },
});
setGlobalNames(runtime, new NodeGlobalNames(runtime, data.globalNames));
const memory = new MeshMemory(data.mesh);
const modules = new ExportedModules({});
modules.export(MIGRATION_MODULE, migrationModule(modules)); // servers moved to this scheduler start here
for (const { name, url } of data.modules) modules.export(name, await loadFunctions(url));
// The code server's modules import Otter as "otter": this thread's own copy of it, as the main thread gives its own.
const otherImports = nodeImports({});
const code = new CodeReplica(runtime, async (specifier, importer) =>
  specifier === "otter" ? ((await import("../../index.ts")) as Namespace) : otherImports(specifier, importer),
);
const failed = await code.start(data.code);
modules.setFallback((module, fn) => code.exported(module, fn));
const blobs = new Blobs(data.ports.outbound, data.ports.inbound, true);
const port = new SchedulerPort({ memory, runtime, modules, blobs, busyWaitUs: data.busyWaitUs });
port.knowNodes(data.nodes.map(({ node, hidden }) => ({ node: atom(node), hidden })));
runtime.setTransport(port);
runtime.setInquiries(port.inquiries);
bindSchedulerContext(runtime, { memory });
const meter = new LoadMeter(memory, runtime);
meter.start();
port.start();

parentPort!.on("message", async (message: ToThread) => {
  if (message.kind === "load") {
    try {
      modules.export(message.name, await loadFunctions(message.url));
      parentPort!.postMessage({ kind: "loaded", id: message.id });
    } catch (error) {
      parentPort!.postMessage({ kind: "loaded", id: message.id, error: String((error as Error)?.message ?? error) });
    }
  } else if (message.kind === "code") {
    const answer = await code.apply(message.op);
    parentPort!.postMessage({ kind: "code-answer", id: message.id, answer });
  } else if (message.kind === "lost") {
    port.lost(message.index, message.ports);
    parentPort!.postMessage({ kind: "reset", index: message.index });
  } else if (message.kind === "stop") {
    runtime.shutdown();
    meter.stop();
    port.stop();
    parentPort!.close();
  }
});
parentPort!.postMessage({ kind: "ready", failed });

function postEvent(event: RelayedEvent): void {
  parentPort!.postMessage({ kind: "log", event } satisfies FromThread);
}
