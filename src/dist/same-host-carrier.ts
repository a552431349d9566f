// The seam for a faster byte stream between nodes on one host: a carrier the distribution accepts handshakes on
// beside its TCP listener, and dials first when a peer's EPMD entry advertises one (cluster/same-host implements
// it over a Unix domain socket). The handshake and everything above it run unchanged over its streams; the frames
// after the handshake use the batch framing (wire/batch-format.ts), which only Otter nodes read: a carrier connects
// only nodes that both speak it, so its advertisement names the version of both (cluster/same-host/advertisement.ts).
import type { Socket } from "node:net";

/** How a connection's bytes travel: "tcp", or a same-host carrier's name. */
export type CarrierName = string;

export const TCP: CarrierName = "tcp";

export interface SameHostCarrier {
  /** Shown per connection (Distribution.carrierOf), e.g. "unix". */
  readonly name: CarrierName;
  /** What this node puts in EPMD's ALIVE2 extra field, so that peers on this host can find its listener. */
  readonly advertisement: Uint8Array;
  /** Starts accepting: each stream a peer opens goes to `accepted`, which runs the handshake on it. */
  listen(accepted: (socket: Socket) => void): Promise<void>;
  /**
   * Opens a stream to the node whose EPMD extra field is `extra`: undefined when the extra names nothing this
   * carrier reaches (another host, a foreign or garbled format: the caller uses TCP); a promise that rejects when
   * the advertised listener cannot be opened (the caller falls back to TCP).
   */
  dial(extra: Uint8Array): Promise<Socket> | undefined;
  /** Stops accepting and removes what `listen` left on the host. */
  close(): Promise<void>;
}
