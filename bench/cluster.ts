// Cluster benchmark (issue 10): scaling from 1 to 2 schedulers and cross-scheduler ping-pong beside BEAM's `+S 1`
// / `+S 2` (bench/cluster/schedulers.ts), the same-host transport beside loopback TCP (bench/cluster/transport.ts),
// and the pause a migrating server's callers see (bench/cluster/migration.ts). Goals: scaling at least BEAM's,
// same-host transport ≥ 2× loopback TCP on small messages, migration pause ≤ 1 ms.

import { measureMigration } from "./cluster/migration.ts";
import { measureSchedulers } from "./cluster/schedulers.ts";
import { measureTransport } from "./cluster/transport.ts";
import type { BenchContext, BenchResult } from "./lib/report.ts";

export const description =
  "schedulers 1→2 scaling and cross-scheduler ping-pong vs BEAM +S 1/+S 2, same-host transport vs TCP, migration pause";

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.print(`cluster benchmark (${ctx.quick ? "--quick" : "full"})`);
  return [...(await measureSchedulers(ctx)), ...(await measureTransport(ctx)), ...(await measureMigration(ctx))];
}
