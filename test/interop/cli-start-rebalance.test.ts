// `otter start --rebalance APP`: the node starts migration, cluster membership and the rebalancer before the
// application, whose start finds the node's Migration (`migrationOf`) and starts a migratable server with it; the
// membership connects to the seed `--seeds` names; the node lists that server; SIGTERM stops it all and exits 0.
// Without the option none of them starts: the application finds no Migration.
import assert from "node:assert/strict";
import { test } from "node:test";
import { atom, equals, Pid, type Term, Tuple } from "../../src/index.ts";
import { startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { OtterChild } from "../support/otter-child.ts";

const TIMEOUT = { timeout: 120_000 };
const MOVER = "test/fixtures/apps/mover.ts";

test(
  "--rebalance starts migration, membership and the rebalancer for the application; SIGTERM stops them",
  TIMEOUT,
  async (t) => {
    const epmdPort = await freePort();
    const cookie = uniqueCookie();
    const name = uniqueNodeName("cli_rebalance");
    const probeName = uniqueNodeName("cli_rebalance_probe");
    const child = OtterChild.start(
      t,
      [
        "start",
        "--name",
        name,
        "--cookie",
        cookie,
        "--address",
        "127.0.0.1",
        "--rebalance",
        "--seeds",
        probeName,
        MOVER,
      ],
      { source: true, env: { ERL_EPMD_PORT: String(epmdPort) } },
    );
    await child.waitFor(/application mover is running/, "stdout", 60_000);
    assert.match(child.stdout, /rebalancer running/);

    const probe = await startNode({ name: probeName, cookie, epmdPort, embeddedEpmd: false });
    t.after(() => probe.stop());
    // The probe is a seed: the node's membership connects to it (retrying a seed that is down, 5 s apart at most)
    // before the probe itself calls the node.
    const connected = await probe.runtime.run(async (self) => {
      self.monitorNodes(true);
      if (probe.nodes().some((n) => n.name === name)) return true;
      const up = (m: Term) => m instanceof Tuple && m.at(0) === atom("nodeup") && m.at(1) === atom(name);
      return (await self.receive(up, { timeout: 15_000 })) !== undefined;
    });
    assert.ok(connected, "the node connected to its seed");
    const whereis = (service: string) => probe.rpc.call(name, "erlang", "whereis", [atom(service)]);
    assert.ok((await whereis("otter_rebalancer")) instanceof Pid, "the rebalancer runs");
    assert.ok((await whereis("otter_cluster")) instanceof Pid, "cluster membership runs");
    const counter = await whereis("mover_counter");
    assert.ok(counter instanceof Pid, "the application started its migratable server");
    const servers = await probe.rpc.call(name, "mover", "servers", []);
    assert.ok(Array.isArray(servers) && servers.length === 1 && equals(servers[0]!, counter), String(servers));

    child.kill("SIGTERM");
    assert.equal(await child.exited, 0, child.output);
    assert.match(child.stdout, /stopped \(SIGTERM\)\n$/);
  },
);

test("without --rebalance the application finds no Migration: it does not start, exit status 1", TIMEOUT, async (t) => {
  const epmdPort = await freePort();
  const child = OtterChild.start(
    t,
    [
      "start",
      "--name",
      uniqueNodeName("cli_no_rebalance"),
      "--cookie",
      uniqueCookie(),
      "--address",
      "127.0.0.1",
      MOVER,
    ],
    { source: true, env: { ERL_EPMD_PORT: String(epmdPort) } },
  );
  assert.equal(await child.exited, 1, child.output);
  assert.match(child.stderr, /application mover did not start: .*no_migration/);
  assert.doesNotMatch(child.stdout, /rebalancer running/);
});
