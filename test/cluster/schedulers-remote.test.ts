// Processes on a worker scheduler and a real erl node: erl sends to a pid of scheduler 1 and gets its replies,
// `rpc:call` from erl runs a module loaded with node.schedulers.load, and a process of scheduler 1 linked to and
// monitoring an erl process gets noconnection when that erl node stops.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { atom, DOWN, EXIT, equals, NOCONNECTION, type Pid, tuple } from "../../src/index.ts";
import { ErlNode } from "../../src/testing/erl-node.ts";
import {
  assertTerm,
  order,
  puppetOn,
  reported,
  spawnOn,
  startSchedulersBesideErl,
  tagged,
} from "../fixtures/schedulers/harness.ts";
import type { NodeBesideErl } from "../support/dist.ts";

describe("a worker scheduler's processes and an erl node", () => {
  let pair: NodeBesideErl;
  before(async () => {
    pair = await startSchedulersBesideErl("sched_remote", 2);
  });
  after(() => pair.stop());

  it("erl sends to a process on scheduler 1 and gets its reply", async () => {
    const { node, erl } = pair;
    const echo = await node.runtime.run((self) => spawnOn(self, 1, "sched_workers", "echo"));
    assert.equal(echo.id % 2, 1);
    const reply = await erl.eval("P ! {self(), hello}, receive R -> R after 5000 -> timeout end", {
      bindings: { P: echo },
    });
    assertTerm(reply, tuple(echo, atom("hello")));
    const again = await erl.eval('P ! {self(), [1, <<"two">>, 3.0]}, receive R -> R after 5000 -> timeout end', {
      bindings: { P: echo },
    });
    assertTerm((again as ReturnType<typeof tuple>).at(0), echo);
  });

  it("a process on scheduler 1 sends to an erl process, which answers it", async () => {
    const { node, erl } = pair;
    await node.runtime.run(async (self) => {
      const puppet = await puppetOn(self, 1);
      const erlPid = (await erl.eval("spawn(fun() -> receive {From, X} -> From ! {pong, X} end end)")) as Pid;
      await order(self, puppet, "send", erlPid, tuple(puppet, 7));
      assertTerm(await reported(self, puppet, "erl's answer", tagged("pong")), tuple(atom("pong"), 7));
    });
  });

  it("rpc:call from erl runs a function of a module loaded with node.schedulers.load", async () => {
    const { node, erl } = pair;
    const result = await erl.eval(`rpc:call('${node.name.name}', sched_servers, addHere, [2, 3])`);
    assertTerm((result as ReturnType<typeof tuple>).at(0), 5);
  });

  it("a process on scheduler 1 linked to and monitoring an erl process gets noconnection when erl stops", async () => {
    const { node, epmdPort, cookie } = pair;
    const other = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
    try {
      assert.equal(await node.ping(other.name), "pong");
      await node.runtime.run(async (self) => {
        const puppet = await puppetOn(self, 1);
        await order(self, puppet, "trap_exit", true);
        const erlPid = (await other.eval("spawn(fun() -> receive stop -> ok end end)")) as Pid;
        await order(self, puppet, "link", erlPid);
        const ref = await order(self, puppet, "monitor", erlPid);
        // The link and the monitor reach erl over the distribution; erl is asked through its shell, a separate
        // channel with no order against it: asked again until both are there, within a deadline.
        const links = () =>
          other.eval(
            "{links, L} = process_info(P, links), {monitored_by, M} = process_info(P, monitored_by), {length(L), length(M)}",
            { bindings: { P: erlPid } },
          );
        const deadline = performance.now() + 5000;
        let linked = await links();
        while (!equals(linked, tuple(1, 1)) && performance.now() < deadline) linked = await links();
        assertTerm(linked, tuple(1, 1));
        await other.stop();
        assertTerm(await reported(self, puppet, "EXIT", tagged("EXIT")), tuple(EXIT, erlPid, NOCONNECTION));
        assertTerm(
          await reported(self, puppet, "DOWN", tagged("DOWN")),
          tuple(DOWN, ref, atom("process"), erlPid, NOCONNECTION),
        );
      });
    } finally {
      await other.stop();
    }
  });
});
