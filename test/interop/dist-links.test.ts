// Links between an Otter node and a real erl node, both ways: exits carry their reason, a trapping process gets
// `{'EXIT', Pid, Reason}`, UNLINK_ID/UNLINK_ID_ACK remove the link on both sides, a link to a dead remote pid
// gives `noproc`, and a pid of an earlier incarnation of a node is dead (distribution_SUITE's link_to_dead and
// link_to_dead_new_node).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { atom, DOWN, EXIT, Pid, ProcessExit, type Term, Tuple, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/node.ts";
import { ErlNode } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl } from "../support/dist.ts";
import { assertTerm, waitFor } from "../support/runtime.ts";

let cookie: string;
let epmdPort: number;
let pair: NodeBesideErl;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  pair = await startNodeBesideErl("otter_links", { runtime: { logger: () => {} } });
  ({ node, erl, cookie, epmdPort } = pair);
});

after(() => pair?.stop());

/** Evaluates on erl with `Otter` bound to the Otter node's name. */
function onErl(expression: string, bindings: Record<string, Term> = {}, target = erl): Promise<Term> {
  return target.eval(expression, { bindings: { Otter: node.name, ...bindings } });
}

const isExit = (m: Term): boolean => m instanceof Tuple && m.at(0) === EXIT;
const isDown = (m: Term): boolean => m instanceof Tuple && m.at(0) === DOWN;

/** An erl process that exits with `Reason` when it gets `go`. */
function erlVictim(reason: string, target = erl): Promise<Pid> {
  return onErl(`spawn(fun() -> receive go -> exit(${reason}) end end)`, {}, target) as Promise<Pid>;
}

/** Evaluates `expression` on erl until `ok` holds of its value, within `deadlineMs`; returns that value. */
async function pollErl(
  expression: string,
  bindings: Record<string, Term>,
  ok: (value: Term) => boolean,
  target = erl,
  deadlineMs = 5000,
): Promise<Term> {
  const start = performance.now();
  for (;;) {
    const value = await onErl(expression, bindings, target);
    if (ok(value)) return value;
    if (performance.now() - start > deadlineMs) assert.fail(`${expression} stayed ${String(value)}`);
  }
}

/** Waits until erl's process `pid` has exactly `count` links. */
function erlLinks(pid: Pid, count: number): Promise<Term> {
  return pollErl("element(2, process_info(P, links))", { P: pid }, (links) => (links as Term[]).length === count);
}

describe("links between an Otter node and erl", () => {
  test("erl links to an Otter process: the Otter process's exit reaches erl with its reason", async () => {
    const victim = node.runtime.spawn(async (self) => {
      await self.receive();
      throw new ProcessExit(tuple(atom("shutdown"), atom("told_to")));
    });
    const got = await onErl(
      `process_flag(trap_exit, true), link(Victim), Victim ! go,
       receive {'EXIT', Victim, R} -> R after 5000 -> timeout end`,
      { Victim: victim },
    );
    assertTerm(got, tuple(atom("shutdown"), atom("told_to")));
  });

  test("erl's linked process dies with the Otter process's reason when it does not trap exits", async () => {
    const victim = node.runtime.spawn(async (self) => {
      await self.receive();
      throw new ProcessExit(atom("boom"));
    });
    const got = await onErl(
      `{W, Ref} = spawn_monitor(fun() -> link(Victim), Victim ! go, receive after infinity -> ok end end),
       receive {'DOWN', Ref, process, W, R} -> R after 5000 -> timeout end`,
      { Victim: victim },
    );
    assert.equal(got, atom("boom"));
  });

  test("an Otter process trapping exits gets {'EXIT', ErlPid, Reason} from a linked erl process", async () => {
    const erlPid = await erlVictim('{bad, <<"day">>}');
    const got = await node.runtime.run(async (self) => {
      self.setTrapExit(true);
      self.link(erlPid);
      self.send(erlPid, atom("go"));
      return self.receive(isExit, { timeout: 5000 });
    });
    assertTerm(got, tuple(EXIT, erlPid, tuple(atom("bad"), Buffer.from("day"))));
  });

  test("an Otter process that does not trap exits dies with the reason of the erl process it linked to", async () => {
    const erlPid = await erlVictim("boom");
    const reason = await node.runtime.run(async (self) => {
      const { ref } = self.spawnMonitor(async (linked) => {
        linked.link(erlPid);
        linked.send(erlPid, atom("go"));
        await linked.receive();
      });
      const down = (await self.receive((m) => isDown(m) && (m as Tuple).at(1) === ref, { timeout: 5000 })) as Tuple;
      return down.at(4);
    });
    assert.equal(reason, atom("boom"));
  });

  test("Otter unlinks (UNLINK_ID, acknowledged): erl's link is gone and no exit arrives", async () => {
    const erlPid = await erlVictim("boom");
    const otter = node.runtime.spawn(async (self) => {
      self.setTrapExit(true);
      self.link(erlPid);
      await self.receive((m) => m === atom("unlink"));
      self.unlink(erlPid);
      await self.receive((m) => m === atom("never"));
    });
    await erlLinks(erlPid, 1);
    node.runtime.send(otter, atom("unlink"));
    await erlLinks(erlPid, 0);
    // A monitor's DOWN leaves erl's process after any exit signal a link would have sent.
    const mailbox = await node.runtime.run(async (self) => {
      self.monitor(erlPid);
      self.send(erlPid, atom("go"));
      await self.receive(isDown, { timeout: 5000 });
      return node.runtime.processInfo(otter)?.messageQueueLen;
    });
    assert.equal(mailbox, 0);
    assert.deepEqual(node.runtime.processInfo(otter)?.links, []);
    node.runtime.exit(otter, atom("kill"));
  });

  test("erl unlinks from an Otter process: the Otter side drops the link and no exit reaches erl", async () => {
    const otter = node.runtime.spawn(async (self) => {
      await self.receive((m) => m === atom("go"));
      throw new ProcessExit(atom("boom"));
    });
    const got = await onErl(
      `process_flag(trap_exit, true), link(P), unlink(P),
       Ref = erlang:monitor(process, P), P ! go,
       receive {'DOWN', Ref, process, P, R} -> ok end,
       receive {'EXIT', P, _} = E -> E after 0 -> no_exit end`,
      { P: otter },
    );
    assert.equal(got, atom("no_exit"));
  });

  test("erl links and unlinks while the Otter process stays alive: the Otter process has no link left", async () => {
    const otter = node.runtime.spawn(async (self) => {
      await self.receive((m) => m === atom("never"));
    });
    await onErl(`link(P), unlink(P), P ! sync, ok`, { P: otter });
    await waitFor(() => node.runtime.processInfo(otter)?.messageQueueLen === 1, "the sync message", 5000);
    assert.deepEqual(node.runtime.processInfo(otter)?.links, []);
    node.runtime.exit(otter, atom("kill"));
  });

  test("linking to a dead remote pid gives noproc, both ways", async () => {
    const deadErl = (await onErl(
      "P = spawn(fun() -> ok end), Ref = monitor(process, P), receive {'DOWN', Ref, _, _, _} -> P end",
    )) as Pid;
    const got = await node.runtime.run(async (self) => {
      self.setTrapExit(true);
      self.link(deadErl);
      return self.receive(isExit, { timeout: 5000 });
    });
    assertTerm(got, tuple(EXIT, deadErl, atom("noproc")));

    const deadOtter = node.runtime.spawn(async () => {});
    await waitFor(() => !node.runtime.isAlive(deadOtter), "the Otter process to end");
    const fromErl = await onErl(
      `process_flag(trap_exit, true), link(P),
       receive {'EXIT', P, R} -> {R, process_info(self(), links)} after 5000 -> timeout end`,
      { P: deadOtter },
    );
    assertTerm(fromErl, tuple(atom("noproc"), tuple(atom("links"), [])));
  });

  test("a pid of a previous incarnation of a node is dead: link gives noproc, a message is dropped", async () => {
    const name = `otter_reborn_${process.pid}_${randomBytes(3).toString("hex")}`;
    const first = await ErlNode.start({ cookie, epmdPort, startEpmd: false, name });
    let second: ErlNode | undefined;
    try {
      const old = (await onErl("self()", {}, first)) as Pid;
      assert.equal(await node.ping(first.name), "pong");
      await first.stop();
      await waitFor(() => !node.nodes().includes(atom(first.name)), "the first incarnation to go", 5000);
      second = await ErlNode.start({ cookie, epmdPort, startEpmd: false, name });
      // A live process of the new incarnation with the same numbers as `old` has, but the new creation.
      const sink = (await onErl(
        "register(sink, spawn(fun() -> receive after infinity -> ok end end)), whereis(sink)",
        {},
        second,
      )) as Pid;
      assert.notEqual(sink.creation, old.creation);
      const stale = new Pid(sink.node, sink.id, sink.serial, old.creation);
      const got = await node.runtime.run(async (self) => {
        self.setTrapExit(true);
        self.link(stale);
        self.send(stale, atom("to_the_dead"));
        self.send(sink, atom("to_the_living"));
        return self.receive(isExit, { timeout: 5000 });
      });
      assertTerm(got, tuple(EXIT, stale, atom("noproc")));
      const seen = await pollErl(
        "element(2, process_info(whereis(sink), messages))",
        {},
        (messages) => (messages as Term[]).length > 0,
        second,
      );
      assert.deepEqual(seen, [atom("to_the_living")]);
      assertTerm(await onErl("element(2, process_info(whereis(sink), links))", {}, second), []);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
