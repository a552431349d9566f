// The erl term oracle itself: answers, queueing, typed errors, deadlines, and that erl always goes away.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErlError, ErlOracle } from "../../src/testing/index.ts";

function erlError(code: string, pattern?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ErlError, `not an ErlError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  };
}

describe("ErlOracle", () => {
  let oracle: ErlOracle;
  before(async () => {
    oracle = await ErlOracle.start({ timeoutMs: 10_000 });
  });
  after(async () => {
    await oracle?.stop();
  });

  it("answers term_to_binary of Erlang text, with options", async () => {
    assert.equal(oracle.otpRelease, "25");
    assert.deepEqual([...(await oracle.termToBinary("{ok, 42}"))], [131, 104, 2, 119, 2, 111, 107, 97, 42]);
    assert.deepEqual([...(await oracle.termToBinary("ok", { minorVersion: 1 }))], [131, 100, 0, 2, 111, 107]);
    const compressed = await oracle.termToBinary("lists:duplicate(100, a)", { compressed: 9 });
    assert.deepEqual([...compressed.subarray(0, 2)], [131, 80]);
  });

  it("round-trips bytes, and reports badarg as a value", async () => {
    const legacy = Uint8Array.of(131, 100, 0, 2, 111, 107);
    assert.deepEqual(await oracle.roundTrip(legacy), { ok: true, bytes: Buffer.of(131, 119, 2, 111, 107) });
    assert.deepEqual(await oracle.roundTrip(Uint8Array.of(131, 1)), { ok: false, reason: "badarg" });
    await assert.rejects(oracle.termToBinary(Uint8Array.of(131, 1)), erlError("ERL_BADARG"));
  });

  it("evaluates with bindings, sorts, prints and loads modules", async () => {
    const list = await oracle.termToBinary("[3, b, 1.0, a]");
    assert.deepEqual(await oracle.sort(list), await oracle.termToBinary("[1.0, 3, a, b]"));
    assert.deepEqual(
      await oracle.eval("{L, length(L)}", { L: list }),
      await oracle.termToBinary("{[3, b, 1.0, a], 4}"),
    );
    assert.equal(await oracle.print(list), "[3,b,1.0,a]");
    assert.equal(await oracle.print('<<"ä"/utf8>>'), '<<"ä"/utf8>>');
    assert.equal(await oracle.loadModule("-module(oracle_t).\n-export([f/0]).\nf() -> 7.\n"), "oracle_t");
    assert.deepEqual([...(await oracle.eval("oracle_t:f()"))], [131, 97, 7]);
  });

  it("queues concurrent calls and answers each in order", async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => oracle.eval(String(i))));
    for (const [i, bytes] of answers.entries()) assert.deepEqual([...bytes], [131, 97, i]);
  });

  it("turns Erlang exceptions into ERL_RAISED and keeps serving", async () => {
    await assert.rejects(
      oracle.eval("error(boom)"),
      (e) => erlError("ERL_RAISED", /boom/)(e) && (e as ErlError).erlClass === "error",
    );
    await assert.rejects(oracle.eval("throw(ball)"), erlError("ERL_RAISED", /ball/));
    await assert.rejects(oracle.eval("1 +"), erlError("ERL_RAISED"));
    await assert.rejects(oracle.loadModule("-module(bad).\nf( -> .\n"), erlError("ERL_RAISED"));
    assert.deepEqual([...(await oracle.eval("1"))], [131, 97, 1]);
  });

  it("enforces a per-call deadline inside erl and keeps serving", async () => {
    await assert.rejects(
      oracle.eval("timer:sleep(infinity)", {}, { timeoutMs: 100 }),
      erlError("ERL_TIMEOUT", /100 ms/),
    );
    assert.ok(oracle.alive);
    assert.deepEqual([...(await oracle.eval("2"))], [131, 97, 2]);
  });
});

describe("ErlOracle failures", () => {
  it("says erl is missing and how to install it", async () => {
    await assert.rejects(
      ErlOracle.start({ erl: "/nonexistent/erl" }),
      erlError("ERL_MISSING", /apt-get install -y erlang-nox/),
    );
  });

  it("rejects pending calls when erl exits, and later calls too", async () => {
    const oracle = await ErlOracle.start();
    try {
      await assert.rejects(oracle.eval("erlang:halt(3)"), erlError("ERL_EXITED", /status 3/));
      assert.equal(oracle.alive, false);
      await assert.rejects(oracle.eval("1"), erlError("ERL_EXITED"));
    } finally {
      await oracle.stop();
    }
  });

  it("kills an erl that does not answer even its own deadline", async () => {
    const oracle = await ErlOracle.start({ graceMs: 100 });
    try {
      process.kill(oracle.osPid!, "SIGSTOP");
      await assert.rejects(oracle.eval("1", {}, { timeoutMs: 50 }), erlError("ERL_TIMEOUT", /killed/));
      assert.equal(oracle.alive, false);
    } finally {
      await oracle.stop();
    }
  });

  it("stop() kills erl, rejects what is queued, and is idempotent", async () => {
    const oracle = await ErlOracle.start();
    const pending = oracle.eval("timer:sleep(infinity)");
    const stopped = assert.rejects(pending, erlError("ERL_STOPPED"));
    await oracle.stop();
    await stopped;
    await oracle.stop();
    assert.throws(() => process.kill(oracle.osPid!, 0), /ESRCH/);
    await assert.rejects(oracle.eval("1"), erlError("ERL_STOPPED"));
  });
});
