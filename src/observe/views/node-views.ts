// What the observer asks of any node it shows (this one, another Otter node, a BEAM node): a view's data.
import type { View, ViewData } from "../protocol.ts";

export interface NodeViews {
  /** The data of `view` now; for the overview, one new sample (the server keeps the history). */
  view(view: View): Promise<ViewData>;
}
