// One shell session on a node: its variables, and its evaluator, a process that runs the inputs one at a time
// (the shell's `self`, as the Erlang shell's evaluator process is). When the evaluator dies (killed by an
// interrupt, or by a linked process's exit) the next input gets a new one and the variables stay, as in erl.
// The session ends when its client's node goes down, when it has been idle too long, or when it is closed.
import { Console } from "node:console";
import { Writable } from "node:stream";
import { formatWithOptions } from "node:util";
import { isDownOf } from "../otp/gen.ts";
import { KILL, type Process } from "../runtime/index.ts";
import { type Atom, atom } from "../term/atom.ts";
import { equals } from "../term/compare.ts";
import type { TermTextOptions } from "../term/format.ts";
import { type Pid, type Ref, type Term, Tuple, tuple } from "../term/types.ts";
import { type Completion, complete } from "./shell-complete.ts";
import { type ShellHost, shellHelpers } from "./shell-helpers.ts";
import { inspectable, show, showThrown } from "./shell-show.ts";
import { prepareInput } from "./shell-source.ts";

/** What one input gives: a value, an exception (or a syntax error), or the need for more lines. */
export interface Reply {
  readonly kind: "ok" | "error" | "incomplete";
  /** What the input printed (console.log, i(), …) before its value. */
  readonly printed: string;
  readonly text: string;
}

export interface SessionOptions {
  /** Values in ANSI colors. */
  readonly colors: boolean;
  /** The session ends after this many ms without input. */
  readonly idleMs: number;
  /** The client's node: the session ends when it goes down (none for a session opened on this node). */
  readonly client: Atom | undefined;
}

const EVAL = atom("$otter_shell_eval");
const NODEDOWN = atom("nodedown");

type Evaluate = (scope: object) => Promise<unknown>;
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => Evaluate;

export class ShellSession {
  private readonly vars = new Map<string, unknown>();
  private readonly helpers: Record<string, unknown>;
  private readonly scope: object;
  private readonly console: Console;
  private readonly show: (value: unknown) => string;
  private readonly local: TermTextOptions;
  private printed = "";
  private evaluator: Pid | undefined;
  /** The evaluator's process object, while it runs an input. */
  private running: Process | undefined;
  private ended = false;

  constructor(
    private readonly host: ShellHost,
    /** Otter's exports, in scope by name. */
    private readonly otter: Readonly<Record<string, unknown>>,
    private readonly options: SessionOptions,
    /** Called once when the session ends. */
    private readonly onEnd: () => void,
  ) {
    const local: TermTextOptions = { localNode: host.name, localCreation: host.runtime.creation };
    this.local = local;
    this.show = (value) => show(value, { colors: options.colors, local });
    const out = new Writable({
      decodeStrings: false,
      write: (chunk: string, _encoding, done) => {
        this.printed += chunk;
        done();
      },
    });
    this.console = shellConsole(new Console({ stdout: out, stderr: out, colorMode: options.colors }), (args) => {
      this.printed += `${formatWithOptions({ colors: options.colors }, ...args.map((a) => inspectable(a, local)))}\n`;
    });
    this.helpers = shellHelpers({
      host,
      self: () => this.running ?? this.fail("the shell's process runs no input now"),
      print: (text) => {
        this.printed += text;
      },
      show: this.show,
    });
    this.scope = this.makeScope();
  }

  /**
   * Runs `source` in the evaluator, on behalf of `caller` (the process asking, e.g. an rpc's): resolves with the
   * reply, also when the evaluator dies meanwhile.
   */
  async evaluate(caller: Process, source: string): Promise<Reply> {
    if (this.ended) return { kind: "error", printed: "", text: "this shell session has ended" };
    const evaluator = this.evaluatorPid();
    const mref = caller.monitor(evaluator);
    caller.send(evaluator, tuple(EVAL, caller.pid, mref, source));
    const answer = (await caller.receive((m) => isReplyTo(m, mref) || isDownOf(m, mref))) as Tuple;
    if (isDownOf(answer, mref)) {
      if (equals(this.evaluator ?? false, evaluator)) {
        this.evaluator = undefined;
        this.running = undefined; // the input died with it, its `finally` never to run
      }
      const reason = answer.at(4)!;
      return { kind: "error", printed: this.takePrinted(), text: `** exception exit: ${this.show(reason)}` };
    }
    caller.demonitor(mref, { flush: true });
    const [, kind, printed, text] = answer.elements as [Ref, Atom, string, string];
    return { kind: kind.name as Reply["kind"], printed, text };
  }

  /** Kills the evaluator if it is running an input (the input's reply says `killed`); true if it was. */
  interrupt(): boolean {
    if (this.running === undefined || this.evaluator === undefined) return false;
    this.host.runtime.exit(this.evaluator, KILL);
    return true;
  }

  /** Words completing the end of `line`. */
  complete(line: string): Completion {
    return complete(line, {
      names: () => [...this.vars.keys(), "self", "console", ...Object.keys(this.helpers), ...Object.keys(this.otter)],
      lookup: (name) => (this.has(name) ? { found: true, value: this.get(name) } : { found: false }),
      registered: () => this.host.runtime.registered().map((a) => a.name),
    });
  }

  /** Ends the session: its evaluator is killed and its variables dropped. */
  close(): void {
    if (this.evaluator !== undefined) this.host.runtime.exit(this.evaluator, KILL);
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.vars.clear();
    this.onEnd();
  }

  private evaluatorPid(): Pid {
    if (this.evaluator !== undefined && this.host.runtime.isAlive(this.evaluator)) return this.evaluator;
    const shellEvaluator = (self: Process) => this.serve(self);
    this.evaluator = this.host.runtime.spawn(shellEvaluator);
    return this.evaluator;
  }

  /** The evaluator's loop: one input at a time, until the client's node goes down or the session idles out. */
  private async serve(self: Process): Promise<void> {
    const client = this.options.client;
    if (client !== undefined) self.monitorNode(client);
    for (;;) {
      const isRequest = (m: Term) =>
        m instanceof Tuple && ((m.size === 4 && m.at(0) === EVAL) || (m.size === 2 && m.at(0) === NODEDOWN));
      const request = await self.receive(isRequest, { timeout: this.options.idleMs });
      if (request === undefined || (request as Tuple).at(0) === NODEDOWN) {
        this.end();
        return;
      }
      const [, from, ref, source] = (request as Tuple).elements as [Atom, Pid, Ref, string];
      const reply = await this.run(self, source);
      self.send(from, tuple(ref, atom(reply.kind), reply.printed, reply.text));
    }
  }

  /** Prepares and runs one input in `self`; never throws. */
  private async run(self: Process, source: string): Promise<Reply> {
    const prepared = await prepareInput(source);
    if (prepared.kind === "incomplete") return { kind: "incomplete", printed: "", text: prepared.message };
    if (prepared.kind === "syntax") return { kind: "error", printed: "", text: prepared.message };
    let compiled: { evaluate: Evaluate; lines: number };
    try {
      compiled = compile(prepared.body, prepared.last);
    } catch (error) {
      return { kind: "error", printed: "", text: showThrown(error, { colors: false, local: this.local }) };
    }
    for (const name of prepared.names) if (!this.vars.has(name)) this.vars.set(name, undefined);
    this.running = self;
    try {
      const value = await compiled.evaluate(this.scope);
      return { kind: "ok", printed: this.takePrinted(), text: this.show(value) };
    } catch (thrown) {
      const options = { colors: false, local: this.local, inputLines: compiled.lines };
      return { kind: "error", printed: this.takePrinted(), text: showThrown(thrown, options) };
    } finally {
      this.running = undefined;
    }
  }

  private takePrinted(): string {
    const printed = this.printed;
    this.printed = "";
    return printed;
  }

  /**
   * The object the inputs run `with`: the session's variables, then `self` and `console`, the helpers, and Otter's
   * exports. Every other name is a global. An assignment to a name not declared is a ReferenceError (strict mode).
   */
  private makeScope(): object {
    return new Proxy(Object.create(null) as object, {
      has: (_target, key) => typeof key === "string" && this.has(key),
      get: (_target, key) => (typeof key === "string" ? this.get(key) : undefined),
      set: (_target, key, value) => {
        if (typeof key === "string") this.vars.set(key, value);
        return true;
      },
    });
  }

  private has(name: string): boolean {
    return (
      this.vars.has(name) ||
      name === "self" ||
      name === "console" ||
      Object.hasOwn(this.helpers, name) ||
      Object.hasOwn(this.otter, name)
    );
  }

  private get(name: string): unknown {
    if (this.vars.has(name)) return this.vars.get(name);
    if (name === "self") return this.running;
    if (name === "console") return this.console;
    if (Object.hasOwn(this.helpers, name)) return this.helpers[name];
    return this.otter[name];
  }

  private fail(message: string): never {
    throw new Error(message);
  }
}

/** `console`, its printing methods showing Erlang terms in Erlang syntax (the others, as `time`, as they are). */
function shellConsole(base: Console, print: (args: unknown[]) => void): Console {
  const console = Object.create(base) as Console;
  for (const method of ["log", "info", "debug", "warn", "error"] as const) console[method] = (...args) => print(args);
  return console;
}

function isReplyTo(message: Term, ref: Ref): boolean {
  return message instanceof Tuple && message.size === 4 && equals(message.at(0)!, ref);
}

/**
 * The input as an async function of the scope: `with` (sloppy mode's) binds the session's names, and the code
 * itself runs in strict mode inside it, from the function's line INPUT_FIRST_LINE on (shell-show.ts reads its frames). If giving back the last
 * expression's value does not compile (the split into statements went wrong), the input runs without a value
 * rather than not at all.
 */
function compile(body: string, last: string | undefined): { evaluate: Evaluate; lines: number } {
  const wrap = (code: string) => ({
    evaluate: new AsyncFunction(
      "__otter_shell_scope",
      `with (__otter_shell_scope) { return (async function () { "use strict";\n${code}\n}).call(undefined); }`,
    ),
    lines: code.split("\n").length,
  });
  if (last === undefined) return wrap(body);
  const before = body === "" ? "" : `${body}\n`;
  try {
    return wrap(`${before}return (${last});`);
  } catch {
    return wrap(`${before}${last};`);
  }
}
