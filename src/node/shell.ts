// The shell of a node: sessions evaluating TypeScript on it, and `otter_shell`, the module through which other
// nodes use them (what `otter remsh` and `otter eval` call over distribution; erl can call it too).
//
// otter_shell:open(Session, Options) -> Banner          Options: [colors]
// otter_shell:eval(Session, Source) -> {ok | error | incomplete, Printed, Text}
// otter_shell:complete(Session, Line) -> {Words, Prefix}
// otter_shell:interrupt(Session) -> boolean()           kills the evaluator if it runs an input
// otter_shell:close(Session) -> boolean()
//
// A session is named by any term its client chooses, best a reference made on the client's node: the session
// then ends when that node goes down. Source, Printed and Text are UTF-8 binaries (an Erlang string works too).
import { readFileSync } from "node:fs";
import type { ExportedFunction } from "../dist/modules.ts";
import { Atom, atom } from "../term/atom.ts";
import { formatForPeople } from "../term/format.ts";
import { Pid, Ref, type Term, Tuple, tuple } from "../term/types.ts";
import type { ShellHost } from "./shell-helpers.ts";
import { type Reply, ShellSession } from "./shell-session.ts";

export interface ShellOptions {
  /** A session with no input for this long ends (default 30 minutes). */
  idleMs?: number;
}

export interface OpenOptions {
  /** Values in ANSI colors (for a terminal). */
  colors?: boolean;
}

const DEFAULT_IDLE_MS = 30 * 60_000;

export class Shell {
  private readonly sessions = new Map<string, ShellSession>();
  private otter: Readonly<Record<string, unknown>> | undefined;

  constructor(
    private readonly host: ShellHost,
    private readonly options: ShellOptions = {},
  ) {}

  /** The session named `id`, opened now if it is not open. */
  async open(id: Term, options: OpenOptions = {}): Promise<ShellSession> {
    const key = formatForPeople(id);
    const open = this.sessions.get(key);
    if (open !== undefined) return open;
    // Otter's exports are the shell's names; loaded here, not imported, as the node itself is one of them.
    this.otter ??= (await import("../index.ts")) as Record<string, unknown>;
    const again = this.sessions.get(key);
    if (again !== undefined) return again;
    const client = id instanceof Ref || id instanceof Pid ? id.node : undefined;
    const session: ShellSession = new ShellSession(
      this.host,
      this.otter,
      {
        colors: options.colors ?? false,
        idleMs: this.options.idleMs ?? DEFAULT_IDLE_MS,
        client: client === this.host.name ? undefined : client,
      },
      () => {
        if (this.sessions.get(key) === session) this.sessions.delete(key);
      },
    );
    this.sessions.set(key, session);
    return session;
  }

  /** The open session named `id`. */
  session(id: Term): ShellSession | undefined {
    return this.sessions.get(formatForPeople(id));
  }

  /** How many sessions are open. */
  get size(): number {
    return this.sessions.size;
  }

  /** The text a client shows first. */
  banner(): string {
    return `Otter ${otterVersion()} on node ${this.host.name.name} (TypeScript; help() lists the helpers)`;
  }
}

/** `otter_shell`'s functions (see the top of this file). */
export function shellModule(shell: Shell): Record<string, ExportedFunction> {
  return {
    open: async (_self, id, options) => {
      await shell.open(id, { colors: hasOption(options, "colors") });
      return shell.banner();
    },
    eval: async (self, id, source) => replyTerm(await (await shell.open(id)).evaluate(self, text(source))),
    complete: async (_self, id, line) => {
      const { words, prefix } = (await shell.open(id)).complete(text(line));
      return tuple(words, prefix);
    },
    interrupt: (_self, id) => shell.session(id)?.interrupt() ?? false,
    close: (_self, id) => {
      const session = shell.session(id);
      session?.close();
      return session !== undefined;
    },
  };
}

function replyTerm(reply: Reply): Term {
  return tuple(atom(reply.kind), reply.printed, reply.text);
}

/** `colors` or `{colors, true}` in a list of options. */
function hasOption(options: Term, name: string): boolean {
  if (!Array.isArray(options)) return false;
  const key = atom(name);
  return options.some((o) => o === key || (o instanceof Tuple && o.size === 2 && o.at(0) === key && o.at(1) === true));
}

/** A binary, an Erlang string or an atom as text. */
function text(term: Term): string {
  if (typeof term === "string") return term;
  if (term instanceof Uint8Array) return Buffer.from(term.buffer, term.byteOffset, term.byteLength).toString("utf8");
  if (term instanceof Atom) return term.name;
  if (Array.isArray(term) && term.every((c) => typeof c === "number"))
    return term.map((c) => String.fromCodePoint(c)).join("");
  throw new TypeError(`not text: ${formatForPeople(term)}`);
}

let version: string | undefined;

function otterVersion(): string {
  if (version === undefined) {
    try {
      const manifest = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
      version = String((JSON.parse(manifest) as { version?: unknown }).version);
    } catch {
      version = "(version unknown)";
    }
  }
  return version;
}
