// `otter remsh NODE`: a shell on a running node over distribution, as `erl -remsh`, from a hidden node of its own.
// On a terminal: node:repl's line editing, completion from the node, history in a file, multi-line input;
// Ctrl-C stops the input being evaluated, Ctrl-D or `.exit` leaves (exit 0). With standard input not a terminal
// (a pipe, a file), it reads inputs line by line and writes values to stdout, exceptions to stderr, and the banner
// to stderr, so stdout holds only what the inputs gave.
import { once } from "node:events";
import { homedir } from "node:os";
import { join } from "node:path";
import * as readline from "node:readline";
import * as repl from "node:repl";
import { parseArgs } from "node:util";
import type { OtterNode } from "../node/index.ts";
import type { Reply } from "../node/shell-session.ts";
import { type Atom, atom } from "../term/atom.ts";
import { type Term, Tuple } from "../term/types.ts";
import { connectClient } from "./connect.ts";
import { CommandFailed, UsageError } from "./failures.ts";
import { openShell, type RemoteShell } from "./remote-shell.ts";

export async function remshCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { cookie: { type: "string" }, sname: { type: "string" }, name: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("remsh takes one node name");
  if (values.sname !== undefined && values.name !== undefined) throw new UsageError("use one of --sname and --name");
  const own =
    values.sname !== undefined
      ? { sname: values.sname }
      : values.name !== undefined
        ? { name: values.name }
        : undefined;
  const { node, target } = await connectClient({
    target: positionals[0]!,
    cookie: values.cookie,
    command: "remsh",
    own,
  });
  try {
    const interactive = process.stdin.isTTY === true;
    const shell = await openShell(node, target, { colors: interactive && process.stdout.isTTY === true });
    try {
      return interactive ? await terminal(shell, nodedown(node, target)) : await piped(shell);
    } finally {
      await shell.close().catch(() => undefined);
    }
  } finally {
    await node.stop();
  }
}

/** The shell on a terminal, until Ctrl-D, `.exit`, or the node going down (a CommandFailed then). */
async function terminal(shell: RemoteShell, down: Promise<void>): Promise<number> {
  process.stdout.write(`${shell.banner}\n`);
  let evaluating = false;
  let failure: unknown;
  const server = repl.start({
    prompt: shell.prompt(),
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    ignoreUndefined: true,
    preview: false,
    // The node sends text: printed as it is.
    writer: (text: unknown) => String(text),
    completer: (line: string, done: (error: Error | null, result: [string[], string]) => void) => {
      shell.complete(line).then(
        ({ words, prefix }) => done(null, [words, prefix]),
        () => done(null, [[], line]),
      );
    },
    eval: (source, _context, _file, done) => {
      evaluating = true;
      shell.evaluate(source).then(
        (reply) => {
          evaluating = false;
          server.setPrompt(shell.prompt());
          server.output.write(reply.printed);
          if (reply.kind === "incomplete") return done(new repl.Recoverable(new SyntaxError(reply.text)), undefined);
          if (reply.kind === "ok") return done(null, reply.text);
          server.output.write(`\x1b[31m${reply.text}\x1b[39m\n`);
          done(null, undefined);
        },
        (error) => {
          failure = error;
          server.close();
        },
      );
    },
  });
  server.on("SIGINT", () => {
    if (evaluating) shell.interrupt().catch(() => undefined);
  });
  const history = process.env.OTTER_HISTORY ?? join(homedir(), ".otter_history");
  if (history !== "") server.setupHistory(history, () => {});
  down.then(() => {
    failure ??= new CommandFailed("the node went down");
    server.close();
  });
  await once(server, "exit");
  if (failure !== undefined) throw failure;
  return 0;
}

/** Inputs read line by line from a pipe or a file, until its end or `.exit`. */
async function piped(shell: RemoteShell): Promise<number> {
  process.stderr.write(`${shell.banner}\n`);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let pending = "";
  for await (const line of lines) {
    if (pending === "" && line.trim() === "") continue;
    if (pending === "" && line.trim() === ".exit") break;
    pending += `${line}\n`;
    const reply = await shell.evaluate(pending);
    if (reply.kind === "incomplete") continue;
    pending = "";
    report(reply);
  }
  if (pending !== "") report(await shell.evaluate(pending));
  return 0;
}

function report(reply: Reply): void {
  process.stdout.write(reply.printed);
  if (reply.kind === "ok") process.stdout.write(`${reply.text}\n`);
  else process.stderr.write(`${reply.text}\n`);
}

/** Settles when the connection to `target` goes down (never, if the node stops first). */
function nodedown(node: OtterNode, target: Atom): Promise<void> {
  const down = node.runtime.run(async (self) => {
    self.monitorNode(target);
    await self.receive((m: Term) => m instanceof Tuple && m.at(0) === atom("nodedown"));
  });
  return down.then(
    () => undefined,
    () => new Promise<void>(() => {}),
  );
}
