// Agent: Elixir's Agent, a GenServer that holds one state, read and changed only by functions run inside it.
//
// API → what the GenServer under it does (as Elixir's agent.ex and Agent.Server):
//   Agent.start / startLink(from, initFn, { name })  →  init: the state is initFn()
//   Agent.get(self, agent, fn)                       →  call {get, Fn}: replies fn(state); the state stays
//   Agent.update(self, agent, fn)                    →  call {update, Fn}: the state becomes fn(state); replies ok
//   Agent.getAndUpdate(self, agent, fn)              →  call {get_and_update, Fn}: fn(state) gives { reply, state }
//   Agent.cast(from, agent, fn)                      →  cast {cast, Fn}: the state becomes fn(state); no reply
//   Agent.stop(self, agent, { reason })              →  GenServer.stop
//   sys.changeCode(…, extra)                         →  codeChange: the state becomes extra(state)
// The state is any JS value, and the functions are JS functions: a function cannot be encoded as a term, so it
// never crosses nodes and an agent is used from its own node only (Elixir can also send a fun to a node running
// the same code, or an MFA; Otter has no such form for JS functions). Calls to an agent elsewhere are refused.
//
// A failed call exits the caller with `{Reason, {'Elixir.Agent', Function, [Agent, Timeout]}}`: Elixir's
// `{Reason, {GenServer, call, [Agent, {Function, Fun}, Timeout]}}` without the fun, which is no term.
import { ErrorCodes, ProcessError } from "../errors.ts";
import { asReasonTerm, type Process, ProcessExit, Runtime } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { type Pid, type Term, type Tuple, tuple } from "../term/types.ts";
import { callOrExit, DEFAULT_CALL_TIMEOUT, GEN_CALL, type Timeout, timeoutTerm } from "./gen.ts";
import { GenServer, type GenServerCallbacks } from "./gen-server.ts";
import { resolve, type ServerRef, serverTerm } from "./names.ts";
import type { StartOptions } from "./start.ts";

const ELIXIR_AGENT = atom("Elixir.Agent");
const OK = atom("ok");
const GET = atom("get");
const UPDATE = atom("update");
const GET_AND_UPDATE = atom("get_and_update");
const CAST = atom("cast");
const BAD_RETURN_VALUE = atom("bad_return_value");

/** An agent's pid, typed by the state it holds (the brand exists only for the type checker). */
export type AgentRef<State> = Pid & { readonly __agent?: State };

/** Any agent: its typed pid, or a name or pid it may be reached by. */
type AnyAgent<State> = AgentRef<State> | ServerRef;

type MaybeAsync<T> = T | Promise<T>;

/** What a getAndUpdate function returns: the reply for the caller and the new state. */
export interface GetAndUpdate<Reply, State> {
  readonly reply: Reply;
  readonly state: State;
}

export type AgentStart<State> = { readonly pid: AgentRef<State> } | { readonly error: Term };

/** A function the agent runs on its state, as it crosses the mailbox (the request's second element). */
type StateFn = (state: unknown) => MaybeAsync<unknown>;

/** `{op, fn}`: unsafe, a JS function is no term; it only ever travels in a local mailbox (see checkLocal). */
function unsafeRequest(op: Atom, fn: StateFn): Tuple {
  return tuple(op, fn as unknown as Term);
}

/** The function of an `{op, fn}` request (or the `extra` of a code change). */
function unsafeStateFn(term: Term | undefined): StateFn {
  return term as unknown as StateFn;
}

/** The one callback module every agent runs (Elixir's Agent.Server). */
const server: GenServerCallbacks<unknown, () => MaybeAsync<unknown>, Tuple, Tuple> = {
  init: async (_self, initFn) => ({ state: await initFn() }),

  async handleCall(_self, request, _from, state) {
    const op = request.at(0);
    const fn = unsafeStateFn(request.at(1));
    if (op === GET) return { reply: (await fn(state)) as Term, state };
    if (op === UPDATE) return { reply: OK, state: await fn(state) };
    const result = await fn(state);
    if (typeof result !== "object" || result === null || !("reply" in result && "state" in result)) {
      return { stop: tuple(BAD_RETURN_VALUE, asReasonTerm(result)), state };
    }
    const { reply, state: next } = result as GetAndUpdate<Term, unknown>;
    return { reply, state: next };
  },

  async handleCast(_self, request, state) {
    return { state: await unsafeStateFn(request.at(1))(state) };
  },

  // As Agent.Server's code_change, `extra` is a function to run on the state (anything else fails the change).
  codeChange: (_oldVsn, state, extra) => unsafeStateFn(extra)(state),
};

function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== "function") {
    throw new ProcessError(ErrorCodes.PROC_BAD_ARG, `Agent.${what} takes a function, not ${typeof fn}`);
  }
}

/** Refuses an agent on another node: the function could not be sent there. */
function checkLocal(rt: Runtime, agent: ServerRef, what: string): void {
  const to = resolve(rt, agent);
  if (to !== undefined && to.node !== rt.node) {
    throw new ProcessError(
      ErrorCodes.PROC_BAD_ARG,
      `Agent.${what}: the agent is on node ${to.node.name}; agent functions are JS functions and stay on their node`,
    );
  }
}

/** Sends `{op, fn}` to the agent and waits for the reply; a failed call exits the caller (see the header). */
async function agentCall(
  self: Process,
  agent: ServerRef,
  op: Atom,
  fn: StateFn,
  timeout: Timeout | undefined,
): Promise<unknown> {
  checkFn(fn, op.name);
  checkLocal(self.runtime, agent, op.name);
  const wait = timeout ?? DEFAULT_CALL_TIMEOUT;
  return callOrExit(
    self,
    agent,
    GEN_CALL,
    unsafeRequest(op, fn),
    wait,
    (failed) => new ProcessExit(tuple(failed.reason, tuple(ELIXIR_AGENT, op, [serverTerm(agent), timeoutTerm(wait)]))),
  );
}

/** Elixir's Agent API, with the calling process (`self`) first. */
export const Agent = {
  /**
   * Starts an agent linked to nobody whose state is what `initFn` returns (run inside the agent): its pid, or
   * the error (what `initFn` threw, `{already_started, Pid}` for a taken name). From a process or from outside.
   */
  async start<State>(
    from: Process | Runtime,
    initFn: () => MaybeAsync<State>,
    options?: StartOptions,
  ): Promise<AgentStart<State>> {
    checkFn(initFn, "start");
    return GenServer.start(from, server, initFn, options) as Promise<AgentStart<State>>;
  },

  /** Starts an agent linked to `self` (its parent), as `start` otherwise. */
  async startLink<State>(
    self: Process,
    initFn: () => MaybeAsync<State>,
    options?: StartOptions,
  ): Promise<AgentStart<State>> {
    checkFn(initFn, "startLink");
    return GenServer.startLink(self, server, initFn, options) as Promise<AgentStart<State>>;
  },

  /** What `fn(state)` returns, computed inside the agent; the state stays. Default timeout 5000 ms. */
  get<State, Reply>(
    self: Process,
    agent: AnyAgent<State>,
    fn: (state: State) => MaybeAsync<Reply>,
    options?: { timeout?: Timeout },
  ): Promise<Reply> {
    return agentCall(self, agent, GET, fn as StateFn, options?.timeout) as Promise<Reply>;
  },

  /** Replaces the state with `fn(state)` and resolves once that is done. */
  async update<State>(
    self: Process,
    agent: AnyAgent<State>,
    fn: (state: State) => MaybeAsync<State>,
    options?: { timeout?: Timeout },
  ): Promise<void> {
    await agentCall(self, agent, UPDATE, fn as StateFn, options?.timeout);
  },

  /**
   * Runs `fn(state)`, which returns `{ reply, state }`: the agent takes the new state and the caller gets the
   * reply. Anything else stops the agent with `{bad_return_value, Value}` (and the call exits the caller).
   */
  getAndUpdate<State, Reply>(
    self: Process,
    agent: AnyAgent<State>,
    fn: (state: State) => MaybeAsync<GetAndUpdate<Reply, State>>,
    options?: { timeout?: Timeout },
  ): Promise<Reply> {
    return agentCall(self, agent, GET_AND_UPDATE, fn as StateFn, options?.timeout) as Promise<Reply>;
  },

  /** Replaces the state with `fn(state)` without waiting (to an agent that is not there, it is dropped). */
  cast<State>(from: Process | Runtime, agent: AnyAgent<State>, fn: (state: State) => MaybeAsync<State>): void {
    checkFn(fn, "cast");
    checkLocal(from instanceof Runtime ? from : from.runtime, agent, "cast");
    GenServer.cast(from, agent, unsafeRequest(CAST, fn as StateFn));
  },

  /** Stops the agent with `reason` (default `normal`) and resolves once it is gone, as GenServer.stop. */
  stop(self: Process, agent: ServerRef, options?: { reason?: Term; timeout?: Timeout }): Promise<void> {
    return GenServer.stop(self, agent, options);
  },
};
