// Erlang's I/O protocol against a real erl: io:format on erl writing through an Otter I/O server, the node's
// `user` as the group leader of what it runs elsewhere, GROUP_LEADER from erl, and io_lib:format's text.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { atom, format, type Pid, parse, type Term, TermError, tuple } from "../../src/index.ts";
import { startIoServer } from "../../src/otp/io-server.ts";
import { ioLibFormat } from "../../src/term/io-lib-format.ts";
import { type NodeBesideErl, startNodeBesideErl } from "../support/dist.ts";

let pair: NodeBesideErl;
before(async () => {
  pair = await startNodeBesideErl("io");
});
after(() => pair.stop());

/** An I/O server whose output the test reads. */
function capturingServer(): { pid: Pid; text: () => string } {
  const parts: string[] = [];
  const pid = startIoServer(pair.node.runtime, { write: (t) => parts.push(t) });
  return { pid, text: () => parts.join("") };
}

test("io:format on erl, given an Otter I/O server as the device, writes the formatted text there", async () => {
  const device = capturingServer();
  const reply = await pair.node.erpc.call(pair.erl.name, "io", "format", [
    device.pid,
    Buffer.from("~s is ~p, ~5.2f~n"),
    [Buffer.from("otter"), tuple(atom("ok"), [1, 2]), 3.25159],
  ]);
  assert.equal(reply, atom("ok"));
  assert.equal(device.text(), "otter is {ok,[1,2]},  3.25\n");
  const chars = await pair.node.erpc.call(pair.erl.name, "io", "put_chars", [device.pid, Buffer.from("héllo")]);
  assert.equal(chars, atom("ok"));
  assert.equal(device.text().endsWith("héllo"), true);
});

test("a bad format raises on erl and leaves the I/O server serving", async () => {
  const device = capturingServer();
  await assert.rejects(
    pair.node.erpc.call(pair.erl.name, "io", "format", [device.pid, Buffer.from("~p ~p"), [1]]),
    /badarg|format/,
  );
  assert.equal(
    await pair.node.erpc.call(pair.erl.name, "io", "format", [device.pid, Buffer.from("still~n"), []]),
    atom("ok"),
  );
  assert.equal(device.text(), "still\n");
  const reading = await pair.node.erpc.call(pair.erl.name, "io", "get_line", [device.pid, Buffer.from("> ")]);
  assert.equal(reading, atom("eof"));
});

test("the node's `user` is the group leader of what its processes run on erl: io:format there returns ok", async () => {
  const user = pair.node.runtime.whereis(atom("user"));
  assert.ok(user !== undefined);
  assert.equal(pair.node.runtime.defaultGroupLeader, user);
  const leader = await pair.node.erpc.call(pair.erl.name, "erlang", "group_leader", []);
  assert.equal(format(leader), format(user));
  assert.equal(await pair.node.rpc.call(pair.erl.name, "io", "format", [Buffer.from("")]), atom("ok"));
});

test("GROUP_LEADER from erl sets an Otter process's group leader", async () => {
  const device = capturingServer();
  const target = pair.node.runtime.spawn({ handleMessage: () => undefined });
  await pair.node.erpc.call(pair.erl.name, "erlang", "group_leader", [device.pid, target]);
  const deadline = Date.now() + 5000;
  while (format(pair.node.runtime.processInfo(target)?.groupLeader ?? atom("none")) !== format(device.pid)) {
    assert.ok(Date.now() < deadline, "the group leader did not change within 5 s");
    await new Promise((resolve) => setImmediate(resolve));
  }
});

// Each case: a format and its arguments in Erlang syntax; erl's io_lib:format gives the expected text.
const CASES: [string, string][] = [
  ['"plain ~~ tilde~n"', "[]"],
  ['"~w ~p"', '[{a,"b",<<"c">>}, [1,2|3]]'],
  ['"~s|~10s|~-10s|~.3s|~ts"', '["abc", abc, <<"abc">>, "abcdef", <<"h\\303\\251">>]'],
  ['"~10.3.xs|~-6.2.*s|"', '["abcd", $_, "xyz"]'],
  ['"~c~3c~-4c|"', "[$a, $b, $c]"],
  ['"~f ~.2f ~10.3f ~e ~.3e ~g ~g ~g ~g"', "[3.14159, 2.5, -1.0, 1234.5, 0.000123, 0.5, 123.456, 12345.6, 0.01]"],
  ['"~b ~.2B ~.16b ~.16B ~.16x ~.16X ~.16# ~.16+"', '[42, 5, 255, 255, 255, "0x", 255, "0X", 255, 255]'],
  ['"~8.16.0B|~-6B|~*B"', "[255, 7, 5, 3]"],
  ['"~i~p"', "[ignored, kept]"],
  ['"~W ~P"', "[[1,2,3], 5, {x}, 5]"],
];

test("ioLibFormat writes what erl's io_lib:format writes", async () => {
  for (const [fmt, args] of CASES) {
    const expected = await pair.erl.eval(`unicode:characters_to_binary(io_lib:format(${fmt}, ${args}))`);
    const actual = ioLibFormat(parse(fmt) as Term, parse(args) as Term);
    assert.equal(actual, Buffer.from(expected as Uint8Array).toString("utf8"), `io_lib:format(${fmt}, ${args})`);
  }
});

test("ioLibFormat refuses what erl's io_lib:format refuses", async () => {
  for (const [fmt, args] of [
    ['"~p ~p"', "[1]"],
    ['"~p"', "[1, 2]"],
    ['"~d"', "[1]"],
    ['"~f"', "[abc]"],
    ['"~b"', "[1.5]"],
    ['"~s"', "[{a}]"],
    ['"~"', "[]"],
  ]) {
    const erl = await pair.erl.eval(`try io_lib:format(${fmt}, ${args}) of _ -> ok catch error:badarg -> badarg end`);
    assert.equal(erl, atom("badarg"), `erl accepts io_lib:format(${fmt}, ${args})`);
    assert.throws(() => ioLibFormat(parse(fmt) as Term, parse(args) as Term), TermError);
  }
});
