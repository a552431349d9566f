// The shell's helpers, after the Erlang shell's (c.erl, shell_default): i() and regs() list processes and names,
// processInfo and getState look into one, l() loads a module, pid(0, Id, Serial) makes a pid, flush() empties
// the shell's mailbox, help() lists them all. Processes are the node's, of every scheduler: the ones of another
// scheduler are only known by asking it, so the helpers that read them are async (the shell awaits an input's value).
import { basename, extname, resolve } from "node:path";
import type { CodeServer } from "../code/index.ts";
import { sys } from "../otp/sys.ts";
import type { NodesKind, Process, ProcessInfo, Runtime } from "../runtime/index.ts";
import { Atom, atom } from "../term/atom.ts";
import { Pid, type Term, tuple } from "../term/types.ts";

/** What the shell needs of the node it runs on (an OtterNode has all of it). */
export interface ShellHost {
  readonly name: Atom;
  readonly runtime: Runtime;
  readonly code: CodeServer;
  nodes(kinds?: NodesKind | readonly NodesKind[]): Atom[];
}

export interface HelperContext {
  readonly host: ShellHost;
  /** The shell's process: the session's evaluator. */
  self(): Process;
  /** Adds text to what the current input prints. */
  print(text: string): void;
  show(value: unknown): string;
}

const OK = atom("ok");

const HELP = `Helpers (the Erlang shell's, for an Otter node):
  i()                   the processes: pid, registered name, current function, status, reductions, messages
  i(0, Id, Serial)      processInfo of one process, as pid(0, Id, Serial)
  regs()                the registered names
  nodes(kinds?)         the connected nodes ("visible" by default, "hidden", "connected")
  processInfo(p)        one process's info, a promise (p: a pid, a registered name, or its text)
  getState(p)           a behaviour's state (sys.getState)
  l(path) / load(path)  (re)load a module from a .ts/.js file into the code server; l(name) reloads it
  m()                   the loaded modules
  pid(0, Id, Serial)    the pid <0.Id.Serial>
  flush()               print and drop the messages the shell's process has received
  help()                this text
In scope too: node, runtime, self (the shell's process), console (prints here), and Otter's exports (atom, tuple,
GenServer, Supervisor, …). Declarations last for the session; top-level await works.`;

export function shellHelpers(context: HelperContext): Record<string, unknown> {
  const { host, print, show } = context;
  const rt = host.runtime;
  const pid = (nodeIndex: number, id: number, serial: number): Pid => {
    if (nodeIndex !== 0) throw new RangeError("pid(0, Id, Serial): only node 0, this node, can be named here");
    return new Pid(host.name, id, serial, rt.creation);
  };
  const localPid = (target: unknown): Pid => {
    if (target instanceof Pid) return target;
    const name = target instanceof Atom ? target : typeof target === "string" ? atom(target) : undefined;
    if (name === undefined) throw new TypeError(`not a pid or a registered name: ${show(target)}`);
    const found = rt.whereis(name);
    if (found === undefined) throw new Error(`no process is registered as ${show(name)}`);
    return found;
  };
  const processInfo = async (target: unknown): Promise<ProcessInfo | undefined> =>
    (await rt.nodeProcessInfo([localPid(target)]))[0];
  const load = async (what: unknown): Promise<Term> => {
    const text = what instanceof Atom ? what.name : String(what);
    const isPath = /[\\/]/.test(text) || extname(text) !== "";
    const name = isPath ? basename(text, extname(text)) : text;
    const path = isPath ? resolve(text) : host.code.which(name);
    if (path === undefined) throw new Error(`${text} is neither a file nor a loaded module`);
    // As c:l/1: the old version goes first (processes still running it are killed), then the file is loaded.
    if (host.code.isLoaded(name) !== false) host.code.purge(name);
    await host.code.load(name, { path });
    return tuple(atom("module"), atom(name));
  };
  return {
    node: host,
    runtime: rt,
    help: () => {
      print(`${HELP}\n`);
      return OK;
    },
    i: async (...args: number[]) => {
      if (args.length === 3) return processInfo(pid(args[0]!, args[1]!, args[2]!));
      print(await processTable(rt, show));
      return OK;
    },
    regs: async () => {
      print(await registeredTable(host, show));
      return OK;
    },
    nodes: (kinds?: NodesKind | readonly NodesKind[]) => host.nodes(kinds),
    processInfo,
    getState: (target: unknown, timeout?: number) =>
      sys.getState(context.self(), target instanceof Pid ? target : localPid(target), { timeout }),
    l: load,
    load,
    m: () => {
      const rows = host.code
        .allLoaded()
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => [m.name, String(host.code.versions(m.name).current?.serial ?? ""), m.file]);
      print(table(["Module", "Version", "File"], rows, [false, true, false]));
      return OK;
    },
    pid,
    flush: async () => {
      const self = context.self();
      for (;;) {
        const message = await self.receive(undefined, { timeout: 0 });
        if (message === undefined) return OK;
        print(`Shell got ${show(message)}\n`);
      }
    },
  };
}

/**
 * i(): one line per process of the node, in pid order, then the totals (Erlang's i/0 shows two lines each: its
 * columns differ). A process that ended while the others were asked is left out.
 */
async function processTable(rt: Runtime, show: (value: unknown) => string): Promise<string> {
  const rows: string[][] = [];
  let reductions = 0;
  let messages = 0;
  let memory = 0;
  const pids = (await rt.nodeProcesses()).sort((a, b) => a.id - b.id); // each scheduler's come in its slot order
  for (const info of await rt.nodeProcessInfo(pids)) {
    if (info === undefined) continue;
    const { pid } = info;
    reductions += info.reductions;
    messages += info.messageQueueLen;
    memory += info.memory;
    rows.push([
      show(pid),
      info.registeredName === undefined ? "" : info.registeredName.name,
      info.currentFunction,
      info.status,
      String(info.reductions),
      String(info.messageQueueLen),
      String(info.memory),
    ]);
  }
  rows.push([`Total: ${rows.length}`, "", "", "", String(reductions), String(messages), String(memory)]);
  const header = ["Pid", "Registered", "Current function", "Status", "Reds", "Msgs", "Memory"];
  return table(header, rows, [false, false, false, false, true, true, true]);
}

/** regs(): the registered names (the node's), sorted, with their processes, of whichever scheduler holds them. */
async function registeredTable(host: ShellHost, show: (value: unknown) => string): Promise<string> {
  const rt = host.runtime;
  const held = rt
    .registered()
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((name) => {
      const pid = rt.whereis(name);
      return pid === undefined ? [] : [{ name, pid }];
    });
  const infos = await rt.nodeProcessInfo(held.map(({ pid }) => pid));
  const rows: string[][] = [];
  for (const [i, { name, pid }] of held.entries()) {
    const info = infos[i];
    if (info === undefined) continue; // it ended while the others were asked
    rows.push([name.name, show(pid), info.currentFunction, String(info.reductions), String(info.messageQueueLen)]);
  }
  const title = `** Registered procs on node ${host.name.name} **\n`;
  return title + table(["Name", "Pid", "Current function", "Reds", "Msgs"], rows, [false, false, false, true, true]);
}

/** Columns padded to their widest cell; `right` ones aligned right. */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string {
  const widths = header.map((h, c) => rows.reduce((width, row) => Math.max(width, row[c]!.length), h.length));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}
