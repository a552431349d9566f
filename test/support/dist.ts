// Test helpers for distribution: unique node names and cookies, and an Otter node beside a real erl, both using
// the Otter node's embedded EPMD on a private port (so no test touches port 4369 or another test's nodes).
import { randomBytes } from "node:crypto";
import { type NodeOptions, type OtterNode, startNode } from "../../src/node/node.ts";
import { ErlNode, freePort } from "../../src/testing/erl-node.ts";

/** `prefix_<pid>_<random>@127.0.0.1`: a long name no other test (or test run) uses. */
export function uniqueNodeName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}@127.0.0.1`;
}

export function uniqueCookie(): string {
  return `c${randomBytes(8).toString("hex")}`;
}

export interface NodeBesideErl {
  readonly node: OtterNode;
  readonly erl: ErlNode;
  readonly epmdPort: number;
  readonly cookie: string;
  /** Stops both (erl first). */
  stop(): Promise<void>;
}

/** An Otter node named `prefix_…` listening on loopback, and an erl with the same cookie using its EPMD. */
export async function startNodeBesideErl(prefix: string, options: Partial<NodeOptions> = {}): Promise<NodeBesideErl> {
  const epmdPort = await freePort();
  const cookie = uniqueCookie();
  const node = await startNode({
    name: uniqueNodeName(prefix),
    cookie,
    epmdPort,
    listen: { host: "127.0.0.1" },
    ...options,
  });
  let erl: ErlNode;
  try {
    erl = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
  } catch (e) {
    await node.stop();
    throw e;
  }
  return {
    node,
    erl,
    epmdPort,
    cookie,
    async stop() {
      await erl.stop();
      await node.stop();
    },
  };
}
