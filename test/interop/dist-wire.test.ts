// The wire codec against a real BEAM, without sockets: erl opens a distribution channel to a made-up node through
// the process-controller API (erts_internal:new_connection + erlang:setnode/3, as dist_util does), hands us every
// frame it would send (erlang:dist_ctrl_get_data) and takes ours (erlang:dist_ctrl_put_data). So the frames are
// OTP's own, both ways: what erl sends we decode; what we send, erl's erts_net_message delivers, or refuses by
// dropping the connection (distribution_SUITE's bad_dist_structure and bad_dist_fragments, replayed).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { DFlag } from "../../src/dist/flags.ts";
import type { ControlMessage } from "../../src/dist/wire/control.ts";
import { parseControl } from "../../src/dist/wire/parse-control.ts";
import { FrameDecoder } from "../../src/dist/wire/receive.ts";
import { FrameEncoder, type FrameEncoderOptions } from "../../src/dist/wire/send.ts";
import { DistError } from "../../src/errors.ts";
import { atom, decode, encode, equals, Pid, Ref, type Term, Tuple, tuple } from "../../src/index.ts";
import { ErlOracle } from "../../src/testing/index.ts";
import {
  assertSameMessage,
  BAD_DIST_STRUCTURE,
  joined,
  OTP_FLAGS,
  PASS_THROUGH_FLAGS as PASS_THROUGH_ONLY,
} from "../unit/dist/wire-fixtures.ts";

/** The made-up peer, and the creation it has toward erl. */
const PEER = atom("peer@host");
const CREATION = 7;
const peerPid = (id: number) => new Pid(PEER, id, 0, CREATION);
const peerRef = (id: number) => new Ref(PEER, CREATION, [id, 0, 0]);

/** A hidden peer (no PUBLISHED) with what OTP 25 would negotiate: header, atom cache, fragments. */
const FULL_FLAGS = OTP_FLAGS;
/** A peer like ei (no atom cache, fragments, SEND_SENDER or PAYLOAD_ exits) that spawns and has aliases. */
const PASS_THROUGH_FLAGS = PASS_THROUGH_ONLY | DFlag.SPAWN | DFlag.ALIAS;

const PEER_MODULE = `
-module(otter_wire_peer).
-export([open/2, frames/1, put/1, put_expect_down/1, inbox/0, take/2, make_alias/0]).

%% A fresh channel to peer@host with the given flags, its controller registered as otter_wire_ctrl.
open(Flags, Creation) ->
    close(),
    ensure_inbox(),
    _ = take(0, 1000),
    Parent = self(),
    Ctrl = spawn(fun() ->
                     register(otter_wire_ctrl, self()),
                     _ = erts_internal:new_connection('peer@host'),
                     DHandle = erlang:setnode('peer@host', self(), {Flags, Creation}),
                     Parent ! {self(), opened},
                     control(DHandle)
                 end),
    receive {Ctrl, opened} -> ok after 5000 -> error(open_timeout) end.

close() ->
    case whereis(otter_wire_ctrl) of
        undefined -> ok;
        Old ->
            Ref = monitor(process, Old),
            erlang:disconnect_node('peer@host'),
            exit(Old, kill),
            receive {'DOWN', Ref, process, Old, _} -> ok end
    end.

control(DHandle) ->
    receive
        {get, Min, From} -> From ! {frames, collect(DHandle, Min, [])};
        {put, Bin, From} -> From ! {put, catch erlang:dist_ctrl_put_data(DHandle, Bin)}
    end,
    control(DHandle).

%% At least Min frames (waiting up to 5 s for erl to queue them), or all there are.
collect(DHandle, Min, Acc) ->
    Got = Acc ++ drain(DHandle, []),
    if
        length(Got) >= Min -> Got;
        true ->
            erlang:dist_ctrl_get_data_notification(DHandle),
            receive dist_data -> collect(DHandle, Min, Got) after 5000 -> Got end
    end.

drain(DHandle, Acc) ->
    case erlang:dist_ctrl_get_data(DHandle) of
        none -> lists:reverse(Acc);
        Data -> drain(DHandle, [iolist_to_binary(Data) | Acc])
    end.

call(Request) ->
    Ctrl = whereis(otter_wire_ctrl),
    Monitor = monitor(process, Ctrl),
    Ctrl ! Request,
    receive
        {Tag, Answer} when Tag =:= frames; Tag =:= put -> demonitor(Monitor, [flush]), Answer;
        {'DOWN', Monitor, process, Ctrl, Reason} -> {controller_down, Reason}
    after 10000 -> error(controller_timeout)
    end.

%% The frames erl has queued toward peer@host (at least Min of them), each a binary without its length field.
frames(Min) -> call({get, Min, self()}).

put(Frame) -> call({put, Frame, self()}).

%% Puts a frame that should make erl drop the connection; says whether it did.
put_expect_down(Frame) ->
    erlang:monitor_node('peer@host', true),
    _ = put(Frame),
    receive {nodedown, 'peer@host'} -> down after 2000 -> erlang:monitor_node('peer@host', false), still_up end.

%% The inbox: a registered process that traps exits and keeps whatever arrives until taken.
ensure_inbox() ->
    case whereis(otter_wire_inbox) of
        undefined ->
            Parent = self(),
            spawn(fun() ->
                      register(otter_wire_inbox, self()),
                      process_flag(trap_exit, true),
                      Parent ! {self(), inbox},
                      inbox([], none)
                  end),
            receive {_, inbox} -> ok end;
        _ -> ok
    end.

inbox() -> whereis(otter_wire_inbox).

inbox(Acc, Waiter) ->
    receive
        {otter_wire_take, From, Ref, N} -> reply(Acc, {From, Ref, N});
        {otter_wire_alias, From, Ref} -> From ! {Ref, erlang:alias()}, inbox(Acc, Waiter);
        Msg -> reply([Msg | Acc], Waiter)
    end.

reply(Acc, {From, Ref, N}) when length(Acc) >= N -> From ! {Ref, lists:reverse(Acc)}, inbox([], none);
reply(Acc, Waiter) -> inbox(Acc, Waiter).

%% The first N things the inbox got (waiting up to Timeout ms), or {timeout, WhatItHas}.
take(N, Timeout) ->
    Ref = make_ref(),
    otter_wire_inbox ! {otter_wire_take, self(), Ref, N},
    receive {Ref, Msgs} -> Msgs
    after Timeout ->
        Now = make_ref(),
        otter_wire_inbox ! {otter_wire_take, self(), Now, 0},
        receive {Ref, Msgs} -> Msgs; {Now, Msgs} -> {timeout, Msgs} end
    end.

%% An alias the inbox made, so messages to it land in the inbox.
make_alias() ->
    Ref = make_ref(),
    otter_wire_inbox ! {otter_wire_alias, self(), Ref},
    receive {Ref, Alias} -> Alias end.
`;

let erl: ErlOracle;
let inbox: Pid;

before(async () => {
  const name = `otter_wire_${process.pid}_${randomBytes(3).toString("hex")}`;
  // Distributed but listening nowhere and registered with no epmd: the only channel is the one we make.
  erl = await ErlOracle.start({
    erlArgs: [
      ...["-sname", name, "-setcookie", randomBytes(8).toString("hex"), "-hidden"],
      ...["-start_epmd", "false", "-dist_listen", "false", "-connect_all", "false"],
    ],
  });
  await erl.loadModule(PEER_MODULE);
});

after(async () => {
  await erl?.stop();
});

async function run(expression: string, bindings: Record<string, Term> = {}): Promise<Term> {
  const bytes = Object.fromEntries(Object.entries(bindings).map(([k, v]) => [k, encode(v)]));
  return decode(await erl.eval(expression, bytes));
}

/** One channel to erl: our encoder and decoder for it, with the flags erl was given. */
class Channel {
  readonly encoder: FrameEncoder;
  readonly decoder: FrameDecoder;
  /** Frames taken from erl so far. */
  framesReceived = 0;

  private constructor(flags: bigint, options: FrameEncoderOptions) {
    this.encoder = new FrameEncoder(flags, options);
    this.decoder = new FrameDecoder(flags);
  }

  static async open(flags: bigint, options: FrameEncoderOptions = {}): Promise<Channel> {
    await run("otter_wire_peer:open(F, C)", { F: flags, C: CREATION });
    inbox = (await run("otter_wire_peer:inbox()")) as Pid;
    return new Channel(flags, options);
  }

  /** Every message erl sent since the last call (once at least `minFrames` frames came), decoded. */
  async received(minFrames = 0): Promise<ControlMessage[]> {
    const frames = (await run("otter_wire_peer:frames(N)", { N: minFrames })) as Uint8Array[];
    const messages: ControlMessage[] = [];
    this.framesReceived += frames.length;
    for (const frame of frames) {
      const m = this.decoder.decode(frame);
      if (m !== undefined) messages.push(m.control);
    }
    return messages;
  }

  /** Encodes `msg` and hands its frames to erl, one `dist_ctrl_put_data` per frame. */
  async send(msg: ControlMessage): Promise<number> {
    const out = this.encoder.encode(msg);
    let frames = 0;
    for (let f = out.next(); f !== undefined; f = out.next(), frames++) {
      assert.equal(await run("otter_wire_peer:put(B)", { B: joined(f).subarray(4) }), atom("ok"));
    }
    return frames;
  }
}

/** What the inbox got: exactly `n` things, within the deadline. */
async function taken(n: number): Promise<Term[]> {
  const got = await run("otter_wire_peer:take(N, 5000)", { N: n });
  assert.ok(Array.isArray(got), `the inbox did not get ${n} messages in time: ${String(got)}`);
  assert.equal(got.length, n);
  return got as Term[];
}

function assertTerm(actual: Term | undefined, expected: Term, what = "term"): void {
  assert.ok(actual !== undefined && equals(actual, expected), `${what} differs`);
}

describe("erl → us: frames OTP sends decode into the signals it meant", () => {
  for (const [framing, flags] of [
    ["atom cache + fragments", FULL_FLAGS],
    ["pass-through", PASS_THROUGH_FLAGS],
  ] as const) {
    test(framing, async () => {
      const channel = await Channel.open(flags);
      const P = peerPid(1);
      const R = peerRef(5);
      const bin = Buffer.alloc(150_000, 7);
      await run(
        `Self = self(),
         P ! {hello, <<1,2,3>>},
         {reg, 'peer@host'} ! hi,
         link(P), unlink(P),
         M1 = erlang:monitor(process, P), erlang:demonitor(M1),
         M2 = erlang:monitor(process, {reg, 'peer@host'}), erlang:demonitor(M2),
         exit(P, {shutdown, x}),
         group_leader(Self, P),
         R ! {to_alias, 1},
         erlang:spawn_request('peer@host', m, f, [1, 2], [monitor]),
         P ! {big, Bin},
         ok`,
        { P, R, Bin: bin },
      );
      const got = await channel.received(13);
      const ops = got.map((m) => m.op);
      assert.deepEqual(ops, [
        "send",
        "reg_send",
        "link",
        "unlink_id",
        "monitor",
        "demonitor",
        "monitor",
        "demonitor",
        "exit2",
        "group_leader",
        "alias_send",
        "spawn_request",
        "send",
      ]);
      const [send, reg, , unlink, , , byName, , exit2, , alias, spawn, big] = got;
      assert.ok(send?.op === "send" && equals(send.to, P));
      assertTerm(send.message, tuple(atom("hello"), Buffer.from([1, 2, 3])));
      assert.equal(send.from !== undefined, flags === FULL_FLAGS, "SEND_SENDER carries the sender");
      assert.ok(reg?.op === "reg_send" && reg.to === atom("reg"));
      assertTerm(reg.message, atom("hi"));
      assert.ok(unlink?.op === "unlink_id" && unlink.id > 0n);
      assert.ok(byName?.op === "monitor" && byName.to === atom("reg"));
      assert.ok(exit2?.op === "exit2");
      assertTerm(exit2.reason, tuple(atom("shutdown"), atom("x")));
      assert.ok(alias?.op === "alias_send" && equals(alias.to, R));
      assertTerm(alias.message, tuple(atom("to_alias"), 1));
      assert.ok(spawn?.op === "spawn_request" && spawn.module === atom("m") && spawn.function === atom("f"));
      assert.equal(spawn.arity, 2);
      assertTerm(spawn.args, [1, 2]);
      assert.ok(big?.op === "send");
      assertTerm(big.message, tuple(atom("big"), bin));
      assert.equal(channel.framesReceived, flags === FULL_FLAGS ? 15 : 13, "erl fragments at 64 KiB under FRAGMENTS");
    });
  }

  test("a process linked to the peer exits: EXIT carries its reason (PAYLOAD_EXIT under EXIT_PAYLOAD)", async () => {
    const channel = await Channel.open(FULL_FLAGS);
    const P = peerPid(2);
    await run(
      "{Pid, Ref} = spawn_monitor(fun() -> link(P), exit({bye, P}) end), receive {'DOWN', Ref, _, _, _} -> Pid end",
      {
        P,
      },
    );
    const got = await channel.received(2);
    assert.deepEqual(
      got.map((m) => m.op),
      ["link", "exit"],
    );
    const exit = got[1];
    assert.ok(exit?.op === "exit" && equals(exit.to, P));
    assertTerm(exit.reason, tuple(atom("bye"), P));
  });

  test("thousands of distinct atoms: erl's cache slots get reused and every header still decodes", async () => {
    const channel = await Channel.open(FULL_FLAGS);
    await run(
      '[P ! {batch, I, [list_to_atom("otter_wire_atom_" ++ integer_to_list(I * 10 + J)) || J <- lists:seq(1, 10)]} || I <- lists:seq(1, 400)], ok',
      { P: peerPid(3) },
    );
    const got = await channel.received(400);
    assert.equal(got.length, 400);
    for (const [i, m] of got.entries()) {
      assert.ok(m.op === "send" && m.message instanceof Tuple);
      const atoms = Array.from({ length: 10 }, (_, j) => atom(`otter_wire_atom_${(i + 1) * 10 + j + 1}`));
      assertTerm(m.message, tuple(atom("batch"), i + 1, atoms), `message ${i + 1}`);
    }
  });
});

describe("us → erl: erl delivers what we encode", () => {
  for (const [framing, flags] of [
    ["atom cache + fragments", FULL_FLAGS],
    ["pass-through", PASS_THROUGH_FLAGS],
  ] as const) {
    test(`${framing}: send, reg_send, alias_send, a fragmented message with a large binary`, async () => {
      const channel = await Channel.open(flags);
      const from = peerPid(10);
      const big = randomBytes(300_000);
      await channel.send({ op: "send", from, to: inbox, message: tuple(atom("one"), 1.5, "text") });
      await channel.send({ op: "reg_send", from, to: atom("otter_wire_inbox"), message: atom("two") });
      const alias = (await run("otter_wire_peer:make_alias()")) as Ref;
      await channel.send({ op: "alias_send", from, to: alias, message: atom("three") });
      const frames = await channel.send({ op: "send", from, to: inbox, message: tuple(atom("four"), big) });
      assert.equal(frames, flags === FULL_FLAGS ? 5 : 1, "64 KiB fragments under FRAGMENTS");
      const got = await taken(4);
      assertTerm(got[0], tuple(atom("one"), 1.5, Buffer.from("text")));
      assertTerm(got[1], atom("two"));
      assertTerm(got[2], atom("three"));
      assertTerm(got[3], tuple(atom("four"), big));
    });
  }

  test("links, exits, unlinking: EXIT, EXIT2 and UNLINK_ID reach the process; UNLINK_ID_ACK comes back", async () => {
    const channel = await Channel.open(FULL_FLAGS);
    const a = peerPid(20);
    const b = peerPid(21);
    await channel.send({ op: "link", from: a, to: inbox });
    await channel.send({ op: "exit", from: a, to: inbox, reason: tuple(atom("linked_exit"), 1) });
    await channel.send({ op: "exit2", from: b, to: inbox, reason: atom("exit2_reason") });
    const got = await taken(2);
    assertTerm(got[0], tuple(atom("EXIT"), a, tuple(atom("linked_exit"), 1)));
    assertTerm(got[1], tuple(atom("EXIT"), b, atom("exit2_reason")));
    await channel.send({ op: "link", from: b, to: inbox });
    await channel.send({ op: "unlink_id", id: 2n ** 64n - 1n, from: b, to: inbox });
    const acks = (await channel.received(1)).filter((m) => m.op === "unlink_id_ack");
    assert.equal(acks.length, 1);
    assertSameMessage(acks[0]!, { op: "unlink_id_ack", id: 2n ** 64n - 1n, from: inbox, to: b });
  });

  test("a monitor we set up fires: erl sends the DOWN reason as PAYLOAD_MONITOR_P_EXIT", async () => {
    const channel = await Channel.open(FULL_FLAGS);
    const watcher = peerPid(30);
    const target = (await run("spawn(fun() -> receive stop -> exit({stopped, 42}) end end)")) as Pid;
    const ref = peerRef(31);
    await channel.send({ op: "monitor", from: watcher, to: target, ref });
    await run("T ! stop, ok", { T: target });
    const down = await channel.received(1);
    assert.equal(down.length, 1);
    assertSameMessage(down[0]!, {
      op: "monitor_exit",
      from: target,
      to: watcher,
      ref,
      reason: tuple(atom("stopped"), 42),
    });
  });

  test("spawn_request: erl spawns erlang:send(otter_wire_inbox, spawned) and replies with the pid", async () => {
    const channel = await Channel.open(FULL_FLAGS);
    const from = peerPid(40);
    const ref = peerRef(41);
    await channel.send({
      op: "spawn_request",
      ref,
      from,
      groupLeader: from,
      module: atom("erlang"),
      function: atom("send"),
      arity: 2,
      options: [atom("monitor")],
      args: [atom("otter_wire_inbox"), atom("spawned")],
    });
    assertTerm((await taken(1))[0], atom("spawned"));
    const replies = await channel.received(1);
    const reply = replies.find((m) => m.op === "spawn_reply");
    assert.ok(reply?.op === "spawn_reply" && equals(reply.ref, ref) && equals(reply.to, from));
    assert.ok(reply.result instanceof Pid);
    assert.equal(reply.flags, 2, "the monitor was set up");
  });

  test("group_leader: erl makes our pid the group leader of its process", async () => {
    const channel = await Channel.open(FULL_FLAGS);
    const leader = peerPid(50);
    await channel.send({ op: "group_leader", leader, to: inbox });
    // The signal is handled by the process when it next runs: ask until it shows, within a deadline.
    const deadline = Date.now() + 5000;
    let gl: Term = atom("none");
    while (!equals(gl, leader) && Date.now() < deadline) {
      gl = await run("element(2, process_info(I, group_leader))", { I: inbox });
    }
    assertTerm(gl, leader);
  });

  test("atom cache contention: every atom in one slot, each header evicting the last, erl keeps up", async () => {
    const channel = await Channel.open(FULL_FLAGS, { atomCacheSlot: () => 0, fragmentSize: 200 });
    const from = peerPid(60);
    const batches = Array.from({ length: 60 }, (_, i) =>
      tuple(atom("batch"), i, [atom(`otter_contended_${i}`), atom(`otter_contended_${i % 7}`), atom("shared")]),
    );
    for (const message of batches) await channel.send({ op: "send", from, to: inbox, message });
    const got = await taken(batches.length);
    for (const [i, message] of batches.entries()) assertTerm(got[i], message, `batch ${i}`);
  });
});

describe("refusals agree with erl's: a frame we refuse makes erl drop the connection", () => {
  const header = Buffer.from([131, 68, 0]);
  const ext = (t: Term) => encode(t, { versioned: false });

  test("distribution_SUITE:bad_dist_structure, every tuple", async () => {
    const offender = peerPid(70);
    for (const [control, payload] of BAD_DIST_STRUCTURE(offender, await inboxPid(), peerRef(71))) {
      await Channel.open(FULL_FLAGS);
      assert.throws(() => parseControl(control, payload), DistError);
      const frame = Buffer.concat([header, ext(control), ...(payload === undefined ? [] : [ext(payload)])]);
      assert.equal(
        await run("otter_wire_peer:put_expect_down(F)", { F: frame }),
        atom("down"),
        `erl accepted {${control.elements.map(String).join(", ")}}`,
      );
    }
  });

  test("distribution_SUITE:bad_dist_fragments", async () => {
    const u64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return b;
    };
    const start = (frag: bigint, ...rest: Buffer[]) =>
      Buffer.concat([Buffer.from([131, 69]), u64(99n), u64(frag), Buffer.from([0]), ...rest]);
    const cont = (frag: bigint, ...rest: Buffer[]) =>
      Buffer.concat([Buffer.from([131, 70]), u64(99n), u64(frag), ...rest]);
    const victim = await inboxPid();
    const msg = ext(new Array(255).fill(255));
    const send = ext(tuple(2, atom(""), victim));
    const cases: [string, Buffer[]][] = [
      ["continuation without a start", [cont(1n, msg.subarray(10))]],
      ["fragment 1 after a start of 3", [start(3n, send, msg.subarray(0, 10)), cont(1n, msg.subarray(10))]],
      ["a second start", [start(3n, send, msg.subarray(0, 10)), start(3n, send, msg.subarray(0, 10))]],
      ["a bad control in the start", [start(1n, ext(tuple(2, atom(""), victim, atom("broken"))), msg.subarray(10))]],
      // erl decodes an exit reason only when the process handles the signal, and drops a link exit from a pid
      // it is not linked to unread: link first, as the suite does.
      [
        "a broken PAYLOAD_EXIT",
        [
          Buffer.concat([header, ext(tuple(1, peerPid(72), victim))]),
          start(1n, ext(tuple(24, peerPid(72), victim)), Buffer.from([131])),
        ],
      ],
      ["a broken PAYLOAD_EXIT2", [start(1n, ext(tuple(26, peerPid(72), victim)), Buffer.from([132]))]],
      [
        "a compressed payload",
        [
          Buffer.concat([
            header,
            ext(tuple(2, atom(""), victim)),
            encode(new Array(1000).fill(0), { compressed: 9 }).subarray(1),
          ]),
        ],
      ],
    ];
    for (const [what, frames] of cases) {
      await Channel.open(FULL_FLAGS);
      const decoder = new FrameDecoder(FULL_FLAGS);
      assert.throws(() => {
        for (const f of frames) decoder.decode(f);
      }, DistError);
      for (const f of frames.slice(0, -1)) assert.equal(await run("otter_wire_peer:put(F)", { F: f }), atom("ok"));
      assert.equal(await run("otter_wire_peer:put_expect_down(F)", { F: frames.at(-1)! }), atom("down"), what);
    }
  });

  test("UNLINK (op 4): refused by us as by OTP 26 and later (OTP 25 still took it)", async () => {
    const victim = await inboxPid();
    const unlink = tuple(4, peerPid(73), victim);
    assert.throws(() => parseControl(unlink, undefined), DistError);
    const channel = await Channel.open(FULL_FLAGS);
    const frame = Buffer.concat([header, ext(unlink)]);
    if (Number(erl.otpRelease) >= 26) {
      assert.equal(await run("otter_wire_peer:put_expect_down(F)", { F: frame }), atom("down"));
      return;
    }
    // OTP 25: the connection lives on, as a message sent after it shows.
    assert.equal(await run("otter_wire_peer:put(F)", { F: frame }), atom("ok"));
    await channel.send({ op: "send", from: peerPid(73), to: victim, message: atom("after_unlink") });
    assertTerm((await taken(1))[0], atom("after_unlink"));
  });
});

async function inboxPid(): Promise<Pid> {
  await run("otter_wire_peer:open(F, C)", { F: FULL_FLAGS, C: CREATION });
  return (await run("otter_wire_peer:inbox()")) as Pid;
}
