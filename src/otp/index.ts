// The OTP layer's public surface: behaviours, their start and call API, names, and sys.
export { Agent, type AgentRef, type AgentStart, type GetAndUpdate } from "./agent.ts";
export {
  Application,
  type ApplicationInfo,
  type ApplicationRestartType,
  type ApplicationResult,
  type ApplicationSpec,
  type ApplicationStart,
  type ApplicationStartOptions,
  type ApplicationStartType,
} from "./application.ts";
export {
  type ChildCounts,
  type DynamicChildSpec,
  DynamicSupervisor,
  type DynamicSupervisorFlags,
  type DynamicSupervisorOptions,
} from "./dynamic-supervisor.ts";
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
export type { MultiCallResult } from "./multi-call.ts";
export { globalNames, type NameRegistry, type ServerName, type ServerRef } from "./names.ts";
export { Registry, type RegistryKeys, type RegistryOptions, type RegistryStart } from "./registry.ts";
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
export { type SideEffectFn, Task, type TaskFn, type YieldManyOptions, type YieldResult } from "./task.ts";
export { type TaskChildOptions, TaskSupervisor, type TaskSupervisorOptions } from "./task-supervisor.ts";
