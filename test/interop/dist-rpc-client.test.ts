// erpc and rpc from an Otter node into a real erl node and into another Otter node: values, the exceptions
// erpc:call raises as typed ErpcErrors (throw, exit, error, undef, a killed process, timeout, an unreachable
// node, bad arguments), the `{badrpc, …}` forms of rpc:call (checked against erl's own rpc:call where it can give
// the same), casts, and `notsup` from a peer without DFLAG_SPAWN (answered here, never sent).
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { portPlease } from "../../src/dist/epmd/client.ts";
import { advertisedFlags, DFlag } from "../../src/dist/flags.ts";
import { initiate } from "../../src/dist/handshake/index.ts";
import {
  atom,
  ErlangThrow,
  ErpcError,
  ErrorCodes,
  erpc,
  type Process,
  ProcessError,
  ProcessExit,
  rpc,
  type Term,
  type Tuple,
  tuple,
} from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import type { ErlNode } from "../../src/testing/erl-node.ts";
import { type NodeBesideErl, startNodeBesideErl, uniqueNodeName } from "../support/dist.ts";
import { assertTerm, elements } from "../support/runtime.ts";

const BADRPC = atom("badrpc");
const EXIT = atom("EXIT");
const EXCEPTION = atom("exception");
/** A node no EPMD knows: connecting to it fails at once. */
const NOBODY = "nobody_here@127.0.0.1";

let pair: NodeBesideErl;
let node: OtterNode;
let erl: ErlNode;

before(async () => {
  pair = await startNodeBesideErl("otter_rpcc", { runtime: { logger: () => {} } });
  ({ node, erl } = pair);
});

after(() => pair?.stop());

/** Runs `body` in a process of the Otter node. */
function inProcess<T>(body: (self: Process) => Promise<T>): Promise<T> {
  return node.runtime.run(body);
}

/** Asserts that `promise` rejects with an ErpcError of `code`, `class` and (if given) `reason`; returns it. */
async function erpcFailure(
  promise: Promise<unknown>,
  code: string,
  erlangClass: string,
  reason?: Term,
): Promise<ErpcError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ErpcError, `expected an ErpcError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.class, erlangClass);
    if (reason !== undefined) assertTerm(e.reason as Term, reason);
    return e;
  }
  assert.fail("expected an ErpcError");
}

describe("erpc.call from Otter into erl", () => {
  test("returns what the function returns: erlang:node/0, lists:reverse/1, a binary", async () => {
    const [name, reversed, bin] = await inProcess(async (self) => [
      await erpc.call(self, erl.name, "erlang", "node", []),
      await erpc.call(self, atom(erl.name), atom("lists"), atom("reverse"), [[1, 2, 3]]),
      await erpc.call(self, erl.name, "erlang", "list_to_binary", [[104, 105]], { timeout: 5000 }),
    ]);
    assert.equal(name, atom(erl.name));
    assertTerm(reversed, [3, 2, 1]);
    assertTerm(bin, Buffer.from("hi"));
  });

  test("a remote throw, exit and error raise with erpc's class and reason", async () => {
    await erpcFailure(
      node.erpc.call(erl.name, "erlang", "throw", [atom("oops")]),
      "ERPC_EXCEPTION",
      "throw",
      atom("oops"),
    );
    await erpcFailure(
      node.erpc.call(erl.name, "erlang", "exit", [atom("bye")]),
      "ERPC_EXCEPTION",
      "exit",
      tuple(EXCEPTION, atom("bye")),
    );
    const error = await erpcFailure(
      node.erpc.call(erl.name, "erlang", "error", [atom("badarith")]),
      "ERPC_EXCEPTION",
      "error",
    );
    const [what, reason, stack] = elements(error.reason as Term);
    assert.equal(what, EXCEPTION);
    assert.equal(reason, atom("badarith"));
    assert.ok(Array.isArray(stack), "the stack trace, as try/catch gives it");
  });

  test("an undefined function raises error {exception, undef, [{M, F, Args, _} | _]}", async () => {
    const error = await erpcFailure(node.erpc.call(erl.name, "no_such_module", "f", [1]), "ERPC_EXCEPTION", "error");
    const [, reason, stack] = elements(error.reason as Term);
    assert.equal(reason, atom("undef"));
    assertTerm(elements((stack as Term[])[0]).slice(0, 3), [atom("no_such_module"), atom("f"), [1]]);
  });

  test("a process killed by a signal raises exit {signal, Reason}", async () => {
    const suicide = await erl.eval("fun() -> exit(self(), kill) end");
    await erpcFailure(
      node.erpc.call(erl.name, "erlang", "apply", [suicide, []]),
      "ERPC_SIGNAL",
      "exit",
      tuple(atom("signal"), atom("killed")),
    );
  });

  test("no answer within the timeout raises {erpc, timeout}; the caller's queue stays clean", async () => {
    const queued = await inProcess(async (self) => {
      await erpcFailure(
        erpc.call(self, erl.name, "timer", "sleep", [10_000], { timeout: 50 }),
        "ERPC_TIMEOUT",
        "error",
        tuple(atom("erpc"), atom("timeout")),
      );
      // The same node still answers, and nothing of the abandoned call reaches this process.
      assert.equal(await erpc.call(self, erl.name, "erlang", "node", []), atom(erl.name));
      return node.runtime.processInfo(self.pid)!.messageQueueLen;
    });
    assert.equal(queued, 0);
  });

  test("an unreachable node raises {erpc, noconnection}", async () => {
    await erpcFailure(
      node.erpc.call(NOBODY, "erlang", "node", []),
      "ERPC_NOCONNECTION",
      "error",
      tuple(atom("erpc"), atom("noconnection")),
    );
  });

  test("bad arguments raise {erpc, badarg} before anything is sent", async () => {
    const badarg = tuple(atom("erpc"), atom("badarg"));
    await erpcFailure(node.erpc.call(erl.name, "erlang", "node", tuple(1) as never), "ERPC_BADARG", "error", badarg);
    await erpcFailure(node.erpc.call(erl.name, "erlang", "node", [], { timeout: -1 }), "ERPC_BADARG", "error", badarg);
    await erpcFailure(node.erpc.call(erl.name, 42 as never, "node", []), "ERPC_BADARG", "error", badarg);
  });

  test("erpc.cast runs the function on erl and returns at once", async () => {
    const got = await inProcess(async (self) => {
      erpc.cast(self, erl.name, "erlang", "send", [self.pid, tuple(atom("cast"), 1)]);
      return self.receive(undefined, { timeout: 5000 });
    });
    assertTerm(got, tuple(atom("cast"), 1));
  });
});

describe("rpc.call from Otter into erl", () => {
  /** What erl's own rpc:call gives for `M:F(Args)` on itself (the same erpc path, so the same forms). */
  function erlRpc(call: string): Promise<Term> {
    return erl.eval(`rpc:call(node(), ${call}, 5000)`);
  }

  test("the value, a thrown value as if returned, and {badrpc, …} for exits, as erl's rpc:call gives them", async () => {
    const cases: [string, string, string, Term[]][] = [
      ["erlang, node, []", "erlang", "node", []],
      ["erlang, throw, [thrown]", "erlang", "throw", [atom("thrown")]],
      ["erlang, throw, [{'EXIT', t}]", "erlang", "throw", [tuple(EXIT, atom("t"))]],
      ["erlang, exit, [bye]", "erlang", "exit", [atom("bye")]],
      ["erlang, list_to_tuple, [['EXIT', r]]", "erlang", "list_to_tuple", [[EXIT, atom("r")]]],
    ];
    for (const [erlCall, m, f, args] of cases) {
      const ours = await node.rpc.call(erl.name, m, f, args);
      assertTerm(ours, await erlRpc(erlCall), erlCall);
    }
    assertTerm(await node.rpc.call(erl.name, "erlang", "exit", [atom("bye")]), tuple(BADRPC, tuple(EXIT, atom("bye"))));
  });

  test("an error gives {badrpc, {'EXIT', {Reason, Stack}}}, an undefined function {badrpc, {'EXIT', {undef, …}}}", async () => {
    for (const [m, f, args, reason] of [
      ["erlang", "error", [atom("badarith")], atom("badarith")],
      ["no_such_module", "f", [], atom("undef")],
    ] as const) {
      const [badrpc, exit] = elements(await node.rpc.call(erl.name, m, f, [...args]));
      assert.equal(badrpc, BADRPC);
      const [tag, what] = elements(exit);
      assert.equal(tag, EXIT);
      const [why, stack] = elements(what);
      assert.equal(why, reason);
      assert.ok(Array.isArray(stack));
    }
  });

  test("timeout and an unreachable node give {badrpc, timeout} and {badrpc, nodedown}", async () => {
    const [slow, nobody] = await inProcess(async (self) => [
      await rpc.call(self, erl.name, "timer", "sleep", [10_000], 50),
      await rpc.call(self, NOBODY, "erlang", "node", []),
    ]);
    assertTerm(slow, tuple(BADRPC, atom("timeout")));
    assertTerm(nobody, tuple(BADRPC, atom("nodedown")));
  });

  test("bad arguments throw PROC_BAD_ARG (rpc:call's badarg); rpc.cast returns true and runs the function", async () => {
    await assert.rejects(
      node.rpc.call(erl.name, "erlang", "node", [], -5),
      (e: unknown) => e instanceof ProcessError && e.code === ErrorCodes.PROC_BAD_ARG,
    );
    const [cast, got] = await inProcess(async (self) => [
      rpc.cast(self, erl.name, "erlang", "send", [self.pid, atom("rpc_cast")]),
      await self.receive(undefined, { timeout: 5000 }),
    ]);
    assert.equal(cast, true);
    assert.equal(got, atom("rpc_cast"));
  });
});

describe("a node without DFLAG_SPAWN", () => {
  test("is not sent the request: spawnRequest answers notsup, erpc raises {erpc, notsup}, rpc gives {badrpc, notsup}", async () => {
    // A peer that did the handshake offering everything but SPAWN (as an erl_interface C node does).
    const name = uniqueNodeName("nospawn");
    const info = await portPlease(node.name.name.split("@")[0]!, { host: "127.0.0.1", port: pair.epmdPort });
    const raw = connect({ host: "127.0.0.1", port: info!.port });
    await new Promise((resolve, reject) => raw.once("connect", resolve).once("error", reject));
    const flags = advertisedFlags() & ~(DFlag.SPAWN | DFlag.DIST_HDR_ATOM_CACHE | DFlag.FRAGMENTS);
    const { socket } = await initiate(raw, {
      self: { name, creation: 5, flags },
      peer: node.name.name,
      cookie: pair.cookie,
      timeoutMs: 5000,
    });
    socket.on("error", () => {});
    socket.resume();
    try {
      const [reqId, answer] = await inProcess(async (self) => {
        const reqId = self.spawnRequest(atom(name), atom("erlang"), atom("node"), []);
        return [reqId, await self.receive(undefined, { timeout: 5000 })] as const;
      });
      assertTerm(answer, tuple(atom("spawn_reply"), reqId, atom("error"), atom("notsup")));
      await erpcFailure(
        node.erpc.call(name, "erlang", "node", []),
        "ERPC_FAILED",
        "error",
        tuple(atom("erpc"), atom("notsup")),
      );
      assertTerm(await node.rpc.call(name, "erlang", "node", []), tuple(BADRPC, atom("notsup")));
      assert.ok(node.nodes().includes(atom(name)), "the connection stays up");
    } finally {
      socket.destroy();
    }
  });
});

describe("erpc and rpc between two Otter nodes", () => {
  let other: OtterNode;

  before(async () => {
    other = await startNode({
      name: uniqueNodeName("otter_rpcc_b"),
      cookie: pair.cookie,
      epmdPort: pair.epmdPort,
      listen: { host: "127.0.0.1" },
      runtime: { logger: () => {} },
    });
    const jobs = {
      double: (_self: Process, n: Term) => (n as number) * 2,
      throws: (_self: Process, value: Term) => {
        throw new ErlangThrow(value);
      },
      exits: (_self: Process, reason: Term) => {
        throw new ProcessExit(reason);
      },
      fails: () => {
        throw new TypeError("no way");
      },
      slow: async (self: Process) => self.receive((m) => m === atom("never")),
    };
    other.exportModule("jobs", jobs);
    node.exportModule("jobs", jobs);
  });

  after(() => other?.stop());

  test("erpc.call runs an exported function there, and on the calling node itself", async () => {
    const [there, here, name] = await inProcess(async (self) => [
      await erpc.call(self, other.name, "jobs", "double", [21]),
      await erpc.call(self, node.name, "jobs", "double", [4]),
      await erpc.call(self, other.name, "erlang", "node", []),
    ]);
    assert.equal(there, 42);
    assert.equal(here, 8);
    assert.equal(name, other.name);
  });

  test("what the exported function raises comes back with its class", async () => {
    await erpcFailure(node.erpc.call(other.name, "jobs", "throws", [atom("t")]), "ERPC_EXCEPTION", "throw", atom("t"));
    await erpcFailure(
      node.erpc.call(other.name, "jobs", "exits", [atom("e")]),
      "ERPC_EXCEPTION",
      "exit",
      tuple(EXCEPTION, atom("e")),
    );
    const error = await erpcFailure(node.erpc.call(other.name, "jobs", "fails", []), "ERPC_EXCEPTION", "error");
    assert.equal((error.reason as Tuple).at(0), EXCEPTION);
    await erpcFailure(node.erpc.call(other.name, "jobs", "slow", [], { timeout: 20 }), "ERPC_TIMEOUT", "error");
  });

  test("rpc.call gives the value or {badrpc, …} for an Otter node too", async () => {
    assert.equal(await node.rpc.call(other.name, "jobs", "double", [5]), 10);
    assertTerm(await node.rpc.call(other.name, "jobs", "exits", [atom("x")]), tuple(BADRPC, tuple(EXIT, atom("x"))));
    const [badrpc, exit] = elements(await node.rpc.call(other.name, "jobs", "nope", []));
    assert.equal(badrpc, BADRPC);
    assert.equal(elements(elements(exit)[1])[0], atom("undef"));
  });
});
