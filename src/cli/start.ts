// `otter start`: a distributed node that runs until SIGINT/SIGTERM (the full command comes with the CLI issue).
import { type NodeOptions, startNode } from "../node/index.ts";

export async function runNode(options: NodeOptions): Promise<number> {
  const node = await startNode(options);
  console.log(`otter: node ${node.name.name} is up (creation ${node.creation}); stop it with Ctrl-C`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  await node.stop();
  console.log(`otter: node ${node.name.name} stopped (${signal})`);
  return 0;
}
