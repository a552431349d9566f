// Control messages: the forms chosen for the negotiated flags, parsing every form, and refusing every malformed
// tuple of distribution_SUITE's bad_dist_structure (and more) with DIST_PROTOCOL, never a half-valid message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { DFlag } from "../../../src/dist/flags.ts";
import type { ControlMessage } from "../../../src/dist/wire/control.ts";
import { controlTerms } from "../../../src/dist/wire/control-terms.ts";
import { parseControl } from "../../../src/dist/wire/parse-control.ts";
import { DistError, ErrorCodes } from "../../../src/errors.ts";
import { atom, equals, Pid, Ref, type Term, Tuple, tuple } from "../../../src/index.ts";
import { arbTerm } from "../../support/arbitraries.ts";
import {
  arbControlMessage,
  asReceived,
  assertSameMessage,
  BAD_DIST_STRUCTURE,
  OTP_FLAGS,
  PASS_THROUGH_FLAGS,
  sameMessage,
} from "./wire-fixtures.ts";

const peerPid = new Pid(atom("offender@host"), 77, 0, 3);
const localPid = new Pid(atom("victim@host"), 88, 0, 4);
const ref = new Ref(atom("victim@host"), 4, [1, 2, 3]);
const token = tuple(atom("token"), 1);
const empty = atom("");
const normal = atom("normal");

function terms(msg: ControlMessage, flags: bigint): Term[] {
  const { control, payload } = controlTerms(msg, flags);
  return payload === undefined ? [control] : [control, payload];
}

function assertTerms(actual: Term[], expected: Term[]): void {
  assert.equal(actual.length, expected.length, "control and payload count");
  for (const [i, t] of expected.entries()) assert.ok(equals(actual[i]!, t), `term ${i} differs`);
}

function assertProtocolError(f: () => unknown, what: string): void {
  assert.throws(
    f,
    (e: unknown) => e instanceof DistError && e.code === ErrorCodes.DIST_PROTOCOL,
    `${what}: expected DIST_PROTOCOL`,
  );
}

describe("controlTerms chooses OTP's forms for the flags", () => {
  const bare = PASS_THROUGH_FLAGS;
  const msg = atom("hello");

  test("send: SEND_SENDER (and _TT) when negotiated, else SEND with '' (and SEND_TT)", () => {
    const send: ControlMessage = { op: "send", from: peerPid, to: localPid, message: msg };
    assertTerms(terms(send, bare | DFlag.SEND_SENDER), [tuple(22, peerPid, localPid), msg]);
    assertTerms(terms({ ...send, token }, bare | DFlag.SEND_SENDER), [tuple(23, peerPid, localPid, token), msg]);
    assertTerms(terms(send, bare), [tuple(2, empty, localPid), msg]);
    assertTerms(terms({ ...send, token }, bare), [tuple(12, empty, localPid, token), msg]);
    assertTerms(terms({ ...send, from: undefined }, bare | DFlag.SEND_SENDER), [tuple(2, empty, localPid), msg]);
  });

  test("reg_send: {6, From, '', Name} and {16, From, '', Name, Token}", () => {
    const reg: ControlMessage = { op: "reg_send", from: peerPid, to: atom("rex"), message: msg };
    assertTerms(terms(reg, bare), [tuple(6, peerPid, empty, atom("rex")), msg]);
    assertTerms(terms({ ...reg, token }, bare), [tuple(16, peerPid, empty, atom("rex"), token), msg]);
  });

  test("exit, exit2, monitor_exit: the PAYLOAD_ forms with EXIT_PAYLOAD, the reason inside the tuple without", () => {
    const reason = tuple(atom("shutdown"), 1);
    const exit: ControlMessage = { op: "exit", from: peerPid, to: localPid, reason };
    const exit2: ControlMessage = { op: "exit2", from: peerPid, to: localPid, reason };
    const down: ControlMessage = { op: "monitor_exit", from: peerPid, to: localPid, ref, reason };
    const withPayload = bare | DFlag.EXIT_PAYLOAD;
    assertTerms(terms(exit, withPayload), [tuple(24, peerPid, localPid), reason]);
    assertTerms(terms({ ...exit, token }, withPayload), [tuple(25, peerPid, localPid, token), reason]);
    assertTerms(terms(exit, bare), [tuple(3, peerPid, localPid, reason)]);
    assertTerms(terms({ ...exit, token }, bare), [tuple(13, peerPid, localPid, token, reason)]);
    assertTerms(terms(exit2, withPayload), [tuple(26, peerPid, localPid), reason]);
    assertTerms(terms({ ...exit2, token }, withPayload), [tuple(27, peerPid, localPid, token), reason]);
    assertTerms(terms(exit2, bare), [tuple(8, peerPid, localPid, reason)]);
    assertTerms(terms({ ...exit2, token }, bare), [tuple(18, peerPid, localPid, token, reason)]);
    assertTerms(terms(down, withPayload), [tuple(28, peerPid, localPid, ref), reason]);
    assertTerms(terms(down, bare), [tuple(21, peerPid, localPid, ref, reason)]);
  });

  test("alias_send: ALIAS_SEND(_TT), or ALTACT_SIG_SEND with the alias flag when ALTACT_SIG is negotiated", () => {
    const alias: ControlMessage = { op: "alias_send", from: peerPid, to: ref, message: msg };
    assertTerms(terms(alias, bare | DFlag.ALIAS), [tuple(33, peerPid, ref), msg]);
    assertTerms(terms({ ...alias, token }, bare | DFlag.ALIAS), [tuple(34, peerPid, ref, token), msg]);
    assertTerms(terms(alias, bare | DFlag.ALTACT_SIG), [tuple(37, 4, peerPid, ref), msg]);
    assertTerms(terms({ ...alias, token }, bare | DFlag.ALTACT_SIG), [tuple(37, 4 | 2, peerPid, ref, token), msg]);
  });

  test("altact_sig_send: flags say what `to` is, priority, exit and token", () => {
    const base = { op: "altact_sig_send" as const, from: peerPid, payload: msg, exit: false, priority: false };
    assertTerms(terms({ ...base, to: localPid }, OTP_FLAGS), [tuple(37, 0, peerPid, localPid), msg]);
    assertTerms(terms({ ...base, to: atom("n"), priority: true }, OTP_FLAGS), [
      tuple(37, 8 | 1, peerPid, atom("n")),
      msg,
    ]);
    assertTerms(terms({ ...base, to: ref, exit: true, token }, OTP_FLAGS), [
      tuple(37, 4 | 16 | 2, peerPid, ref, token),
      msg,
    ]);
  });

  test("the rest: one form each (and _TT for spawn)", () => {
    const mfa = tuple(atom("m"), atom("f"), 2);
    const spawn: ControlMessage = {
      op: "spawn_request",
      ref,
      from: peerPid,
      groupLeader: peerPid,
      module: atom("m"),
      function: atom("f"),
      arity: 2,
      options: [atom("link")],
      args: [1, 2],
    };
    assertTerms(terms({ op: "link", from: peerPid, to: localPid }, bare), [tuple(1, peerPid, localPid)]);
    assertTerms(terms({ op: "group_leader", leader: peerPid, to: localPid }, bare), [tuple(7, peerPid, localPid)]);
    assertTerms(terms({ op: "monitor", from: peerPid, to: atom("n"), ref }, bare), [
      tuple(19, peerPid, atom("n"), ref),
    ]);
    assertTerms(terms({ op: "demonitor", from: peerPid, to: localPid, ref }, bare), [
      tuple(20, peerPid, localPid, ref),
    ]);
    assertTerms(terms(spawn, bare), [tuple(29, ref, peerPid, peerPid, mfa, [atom("link")]), [1, 2]]);
    assertTerms(terms({ ...spawn, token }, bare), [
      tuple(30, ref, peerPid, peerPid, mfa, [atom("link")], token),
      [1, 2],
    ]);
    const reply: ControlMessage = { op: "spawn_reply", ref, to: localPid, flags: 3, result: peerPid };
    assertTerms(terms(reply, bare), [tuple(31, ref, localPid, 3, peerPid)]);
    assertTerms(terms({ ...reply, token }, bare), [tuple(32, ref, localPid, 3, peerPid, token)]);
    assertTerms(terms({ op: "unlink_id", id: 5n, from: peerPid, to: localPid }, bare), [
      tuple(35, 5, peerPid, localPid),
    ]);
    assertTerms(terms({ op: "unlink_id_ack", id: 2n ** 64n - 1n, from: peerPid, to: localPid }, bare), [
      tuple(36, 2n ** 64n - 1n, peerPid, localPid),
    ]);
  });
});

describe("parseControl", () => {
  test("reads back whatever controlTerms writes, under any flags", () => {
    const flags = fc.constantFrom(PASS_THROUGH_FLAGS, OTP_FLAGS, PASS_THROUGH_FLAGS | DFlag.ALTACT_SIG);
    fc.assert(
      fc.property(arbControlMessage, flags, (msg, f) => {
        const { control, payload } = controlTerms(msg, f);
        return sameMessage(parseControl(control, payload), asReceived(msg, f));
      }),
      { numRuns: 2000 },
    );
  });

  test("atoms that decode as booleans are atoms in atom fields", () => {
    const parsed = parseControl(tuple(6, peerPid, empty, true), 1);
    assertSameMessage(parsed, { op: "reg_send", from: peerPid, to: atom("true"), message: 1 });
  });

  test("ALTACT_SIG_SEND: a bignum of flags, extra elements, unknown flag bits are accepted", () => {
    const parsed = parseControl(tuple(37, (1n << 70n) | 1n | 2n, peerPid, localPid, token, atom("future")), 5);
    assertSameMessage(parsed, {
      op: "altact_sig_send",
      from: peerPid,
      to: localPid,
      payload: 5,
      exit: false,
      priority: true,
      token,
    });
    assert.equal(parseControl(tuple(37, 0x80, peerPid, localPid), 5).op, "altact_sig_send");
  });
});

describe("refuses malformed control messages with DIST_PROTOCOL", () => {
  const badDistStructure = BAD_DIST_STRUCTURE(peerPid, localPid, ref);
  test(`every tuple of distribution_SUITE:bad_dist_structure (${badDistStructure.length})`, () => {
    for (const [control, payload] of badDistStructure) {
      assertProtocolError(() => parseControl(control, payload), `{${control.elements.join(", ")}}`);
    }
  });

  test("not a tuple, an empty tuple, an op that is no integer or no operation, UNLINK, NODE_LINK", () => {
    for (const control of [atom("link"), [1, peerPid, localPid], tuple(), tuple(atom("link"), peerPid, localPid)]) {
      assertProtocolError(() => parseControl(control, undefined), String(control));
    }
    for (const op of [0, 5, 9, 10, 11, 14, 15, 17, 38, 255, 1.5, -1, 2n ** 70n]) {
      assertProtocolError(() => parseControl(tuple(op, peerPid, localPid), undefined), `op ${op}`);
    }
    assertProtocolError(() => parseControl(tuple(4, peerPid, localPid), undefined), "UNLINK");
  });

  test("a payload missing where one belongs, or present where none does", () => {
    assertProtocolError(() => parseControl(tuple(22, peerPid, localPid), undefined), "SEND_SENDER without message");
    assertProtocolError(() => parseControl(tuple(24, peerPid, localPid), undefined), "PAYLOAD_EXIT without reason");
    assertProtocolError(() => parseControl(tuple(1, peerPid, localPid), atom("extra")), "LINK with payload");
    assertProtocolError(() => parseControl(tuple(3, peerPid, localPid, normal), normal), "EXIT with payload");
  });

  test("ids, flags and other fields out of their range or of the wrong type", () => {
    const mfa = tuple(atom("m"), atom("f"), 0);
    const cases: [string, Tuple, Term | undefined][] = [
      ["UNLINK_ID id 0", tuple(35, 0, peerPid, localPid), undefined],
      ["UNLINK_ID id -1", tuple(35, -1, peerPid, localPid), undefined],
      ["UNLINK_ID id 2^64", tuple(35, 2n ** 64n, peerPid, localPid), undefined],
      ["UNLINK_ID id a float", tuple(35, 1.5, peerPid, localPid), undefined],
      ["UNLINK_ID_ACK id an atom", tuple(36, normal, peerPid, localPid), undefined],
      ["UNLINK_ID from a ref", tuple(35, 1, ref, localPid), undefined],
      ["SPAWN_REPLY flags 2^27", tuple(31, ref, localPid, 2 ** 27, peerPid), undefined],
      ["SPAWN_REPLY flags -1", tuple(31, ref, localPid, -1, peerPid), undefined],
      ["SPAWN_REPLY result a ref", tuple(31, ref, localPid, 0, ref), undefined],
      ["SPAWN_REPLY ref a pid", tuple(31, peerPid, localPid, 0, peerPid), undefined],
      ["SPAWN_REQUEST mfa of 2", tuple(29, ref, peerPid, peerPid, tuple(atom("m"), atom("f")), []), []],
      ["SPAWN_REQUEST arity -1", tuple(29, ref, peerPid, peerPid, tuple(atom("m"), atom("f"), -1), []), []],
      ["SPAWN_REQUEST module 1", tuple(29, ref, peerPid, peerPid, tuple(1, atom("f"), 0), []), []],
      ["SPAWN_REQUEST options improper", tuple(29, ref, peerPid, peerPid, mfa, atom("x")), []],
      ["SPAWN_REQUEST args not a list", tuple(29, ref, peerPid, peerPid, mfa, []), atom("x")],
      ["SPAWN_REQUEST group leader an atom", tuple(29, ref, peerPid, normal, mfa, []), []],
      ["ALIAS_SEND alias a pid", tuple(33, peerPid, localPid), 1],
      ["ALIAS_SEND from an atom", tuple(33, normal, ref), 1],
      ["MONITOR_P to a ref", tuple(19, peerPid, ref, ref), undefined],
      ["DEMONITOR_P from an atom", tuple(20, normal, localPid, ref), undefined],
      ["MONITOR_P_EXIT to an atom", tuple(21, peerPid, normal, ref, normal), undefined],
      ["PAYLOAD_MONITOR_P_EXIT ref an atom", tuple(28, peerPid, localPid, normal), normal],
      ["ALTACT_SIG_SEND of 3", tuple(37, 0, peerPid), 1],
      ["ALTACT_SIG_SEND flags -1", tuple(37, -1, peerPid, localPid), 1],
      ["ALTACT_SIG_SEND flags an atom", tuple(37, normal, peerPid, localPid), 1],
      ["ALTACT_SIG_SEND token flag without token", tuple(37, 2, peerPid, localPid), 1],
      ["ALTACT_SIG_SEND alias and name", tuple(37, 4 | 8, peerPid, ref), 1],
      ["ALTACT_SIG_SEND alias flag, pid", tuple(37, 4, peerPid, localPid), 1],
      ["ALTACT_SIG_SEND name flag, pid", tuple(37, 8, peerPid, localPid), 1],
      ["ALTACT_SIG_SEND no flag, ref", tuple(37, 0, peerPid, ref), 1],
      ["ALTACT_SIG_SEND from an atom", tuple(37, 0, normal, localPid), 1],
      ["ALTACT_SIG_SEND without payload", tuple(37, 0, peerPid, localPid), undefined],
    ];
    for (const [what, control, payload] of cases) assertProtocolError(() => parseControl(control, payload), what);
  });

  test("any tuple of random elements, or a valid one with an element replaced: a message or DIST_PROTOCOL", () => {
    const element = fc.oneof(
      arbTerm({ maxDepth: 1, maxLength: 3 }),
      fc.constantFrom<Term>(peerPid, localPid, ref, normal, 0, 1, 2n ** 64n),
    );
    const check = (control: Term, payload: Term | undefined): boolean => {
      try {
        parseControl(control, payload);
        return true;
      } catch (e) {
        return e instanceof DistError && e.code === ErrorCodes.DIST_PROTOCOL;
      }
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.array(element, { maxLength: 7 }),
        fc.option(element, { nil: undefined }),
        (op, rest, payload) => check(new Tuple([op, ...rest]), payload),
      ),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(arbControlMessage, fc.nat(), element, (msg, at, replacement) => {
        const { control, payload } = controlTerms(msg, OTP_FLAGS);
        const elements = [...control.elements];
        elements[1 + (at % (elements.length - 1))] = replacement;
        return check(new Tuple(elements), payload);
      }),
      { numRuns: 3000 },
    );
  });
});
