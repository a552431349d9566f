// The runtime layer's public surface: runtimes, processes and their bodies, patterns, exit reasons, contracts.
export type {
  AnyFunction,
  BusyConnection,
  Clock,
  DirtyCallOptions,
  DirtyCallOwner,
  DirtyResult,
  DirtyRunner,
  LostConnection,
  NameDirectory,
  NodeKind,
  RegisteredName,
  SchedulerInquiries,
  SchedulerSeat,
  Signal,
  SignalSink,
  SignalTransport,
  SpawnReply,
  SpawnRequest,
  TimerTargets,
} from "./contracts.ts";
export type { CrashReport } from "./crash-report.ts";
export type { ProcessDirty } from "./dirty-calls.ts";
export type { ProcessInfo } from "./info.ts";
export {
  jsonHandler,
  LOG_LEVELS,
  type LogEvent,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogHandler,
  type LogLevel,
  type LogLevelSetting,
  type LogMessage,
  type LogMeta,
  type LogReport,
  logger,
  type ProcessLogger,
  textHandler,
} from "./logger.ts";
export type { Match } from "./mailbox.ts";
export type { MonitorNodesOptions } from "./node-monitors.ts";
export { _, pattern, where } from "./pattern.ts";
export type {
  AsyncBody,
  Behaviour,
  Body,
  Destination,
  Priority,
  Process,
  ProcessSpawnOptions,
  ReceiveOptions,
  SpawnOptions,
} from "./process.ts";
export {
  asReasonTerm,
  DOWN,
  EXIT,
  isQuietExit,
  KILL,
  KILLED,
  NOCONNECTION,
  NOPROC,
  NORMAL,
  ProcessExit,
  reasonFromThrown,
  SHUTDOWN,
} from "./reasons.ts";
export { type NodesKind, Runtime, type RuntimeOptions } from "./runtime.ts";
export { isSpawnReply, type SpawnReplyMode, type SpawnRequestOptions } from "./spawn-requests.ts";
