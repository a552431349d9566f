// Scheduler 0's pass-on of other nodes' spawn requests: it holds the connections, so a spawn request from another
// node placed on another scheduler goes there through its ring, and scheduler 0 keeps how to answer it (over the
// requester's connection) until the reply comes back, or fails it `noconnection` if that scheduler dies first.
import type { ExportedModules } from "../../dist/modules.ts";
import { type RequestedSpawn, spawnRequested } from "../../dist/spawn-request.ts";
import { NOCONNECTION, type Runtime, type SpawnReply, type SpawnRequest } from "../../runtime/index.ts";
import type { Pid, Ref } from "../../term/types.ts";
import type { RingWriter } from "./ring-writer.ts";

interface PassedOn {
  readonly from: Pid;
  readonly ref: Ref;
  readonly scheduler: number;
  readonly answer: (reply: SpawnReply) => void;
}

export class PassedOnSpawns {
  /** The requests passed on, by request id. */
  private readonly passedOn = new Map<number | string, PassedOn>();

  constructor(
    private readonly runtime: Runtime,
    private readonly modules: ExportedModules,
    private readonly writer: RingWriter,
  ) {}

  /**
   * Runs a spawn request of another node's process on scheduler `scheduler` (this one or another); `answer` sends
   * the reply over the requester's connection.
   */
  spawn(request: RequestedSpawn, scheduler: number, answer: (reply: SpawnReply) => void): void {
    const runtime = this.runtime;
    if (scheduler === runtime.seat.index) {
      spawnRequested(runtime, this.modules, request, answer);
      return;
    }
    const { from, ref, groupLeader, module, function: fn, args, options } = request;
    this.passedOn.set(runtime.refs.key(ref), { from, ref, scheduler, answer });
    const signal: SpawnRequest = {
      kind: "spawn-request",
      ...{ from, node: runtime.node, ref, groupLeader, module, function: fn, args, options, scheduler },
    };
    this.writer.write(scheduler, { kind: "signal", signal });
  }

  /** The reply to a request passed on came back: it goes over the requester's connection. */
  replied(reply: SpawnReply): void {
    const key = this.runtime.refs.key(reply.ref);
    const passed = this.passedOn.get(key);
    this.passedOn.delete(key);
    passed?.answer(reply);
  }

  /** Scheduler `index`'s thread died: the requests passed to it fail `noconnection`. */
  lost(index: number): void {
    for (const [key, passed] of this.passedOn) {
      if (passed.scheduler !== index) continue;
      this.passedOn.delete(key);
      passed.answer({ to: passed.from, ref: passed.ref, result: NOCONNECTION, link: false, monitor: false });
    }
  }
}
