// The `otter` command: which command runs, each command's usage, and exit statuses as a Unix user expects them
// (0 done; 1 failed, with one line on stderr; 2 a usage error, with the message and the usage on stderr).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { decode, encode, format, OtterError, parse } from "../index.ts";
import { CommandFailed, UsageError } from "./failures.ts";

interface Command {
  /** The command's line in the usage text, then its options, indented. */
  readonly usage: string;
  run(args: string[]): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  encode: {
    usage: `encode TERM      print term_to_binary of an Erlang term given in Erlang syntax, e.g. otter encode '{ok,[1,2]}'
                   --hex: as hex   --compressed[=LEVEL]   --minor-version=0|1|2`,
    run: encodeCommand,
  },
  decode: {
    usage: "decode [HEX]     print the term encoded by HEX (or by the raw bytes on standard input) in Erlang syntax",
    run: decodeCommand,
  },
  demo: {
    usage: `demo             run the demo node (npm start): the kv example application, the observer, and what to try next
                   configured like start by OTTER_SNAME, OTTER_COOKIE, OTTER_APP_KV_PORT, … (needs no erl)`,
    run: async () => (await import("./demo.ts")).runDemo(),
  },
  epmd: {
    usage: `epmd             run an EPMD (the Erlang port mapper) in the foreground until SIGINT/SIGTERM
                   --port N: default $ERL_EPMD_PORT, else 4369; 0 = any free port   --address A: default 127.0.0.1`,
    run: epmdCommand,
  },
  start: {
    usage: `start [APP]      run a distributed node, and the application module APP on it, until SIGINT/SIGTERM
                   --sname NAME | --name NAME   --cookie C (default $OTTER_COOKIE, else ~/.erlang.cookie)
                   --hidden   --dist-port N (default: any)   --address A (listen address, default all)
                   --config FILE (.json or sys.config-style .config)   --set APP.KEY=VALUE (repeatable)
                   --observer[=PORT] (the web observer; alone: any free port)   --log line|otp|json
                   --rebalance (migration, membership, and a rebalancer moving servers off a busy scheduler or node)
                   --seeds A@H,B@H (with --rebalance: nodes the membership connects to and keeps connected)
                   precedence: flags, then OTTER_* variables, then the config file, then the application's defaults`,
    run: startCommand,
  },
  load: {
    usage: `load PATH        load a module into a running node (its old version purged first, as erl's l(Module))
                   --node NAME@HOST (required)   --cookie C   --module NAME (default: the file's name)
                   --purge: kill processes still running the old version (default: refuse while any do)`,
    run: loadCommand,
  },
  remsh: {
    usage: `remsh NODE       an interactive shell on a running node: TypeScript on an Otter node, Erlang on a BEAM node
                   --cookie C   --sname ME | --name ME (this shell's own node name; default otter_remsh_<pid>)
                   history in $OTTER_HISTORY, else ~/.otter_history; help() lists the helpers; Ctrl-D leaves`,
    run: async (args) => (await import("./remsh.ts")).remshCommand(args),
  },
  eval: {
    usage: `eval EXPR        evaluate one expression on a running node and print its value (exit 1 if it raised)
                   --node NAME@HOST (required)   --cookie C`,
    run: async (args) => (await import("./eval.ts")).evalCommand(args),
  },
  ping: {
    usage: `ping NODE        print pong if NODE answers (exit 0), else pang (exit 1), as net_adm:ping
                   --cookie C`,
    run: async (args) => (await import("./ping.ts")).pingCommand(args),
  },
  help: {
    usage: "help [COMMAND]   this text, or one command's (also: otter COMMAND --help)",
    run: helpCommand,
  },
};

const USAGE = `usage: otter <command> [options]

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join("\n")}`;

/** One command's usage text: its synopsis, then what it does and its options. */
function usageOf(name: string): string {
  const [first, ...options] = COMMANDS[name]!.usage.split("\n");
  const [, synopsis, summary] = /^(\S+(?: \S+)*)\s{2,}(.*)$/.exec(first!) ?? [first, first, ""];
  return [`usage: otter ${synopsis}`, "", `  ${summary}`, ...options.map((o) => `  ${o.trim()}`)].join("\n");
}

function helpCommand(args: string[]): number {
  if (args.length > 1) throw new UsageError("help takes at most one command");
  const name = args[0];
  if (name !== undefined && !Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command: ${name}`);
  console.log(name === undefined ? USAGE : usageOf(name));
  return 0;
}

function encodeCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { hex: { type: "boolean" }, compressed: { type: "string" }, "minor-version": { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("encode takes one term");
  const minor = values["minor-version"] === undefined ? 2 : Number(values["minor-version"]);
  if (minor !== 0 && minor !== 1 && minor !== 2) throw new UsageError("--minor-version is 0, 1 or 2");
  const compressed =
    values.compressed === undefined ? undefined : values.compressed === "" || Number(values.compressed);
  const bytes = encode(parse(positionals[0]!), { minorVersion: minor, compressed });
  console.log(values.hex ? bytes.toString("hex") : `<<${[...bytes].join(",")}>>`);
  return 0;
}

function decodeCommand(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  if (positionals.length > 1) throw new UsageError("decode takes at most one hex string");
  const hex = positionals[0]?.replace(/\s+/g, "");
  if (hex !== undefined && !/^([0-9a-fA-F]{2})*$/.test(hex)) throw new UsageError("decode expects hex digits");
  const bytes = hex === undefined ? readFileSync(0) : Buffer.from(hex, "hex");
  console.log(format(decode(bytes)));
  return 0;
}

async function epmdCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: "string" }, address: { type: "string" } },
  });
  if (positionals.length > 0) throw new UsageError("epmd takes no arguments");
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(/^\d+$/.test(values.port!) && port <= 65535)) throw new UsageError("--port is 0..65535");
  return (await import("../dist/epmd/foreground.ts")).runEpmd({ port, host: values.address });
}

async function startCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    // `--observer` alone means any free port; with a value it would take the next argument as its port.
    args: args.map((arg) => (arg === "--observer" ? "--observer=" : arg)),
    allowPositionals: true,
    options: {
      sname: { type: "string" },
      name: { type: "string" },
      cookie: { type: "string" },
      hidden: { type: "boolean" },
      "dist-port": { type: "string" },
      address: { type: "string" },
      config: { type: "string" },
      observer: { type: "string" },
      log: { type: "string" },
      rebalance: { type: "boolean" },
      seeds: { type: "string" },
      set: { type: "string", multiple: true },
    },
  });
  if (positionals.length > 1) throw new UsageError("start takes at most one application module");
  const { "dist-port": distPort, ...flags } = values;
  return (await import("./start.ts")).runStart({ ...flags, distPort }, positionals[0]);
}

async function loadCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      node: { type: "string" },
      cookie: { type: "string" },
      module: { type: "string" },
      purge: { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("load takes one module file");
  if (values.node === undefined) throw new UsageError("load needs --node NAME@HOST"); // its form: checkTarget
  return (await import("./load.ts")).runLoad({
    target: values.node,
    cookie: values.cookie,
    path: positionals[0]!,
    module: values.module,
    purge: values.purge === true,
  });
}

/** `--help` or `-h` among a command's options (before any `--`). */
function asksForHelp(args: string[]): boolean {
  const options = args.indexOf("--") < 0 ? args : args.slice(0, args.indexOf("--"));
  return options.includes("--help") || options.includes("-h");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h") return helpCommand([]);
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : undefined;
  try {
    if (name === undefined) throw new UsageError("no command given");
    if (command === undefined) throw new UsageError(`unknown command: ${name}`);
    if (asksForHelp(rest)) return helpCommand([name]);
    return await command.run(rest);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      console.error(`otter: ${e.message}\n\n${command === undefined ? USAGE : usageOf(name!)}`);
      return 2;
    }
    if (e instanceof CommandFailed) {
      console.error(`otter: ${e.message}`);
      return 1;
    }
    if (e instanceof OtterError) {
      console.error(`otter: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
