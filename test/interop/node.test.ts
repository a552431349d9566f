// An Otter node and a real erl node, both ways: EPMD (ours, which erl uses), ping, messages with every term kind,
// gen_server calls, rpc/erpc, links and monitors, and a killed BEAM node seen as `noconnection`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  atom,
  DOWN,
  format,
  GenServer,
  type GenServerCallbacks,
  type Pid,
  ProcessExit,
  parse,
  type Term,
  Tuple,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { ErlNode, freePort } from "../../src/testing/erl-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { assertTerm } from "../support/runtime.ts";

const cookie = uniqueCookie();
let epmdPort: number;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  epmdPort = await freePort();
  node = await startNode({ name: uniqueNodeName("otter"), cookie, epmdPort, listen: { host: "127.0.0.1" } });
  erl = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
});

after(async () => {
  await erl?.stop();
  await node?.stop();
});

/** Evaluates on erl with `Otter` bound to the Otter node's name. */
function onErl(expression: string, bindings: Record<string, Term> = {}): Promise<Term> {
  return erl.eval(expression, { bindings: { Otter: node.name, ...bindings } });
}

describe("an Otter node and erl", () => {
  test("erl finds the Otter node through Otter's EPMD and pings it; Otter pings erl", async () => {
    assert.equal(await onErl("net_adm:ping(Otter)"), atom("pong"));
    assert.equal(await node.ping(erl.name), "pong");
    assert.ok(node.nodes().includes(atom(erl.name)));
    assert.ok(((await onErl("nodes()")) as Term[]).includes(node.name));
    assert.equal(await node.ping(`nobody_${process.pid}@127.0.0.1`), "pang");
  });

  test("messages both ways: every term kind arrives equal, and comes back equal", async () => {
    const terms = [
      '{ok, 42, -7, 1234567890123456789012, 3.5, 1.0, <<"bin">>, <<1:3>>, [1,2|x], "str", [], #{a => 1, <<"k">> => {t}}}',
      "{[], <<>>, 'UPPER', 'ünïcødé', [{nested, [deep, [deeper]]}], #{}}",
    ];
    const echo = node.runtime.spawn(async (self) => {
      for (;;) {
        const m = (await self.receive()) as Tuple;
        self.send(m.at(0) as Pid, tuple(atom("echo"), m.at(1)!));
      }
    });
    node.runtime.register(atom("echo"), echo);
    for (const text of terms) {
      const back = await onErl(
        `{echo, Otter} ! {self(), T}, receive {echo, R} -> {R =:= T, R} after 5000 -> timeout end`,
        { T: parse(text) },
      );
      assert.ok(back instanceof Tuple, `no answer for ${text}: ${format(back)}`);
      assert.equal(back.at(0), true, `erl got back ${format(back.at(1)!)} for ${text}`);
    }
  });

  test("gen_server:call from erl to an Otter GenServer, and GenServer.call from Otter to erl", async () => {
    const adder: GenServerCallbacks<number, number, Term, Term, Term> = {
      init: (_self, n) => ({ state: n }),
      handleCall: (_self, request, _from, n) => ({ reply: n + (request as number), state: n + (request as number) }),
    };
    const started = await GenServer.start(node.runtime, adder, 10, { name: atom("adder") });
    assert.ok("pid" in started);
    assert.equal(await onErl("gen_server:call({adder, Otter}, 5)"), 15);
    assert.equal(await onErl("gen_server:call({adder, Otter}, 1)"), 16);
    // An older node's call: a plain ref as the tag, and the reply to the caller's pid.
    assertTerm(
      await onErl(
        "Tag = make_ref(), {adder, Otter} ! {'$gen_call', {self(), Tag}, 4}, receive {Tag, R} -> {ok, R} after 5000 -> timeout end",
      ),
      tuple(atom("ok"), 20),
    );
    const apps = await node.runtime.run((self) =>
      GenServer.call(self, { name: atom("application_controller"), node: atom(erl.name) }, atom("which_applications")),
    );
    assert.ok(Array.isArray(apps) && apps.some((a) => a instanceof Tuple && a.at(0) === atom("kernel")));
  });

  test("GenServer.multiCall reaches erl's and this node's net_kernel; a node that is not there is bad; abcast", async () => {
    const bogus = atom(`nobody_${process.pid}@127.0.0.1`);
    const erlNode = atom(erl.name);
    const result = await node.runtime.run((self) =>
      GenServer.multiCall(self, atom("net_kernel"), tuple(atom("is_auth"), node.name), {
        nodes: [erlNode, node.name, bogus],
        timeout: 5000,
      }),
    );
    assert.deepEqual(result.replies, [
      { node: erlNode, reply: atom("yes") },
      { node: node.name, reply: atom("yes") },
    ]);
    assert.deepEqual(result.badNodes, [bogus]);

    let casts = 0;
    const counter: GenServerCallbacks<null, undefined, Term, Term, Term> = {
      init: () => ({ state: null }),
      handleCast: () => {
        casts++;
        return { state: null };
      },
    };
    await GenServer.start(node.runtime, counter, undefined, { name: atom("cast_counter") });
    GenServer.abcast(node.runtime, atom("cast_counter"), atom("hi"), [node.name, erlNode]);
    await node.runtime.idle();
    assert.equal(casts, 1, "this node's server got the cast; erl has no such name and drops it");
  });

  test("rpc:call and erpc:call from erl run exported functions; undef and raises come back as on the BEAM", async () => {
    node.exportModule("calc", {
      add: (_self, a, b) => (a as number) + (b as number),
      fail: (_self) => {
        throw new ProcessExit(atom("bad_day"));
      },
    });
    assert.equal(await onErl("rpc:call(Otter, calc, add, [2, 3])"), 5);
    assert.equal(await onErl("erpc:call(Otter, calc, add, [20, 22])"), 42);
    assert.equal(await onErl("rpc:call(Otter, erlang, node, [])"), node.name);
    assertTerm(
      await onErl("try erpc:call(Otter, calc, nope, []) catch error:{exception, R, _} -> R end"),
      atom("undef"),
    );
    assertTerm(await onErl("try erpc:call(Otter, calc, fail, []) catch exit:{exception, R} -> R end"), atom("bad_day"));
    const badrpc = (await onErl("rpc:call(Otter, calc, nope, [1])")) as Tuple;
    assert.equal(badrpc.at(0), atom("badrpc"));
  });

  test("monitors across nodes: erl sees an Otter process go down, Otter sees erl's", async () => {
    const victim = node.runtime.spawn(async (self) => {
      await self.receive();
      throw new ProcessExit(atom("told_to"));
    });
    const reason = await onErl(
      `Ref = erlang:monitor(process, Victim), Victim ! go,
       receive {'DOWN', Ref, process, Victim, R} -> R after 5000 -> timeout end`,
      { Victim: victim },
    );
    assert.equal(reason, atom("told_to"));

    const erlPid = (await onErl("spawn(fun() -> receive stop -> exit(done) end end)")) as Pid;
    const down = await node.runtime.run(async (self) => {
      self.monitor(erlPid);
      self.send(erlPid, atom("stop"));
      return self.receive((m) => m instanceof Tuple && m.at(0) === DOWN, { timeout: 5000 });
    });
    assertTerm(down as Term, tuple(DOWN, (down as Tuple).at(1)!, atom("process"), erlPid, atom("done")));
  });

  test("a killed BEAM node: links and monitors toward it fire noconnection, and the Otter node lives on", async () => {
    const doomed = await ErlNode.start({ cookie, epmdPort, startEpmd: false });
    try {
      const erlPid = (await doomed.eval("spawn(fun() -> receive _ -> ok end end)")) as Pid;
      const seen = node.runtime.run(async (self) => {
        self.monitor(erlPid);
        return self.receive((m) => m instanceof Tuple && m.at(0) === DOWN, { timeout: 10_000 });
      });
      // The monitor went out before the kill: wait until erl's process has a monitor.
      for (let i = 0; i < 500; i++) {
        const monitors = (await doomed.eval("element(2, process_info(P, monitored_by))", {
          bindings: { P: erlPid },
        })) as Term[];
        if (monitors.length > 0) break;
        await new Promise((r) => setImmediate(r));
      }
      process.kill(doomed.osPid!, "SIGKILL");
      const down = (await seen) as Tuple;
      assert.equal(down.at(4), atom("noconnection"));
      assert.equal(await node.ping(erl.name), "pong");
    } finally {
      await doomed.stop();
    }
  });
});
