// The shapes of a GenStatem: the events its callbacks receive, the transitions they return, the actions a
// transition carries, and the two callback modes (state functions, or one handleEvent).
import type { Process } from "../../runtime/index.ts";
import type { Term } from "../../term/types.ts";
import type { From, Timeout } from "../gen.ts";

type MaybeAsync<T> = T | Promise<T>;

/**
 * An event, as gen_statem's `EventType` and `EventContent`: `call` (with its caller), `cast`, `info` (any other
 * message), `timeout` (the event timeout), `state_timeout`, `generic_timeout` (OTP's `{timeout, Name}`), and
 * `internal` (only ever inserted by a `next_event` action).
 */
export type StatemEvent<Call extends Term = Term, Cast extends Term = Term> =
  | { readonly type: "call"; readonly from: From; readonly content: Call }
  | { readonly type: "cast"; readonly content: Cast }
  | { readonly type: "info"; readonly content: Term }
  | { readonly type: "timeout"; readonly content: Term }
  | { readonly type: "state_timeout"; readonly content: Term }
  | { readonly type: "generic_timeout"; readonly name: Term; readonly content: Term }
  | { readonly type: "internal"; readonly content: Term };

/** The state enter call (with `stateEnter: true`): made after every state change, and on the first state. */
export interface EnterEvent<State> {
  readonly type: "enter";
  readonly oldState: State;
}

/** When a timeout fires: ms from now (or an absolute `clock.now()` time with `abs`), or `infinity` (never). */
interface TimeoutAction {
  readonly time: Timeout;
  /** The event's content; as in Erlang's short form, the time itself when left out. */
  readonly content?: Term;
  /** `time` is a point on the runtime's clock, not a duration. */
  readonly abs?: boolean;
}

/** State and generic timeouts can also be cancelled, or given new content without touching their timer. */
interface RestartableTimeoutAction extends Omit<TimeoutAction, "time"> {
  /** `cancel` stops it; `update` keeps its timer and changes its content (fires at once if none was running). */
  readonly time: Timeout | "cancel" | "update";
}

/** Replies to a call: OTP's `{reply, From, Reply}`. */
export interface ReplyAction<Reply extends Term = Term> {
  readonly type: "reply";
  readonly to: From;
  readonly reply: Reply;
}

/**
 * What a transition asks for besides its state and data, processed in order:
 * - `reply`: answers a call.
 * - `postpone`: keeps the current event and retries it after the next state change.
 * - `next_event`: inserts an event to handle before anything from the mailbox (in the order given).
 * - `hibernate`: accepted for OTP's sake (a waiting Otter process is already small).
 * - `timeout`: the event timeout, cancelled by any event.
 * - `state_timeout`: cancelled by a state change.
 * - `generic_timeout`: named; runs until it fires, is cancelled, or is started again.
 */
export type Action<Reply extends Term = Term, Call extends Term = Term, Cast extends Term = Term> =
  | ReplyAction<Reply>
  | { readonly type: "postpone" }
  | { readonly type: "next_event"; readonly event: StatemEvent<Call, Cast> }
  | { readonly type: "hibernate" }
  | ({ readonly type: "timeout" } & TimeoutAction)
  | ({ readonly type: "state_timeout" } & RestartableTimeoutAction)
  | ({ readonly type: "generic_timeout"; readonly name: Term } & RestartableTimeoutAction);

/**
 * A callback's result, as gen_statem's:
 * - `{ nextState, data?, actions? }` (`next_state`; leaving `data` out keeps it);
 * - `{ keepState: true, data?, actions? }` (`keep_state`, `keep_state_and_data`);
 * - `{ repeatState: true, data?, actions? }` (`repeat_state`: like keep, but the state enter call runs again);
 * - `{ stop: Reason, data?, replies? }` (`stop`, `stop_and_reply`).
 */
export type Transition<State, Data, Reply extends Term = Term, Call extends Term = Term, Cast extends Term = Term> =
  | { readonly nextState: State; readonly data?: Data; readonly actions?: readonly Action<Reply, Call, Cast>[] }
  | { readonly keepState: true; readonly data?: Data; readonly actions?: readonly Action<Reply, Call, Cast>[] }
  | { readonly repeatState: true; readonly data?: Data; readonly actions?: readonly Action<Reply, Call, Cast>[] }
  | { readonly stop: Term; readonly data?: Data; readonly replies?: readonly ReplyAction<Reply>[] };

export type StatemInitResult<
  State,
  Data,
  Reply extends Term = Term,
  Call extends Term = Term,
  Cast extends Term = Term,
> =
  | { readonly state: State; readonly data: Data; readonly actions?: readonly Action<Reply, Call, Cast>[] }
  | { readonly ignore: true }
  | { readonly stop: Term };

/** What `sys.getStatus` shows, through `formatStatus` when the machine has one. */
export interface StatemStatus<State, Data> {
  readonly state: State;
  readonly data: Data;
  readonly reason?: Term;
  /** Events postponed in the current state, oldest first. */
  readonly postponed: readonly StatemEvent[];
}

/** The callbacks both modes share. */
interface StatemCallbacksBase<State, Data, Arg, Call extends Term, Cast extends Term, Reply extends Term> {
  init(self: Process, arg: Arg): MaybeAsync<StatemInitResult<State, Data, Reply, Call, Cast>>;
  /** OTP's `state_enter` callback mode flag: make an enter call after each state change. */
  readonly stateEnter?: boolean;
  terminate?(self: Process, reason: Term, state: State, data: Data): MaybeAsync<void>;
  codeChange?(oldVsn: Term, state: State, data: Data, extra: Term): MaybeAsync<{ state: State; data: Data }>;
  formatStatus?(status: StatemStatus<State, Data>): { state: unknown; data: unknown };
}

/** OTP's `handle_event_function` mode: every event of every state goes to `handleEvent`. States are any term. */
export interface HandleEventCallbacks<
  State extends Term,
  Data,
  Arg = undefined,
  Call extends Term = Term,
  Cast extends Term = Term,
  Reply extends Term = Term,
> extends StatemCallbacksBase<State, Data, Arg, Call, Cast, Reply> {
  handleEvent(
    self: Process,
    event: StatemEvent<Call, Cast> | EnterEvent<State>,
    state: State,
    data: Data,
  ): MaybeAsync<Transition<State, Data, Reply, Call, Cast>>;
}

/** One state's function in `state_functions` mode. */
export type StateFunction<
  State,
  Data,
  Call extends Term = Term,
  Cast extends Term = Term,
  Reply extends Term = Term,
> = (
  self: Process,
  event: StatemEvent<Call, Cast> | EnterEvent<State>,
  data: Data,
) => MaybeAsync<Transition<State, Data, Reply, Call, Cast>>;

/** OTP's `state_functions` mode: states are names, and each has its own function in `states`. */
export interface StateFunctionCallbacks<
  State extends string,
  Data,
  Arg = undefined,
  Call extends Term = Term,
  Cast extends Term = Term,
  Reply extends Term = Term,
> extends StatemCallbacksBase<State, Data, Arg, Call, Cast, Reply> {
  readonly states: { readonly [S in State]: StateFunction<State, Data, Call, Cast, Reply> };
}

export type GenStatemCallbacks<
  State extends Term,
  Data,
  Arg = undefined,
  Call extends Term = Term,
  Cast extends Term = Term,
  Reply extends Term = Term,
> =
  | HandleEventCallbacks<State, Data, Arg, Call, Cast, Reply>
  | ([State] extends [string] ? StateFunctionCallbacks<State & string, Data, Arg, Call, Cast, Reply> : never);
