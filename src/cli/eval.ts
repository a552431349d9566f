// `otter eval EXPR --node N`: one input evaluated on a running node (TypeScript on an Otter node, Erlang on a BEAM
// node, where the final dot may be left out); its value on stdout and exit 0, or the exception on stderr and exit 1.
import { parseArgs } from "node:util";
import { connectClient } from "./connect.ts";
import { UsageError } from "./failures.ts";
import { openShell } from "./remote-shell.ts";

export async function evalCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { node: { type: "string" }, cookie: { type: "string" } },
  });
  if (positionals.length === 0) throw new UsageError("eval takes an expression");
  if (values.node === undefined) throw new UsageError("eval needs --node NAME@HOST");
  const { node, target } = await connectClient({ target: values.node, cookie: values.cookie, command: "eval" });
  try {
    const shell = await openShell(node, target, { colors: false });
    try {
      let source = positionals.join(" ");
      if (shell.language === "erlang" && !/\.\s*$/.test(source)) source += ".";
      const reply = await shell.evaluate(source);
      process.stdout.write(reply.printed);
      if (reply.kind === "ok") {
        console.log(reply.text);
        return 0;
      }
      console.error(reply.kind === "incomplete" ? `otter: the expression is incomplete: ${reply.text}` : reply.text);
      return 1;
    } finally {
      await shell.close();
    }
  } finally {
    await node.stop();
  }
}
