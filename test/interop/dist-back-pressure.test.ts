// Back-pressure toward a real erl that stops reading our connection: the Otter process sending to it is suspended
// (busy_dist_port) while the rest of the node runs on, and once erl reads again every message reaches the
// receiver, in order.
//
// What makes a BEAM stop reading: not a suspended receiver (erlang:suspend_process/1) — the VM reads the socket
// and decodes into the receiver's queue whatever the receiver does — but the dist port itself: with
// `inet:setopts(DistCtrl, [{active, false}])` on the port `erlang:system_info(dist_ctrl)` names, inet_drv stops
// selecting the socket for reading; `{active, true}` starts it again. The rest of erl runs on meanwhile.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { atom, type Process, type Term, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/node.ts";
import type { ErlNode } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl } from "../support/dist.ts";
import { assertStuckWhileOthersRun, assertTerm, waitFor } from "../support/runtime.ts";

const LIMIT = 64 * 1024;
const SMALL = 1000;

let pair: NodeBesideErl;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  pair = await startNodeBesideErl("otter_busy", { distBufferBusyLimit: LIMIT });
  ({ node, erl } = pair);
});

after(() => pair?.stop());

/** Evaluates on erl with `Otter` bound to the Otter node's name. */
function onErl(expression: string, bindings: Record<string, Term> = {}): Promise<Term> {
  return erl.eval(expression, { bindings: { Otter: node.name, ...bindings }, timeoutMs: 20_000 });
}

/** Makes erl stop (false) or start again (true) reading the connection from the Otter node. */
function erlReads(active: boolean): Promise<Term> {
  return onErl(
    "{Otter, Port} = lists:keyfind(Otter, 1, erlang:system_info(dist_ctrl)), inet:setopts(Port, [{active, A}])",
    {
      A: active,
    },
  );
}

describe("back-pressure toward erl", () => {
  test("erl stops reading: the sender is suspended, the node runs on; erl reads again: all arrive, in order", async () => {
    // `sink` counts the `{Seq, Padding}` it gets in order, and remembers the first one out of order.
    await onErl(`register(sink, spawn(fun() ->
        Loop = fun L(Next, Bad) ->
          receive
            {get, From} -> From ! {sink, Next, Bad}, L(Next, Bad);
            {Next, _} -> L(Next + 1, Bad);
            {Seq, _} when Bad =:= none -> L(Next, {expected, Next, got, Seq});
            _ -> L(Next, Bad)
          end
        end,
        Loop(0, none)
      end)), ok`);
    assert.equal(await node.ping(erl.name), "pong");
    assertTerm(await erlReads(false), atom("ok"));
    const total = 20_000;
    const padding = Buffer.alloc(SMALL, 7);
    const sink = { name: atom("sink"), node: atom(erl.name) };
    let sent = 0;
    node.runtime.spawn(async (self: Process) => {
      while (sent < total) {
        self.send(sink, tuple(sent++, padding));
        if (sent % 16 === 0) await self.yield();
      }
    });
    let reading = false;
    try {
      await assertStuckWhileOthersRun(node.runtime, () => sent, "the sender, behind erl");
      assert.ok(sent < total, "the sender finished although erl read nothing");
      const connection = node.distribution.connectionTo(atom(erl.name))!;
      assert.ok(connection.stats.suspendedSenders > 0, "a suspended sender was counted");
      assert.ok(connection.queuedBytes >= LIMIT, `a queue of ${connection.queuedBytes} bytes`);
      assertTerm(await erlReads(true), atom("ok"));
      reading = true;
      await waitFor(() => sent === total, "the sender to finish once erl reads", 20_000);
      const state = await onErl(
        `
        Wait = fun W(0) -> timeout;
                   W(N) -> sink ! {get, self()},
                           receive {sink, Total, _} = S when Total >= Want -> S;
                                   {sink, _, _} -> timer:sleep(10), W(N - 1)
                           end
               end,
        Wait(1000)`,
        { Want: total },
      );
      assertTerm(state, tuple(atom("sink"), total, atom("none")));
    } finally {
      if (!reading) await erlReads(true);
    }
  });
});
