// Every view of a BEAM node (Erlang, Elixir, Gleam), read over erpc from the BIFs and OTP modules every node has.
import type { View, ViewData } from "../protocol.ts";
import { beamApplications } from "./beam-applications.ts";
import { beamModules } from "./beam-code.ts";
import { beamConnections } from "./beam-distribution.ts";
import { beamOverview } from "./beam-overview.ts";
import { beamProcessDetail } from "./beam-process.ts";
import { beamProcessPage } from "./beam-processes.ts";
import type { BeamRpc } from "./beam-rpc.ts";
import type { NodeViews } from "./node-views.ts";

export class BeamViews implements NodeViews {
  constructor(private readonly rpc: BeamRpc) {}

  async view(view: View): Promise<ViewData> {
    switch (view.kind) {
      case "overview":
        return { kind: "overview", sample: await beamOverview(this.rpc) };
      case "processes":
        return { kind: "processes", page: await beamProcessPage(this.rpc, view) };
      case "process":
        return { kind: "process", detail: await beamProcessDetail(this.rpc, view.pid) };
      case "applications":
        return { kind: "applications", applications: await beamApplications(this.rpc) };
      case "distribution":
        return { kind: "distribution", connections: await beamConnections(this.rpc) };
      case "code":
        return { kind: "code", modules: await beamModules(this.rpc) };
    }
  }
}
