// The observer's applications view on a local node: each running application with its supervision tree (names,
// kinds, children of a DynamicSupervisor), restart counts that move when a child is killed and restarted, and a
// supervisor with more children than are shown.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Application,
  atom,
  DynamicSupervisor,
  GenServer,
  KILL,
  type Pid,
  type Runtime,
  Supervisor,
} from "../../../src/index.ts";
import type { TreeNode } from "../../../src/observe/protocol.ts";
import { localApplications, MAX_CHILDREN_SHOWN } from "../../../src/observe/views/local-applications.ts";
import { runtime, waitFor } from "../../support/runtime.ts";
import { counter, startShop } from "./support.ts";

function applications(rt: Runtime) {
  return localApplications(rt, { node: rt.node, creation: rt.creation });
}

function child(node: TreeNode | null | undefined, id: string): TreeNode {
  const found = node?.children.find((c) => c.id === id);
  assert.ok(found !== undefined, `a child ${id} under ${node?.id}`);
  return found;
}

async function roomsOf(rt: Runtime, top: Pid): Promise<Pid> {
  const children = await rt.run((self) => Supervisor.whichChildren(self, top));
  return children.find((c) => c.id === "rooms")!.pid as Pid;
}

describe("the applications view", () => {
  test("a running application with its tree; a library application without one", async (t) => {
    const { rt } = runtime(t);
    Application.load(rt, { name: "library", description: "env only", vsn: "0.1" });
    await Application.start(rt, "library");
    const top = await startShop(rt);
    const [shop, library] = await applications(rt);
    assert.deepEqual(library, { name: "library", description: "env only", vsn: "0.1", tree: null });
    assert.equal(shop!.name, "shop");
    assert.equal(shop!.vsn, "1.2.3");
    const tree = shop!.tree!;
    assert.equal(tree.pid, `<0.${top.id}.${top.serial}>`);
    assert.deepEqual([tree.id, tree.kind, tree.restarts], ["shop", "supervisor", 0]);
    assert.deepEqual(
      tree.children.map((c) => [c.id, c.kind, c.name]),
      [
        ["counter", "worker", "shop_counter"],
        ["rooms", "supervisor", null],
      ],
    );
    const rooms = child(tree, "rooms");
    assert.equal(rooms.children.length, 2);
    assert.ok(rooms.children.every((c) => c.kind === "worker" && c.id === "undefined" && c.restarts === 0));
  });

  test("a child killed and restarted shows its restart, in a Supervisor and in a DynamicSupervisor", async (t) => {
    const { rt } = runtime(t);
    const top = await startShop(rt);
    const counterPid = rt.whereis(atom("shop_counter"))!;
    rt.exit(counterPid, KILL);
    await waitFor(() => {
      const again = rt.whereis(atom("shop_counter"));
      return again !== undefined && again !== counterPid;
    }, "the counter's restart");
    const rooms = await roomsOf(rt, top);
    const [room] = await rt.run((self) => DynamicSupervisor.whichChildren(self, rooms));
    rt.exit(room!.pid as Pid, KILL);
    await waitFor(() => !rt.isAlive(room!.pid as Pid), "the room's exit");
    await rt.idle();
    const [shop] = await applications(rt);
    assert.equal(child(shop!.tree, "counter").restarts, 1);
    assert.equal(child(shop!.tree, "rooms").restarts, 0);
    assert.deepEqual(
      child(shop!.tree, "rooms")
        .children.map((c) => c.restarts)
        .sort(),
      [0, 1],
    );
  });

  test("a supervisor with very many children shows the first ones and counts the rest", async (t) => {
    const { rt } = runtime(t);
    const top = await startShop(rt);
    const rooms = await roomsOf(rt, top);
    await rt.run(async (self) => {
      for (let i = 0; i < MAX_CHILDREN_SHOWN + 8; i++) {
        await DynamicSupervisor.startChild(self, rooms, { start: (p) => GenServer.startLink(p, counter, i) });
      }
    });
    const [shop] = await applications(rt);
    const shown = child(shop!.tree, "rooms");
    assert.equal(shown.children.length, MAX_CHILDREN_SHOWN);
    assert.equal(shown.omitted, 10);
  });
});
