// Spawn requests to other nodes (erlang:spawn_request/5): the requests waiting for their answer, and what the
// answer does — the success or error message the `reply` option asks for, and the link and monitor the other node
// set up, recorded here without a LINK or MONITOR_P of our own (it has them already).
//
// The answer comes as a SPAWN_REPLY, or from the transport: `noconnection` when the node cannot be reached,
// `notsup` when it cannot spawn; or from here, `badopt`, for a spawn option with no term form (spawn-options.ts). A
// node lost before it answered fails its requests with `noconnection`. When the answer finds the requester gone (or
// the request abandoned), the new process is let go: a link is broken by an exit signal (the requester's exit
// reason, or `abandoned`) and a monitor is dropped, as the BEAM does (its child of `spawn_request(Node, M, F, A,
// [link])` whose requester exits with `bye` before the reply exits with `bye`).
import { ErrorCodes, ProcessError } from "../errors.ts";
import { Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import { Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import type { SpawnReply } from "./contracts.ts";
import { Monitor } from "./monitors.ts";
import type { Process } from "./process.ts";
import { NOCONNECTION, NOPROC } from "./reasons.ts";
import { pidKey } from "./refs.ts";
import type { Runtime } from "./runtime.ts";
import { downMessage } from "./signals.ts";
import { type CarriedSpawnOptions, spawnOptionTerms } from "./spawn-options.ts";

/** Which answers the requester gets as messages (spawn_request's `{reply, Reply}` option). */
export type SpawnReplyMode = "yes" | "no" | "error_only" | "success_only";

/**
 * erlang:spawn_request/5's options; with the local spawn's `priority`, `trapExit` and `name`, for the new process. A
 * value of those that has no term form is answered `badopt`, as a bad option of the other node is.
 */
export interface SpawnRequestOptions extends CarriedSpawnOptions {
  /** Link the new process to the requester once it exists. */
  link?: boolean;
  /** Monitor the new process; the monitor's ref is the request id. */
  monitor?: boolean;
  /** Which answers come as messages (default `yes`: the success message or the error message). */
  reply?: SpawnReplyMode;
  /** The first element of the answer messages (default `spawn_reply`). */
  replyTag?: Term;
  /** Further spawn options for the other node (`{priority, high}` …); one it does not know fails with `badopt`. */
  spawnOptions?: readonly Term[];
  /** The scheduler of `node` to spawn on, when it runs several (default: any; this node: this scheduler). */
  scheduler?: number;
}

const LINK = atom("link");
const MONITOR = atom("monitor");
const SPAWN_REPLY = atom("spawn_reply");
const OK = atom("ok");
const ERROR = atom("error");
const ABANDONED = atom("abandoned");
const BADOPT = atom("badopt");
const REPLY_MODES: readonly SpawnReplyMode[] = ["yes", "no", "error_only", "success_only"];

/** Whether `message` is the answer `{spawn_reply, ReqId, ok | error, _}` to request `reqId` (default reply tag). */
export function isSpawnReply(message: Term, reqId: Ref): message is Tuple {
  return (
    message instanceof Tuple && message.size === 4 && message.at(0) === SPAWN_REPLY && equals(message.at(1)!, reqId)
  );
}

interface PendingRequest {
  readonly ref: Ref;
  readonly node: Atom;
  /** The scheduler of `node` it asked for, if any. */
  readonly scheduler: number | undefined;
  readonly requester: Process;
  readonly reply: SpawnReplyMode;
  readonly tag: Term;
  /** Set by spawn_request_abandon: the answer, when it comes, only lets the new process go. */
  abandoned: boolean;
  /** The requester's exit reason, once it has ended: what its link to the new process carries. */
  exitReason?: Term;
}

export class SpawnRequests {
  private readonly pending = new Map<number | string, PendingRequest>();
  /** How many requests each requester has pending (its end is recorded in them: see `exited`). */
  private readonly requesters = new Map<Process, number>();

  constructor(private readonly rt: Runtime) {}

  /** Sends `p`'s spawn request to `node`; returns the request id (a ref marking `p`'s queue, for `since`). */
  request(
    p: Process,
    node: Atom,
    module: Atom,
    fn: Atom,
    args: readonly Term[],
    options: SpawnRequestOptions = {},
  ): Ref {
    checkRequest(node, module, fn, args, options);
    const ref = this.rt.markedRef(p);
    if (p.exited) return ref; // the code of a process killed meanwhile runs on until its next await
    const carried = spawnOptionTerms(options);
    const spawnOptions = [
      ...(options.link === true ? [LINK] : []),
      ...(options.monitor === true ? [MONITOR] : []),
      ...(carried ?? []),
      ...(options.spawnOptions ?? []),
    ];
    const key = this.rt.refs.key(ref);
    const request: PendingRequest = {
      ref,
      node,
      scheduler: options.scheduler,
      requester: p,
      reply: options.reply ?? "yes",
      tag: options.replyTag ?? SPAWN_REPLY,
      abandoned: false,
    };
    // Recorded before it goes: a transport may answer at once (an unreachable node, a request to this node).
    this.pending.set(key, request);
    this.requesters.set(p, (this.requesters.get(p) ?? 0) + 1);
    if (carried === undefined) {
      // An option that cannot cross is answered as the other node answers one it does not know.
      this.replied({ to: p.pid, ref, result: BADOPT, link: false, monitor: false });
      return ref;
    }
    try {
      this.rt.sendRemote(p, {
        kind: "spawn-request",
        from: p.pid,
        node,
        ref,
        groupLeader: p.groupLeader ?? this.rt.defaultGroupLeader,
        module,
        function: fn,
        args: [...args],
        options: spawnOptions,
        ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
      });
    } catch (error) {
      // Nothing went (an argument or option the transport cannot encode): nothing is left waiting for an answer.
      if (this.pending.get(key) === request) this.settled(key, request);
      throw error;
    }
    return ref;
  }

  /** spawn_request_abandon/1: true if `ref` is a request of `p` still waiting for its answer. */
  abandon(p: Process, ref: Ref): boolean {
    const request = this.pending.get(this.rt.refs.key(ref));
    if (request === undefined || request.requester !== p || request.abandoned) return false;
    request.abandoned = true;
    return true;
  }

  /** `p` ended with `reason`: its pending requests keep it for the link exit their answers send. */
  exited(p: Process, reason: Term): void {
    if (!this.requesters.delete(p)) return;
    for (const request of this.pending.values()) if (request.requester === p) request.exitReason = reason;
  }

  /** The answer to a request (SignalSink.spawnReplied). */
  replied(reply: SpawnReply): void {
    const key = this.rt.refs.key(reply.ref);
    const request = this.pending.get(key);
    if (request === undefined || !equals(request.requester.pid, reply.to)) return;
    this.settled(key, request);
    const p = request.requester;
    const child = reply.result;
    if (p.exited || request.abandoned) {
      if (child instanceof Pid) {
        this.letGo(p.pid, child, reply, request.abandoned ? ABANDONED : (request.exitReason ?? NOPROC));
      }
      return;
    }
    if (!(child instanceof Pid)) {
      if (wantsErrors(request)) this.answer(request, ERROR, child);
      return;
    }
    // The success message goes first: no DOWN or exit signal of the new process may overtake it.
    if (request.reply === "yes" || request.reply === "success_only") this.answer(request, OK, child);
    if (reply.link) this.linked(p, child);
    if (reply.monitor) this.monitored(p, child, reply.ref, key);
  }

  /** The connection to `node` is gone: its requests fail with `noconnection`. */
  nodeDown(node: Atom): void {
    this.fail((request) => request.node === node);
  }

  /** Scheduler `index` of this node is gone: the requests to it fail with `noconnection`. */
  schedulerDown(index: number): void {
    this.fail((request) => request.node === this.rt.node && request.scheduler === index);
  }

  private fail(lost: (request: PendingRequest) => boolean): void {
    for (const [key, request] of this.pending) {
      if (!lost(request)) continue;
      this.settled(key, request);
      if (wantsErrors(request) && !request.abandoned && !request.requester.exited)
        this.answer(request, ERROR, NOCONNECTION);
    }
  }

  /** `request` is answered or failed: no longer pending. */
  private settled(key: number | string, request: PendingRequest): void {
    this.pending.delete(key);
    const left = (this.requesters.get(request.requester) ?? 0) - 1;
    if (left > 0) this.requesters.set(request.requester, left);
    else this.requesters.delete(request.requester);
  }

  private answer(request: PendingRequest, status: Atom, result: Term): void {
    this.rt.execution.deliver(request.requester, tuple(request.tag, request.ref, status, result));
  }

  /** The link the other node made: the requester's half (a local child gets both halves here, see spawn-request). */
  private linked(p: Process, child: Pid): void {
    if (this.rt.isHere(child)) {
      if (this.rt.isAlive(child)) this.rt.signals.link(p, child);
      return;
    }
    p.extras().addLink(pidKey(child, this.rt.node), child);
    this.rt.watchNode(child.node, p);
  }

  /** The monitor the other node made, under the request id. */
  private monitored(p: Process, child: Pid, ref: Ref, key: number | string): void {
    if (!this.rt.isHere(child)) {
      this.rt.monitors.add(new Monitor(ref, key, p.pid, p, undefined, child, undefined, undefined));
      this.rt.watchNode(child.node, p);
      return;
    }
    const target = this.rt.table.lookup(child);
    if (target === undefined) this.rt.execution.deliver(p, downMessage(ref, child, NOPROC));
    else this.rt.monitors.add(new Monitor(ref, key, p.pid, p, target, child, undefined, undefined));
  }

  /** The answer found no requester to take the new process: its link is broken and its monitor dropped. */
  private letGo(requester: Pid, child: Pid, reply: SpawnReply, reason: Term): void {
    const remote = !this.rt.isHere(child);
    if (reply.link) {
      // A local child has no half of the link yet (made on the success answer): it gets it, so that the exit is a
      // link's (with reason `kill`, trappable, as a link exit is).
      if (!remote) this.rt.table.lookup(child)?.extras().addLink(pidKey(requester, this.rt.node), requester);
      this.rt.signals.exit(requester, child, reason, true);
    }
    if (reply.monitor && remote) {
      this.rt.transport.send({ kind: "demonitor", from: requester, to: child, ref: reply.ref });
    }
  }
}

/** Whether the requester asked for the error answer (`{reply, yes | error_only}`). */
function wantsErrors(request: PendingRequest): boolean {
  return request.reply === "yes" || request.reply === "error_only";
}

/** erlang:spawn_request's badarg cases, and ours: a `reply` mode it does not know. */
function checkRequest(node: unknown, module: unknown, fn: unknown, args: unknown, options: SpawnRequestOptions): void {
  const bad = (what: string) => new ProcessError(ErrorCodes.PROC_BAD_ARG, `spawn_request: ${what}`);
  if (!(node instanceof Atom)) throw bad(`the node is not an atom: ${String(node)}`);
  if (!(module instanceof Atom) || !(fn instanceof Atom)) {
    throw bad(`module and function must be atoms, not ${String(module)} and ${String(fn)}`);
  }
  if (!Array.isArray(args)) throw bad(`the arguments are not a list: ${String(args)}`);
  const scheduler = options.scheduler;
  if (scheduler !== undefined && !(Number.isInteger(scheduler) && scheduler >= 0)) {
    throw bad(`scheduler must be an index ≥ 0, not ${String(scheduler)}`);
  }
  if (options.reply !== undefined && !REPLY_MODES.includes(options.reply)) {
    throw bad(`reply must be one of ${REPLY_MODES.join(", ")}, not ${String(options.reply)}`);
  }
}
