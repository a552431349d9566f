// The `otter` command: argument parsing and wiring only (DESIGN.md "cli/").
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { decode, encode, format, OtterError, parse } from "../index.ts";

const USAGE = `usage: otter <command> [options]

commands:
  encode TERM      print term_to_binary of an Erlang term given in Erlang syntax, e.g. otter encode '{ok,[1,2]}'
                   --hex: as hex   --compressed[=LEVEL]   --minor-version=0|1|2
  decode [HEX]     print the term encoded by HEX (or by the raw bytes on standard input) in Erlang syntax
  demo             encode terms, hand them to a real erl, decode its answers (needs erl)
  epmd             run an EPMD (the Erlang port mapper) in the foreground until SIGINT/SIGTERM
                   --port N: default $ERL_EPMD_PORT, else 4369; 0 = any free port   --address A: default 127.0.0.1
  start            run a distributed node until SIGINT/SIGTERM
                   --sname NAME | --name NAME   --cookie C (default $OTTER_COOKIE, else ~/.erlang.cookie)
                   --hidden   --dist-port N (default: any)   --address A (listen address, default all)
  load PATH        load a module into a running node (its old version purged first, as erl's l(Module))
                   --node NAME@HOST (required)   --cookie C   --module NAME (default: the file's name)
                   --purge: kill processes still running the old version (default: refuse while any do)
  help             this text`;

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
    args,
    allowPositionals: true,
    options: {
      sname: { type: "string" },
      name: { type: "string" },
      cookie: { type: "string" },
      hidden: { type: "boolean" },
      "dist-port": { type: "string" },
      address: { type: "string" },
    },
  });
  if (positionals.length > 0) throw new UsageError("start takes no arguments yet");
  if ((values.sname === undefined) === (values.name === undefined)) {
    throw new UsageError("start needs one of --sname and --name");
  }
  const port = values["dist-port"] === undefined ? undefined : Number(values["dist-port"]);
  if (port !== undefined && !(/^\d+$/.test(values["dist-port"]!) && port <= 65535)) {
    throw new UsageError("--dist-port is 0..65535");
  }
  return (await import("./start.ts")).runNode({
    sname: values.sname,
    name: values.name,
    cookie: values.cookie,
    hidden: values.hidden,
    listen: { host: values.address, port },
  });
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
  if (values.node === undefined || !/^[^@]+@[^@]+$/.test(values.node))
    throw new UsageError("load needs --node NAME@HOST");
  return (await import("./load.ts")).runLoad({
    target: values.node,
    cookie: values.cookie,
    path: positionals[0]!,
    module: values.module,
    purge: values.purge === true,
  });
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "encode":
        return encodeCommand(rest);
      case "decode":
        return decodeCommand(rest);
      case "demo":
        return (await import("./demo.ts")).runDemo();
      case "epmd":
        return await epmdCommand(rest);
      case "start":
        return await startCommand(rest);
      case "load":
        return await loadCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      console.error(`otter: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof OtterError) {
      console.error(`otter: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
