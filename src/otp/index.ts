// The OTP layer's public surface: behaviours, their start and call API, names, and sys.
export type { From, Timeout } from "./gen.ts";
export {
  type CallResult,
  GenServer,
  type GenServerCallbacks,
  type GenServerRef,
  type InitResult,
  type Next,
  type NoReplyResult,
} from "./gen-server.ts";
export {
  type Action,
  type EnterEvent,
  GenStatem,
  type GenStatemCallbacks,
  type GenStatemRef,
  type HandleEventCallbacks,
  type ReplyAction,
  type StateFunction,
  type StateFunctionCallbacks,
  type StatemEvent,
  type StatemInitResult,
  type StatemStatus,
  type Transition,
} from "./gen-statem.ts";
export { globalNames, type NameRegistry, type ServerName, type ServerRef } from "./names.ts";
export type { StartOptions, StartResult } from "./start.ts";
export {
  type Backoff,
  type ChildInfo,
  type ChildSpec,
  type Restart,
  type Shutdown,
  type Strategy,
  Supervisor,
  type SupervisorCallbacks,
  type SupervisorFlags,
} from "./supervisor.ts";
export { sys } from "./sys.ts";
