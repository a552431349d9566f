// The client side of a shell on another node: TypeScript evaluated by an Otter node's `otter_shell` module, or,
// when the node has no such module (a BEAM node), Erlang evaluated there (erlang-shell.ts).
import { ErpcError, ErrorCodes } from "../errors.ts";
import type { OtterNode } from "../node/index.ts";
import type { Reply } from "../node/shell-session.ts";
import { type Atom, atom } from "../term/atom.ts";
import { type Term, Tuple } from "../term/types.ts";
import { CommandFailed } from "./failures.ts";

export interface RemoteShell {
  /** What the node evaluates. */
  readonly language: "typescript" | "erlang";
  /** The first line a person sees. */
  readonly banner: string;
  /** The prompt for the next input. */
  prompt(): string;
  evaluate(source: string): Promise<Reply>;
  /** Words completing the end of `line`, and the end of the line they replace. */
  complete(line: string): Promise<{ words: string[]; prefix: string }>;
  /** Stops the input being evaluated, if any. */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}

const SHELL = "otter_shell";
const UNDEF = atom("undef");

/** A shell on `target`: TypeScript if it is an Otter node, else Erlang. */
export async function openShell(node: OtterNode, target: Atom, options: { colors: boolean }): Promise<RemoteShell> {
  const session = node.runtime.makeRef();
  const call = (fn: string, args: Term[]) => remoteCall(node, target, SHELL, fn, args);
  let banner: Term;
  try {
    banner = await call("open", [session, options.colors ? [atom("colors")] : []]);
  } catch (e) {
    if (!isUndef(e)) throw e;
    return (await import("./erlang-shell.ts")).openErlangShell(node, target);
  }
  const prompt = `${target.name.slice(0, target.name.indexOf("@"))}> `;
  return {
    language: "typescript",
    banner: textOf(banner),
    prompt: () => prompt,
    evaluate: async (source) => replyOf(await call("eval", [session, source])),
    complete: async (line) => {
      const [words, prefix] = ((await call("complete", [session, line])) as Tuple).elements as [Term[], Term];
      return { words: words.map(textOf), prefix: textOf(prefix) };
    },
    interrupt: async () => {
      await call("interrupt", [session]);
    },
    close: async () => {
      await call("close", [session]).catch(() => undefined);
    },
  };
}

/** erpc:call, a lost connection made a CommandFailed (the one line the command prints). */
export async function remoteCall(node: OtterNode, target: Atom, module: string, fn: string, args: Term[]) {
  try {
    return await node.erpc.call(target, module, fn, args);
  } catch (e) {
    if (e instanceof ErpcError && e.code === ErrorCodes.ERPC_NOCONNECTION) {
      throw new CommandFailed(`lost the connection to ${target.name}`);
    }
    throw e;
  }
}

/** Whether erpc:call raised `error:undef`: the module (or function) is not on that node. */
export function isUndef(e: unknown): boolean {
  return (
    e instanceof ErpcError &&
    e.code === ErrorCodes.ERPC_EXCEPTION &&
    e.class === "error" &&
    e.reason instanceof Tuple &&
    e.reason.at(1) === UNDEF
  );
}

function replyOf(answer: Term): Reply {
  const [kind, printed, text] = (answer as Tuple).elements as [Atom, Term, Term];
  return { kind: kind.name as Reply["kind"], printed: textOf(printed), text: textOf(text) };
}

/** A binary (or JS string) as text. */
export function textOf(term: Term): string {
  if (typeof term === "string") return term;
  if (term instanceof Uint8Array) return Buffer.from(term.buffer, term.byteOffset, term.byteLength).toString("utf8");
  throw new CommandFailed(`the node answered with something that is not text`);
}
