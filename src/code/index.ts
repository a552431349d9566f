// The code server's public surface: loading module versions, calling through module names, purging, live upgrades.
export {
  CodeServer,
  type CodeServerOptions,
  type LoadedModule,
  type LoadSpec,
  type StagedLoad,
  startCodeServer,
  type VersionInfo,
} from "./code-server.ts";
export type { Namespace } from "./install.ts";
export { moduleNamed } from "./module-handle.ts";
export {
  type FailedAt,
  type ProcessUpdate,
  type PurgeMode,
  type RollbackProblem,
  UpgradeError,
  type UpgradeOptions,
  type UpgradePlan,
  type UpgradeResult,
  type UpgradeStep,
} from "./upgrade.ts";
