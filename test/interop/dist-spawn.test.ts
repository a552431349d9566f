// Remote spawn from erl into an Otter node: `spawn_request` with `monitor` for an exported function (a pid, then
// a DOWN with the exit reason) and for a missing one (still a pid, whose process exits with undef, as the BEAM
// does: erlang/otp#8603), `spawn_request` with `link`, and plain `erlang:spawn(Node, M, F, A)`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom, Pid, ProcessExit, type Term, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/node.ts";
import type { ErlNode } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl } from "../support/dist.ts";
import { assertTerm, elements } from "../support/runtime.ts";

let pair: NodeBesideErl;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  pair = await startNodeBesideErl("otter_spawn", { runtime: { logger: () => {} } });
  ({ node, erl } = pair);
  node.exportModule("jobs", {
    square: (_self, n) => (n as number) * (n as number),
    fail: (_self, reason) => {
      throw new ProcessExit(reason as Term);
    },
    reply: (self, to, what) => {
      self.send(to as Pid, tuple(atom("from"), self.pid, what as Term));
      return atom("ok");
    },
    wait: async (self) => self.receive((m) => m === atom("stop")),
  });
});

after(() => pair?.stop());

/** Evaluates on erl with `Otter` bound to the Otter node's name. */
function onErl(expression: string, bindings: Record<string, Term> = {}): Promise<Term> {
  return erl.eval(expression, { bindings: { Otter: node.name, ...bindings } });
}

/** An Erlang expression: spawn_request(Otter, M, F, A, [monitor]); `{Pid, DownReason}` or what went wrong. */
function spawnMonitored(mfa: string): string {
  return `ReqId = spawn_request(Otter, ${mfa}, [monitor]),
    receive
      {spawn_reply, ReqId, ok, Pid} ->
        receive {'DOWN', ReqId, process, Pid, R} -> {Pid, R} after 5000 -> {Pid, no_down} end;
      {spawn_reply, ReqId, error, E} -> {spawn_error, E}
    after 5000 -> no_reply
    end`;
}

describe("remote spawn from erl into an Otter node", () => {
  test("spawn_request with monitor runs an exported function: a pid on the Otter node, DOWN normal", async () => {
    const [pid, reason] = elements(await onErl(spawnMonitored("jobs, square, [7]")));
    assert.ok(pid instanceof Pid && pid.node === node.name, `got ${String(pid)}`);
    assert.equal(reason, atom("normal"));
  });

  test("the DOWN of a spawn_request carries the exit reason of the exported function", async () => {
    const [, reason] = elements(await onErl(spawnMonitored('jobs, fail, [{custom, <<"why">>}]')));
    assertTerm(reason, tuple(atom("custom"), Buffer.from("why")));
  });

  test("spawn_request for a missing function still gives a pid, whose process exits with undef", async () => {
    const [pid, reason] = elements(await onErl(spawnMonitored("jobs, nope, [1, 2]")));
    assert.ok(pid instanceof Pid && pid.node === node.name);
    const [what, stack] = elements(reason);
    assert.equal(what, atom("undef"));
    assertTerm((stack as Term[])[0], tuple(atom("jobs"), atom("nope"), [1, 2], []));
    const [, unknownModule] = elements(await onErl(spawnMonitored("no_such_module, f, []")));
    assert.equal(elements(unknownModule)[0], atom("undef"));
  });

  test("spawn_request with link: the spawned process's exit reaches the trapping requester", async () => {
    const got = await onErl(
      `process_flag(trap_exit, true),
       ReqId = spawn_request(Otter, jobs, fail, [linked_exit], [link]),
       receive {spawn_reply, ReqId, ok, Pid} ->
         receive {'EXIT', Pid, R} -> R after 5000 -> no_exit end
       after 5000 -> no_reply end`,
    );
    assert.equal(got, atom("linked_exit"));
  });

  test("the spawned process lives on the Otter node until it ends", async () => {
    const pid = elements(
      await onErl(
        `ReqId = spawn_request(Otter, jobs, wait, [], [monitor]),
         receive {spawn_reply, ReqId, ok, Pid} -> {Pid, ReqId} after 5000 -> no_reply end`,
      ),
    )[0] as Pid;
    assert.ok(node.runtime.isAlive(pid));
    assert.equal(await onErl("P ! stop, ok", { P: pid }), atom("ok"));
  });

  test("erlang:spawn(Node, M, F, A) from erl runs the exported function on the Otter node", async () => {
    const got = await onErl(
      `Pid = spawn(Otter, jobs, reply, [self(), hello]),
       receive {from, Pid, What} -> {node(Pid) =:= Otter, What} after 5000 -> no_message end`,
    );
    assertTerm(got, tuple(true, atom("hello")));
    const linked = await onErl(
      `process_flag(trap_exit, true),
       Pid = spawn_link(Otter, jobs, fail, [via_spawn_link]),
       receive {'EXIT', Pid, R} -> R after 5000 -> no_exit end`,
    );
    assert.equal(linked, atom("via_spawn_link"));
  });
});
