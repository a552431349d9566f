// Two Otter nodes that connect to each other at the same moment (erl_distribution_wb_SUITE's simultaneous_md5 from
// both ends at once): both `connect` calls resolve true and one connection remains, whichever side's `nok` or
// `ok_simultaneous` arrives first; the node whose attempt lost waits for the other's, as dist_util does.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor, within } from "../support/runtime.ts";

const ROUNDS = 40;

describe("simultaneous connect between two Otter nodes", () => {
  let a: OtterNode;
  let b: OtterNode;

  before(async () => {
    const cookie = uniqueCookie();
    const epmdPort = await freePort();
    const options = { cookie, epmdPort, listen: { host: "127.0.0.1" }, runtime: { logger: () => {} } };
    a = await startNode({ name: uniqueNodeName("otter_sim_a"), ...options });
    b = await startNode({ name: uniqueNodeName("otter_sim_b"), ...options });
  });

  after(async () => {
    await b?.stop();
    await a?.stop(); // a runs the EPMD b registered with
  });

  /**
   * Both nodes connect to each other, the second a few event-loop turns after the first, so that rounds meet each
   * interleaving: a `nok` before or after the winner's attempt arrives, an `ok_simultaneous` before or after ours.
   */
  async function connectBoth(round: number): Promise<boolean[]> {
    const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
    const one = first.connect(second.name);
    for (let turn = 0; turn < Math.floor(round / 2) % 4; turn++) await new Promise((resolve) => setImmediate(resolve));
    const two = second.connect(first.name);
    return within(Promise.all([one, two]), 10_000, `round ${round}: the connects`);
  }

  test(`${ROUNDS} rounds: both connects resolve true and the two ends belong to one connection`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      assert.deepEqual(await connectBoth(round), [true, true], `round ${round}`);
      const aEnd = a.distribution.connectionTo(b.name);
      const bEnd = b.distribution.connectionTo(a.name);
      assert.ok(aEnd !== undefined && bEnd !== undefined, `round ${round}: a connection on each side`);
      // A message a sends over its table's connection arrives on b's table's connection: the same socket pair.
      const received = bEnd.stats.messagesIn;
      const probe = b.runtime.spawn(async (self) => self.receive());
      a.runtime.send(probe, atom("probe"));
      await waitFor(() => bEnd.stats.messagesIn > received, `round ${round}: the probe on b's connection`, 5000);
      assert.equal(a.disconnect(b.name), true);
      await waitFor(
        () => a.distribution.connectionTo(b.name) === undefined && b.distribution.connectionTo(a.name) === undefined,
        `round ${round}: both ends down`,
        5000,
      );
    }
  });
});
