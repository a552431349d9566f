// An application's master, after OTP's application_master: runs its start, links to the tree it returns, stops
// it on request (prepStop, the tree's shutdown, stop) and then kills what is left of the application's group.
import { ProcessExitError } from "../../errors.ts";
import {
  asReasonTerm,
  EXIT,
  KILL,
  logger,
  NORMAL,
  type Process,
  ProcessExit,
  type Runtime,
  reasonFromThrown,
  SHUTDOWN,
} from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { Pid, type Term, type Tuple, tuple } from "../../term/types.ts";
import { isExitFrom } from "../gen.ts";
import { type ApplicationResult, type ApplicationSpec, type ApplicationStartType, OK } from "./spec.ts";

const START = atom("start");
const BAD_RETURN = atom("bad_return");
const STOP = atom("$otter_application_stop");

// biome-ignore lint/suspicious/noExplicitAny: applications of every state type share one controller and master.
export type AnySpec = ApplicationSpec<any>;

/** One running (or starting) application's master, as the controller holds it. */
export class Master {
  /** Set as soon as the master runs, before `started` settles. */
  pid: Pid | undefined;
  /** The application's top supervisor, once the start succeeded (the pid its `start` returned). */
  top: Pid | undefined;
  /** How the start ended: ok once the master is linked to the top supervisor, else the start's error. */
  readonly started: Promise<ApplicationResult>;
  /** The master's exit reason: the tree's when the tree ended on its own, `normal` when stopped. */
  readonly exited: Promise<Term>;
  /** The message that asks the master to stop: tagged with a fresh ref, so no other message can pass for it. */
  private readonly stopRequest: Term;

  constructor(
    private readonly rt: Runtime,
    spec: AnySpec,
    type: ApplicationStartType,
  ) {
    const stopRequest = tuple(STOP, rt.makeRef());
    this.stopRequest = stopRequest;
    let ack!: (result: ApplicationResult, top?: Pid) => void;
    const acked = new Promise<ApplicationResult>((resolve) => {
      ack = (result, top) => {
        this.top = top;
        resolve(result);
      };
    });
    // Named, for processInfo and crash reports.
    const applicationMaster = async (self: Process): Promise<void> => {
      this.pid = self.pid;
      await master(self, spec, type, stopRequest, ack);
    };
    this.exited = rt.run(applicationMaster).then(
      () => NORMAL,
      (error: unknown) => (error instanceof ProcessExitError ? (error.reason as Term) : reasonFromThrown(error)),
    );
    // A master that exits before its start ended (killed, or the runtime shut down) fails the start with its reason.
    this.started = Promise.race([acked, this.exited.then((reason): ApplicationResult => ({ error: reason }))]);
  }

  /** Stops the application (prepStop, the tree's shutdown, stop); resolves once the master has exited. */
  async stop(): Promise<void> {
    if (this.pid !== undefined) this.rt.send(this.pid, this.stopRequest);
    await this.exited;
  }
}

/** The master's body: start, then wait for the tree's exit or a stop request. */
async function master(
  self: Process,
  spec: AnySpec,
  type: ApplicationStartType,
  stopRequest: Term,
  ack: (result: ApplicationResult, top?: Pid) => void,
): Promise<void> {
  self.setTrapExit(true);
  // Before `start` runs: everything it spawns inherits the leader, down the whole tree.
  self.setGroupLeader(self.pid);
  const started = await callStart(self, spec, type);
  if ("error" in started) {
    ack(started);
    throw new ProcessExit(started.error);
  }
  const top = started.pid;
  self.link(top); // already linked if `start` used startLink; a top that is gone gives its EXIT (noproc)
  ack(OK, top);
  const state = started.state;
  for (;;) {
    const message = await self.receive();
    if (equals(message, stopRequest)) {
      const stopState = await prepStop(self, spec, state);
      self.exit(top, SHUTDOWN);
      await self.receive((m) => isExitFrom(m, top));
      await stop(self, spec, stopState);
      await killGroup(self);
      return;
    }
    if (isExitFrom(message, top)) {
      // The tree ended on its own: the callbacks still run, and the master ends with the tree's reason.
      await stop(self, spec, await prepStop(self, spec, state));
      await killGroup(self);
      throw new ProcessExit((message as Tuple).at(2)!);
    }
    // Anything else (the exit of another process `start` linked to, a stray message) is dropped, as OTP's does.
  }
}

/**
 * Runs `start` as OTP's master does: `{error, Reason}` gives `{Reason, {Mod, start, [Type, Args]}}`, an
 * `exit(normal)` gives `{{'EXIT', normal}, {Mod, start, …}}`, anything else thrown or returned gives
 * `{bad_return, {{Mod, start, …}, Returned}}`. The application's name stands for its callback module.
 */
async function callStart(
  self: Process,
  spec: AnySpec,
  type: ApplicationStartType,
): Promise<{ pid: Pid; state: unknown } | { error: Term }> {
  const args = spec.args ?? [];
  const call = tuple(atom(spec.name), START, [atom(type), args]);
  let returned: unknown;
  try {
    returned = await spec.start!(self, type, args);
  } catch (thrown) {
    const reason = reasonFromThrown(thrown);
    if (reason === NORMAL) return { error: tuple(tuple(EXIT, NORMAL), call) };
    return { error: tuple(BAD_RETURN, tuple(call, tuple(EXIT, reason))) };
  }
  if (typeof returned === "object" && returned !== null) {
    if ("pid" in returned && returned.pid instanceof Pid) {
      return { pid: returned.pid, state: (returned as { state?: unknown }).state };
    }
    if ("error" in returned) return { error: tuple(returned.error as Term, call) };
    // A top supervisor whose init said ignore: OTP's application master takes `ignore` as a bad return too.
    if ("ignore" in returned) return { error: tuple(BAD_RETURN, tuple(call, atom("ignore"))) };
  }
  return { error: tuple(BAD_RETURN, tuple(call, asReasonTerm(returned))) };
}

async function prepStop(self: Process, spec: AnySpec, state: unknown): Promise<unknown> {
  if (spec.prepStop === undefined) return state;
  try {
    return await spec.prepStop(self, state);
  } catch (error) {
    shutdownError(self, spec, "prepStop", error);
    return state;
  }
}

async function stop(self: Process, spec: AnySpec, state: unknown): Promise<void> {
  if (spec.stop === undefined) return;
  try {
    await spec.stop(self, state);
  } catch (error) {
    // OTP ignores what stop throws; Otter reports it, and the application stops all the same.
    shutdownError(self, spec, "stop", error);
  }
}

/** OTP's `{application_master, shutdown_error}` report. */
function shutdownError(self: Process, spec: AnySpec, callback: string, error: unknown): void {
  logger(self).error(
    { report: { application: atom(spec.name), callback: atom(callback), error_info: reasonFromThrown(error) } },
    { domain: ["otp"], what: "application_shutdown_error", error },
  );
}

/**
 * Once the tree is gone: kills the processes still in the master's group, the ones no supervisor owned, on every
 * scheduler of the node (OTP's kill_all_procs walks erlang:processes(), the node's). As OTP's, it looks again after
 * a round that killed any, for processes they spawned into the group before they died; one already killed is not
 * counted again, so a kill still on its way to another scheduler cannot keep it looking.
 */
async function killGroup(self: Process): Promise<void> {
  const rt = self.runtime;
  const killed = new Set<string>();
  const key = (pid: Pid) => `${pid.id}.${pid.serial}`;
  for (;;) {
    const pids = (await rt.nodeProcesses()).filter((pid) => !equals(pid, self.pid) && !killed.has(key(pid)));
    const infos = await rt.nodeProcessInfo(pids);
    const group = pids.filter((_, i) => {
      const leader = infos[i]?.groupLeader;
      return leader !== undefined && equals(leader, self.pid);
    });
    if (group.length === 0) return;
    for (const pid of group) {
      self.exit(pid, KILL);
      killed.add(key(pid));
    }
  }
}
