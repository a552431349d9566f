// Large messages between an Otter node and erl: a 10 MB binary both ways (fragmented both ways, since OTP 25
// negotiates FRAGMENTS), a message over 64 KiB full of distinct atoms (the atom cache in a fragmented message),
// and a small message that overtakes a 100 MB one still going out (distribution_SUITE's
// message_latency_large_message: fragments of different senders take turns).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { DFlag } from "../../src/dist/flags.ts";
import { atom, type Pid, type Term, Tuple, tuple } from "../../src/index.ts";
import type { OtterNode } from "../../src/node/node.ts";
import type { ErlNode } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl } from "../support/dist.ts";
import { assertTerm } from "../support/runtime.ts";

let pair: NodeBesideErl;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  pair = await startNodeBesideErl("otter_large");
  ({ node, erl } = pair);
  // Echoes `{From, T}` as `{echo, T}`.
  const echo = node.runtime.spawn(async (self) => {
    for (;;) {
      const m = (await self.receive()) as Tuple;
      self.send(m.at(0) as Pid, tuple(atom("echo"), m.at(1)!));
    }
  });
  node.runtime.register(atom("echo"), echo);
});

after(() => pair?.stop());

/** Evaluates on erl with `Otter` bound to the Otter node's name. */
function onErl(expression: string, bindings: Record<string, Term> = {}): Promise<Term> {
  return erl.eval(expression, { bindings: { Otter: node.name, ...bindings }, timeoutMs: 20_000 });
}

const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

describe("large messages between an Otter node and erl", () => {
  test("a 10 MB binary from erl arrives equal, and goes back equal in fragments", async () => {
    assert.equal(await node.ping(erl.name), "pong");
    const connection = node.distribution.connectionTo(atom(erl.name))!;
    assert.notEqual(connection.flags & DFlag.FRAGMENTS, 0n, "OTP 25 negotiates FRAGMENTS");
    const got = node.runtime.run(async (self) => {
      self.register(atom("large_sink"));
      const m = (await self.receive(undefined, { timeout: 20_000 })) as Tuple;
      return m.at(1) as Uint8Array;
    });
    const sent = (await onErl(
      `Bin = crypto:strong_rand_bytes(10 * 1024 * 1024), {large_sink, Otter} ! {self(), Bin},
       binary:encode_hex(erlang:md5(Bin))`,
    )) as Uint8Array;
    const bin = await got;
    assert.equal(bin.length, 10 * 1024 * 1024);
    assert.equal(md5(bin), Buffer.from(sent).toString("latin1").toLowerCase());

    const framesBefore = connection.stats.framesOut;
    const back = await onErl(
      `Bin = crypto:strong_rand_bytes(10 * 1024 * 1024), {echo, Otter} ! {self(), Bin},
       receive {echo, R} -> R =:= Bin after 20000 -> timeout end`,
    );
    assert.equal(back, true);
    assert.ok(connection.stats.framesOut - framesBefore >= 160, "10 MB leave in 64 KiB fragments");
  });

  test("a message over 64 KiB with thousands of distinct atoms arrives equal and comes back equal", async () => {
    const back = await onErl(
      `Atoms = [list_to_atom("otter_large_atom_" ++ integer_to_list(I)) || I <- lists:seq(1, 6000)],
       T = {Atoms, lists:reverse(Atoms), #{Atoms => <<"v">>}},
       true = byte_size(term_to_binary(T)) > 65536,
       {echo, Otter} ! {self(), T},
       receive {echo, R} -> R =:= T after 10000 -> timeout end`,
    );
    assert.equal(back, true);
  });

  test("a small message sent while a 100 MB one is going out arrives first", async () => {
    let reported!: (order: Term | undefined) => void;
    const order = new Promise<Term | undefined>((resolve) => {
      reported = resolve;
    });
    const collector = node.runtime.spawn(async (self) => {
      reported(await self.receive((m) => m instanceof Tuple && m.at(0) === atom("order"), { timeout: 30_000 }));
    });
    const receiver = (await onErl(
      `spawn(fun() ->
         Tag = fun(B) when is_binary(B) -> {large, byte_size(B)}; (M) -> M end,
         receive M1 -> receive M2 -> Collector ! {order, Tag(M1), Tag(M2)} end end
       end)`,
      { Collector: collector },
    )) as Pid;
    const small = node.runtime.spawn(async (self) => {
      await self.receive((m) => m === atom("go"));
      self.send(receiver, atom("small"));
    });
    node.runtime.spawn(async (self) => {
      self.send(receiver, Buffer.alloc(100 * 1024 * 1024, 7));
      self.send(small, atom("go"));
    });
    assertTerm(await order, tuple(atom("order"), atom("small"), tuple(atom("large"), 100 * 1024 * 1024)));
  });
});
