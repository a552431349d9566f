// The other node of the migration benchmark's two-process case (bench/cluster/migration.ts), in a child `node` of
// its own: it joins the cluster names, can receive and start the migratable counter, prints `ready`, and runs
// until killed.
//
//   migration-node NAME COOKIE EPMD_PORT
import { startClusterNames, startMigration } from "../../dist/cluster/index.js";
import { type GenServerCallbacks, type Process, startNode, type Term } from "../../dist/index.js";

const counter: GenServerCallbacks<number, number, Term, Term, Term> = {
  init: (_self, n) => ({ state: n }),
  handleCall: (_self, _request, _from, n) => ({ reply: n + 1, state: n + 1 }),
};

const [name, cookie, epmdPort] = process.argv.slice(2);
const node = await startNode({
  name: name!,
  cookie: cookie!,
  epmdPort: Number(epmdPort),
  listen: { host: "127.0.0.1" },
});
startMigration(node, { names: startClusterNames(node) });
node.exportModule("bench_counter", { server: (_self: Process) => counter as unknown as Term });
process.stdout.write("ready\n");
