// Every view of this node, read through the runtime's public API and the node's code server, dirty pools and
// connections. The same object answers the page served here and other nodes' observers (observer-builtins.ts).
import { LoadSampler } from "../load-sampler.ts";
import type { ObservedNode } from "../observed-node.ts";
import type { OverviewSample, View, ViewData } from "../protocol.ts";
import type { NodeIdentity } from "../term-text.ts";
import { localApplications } from "./local-applications.ts";
import { localModules } from "./local-code.ts";
import { LastHeard, localConnections } from "./local-distribution.ts";
import { localOverview, ProcessMemory } from "./local-overview.ts";
import { localProcessDetail } from "./local-process.ts";
import { localProcessPage } from "./local-processes.ts";
import type { NodeViews } from "./node-views.ts";

export class LocalViews implements NodeViews {
  readonly identity: NodeIdentity;
  private readonly sampler: LoadSampler;
  private readonly lastHeard = new LastHeard();
  private readonly processMemory = new ProcessMemory();

  constructor(readonly observed: ObservedNode) {
    this.identity = { node: observed.runtime.node, creation: observed.runtime.creation };
    this.sampler = new LoadSampler(observed.runtime);
  }

  /** Stops measuring the event loop's load until the next overview sample (nobody watches). */
  stopSampling(): void {
    this.sampler.stop();
  }

  /** A sample covering the time since the last one (the first after a stop has no load figures). */
  overview(): OverviewSample {
    localConnections(this.observed, this.lastHeard); // each look keeps "last heard" fresher
    return localOverview(this.observed, this.sampler.sample(), this.processMemory);
  }

  async view(view: View): Promise<ViewData> {
    const rt = this.observed.runtime;
    switch (view.kind) {
      case "overview":
        return { kind: "overview", sample: this.overview() };
      case "processes":
        return { kind: "processes", page: await localProcessPage(rt, view, this.identity) };
      case "process":
        return { kind: "process", detail: await localProcessDetail(rt, view.pid, this.identity) };
      case "applications":
        return { kind: "applications", applications: await localApplications(rt, this.identity) };
      case "distribution":
        return { kind: "distribution", connections: localConnections(this.observed, this.lastHeard) };
      case "code":
        return { kind: "code", modules: localModules(this.observed) };
    }
  }
}
