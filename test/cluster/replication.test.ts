// Replicated GenServers (src/cluster/replicated.ts): the primary runs in a child OS process's node, standbys on two
// nodes here; the child is killed with SIGKILL while callers call by name. Every call that got a reply is in the
// state of the standby that took over (the first-ranked one), the name now points to it, and the dead node's
// names are freed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type ClusterNames, startClusterNames } from "../../src/cluster/names.ts";
import { callReplicated, startReplication } from "../../src/cluster/replicated.ts";
import { atom, type GenServerCallbacks, type Term, tuple } from "../../src/index.ts";
import { type OtterNode, startNode } from "../../src/node/node.ts";
import { freePort } from "../../src/testing/erl-node.ts";
import { type ChildNode, killChildNode, startChildNode } from "../support/child-node.ts";
import { uniqueCookie, uniqueNodeName } from "../support/dist.ts";
import { waitFor } from "../support/runtime.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** A set of ids: `{add, Id}` adds one and replies `ok`; `ids` replies with them all. Shared with the child. */
const LOG_SERVER = `({
  init: () => ({ state: [] }),
  handleCall: (_self, request, _from, ids) =>
    request === atom("ids") ? { reply: ids, state: ids } : { reply: atom("ok"), state: [...ids, request.at(1)] },
})`;

/** The child: a node with the primary of `log`, its standbys on the two nodes named in its arguments. */
const CHILD = `
const [src, name, cookie, epmdPort, b, c] = process.argv.slice(-6);
const { startNode } = await import(src + "node/node.ts");
const { atom } = await import(src + "term/atom.ts");
const { startClusterNames } = await import(src + "cluster/names.ts");
const { startReplication } = await import(src + "cluster/replicated.ts");
const node = await startNode({ name, cookie, epmdPort: Number(epmdPort), listen: { host: "127.0.0.1" } });
node.exportModule("log", { server: () => ${LOG_SERVER} });
const names = startClusterNames(node);
const replication = startReplication(node, { names });
await node.connect(b);
await node.connect(c);
await replication.start({ module: "log", fn: "server" }, null, { name: atom("log"), standbys: [b, c] });
console.log("up");
`;

describe("a replicated GenServer whose node is killed", () => {
  const cookie = uniqueCookie();
  let b: { node: OtterNode; names: ClusterNames };
  let c: { node: OtterNode; names: ClusterNames };
  let child: ChildNode;
  const childName = uniqueNodeName("repl_primary");

  async function start(prefix: string, epmdPort: number) {
    const node = await startNode({
      name: uniqueNodeName(prefix),
      cookie,
      epmdPort,
      listen: { host: "127.0.0.1" },
      runtime: { logger: () => {} },
    });
    const server = new Function("atom", `return ${LOG_SERVER}`)(atom) as GenServerCallbacks<Term[], null>;
    node.exportModule("log", { server: () => server as unknown as Term });
    const names = startClusterNames(node);
    startReplication(node, { names });
    return { node, names };
  }

  before(async () => {
    const epmdPort = await freePort();
    b = await start("repl_b", epmdPort);
    c = await start("repl_c", epmdPort);
    assert.equal(await b.node.connect(c.node.name), true);
    const args = [SRC, childName, cookie, String(epmdPort), b.node.name.name, c.node.name.name];
    child = await startChildNode(CHILD, args, { tsx: true, readyWithinMs: 30_000 });
  });

  after(async () => {
    await killChildNode(child);
    await c?.node.stop();
    await b?.node.stop();
  });

  test("SIGKILL during calls: every replied call is in the state of the first standby, which holds the name", async () => {
    const name = atom("log");
    await waitFor(() => c.names.whereisName(name)?.node === atom(childName), "the name on c", 10_000);
    const server = { via: c.names, name };
    const replied: number[] = [];
    let killed = false;
    const callers = Array.from({ length: 4 }, (_, caller) =>
      c.node.runtime.run(async (self) => {
        for (let i = 0; i < 60; i++) {
          const id = caller * 1000 + i;
          await callReplicated(self, server, tuple(atom("add"), id), { timeout: 15_000 });
          replied.push(id);
          if (replied.length === 80 && !killed) {
            killed = true;
            child.kill("SIGKILL");
          }
        }
      }),
    );
    await Promise.all(callers);
    assert.ok(killed, "the primary's node was never killed");
    const holder = c.names.whereisName(name)!;
    assert.equal(holder.node, b.node.name, "the first-ranked standby (on b) took over");
    const ids = (await c.node.runtime.run((self) => callReplicated(self, server, atom("ids")))) as number[];
    const kept = new Set(ids);
    const lost = replied.filter((id) => !kept.has(id));
    assert.deepEqual(lost, [], "calls that got a reply but are missing after the takeover");
    // The dead node's names are gone: none points at a pid of the child's node.
    for (const names of [b.names, c.names]) {
      assert.ok(names.names().every(([, pid]) => pid.node !== atom(childName)));
    }
  });
});
