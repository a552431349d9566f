// `otter load`: loads a module into a running node (Otter's) over distribution, through Erlang's
// `code:load_binary/3` on that node, purging its old version first as the shell's `l(Module)` does.
import { readFile } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { atom, format, Tuple } from "../index.ts";
import { checkTarget, connectClient } from "./connect.ts";
import { CommandFailed } from "./failures.ts";

export interface LoadCommand {
  /** The running node, `name@host`. */
  readonly target: string;
  readonly cookie: string | undefined;
  /** The module's file on this machine: its text is sent. */
  readonly path: string;
  /** The module's name (default: the file's name without its extension). */
  readonly module: string | undefined;
  /** Kill processes still running the module's old version (code:purge) instead of refusing (code:soft_purge). */
  readonly purge: boolean;
}

/** Exit status: 0 loaded, 1 refused by the node or not reached. */
export async function runLoad(command: LoadCommand): Promise<number> {
  checkTarget(command.target);
  const filename = resolve(command.path);
  const source = await readFile(filename).catch((error: NodeJS.ErrnoException) => {
    throw new CommandFailed(`cannot read ${command.path}: ${error.code ?? error.message}`);
  });
  const module = atom(command.module ?? basename(filename, extname(filename)));
  const { node } = await connectClient({ target: command.target, cookie: command.cookie, command: "load" });
  try {
    const purge = command.purge ? "purge" : "soft_purge";
    const purged = await node.erpc.call(command.target, "code", purge, [module]);
    if (purged === false && !command.purge) {
      console.error(`otter: processes on ${command.target} still run ${module.name}'s old code (--purge kills them)`);
      return 1;
    }
    const answer = await node.erpc.call(command.target, "code", "load_binary", [module, filename, source]);
    if (answer instanceof Tuple && answer.at(0) === atom("module")) {
      console.log(`otter: loaded ${module.name} (${filename}) into ${command.target}`);
      return 0;
    }
    console.error(`otter: ${command.target} refused ${module.name}: ${format(answer)}`);
    return 1;
  } finally {
    await node.stop();
  }
}
