// The task process (Elixir's Task.Supervised): what runs in it, a function whose result goes to the owner's alias
// or nowhere, with the owner's `$callers` in its dictionary.
//
// A replying task learns where to reply from a message, `{Owner, Alias}`, rather than from its closure: under a
// TaskSupervisor the supervisor spawns it, and only the owner, after that, can monitor it and make the alias.
import { type AsyncBody, DOWN, type Process, ProcessExit, Runtime, SHUTDOWN } from "../../runtime/index.ts";
import { atom } from "../../term/atom.ts";
import { equals } from "../../term/compare.ts";
import { type Pid, Ref, type Term, Tuple, tuple } from "../../term/types.ts";
import { isDownOf } from "../gen.ts";

const CALLERS = atom("$callers");
const TIMEOUT = atom("timeout");
/** How long a supervised task waits for its owner's `{Owner, Alias}` (Elixir's @ref_timeout). */
const SETUP_TIMEOUT = 5000;

/** A task's function: runs in the task's own process, `self`. */
export type TaskFn<Result extends Term = Term> = (self: Process) => Result | Promise<Result>;

/** `[Owner | Owner's $callers]`: the `$callers` a task started by `owner` keeps in its dictionary, as Elixir's. */
export function callersOf(owner: Process | Runtime): Term[] {
  if (owner instanceof Runtime) return [owner.rootPid];
  const inherited = owner.get(CALLERS);
  return [owner.pid, ...(Array.isArray(inherited) ? (inherited as readonly Term[]) : [])];
}

/**
 * The body of a task that replies: it waits for `{Owner, Alias}` from its owner, runs `fn` and sends
 * `{Alias, Result}` to the alias. With `watchOwner` (a task a supervisor started for `owner`), it gives up with
 * `{shutdown, Reason}` if the owner exits first, or `timeout` if the alias does not come within 5 s.
 */
export function replyingTask(owner: Pid, callers: Term[], fn: TaskFn, watchOwner: boolean): AsyncBody {
  return async (self) => {
    self.put(CALLERS, callers);
    const ownerRef = watchOwner ? self.monitor(owner) : undefined;
    const setup = (await self.receive(
      (m) => isSetupFrom(m, owner) || (ownerRef !== undefined && isDownOf(m, ownerRef)),
      { timeout: watchOwner ? SETUP_TIMEOUT : "infinity" },
    )) as Tuple | undefined;
    if (setup === undefined) throw new ProcessExit(TIMEOUT);
    if (setup.at(0) === DOWN) throw new ProcessExit(tuple(SHUTDOWN, setup.at(4)!));
    if (ownerRef !== undefined) self.demonitor(ownerRef, { flush: true });
    const alias = setup.at(1) as Ref;
    self.send(alias, tuple(alias, await fn(self)));
  };
}

/** A function run for its side effects only (Task.start, TaskSupervisor.startChild): its result is dropped. */
export type SideEffectFn = (self: Process) => unknown;

/** The body of a task that replies to nobody (Task.start, TaskSupervisor.startChild). */
export function silentTask(callers: Term[], fn: SideEffectFn): AsyncBody {
  return async (self) => {
    self.put(CALLERS, callers);
    await fn(self);
  };
}

function isSetupFrom(message: Term, owner: Pid): boolean {
  return (
    message instanceof Tuple && message.size === 2 && equals(message.at(0)!, owner) && message.at(1) instanceof Ref
  );
}
