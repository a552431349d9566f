// `otter_observer`, the module every Otter node offers other nodes' observers: `view(Json)` answers a view of
// this node (protocol.ts's View in, `{"data": ViewData}` or `{"error": …}` out, as JSON binaries) computed here,
// exactly as for a page this node serves; `protocol()` tells an observer it talks to an Otter node (and which JSON).
// The event loop is measured only while someone asks: from the first overview to a minute after the last.
import type { ExportedFunction } from "../dist/modules.ts";
import type { ObservedNode } from "../observe/observed-node.ts";
import { parseView } from "../observe/requests.ts";
import { LocalViews } from "../observe/views/local.ts";
import { OBSERVER_PROTOCOL, type RemoteAnswer, textOf } from "../observe/views/otter-remote.ts";
import type { Term } from "../term/types.ts";

/** How long the load is still measured after the last overview asked for. */
const IDLE_MS = 60_000;

export function observerModule(node: ObservedNode): Record<string, ExportedFunction> {
  const views = new LocalViews(node);
  let idle: NodeJS.Timeout | undefined;
  return {
    protocol: () => OBSERVER_PROTOCOL,
    view: async (_self, json: Term) => {
      let answer: RemoteAnswer;
      try {
        const view = parseView(JSON.parse(textOf(json)));
        if (view.kind === "overview") {
          clearTimeout(idle);
          idle = setTimeout(() => views.stopSampling(), IDLE_MS).unref();
        }
        answer = { data: await views.view(view) };
      } catch (error) {
        answer = { error: error instanceof Error ? error.message : String(error) };
      }
      return JSON.stringify(answer);
    },
  };
}
