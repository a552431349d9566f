// Starting a server synchronously (OTP's proc_lib:start, start_link and start_monitor): the starter spawns the
// process, which registers its name and runs its init, and waits until the new process acknowledges it.
import {
  type Behaviour,
  DOWN,
  KILL,
  NORMAL,
  type Priority,
  type Process,
  ProcessExit,
  Runtime,
} from "../runtime/index.ts";
import { atom } from "../term/atom.ts";
import { type Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import { isDownOf, isExitFrom, type Timeout } from "./gen.ts";
import { registerSelf, type ServerName, unregisterSelf } from "./names.ts";

const ACK = atom("ack");
const OK = atom("ok");
const IGNORE = atom("ignore");
const ERROR = atom("error");
const TIMEOUT = atom("timeout");
const ALREADY_STARTED = atom("already_started");

/** How a start ended: the new pid, `ignore` (init said so; the process is gone), or the error. */
export type StartResult = { readonly pid: Pid } | { readonly ignore: true } | { readonly error: Term };

export interface StartOptions {
  /** Register the server under this name before its init runs; a taken name gives `{already_started, Pid}`. */
  name?: ServerName;
  /** How long init may take (default infinity); then the process is killed and the start gives `timeout`. */
  timeout?: Timeout;
  priority?: Priority;
}

/** What the starter hands the new process: who to acknowledge, who its parent is, its name and init argument. */
export interface Boot<Arg = unknown> {
  readonly starter: Pid;
  /** The process whose exit ends this one (its own pid when not started linked, as OTP's `self` parent). */
  readonly parent: Pid | undefined;
  readonly name: ServerName | undefined;
  readonly arg: Arg;
}

type Mode = "link" | "monitor" | "nolink";

/**
 * Spawns `body` (a behaviour whose `init` takes a Boot and calls `initAck` once) from `starter` and waits for the
 * acknowledgement. With `monitor`, the result carries the monitor's ref too. From outside any process (a Runtime),
 * only `nolink` makes sense: the server is its own parent, as with OTP's `start`.
 */
export function startServer<Arg>(
  starter: Process | Runtime,
  body: Behaviour<unknown, Boot<Arg>>,
  arg: Arg,
  mode: Mode,
  options: StartOptions | undefined,
): Promise<StartResult & { readonly ref?: Ref }> {
  if (starter instanceof Runtime) return starter.run((self) => startFrom(self, body, arg, "nolink", options));
  return startFrom(starter, body, arg, mode, options);
}

async function startFrom<Arg>(
  starter: Process,
  body: Behaviour<unknown, Boot<Arg>>,
  arg: Arg,
  mode: Mode,
  options: StartOptions | undefined,
): Promise<StartResult & { readonly ref?: Ref }> {
  const boot: Boot<Arg> = {
    starter: starter.pid,
    parent: mode === "link" ? starter.pid : undefined,
    name: options?.name,
    arg,
  };
  const pid = starter.spawn(body, { arg: boot, link: mode === "link", priority: options?.priority });
  const mref = starter.monitor(pid);
  const timeout = options?.timeout ?? "infinity";
  const answer = (await starter.receive((m) => isAckFrom(m, pid) || isDownOf(m, mref), { since: mref, timeout })) as
    | Tuple
    | undefined;
  if (answer === undefined) {
    // Init took too long: the process is killed, and its exit (when linked and trapping) is not left behind.
    if (mode === "link") starter.unlink(pid);
    starter.exit(pid, KILL);
    starter.demonitor(mref, { flush: true });
    return { error: TIMEOUT };
  }
  if (answer.at(0) === DOWN) {
    await flushExit(starter, pid, mode);
    return { error: answer.at(4)! };
  }
  const result = answer.at(2)!;
  if (result === OK) {
    if (mode === "monitor") return { pid, ref: mref };
    starter.demonitor(mref, { flush: true });
    return { pid };
  }
  // init failed or said ignore: the process exits; wait for that, so its name is free when the start returns.
  await starter.receive((m) => isDownOf(m, mref), { since: mref });
  await flushExit(starter, pid, mode);
  if (result === IGNORE) return { ignore: true };
  return { error: (result as Tuple).at(1)! };
}

/** A linked starter that traps exits gets `{'EXIT', Pid, Reason}` from a failed start; OTP takes it away. */
async function flushExit(starter: Process, pid: Pid, mode: Mode): Promise<void> {
  if (mode !== "link" || !starter.trapExit) return;
  await starter.receive((m) => isExitFrom(m, pid), { timeout: 0 });
}

function isAckFrom(m: Term, pid: Pid): boolean {
  return m instanceof Tuple && m.size === 3 && m.at(0) === ACK && m.at(1) === pid;
}

/**
 * In the new process: registers its name. False (after acknowledging `{error, {already_started, Pid}}`) when
 * the name is taken; the caller then exits normally.
 */
export function registerName(self: Process, boot: Boot): boolean {
  if (boot.name === undefined) return true;
  const registered = registerSelf(self, boot.name);
  if ("ok" in registered) return true;
  self.send(boot.starter, tuple(ACK, self.pid, tuple(ERROR, tuple(ALREADY_STARTED, registered.taken))));
  return false;
}

/** In the new process: init succeeded. */
export function initAck(self: Process, boot: Boot): void {
  self.send(boot.starter, tuple(ACK, self.pid, OK));
}

/** In the new process: init said ignore; the process exits normally. */
export function initIgnore(self: Process, boot: Boot): never {
  // The name must be free before the starter hears back: it may start another server under it at once.
  if (boot.name !== undefined) unregisterSelf(self, boot.name);
  self.send(boot.starter, tuple(ACK, self.pid, IGNORE));
  throw new ProcessExit(NORMAL);
}

/** In the new process: init failed with `reason`; the process exits with it. */
export function initFail(self: Process, boot: Boot, reason: Term): never {
  if (boot.name !== undefined) unregisterSelf(self, boot.name);
  self.send(boot.starter, tuple(ACK, self.pid, tuple(ERROR, reason)));
  throw new ProcessExit(reason);
}
