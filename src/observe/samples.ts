// The overview's past: for each node shown, the last HISTORY_LENGTH samples, one per interval however many pages
// watch it. This node's are taken every interval while any page is connected (whatever it watches, so its charts
// have a past when it switches to them); another node's while a page watches its overview.
import type { OverviewSample } from "./protocol.ts";

/** Samples kept per node: five minutes at the default interval. */
export const HISTORY_LENGTH = 300;

interface NodeSamples {
  readonly kept: OverviewSample[];
  /** The interval the last sample was asked for, and the sample (taken, or being taken). */
  tick: number;
  taking: Promise<OverviewSample> | undefined;
}

export class OverviewSamples {
  private readonly byNode = new Map<string, NodeSamples>();

  /** Node `node`'s sample for interval `tick`: taken with `take` by the first to ask, shared with the others. */
  forTick(node: string, tick: number, take: () => Promise<OverviewSample>): Promise<OverviewSample> {
    let samples = this.byNode.get(node);
    if (samples === undefined) {
      samples = { kept: [], tick: -1, taking: undefined };
      this.byNode.set(node, samples);
    }
    if (samples.tick === tick && samples.taking !== undefined) return samples.taking;
    const kept = samples.kept;
    const taking = take().then((sample) => {
      kept.push(sample);
      if (kept.length > HISTORY_LENGTH) kept.splice(0, kept.length - HISTORY_LENGTH);
      return sample;
    });
    samples.tick = tick;
    samples.taking = taking;
    return taking;
  }

  /** The samples of `node` kept before `sample`, oldest first. */
  before(node: string, sample: OverviewSample): OverviewSample[] {
    const kept = this.byNode.get(node)?.kept ?? [];
    return kept.filter((s) => s.time < sample.time);
  }
}
