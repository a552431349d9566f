// The public test kit (`otter/testing`): helpers for testing code built on Otter.
export {
  type CallOptions,
  ErlError,
  type ErlErrorCode,
  ErlOracle,
  type ErlOracleOptions,
  type RoundTrip,
  type TermToBinaryOptions,
} from "./erl.ts";
export {
  ErlNode,
  type ErlNodeOptions,
  type EvalOptions,
  freePort,
  type SystemEpmd,
  type SystemEpmdOptions,
  startSystemEpmd,
} from "./erl-node.ts";
export { ManualClock } from "./manual-clock.ts";
