// Remote spawn from an Otter node into a real erl node and into another Otter node (erlang:spawn/4, spawn_link/4,
// spawn_monitor/4, spawn_request/5): the new pid, the link and monitor the other node sets up (the remote process's
// exit reaches us; a lost node gives noconnection; the DOWN carries the request id), erl's own answers (badopt, a
// pid for an undefined function), and an unreachable node's stillborn local pid.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  atom,
  DOWN,
  EXIT,
  Pid,
  type Process,
  spawnRemote,
  spawnRemoteLink,
  spawnRemoteMonitor,
  type Term,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { ErlNode } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl, uniqueNodeName } from "../support/dist.ts";
import { assertTerm, downFor, elements, exitFrom, waitFor } from "../support/runtime.ts";

const NOCONNECTION = atom("noconnection");
const SLEEP: [string, string, Term[]] = ["timer", "sleep", [atom("infinity")]];

let pair: NodeBesideErl;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  pair = await startNodeBesideErl("otter_spawnr", { runtime: { logger: () => {} } });
  ({ node, erl } = pair);
});

after(() => pair?.stop());

/** Runs `body` in a process of the Otter node that traps exits. */
function trapping<T>(body: (self: Process) => Promise<T>): Promise<T> {
  return node.runtime.run(body, { trapExit: true });
}

/** Evaluates on erl with `P` bound to `pid`. */
function onErl(expression: string, pid: Pid): Promise<Term> {
  return erl.eval(expression, { bindings: { P: pid } });
}

describe("remote spawn from Otter into erl", () => {
  test("spawnRemote runs erlang:apply/3 on erl: its pid is erl's, and what it sends arrives", async () => {
    const [pid, got] = await trapping(async (self) => {
      const pid = await spawnRemote(self, erl.name, "erlang", "apply", [
        atom("erlang"),
        atom("send"),
        [self.pid, tuple(atom("from_erl"), 1)],
      ]);
      return [pid, await self.receive(undefined, { timeout: 5000 })] as const;
    });
    assert.ok(pid instanceof Pid && pid.node === atom(erl.name), `got ${String(pid)}`);
    assertTerm(got, tuple(atom("from_erl"), 1));
  });

  test("spawnRemoteLink: erl sets up the link; killing the remote process sends us its exit", async () => {
    const seen = trapping(async (self) => {
      const pid = await spawnRemoteLink(self, erl.name, ...SLEEP);
      self.send(self.pid, tuple(atom("spawned"), pid));
      // The link is erl's doing (spawn_request's `link`): it lists us, once.
      assertTerm(await onErl("element(2, process_info(P, links))", pid), [self.pid]);
      await onErl("exit(P, kill)", pid);
      return [pid, await self.receive(exitFrom(pid), { timeout: 5000 })] as const;
    });
    const [pid, exit] = await seen;
    assertTerm(exit, tuple(EXIT, pid, atom("killed")));
  });

  test("spawnRemoteMonitor: erl sets up the monitor; the DOWN carries the request id and the exit reason", async () => {
    const [pid, ref, down] = await trapping(async (self) => {
      const { pid, ref } = await spawnRemoteMonitor(self, erl.name, ...SLEEP);
      assertTerm(await onErl("element(2, process_info(P, monitored_by))", pid), [self.pid]);
      await onErl("exit(P, bye)", pid);
      return [pid, ref, await self.receive(downFor(ref), { timeout: 5000 })] as const;
    });
    assertTerm(down, tuple(DOWN, ref, atom("process"), pid, atom("bye")));
  });

  test("an undefined function still gets a pid on erl, whose process exits with undef", async () => {
    const [pid, down] = await trapping(async (self) => {
      const { pid, ref } = await spawnRemoteMonitor(self, erl.name, "no_such_module", "f", [1]);
      return [pid, await self.receive(downFor(ref), { timeout: 5000 })] as const;
    });
    assert.equal(pid.node, atom(erl.name));
    assert.equal(elements(elements(down)[4])[0], atom("undef"));
  });

  test("spawnRequest: erl answers a bad option with {spawn_reply, ReqId, error, badopt}, under our reply tag", async () => {
    const [reqId, answer] = await trapping(async (self) => {
      const reqId = self.spawnRequest(atom(erl.name), atom("erlang"), atom("node"), [], {
        spawnOptions: [atom("no_such_option")],
        replyTag: atom("my_tag"),
      });
      return [reqId, await self.receive(undefined, { timeout: 5000 })] as const;
    });
    assertTerm(answer, tuple(atom("my_tag"), reqId, atom("error"), atom("badopt")));
  });

  test("a lost erl node: the linked process's exit and the monitor's DOWN come with noconnection", async () => {
    const doomed = await ErlNode.start({ cookie: pair.cookie, epmdPort: pair.epmdPort, startEpmd: false });
    try {
      const [linked, exit, down] = await trapping(async (self) => {
        const linked = await spawnRemoteLink(self, doomed.name, ...SLEEP);
        const { ref } = await spawnRemoteMonitor(self, doomed.name, ...SLEEP);
        await doomed.stop();
        return [
          linked,
          await self.receive(exitFrom(linked), { timeout: 10_000 }),
          await self.receive(downFor(ref), { timeout: 10_000 }),
        ] as const;
      });
      assertTerm(exit, tuple(EXIT, linked, NOCONNECTION));
      assert.equal(elements(down)[4], NOCONNECTION);
    } finally {
      await doomed.stop();
    }
  });

  test("an unreachable node gives a local pid whose link and monitor report noconnection", async () => {
    const nobody = "nobody_here@127.0.0.1";
    const [plain, linked, exit, monitored, down] = await trapping(async (self) => {
      const plain = await spawnRemote(self, nobody, "m", "f", []);
      const linked = await spawnRemoteLink(self, nobody, "m", "f", []);
      const exit = await self.receive(exitFrom(linked), { timeout: 5000 });
      const { pid: monitored, ref } = await spawnRemoteMonitor(self, nobody, "m", "f", []);
      return [plain, linked, exit, monitored, await self.receive(downFor(ref), { timeout: 5000 })] as const;
    });
    for (const pid of [plain, linked, monitored]) assert.equal(pid.node, node.name, "a pid of the calling node");
    assertTerm(exit, tuple(EXIT, linked, NOCONNECTION));
    assertTerm(elements(down).slice(3), [monitored, NOCONNECTION]);
    await waitFor(() => !node.runtime.isAlive(plain), "the stillborn process to end");
  });
});

describe("remote spawn between two Otter nodes", () => {
  let other: OtterNode;

  before(async () => {
    other = await startNode({
      name: uniqueNodeName("otter_spawnr_b"),
      cookie: pair.cookie,
      epmdPort: pair.epmdPort,
      listen: { host: "127.0.0.1" },
      runtime: { logger: () => {} },
    });
    const jobs = {
      wait: async (self: Process) => self.receive((m) => m === atom("stop")),
    };
    other.exportModule("jobs", jobs);
    node.exportModule("jobs", jobs);
  });

  after(() => other?.stop());

  test("spawnRemoteMonitor of an exported function: a pid there, DOWN normal under the request id", async () => {
    const [pid, down] = await trapping(async (self) => {
      const { pid, ref } = await spawnRemoteMonitor(self, other.name, "jobs", "wait", []);
      self.send(pid, atom("stop"));
      return [pid, await self.receive(downFor(ref), { timeout: 5000 })] as const;
    });
    assert.equal(pid.node, other.name);
    assertTerm(elements(down).slice(3), [pid, atom("normal")]);
  });

  test("spawnRemoteLink: a kill there reaches us; a disconnect fires noconnection on both sides", async () => {
    const [killed, exit] = await trapping(async (self) => {
      const pid = await spawnRemoteLink(self, other.name, "jobs", "wait", []);
      assertTerm(other.runtime.processInfo(pid)!.links, [self.pid]);
      other.runtime.exit(pid, atom("kill"));
      return [pid, await self.receive(exitFrom(pid), { timeout: 5000 })] as const;
    });
    assertTerm(exit, tuple(EXIT, killed, atom("killed")));
    const [cut, lost] = await trapping(async (self) => {
      const pid = await spawnRemoteLink(self, other.name, "jobs", "wait", []);
      node.disconnect(other.name);
      return [pid, await self.receive(exitFrom(pid), { timeout: 5000 })] as const;
    });
    assertTerm(lost, tuple(EXIT, cut, NOCONNECTION));
    await waitFor(() => !other.runtime.isAlive(cut), "the remote process to end with noconnection", 5000);
  });

  test("a spawn on the calling node itself links and monitors like a local spawn", async () => {
    const [pid, exit, down] = await trapping(async (self) => {
      const pid = await spawnRemoteLink(self, node.name, "jobs", "wait", []);
      const { pid: watched, ref } = await spawnRemoteMonitor(self, node.name, "jobs", "wait", []);
      assertTerm(node.runtime.processInfo(pid)!.links, [self.pid]);
      self.exit(pid, atom("kill"));
      self.send(watched, atom("stop"));
      return [
        pid,
        await self.receive(exitFrom(pid), { timeout: 5000 }),
        await self.receive(downFor(ref), { timeout: 5000 }),
      ] as const;
    });
    assert.equal(pid.node, node.name);
    assertTerm(exit, tuple(EXIT, pid, atom("killed")));
    assert.equal(elements(down)[4], atom("normal"));
  });
});
