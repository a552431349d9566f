// The cluster layer's public surface: schedulers, membership and load reports, spawnOn and spawnLb, cluster names,
// migration, the rebalancer and replication.
export {
  type LoadSource,
  type NodeLoad,
  nodeScore,
  RuntimeLoadSource,
  type SchedulerLoad,
  UTILISATION_WEIGHT,
} from "./load-report.ts";
export {
  Cluster,
  type ClusterEvents,
  type ClusterOptions,
  monitorMembers,
  OTTER_CLUSTER,
  STALE_INTERVALS,
  startCluster,
} from "./membership.ts";
export {
  type Migrated,
  type MigrateOptions,
  Migration,
  type MigrationHost,
  type MigrationTarget,
  type Moved,
  migrate,
  migrateTimed,
  migrationOf,
  type RepointableRegistry,
  type ServerSpec,
  startMigration,
} from "./migration.ts";
export { ClusterNames, NAMES_SERVER, startClusterNames } from "./names.ts";
export {
  OTTER_REBALANCER,
  type RebalanceMove,
  type RebalancePlace,
  Rebalancer,
  type RebalancerEvents,
  type RebalancerOptions,
  startRebalancer,
} from "./rebalancer.ts";
export { callReplicated, type ReplicatedOptions, Replication, startReplication } from "./replicated.ts";
export type { SchedulerSample } from "./schedulers/load-meter.ts";
export { type SchedulerPlan, Schedulers, type SchedulersOptions } from "./schedulers/schedulers.ts";
export { type SpawnLbOptions, spawnLb, spawnLbLink, spawnLbMonitor } from "./spawn-lb.ts";
export { spawnOn } from "./spawn-on.ts";
