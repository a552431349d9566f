// Shared by the wire codec tests: flag sets, arbitraries for every control message, frame plumbing, equality.
import assert from "node:assert/strict";
import fc from "fast-check";
import { DFlag, MANDATORY } from "../../../src/dist/flags.ts";
import type { ControlMessage } from "../../../src/dist/wire/control.ts";
import type { OutgoingMessage } from "../../../src/dist/wire/send.ts";
import { atom, equals, type Pid, type Ref, type Term, Tuple, tuple } from "../../../src/index.ts";
import { arbAtom, arbPid, arbRef, arbTerm } from "../../support/arbitraries.ts";

/** OTP 26's mandatory set plus monitors: what a peer without atom cache or fragments negotiates (pass-through). */
export const PASS_THROUGH_FLAGS = MANDATORY | DFlag.DIST_MONITOR | DFlag.DIST_MONITOR_NAME;
/** The header with the atom cache, no fragments. */
export const ATOM_CACHE_FLAGS = PASS_THROUGH_FLAGS | DFlag.DIST_HDR_ATOM_CACHE;
/** Fragments without the atom cache: headers with no atoms. */
export const FRAGMENTS_ONLY_FLAGS = PASS_THROUGH_FLAGS | DFlag.FRAGMENTS;
/** OTP 25's default set as far as the wire codec cares. */
export const OTP_FLAGS =
  PASS_THROUGH_FLAGS |
  DFlag.DIST_HDR_ATOM_CACHE |
  DFlag.FRAGMENTS |
  DFlag.SEND_SENDER |
  DFlag.EXIT_PAYLOAD |
  DFlag.SPAWN |
  DFlag.ALIAS;

/** Every framing the codec chooses between, by name. */
export const FRAMINGS: readonly (readonly [string, bigint])[] = [
  ["pass-through", PASS_THROUGH_FLAGS],
  ["atom cache", ATOM_CACHE_FLAGS],
  ["fragments only", FRAGMENTS_ONLY_FLAGS],
  ["atom cache + fragments", OTP_FLAGS],
];

const smallTerm = arbTerm({ maxDepth: 2, maxLength: 4 });
const anyTerm = arbTerm({ maxDepth: 3, maxLength: 6 });
const token = fc.option(smallTerm, { nil: undefined });
const u64 = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });

/** Every kind of control message, with any field values of the right types. */
export const arbControlMessage: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({ op: fc.constant("link" as const), from: arbPid, to: arbPid }),
  fc.record({
    op: fc.constant("send" as const),
    to: arbPid,
    message: anyTerm,
    from: fc.option(arbPid, { nil: undefined }),
    token,
  }),
  fc.record({ op: fc.constant("reg_send" as const), from: arbPid, to: arbAtom, message: anyTerm, token }),
  fc.record({ op: fc.constant("exit" as const), from: arbPid, to: arbPid, reason: anyTerm, token }),
  fc.record({ op: fc.constant("exit2" as const), from: arbPid, to: arbPid, reason: anyTerm, token }),
  fc.record({ op: fc.constant("group_leader" as const), leader: arbPid, to: arbPid }),
  fc.record({ op: fc.constant("monitor" as const), from: arbPid, to: fc.oneof(arbPid, arbAtom), ref: arbRef }),
  fc.record({ op: fc.constant("demonitor" as const), from: arbPid, to: fc.oneof(arbPid, arbAtom), ref: arbRef }),
  fc.record({
    op: fc.constant("monitor_exit" as const),
    from: fc.oneof(arbPid, arbAtom),
    to: arbPid,
    ref: arbRef,
    reason: anyTerm,
  }),
  fc.record({
    op: fc.constant("spawn_request" as const),
    ref: arbRef,
    from: arbPid,
    groupLeader: arbPid,
    module: arbAtom,
    function: arbAtom,
    arity: fc.integer({ min: 0, max: 255 }),
    options: fc.array(smallTerm, { maxLength: 4 }),
    args: fc.array(anyTerm, { maxLength: 4 }),
    token,
  }),
  fc.record({
    op: fc.constant("spawn_reply" as const),
    ref: arbRef,
    to: arbPid,
    flags: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(2 ** 27 - 1)),
    result: fc.oneof(arbPid, arbAtom),
    token,
  }),
  fc.record({ op: fc.constant("alias_send" as const), from: arbPid, to: arbRef, message: anyTerm, token }),
  fc.record({ op: fc.constant("unlink_id" as const), id: u64, from: arbPid, to: arbPid }),
  fc.record({
    op: fc.constant("unlink_id_ack" as const),
    id: fc.oneof(fc.constant(0n), u64),
    from: arbPid,
    to: arbPid,
  }),
  fc.record({
    op: fc.constant("altact_sig_send" as const),
    from: arbPid,
    to: fc.oneof(arbPid, arbAtom, arbRef),
    payload: anyTerm,
    exit: fc.boolean(),
    priority: fc.boolean(),
    token,
  }),
);

/** What `msg` decodes as on the other side of a connection with `flags`: the forms the flags choose. */
export function asReceived(msg: ControlMessage, flags: bigint): ControlMessage {
  if (msg.op === "send" && (flags & DFlag.SEND_SENDER) === 0n) return { ...msg, from: undefined };
  if (msg.op === "alias_send" && (flags & DFlag.ALTACT_SIG) !== 0n) {
    const { from, to, message, token } = msg;
    return { op: "altact_sig_send", from, to, payload: message, exit: false, priority: false, token };
  }
  return msg;
}

/** Field by field by term equality; an absent field equals an undefined one. */
export function sameMessage(a: ControlMessage, b: ControlMessage): boolean {
  const x = a as unknown as Record<string, Term | undefined>;
  const y = b as unknown as Record<string, Term | undefined>;
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    const u = x[key];
    const v = y[key];
    if (u === undefined || v === undefined ? u !== v : !equals(u, v)) return false;
  }
  return true;
}

export function assertSameMessage(actual: ControlMessage, expected: ControlMessage): void {
  assert.ok(sameMessage(actual, expected), `messages differ:\n${show(actual)}\n${show(expected)}`);
}

function show(m: ControlMessage): string {
  return JSON.stringify(m, (_, v) =>
    typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v,
  );
}

/**
 * Takes every frame of `out`, checks its 4-byte length, and returns the frames without it, as the chunk lists
 * the connection would hand the decoder.
 */
export function framesOf(out: OutgoingMessage): Buffer[][] {
  const frames: Buffer[][] = [];
  for (let f = out.next(); f !== undefined; f = out.next()) frames.push(withoutLength(f));
  return frames;
}

/** A frame's chunks after its length field, which is checked against them. */
export function withoutLength(frame: readonly Buffer[]): Buffer[] {
  const [head, ...rest] = frame;
  assert.ok(head !== undefined && head.length >= 4, "a frame starts with its length");
  const body = [head.subarray(4), ...rest];
  const length = body.reduce((n, c) => n + c.length, 0);
  assert.equal(head.readUInt32BE(0), length, "the length field counts the bytes after it");
  return body;
}

/** The frame as one buffer, as if read from a socket in one piece. */
export function joined(frame: readonly Uint8Array[]): Buffer {
  return Buffer.concat(frame);
}

/**
 * distribution_SUITE:bad_dist_structure, tuple for tuple, as `[control, payload]`: the offender's own pid (`self`)
 * replaces the element the suite's WhereToPutSelf names, `victim` is the suite's P, `ref` its make_ref().
 */
export function BAD_DIST_STRUCTURE(self: Pid, victim: Pid, ref: Ref): [Tuple, Term | undefined][] {
  const make = (elements: Term[], where: number): Tuple =>
    new Tuple(where === 0 ? elements : elements.map((e, i) => (i === where - 1 ? self : e)));
  const P = victim;
  const replace = atom("replace");
  const normal = atom("normal");
  const name = atom("name");
  const token = atom("token");
  const empty = atom("");
  const message = tuple(atom("message"));
  return [
    [make([21, replace, P, normal], 2), undefined],
    [make([21, replace, P, normal, normal], 2), undefined],
    [make([1], 0), undefined],
    [make([4, replace], 2), undefined],
    [make([4, replace, ref], 2), undefined],
    [make([4, ref, P], 0), undefined],
    [make([4, normal, normal], 0), undefined],
    [make([19, replace, P], 2), undefined],
    [make([19, replace, P, normal], 2), undefined],
    [make([20, replace, P], 2), undefined],
    [make([20, replace, P, normal], 2), undefined],
    [make([3, replace, P], 2), undefined],
    [make([3, ref, normal, normal], 0), undefined],
    [make([13, replace, token, P], 2), undefined],
    [make([13, ref, token, normal, normal], 0), undefined],
    [make([8, replace, P], 2), undefined],
    [make([8, ref, normal, normal], 0), undefined],
    [make([18, replace, token, P], 2), undefined],
    [make([18, ref, token, normal, normal], 0), undefined],
    [make([7, replace], 2), undefined],
    [make([7, replace, atom("atomic")], 2), undefined],
    [make([7, replace, P], 0), undefined],
    [make([16, replace, empty, name], 2), message],
    [make([16, replace, empty, name, token], 0), message],
    [make([6, replace, empty], 2), message],
    [make([6, replace, empty, P], 0), message],
    [make([6, replace, empty, name], 0), message],
    [make([6, replace, empty, name, tuple(token)], 2), message],
    [make([12, empty, P], 0), message],
    [make([12, empty, name, token], 0), message],
    [make([2, empty], 0), message],
    [make([2, empty, name], 0), message],
    [make([2, empty, P, tuple(token)], 0), message],
  ];
}
