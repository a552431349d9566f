// `otter ping NODE`: net_adm:ping from a hidden node of its own; prints pong (exit 0) or pang (exit 1).
import { parseArgs } from "node:util";
import { startClientNode } from "./connect.ts";
import { UsageError } from "./failures.ts";

export async function pingCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { cookie: { type: "string" } } });
  if (positionals.length !== 1) throw new UsageError("ping takes one node name");
  const node = await startClientNode({ target: positionals[0]!, cookie: values.cookie, command: "ping" });
  try {
    const answer = await node.ping(positionals[0]!);
    console.log(answer);
    return answer === "pong" ? 0 : 1;
  } finally {
    await node.stop();
  }
}
