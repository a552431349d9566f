// `otter start`: a node, and the application module it runs, until SIGINT/SIGTERM (a clean stop: the rebalancer,
// so that no server moves while its application stops, then the applications in reverse start order, then cluster
// membership and the observer, then distribution and the EPMD name) or until a permanent application ends (the
// node stops, exit status 1, and says why). A second signal during the stop exits at once.
//
// An application module is an ES module (TypeScript or JavaScript) whose default export, or `application` export,
// is an ApplicationSpec. It is loaded through the node's code server under its file's name (so `otter load` can
// upgrade it, and `rpc:call(Node, Module, F, Args)` reaches its exported functions) and imports Otter as "otter".
// It is loaded with the configured env and started as `erl -s` and releases start the main application: with
// its dependencies (ensureAllStarted), permanent.
//
// With `--rebalance`, migration, cluster membership and the rebalancer start before the application, as services
// the application may use: its code finds the node's Migration with `migrationOf(self.runtime)` and starts its
// migratable servers with it; the rebalancer moves the busy ones off a scheduler or node that stays overloaded.
// `--seeds` names nodes the membership connects to, and connects to again whenever they go down.
import { basename, extname } from "node:path";
import {
  Application,
  type ApplicationSpec,
  atom,
  type Cluster,
  DistError,
  ErrorCodes,
  format,
  jsonHandler,
  type LogHandler,
  NORMAL,
  type NodeOptions,
  type OtterNode,
  type Rebalancer,
  startCluster,
  startMigration,
  startNode,
  startRebalancer,
  type Term,
  Tuple,
  textHandler,
} from "../index.ts";
import type { Observer } from "../observe/index.ts";
import {
  applicationEnv,
  ConfigError,
  type LogFormat,
  type NodeSettings,
  readStartConfig,
  type StartConfig,
  type StartFlags,
} from "./config.ts";
import { lineHandler } from "./log-lines.ts";

/** A node up and running what it was asked to. */
export interface Started {
  readonly node: OtterNode;
  /** The application started from the module, if one was given. */
  readonly application: string | undefined;
  readonly observer: Observer | undefined;
  /** What `--rebalance` started, if asked for and it started. */
  readonly rebalancing: Rebalancing | undefined;
}

/** The cluster membership and the rebalancer `--rebalance` started (with the node's migration). */
export interface Rebalancing {
  readonly cluster: Cluster;
  readonly rebalancer: Rebalancer;
}

/** The application module could not be loaded or started: one line, exit status 1. */
export class StartFailed extends Error {}

/** Runs `otter start`; resolves to the exit status. */
export async function runStart(flags: StartFlags, modulePath: string | undefined): Promise<number> {
  const signals = watchSignals();
  let started: Started;
  try {
    started = await boot(await readStartConfig(flags, process.env), modulePath);
  } catch (error) {
    return failed(error);
  }
  const { node, application, observer, rebalancing } = started;
  console.log(`otter: node ${node.name.name} is up (creation ${node.creation}); stop it with Ctrl-C`);
  if (rebalancing !== undefined) console.log("otter: rebalancer running (with migration and cluster membership)");
  if (application !== undefined) console.log(`otter: application ${application} is running`);
  if (observer !== undefined) console.log(`otter: observer at ${observer.url}`);
  return serve(started, signals);
}

/**
 * Starts the node the configuration describes, the rebalancer if asked for, the application module on it, and the
 * observer if asked for.
 */
export async function boot(config: StartConfig, modulePath: string | undefined): Promise<Started> {
  if (modulePath === undefined) applicationEnv(config, undefined); // application settings with no application
  const settings = config.node;
  if (settings.sname === undefined && settings.name === undefined) {
    throw new ConfigError(
      "a node needs a name: --sname or --name, OTTER_SNAME or OTTER_NAME, or node.sname in a config file",
    );
  }
  const node = await startNode(nodeOptions(settings)).catch((error: unknown) => {
    if (error instanceof DistError && error.code === ErrorCodes.DIST_BAD_NAME) {
      throw new ConfigError(`${config.nameFrom}: ${error.message}`);
    }
    if (error instanceof DistError && error.code === ErrorCodes.DIST_COOKIE) throw new ConfigError(error.message);
    throw error;
  });
  try {
    const rebalancing = settings.rebalance === true ? await rebalance(node, settings.seeds) : undefined;
    const application = modulePath === undefined ? undefined : await runApplication(node, modulePath, config);
    const observer = settings.observer === undefined ? undefined : await observe(node, settings.observer);
    return { node, application, observer, rebalancing };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

function nodeOptions(settings: NodeSettings): NodeOptions {
  return {
    sname: settings.sname,
    name: settings.name,
    cookie: settings.cookie,
    hidden: settings.hidden,
    listen: { host: settings.address, port: settings.distPort },
    runtime: { logger: { handlers: { default: logHandler(settings.log) } } },
  };
}

function logHandler(log: LogFormat): LogHandler {
  return log === "otp" ? textHandler() : log === "json" ? jsonHandler() : lineHandler();
}

/** Loads the module at `path` through the code server, then loads and starts its application; its name. */
async function runApplication(node: OtterNode, path: string, config: StartConfig): Promise<string> {
  const module = basename(path, extname(path));
  try {
    await node.code.load(module, { path });
  } catch (error) {
    throw new StartFailed(`cannot load ${path}: ${(error as Error).message}`);
  }
  const exports = node.code.module<{ default?: unknown; application?: unknown }>(module);
  const spec = exports.default ?? exports.application;
  if (!isSpec(spec)) {
    throw new StartFailed(
      `${path} is not an application module: its default export (or \`application\`) must be an application spec ({ name, start, … })`,
    );
  }
  const loaded = Application.load(node.runtime, spec, { env: applicationEnv(config, spec) });
  if ("error" in loaded) throw new StartFailed(`cannot load application ${spec.name}: ${format(loaded.error)}`);
  const started = await Application.ensureAllStarted(node.runtime, spec.name, { type: "permanent" });
  if ("error" in started) throw new StartFailed(`application ${spec.name} did not start: ${format(started.error)}`);
  return spec.name;
}

function isSpec(value: unknown): value is ApplicationSpec {
  return typeof value === "object" && value !== null && typeof (value as ApplicationSpec).name === "string";
}

/**
 * Starts the node's migration, its cluster membership (connecting to `seeds`, if any; its members are the connected
 * nodes that run it too) and the rebalancer; a failure is told and the node runs on without them, as without the
 * observer.
 */
async function rebalance(node: OtterNode, seeds: readonly string[] | undefined): Promise<Rebalancing | undefined> {
  let cluster: Cluster | undefined;
  try {
    const migration = startMigration(node);
    cluster = await startCluster(node, { seeds });
    return { cluster, rebalancer: await startRebalancer(node, { migration, cluster }) };
  } catch (error) {
    await cluster?.stop();
    console.error(`otter: rebalancer not started: ${(error as Error).message}`);
    return undefined;
  }
}

/** Starts the observer; a failure is told and the node runs on without it. */
async function observe(node: OtterNode, port: number): Promise<Observer | undefined> {
  try {
    const { startObserver } = await import("../observe/index.ts");
    return await startObserver(node, { port });
  } catch (error) {
    console.error(`otter: observer not started: ${(error as Error).message}`);
    return undefined;
  }
}

/** SIGINT and SIGTERM: the first resolves `first`; a second one, while the node stops, exits at once (130, 143). */
export interface Signals {
  readonly first: Promise<NodeJS.Signals>;
}

export function watchSignals(): Signals {
  let received: NodeJS.Signals | undefined;
  let resolve!: (signal: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) {
      console.error(`otter: ${signal} while stopping: exiting now`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    received = signal;
    resolve(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { first };
}

/** Runs until a signal or until the node stops by itself (a permanent application ended); the exit status. */
export async function serve(started: Started, signals: Signals): Promise<number> {
  const { node, observer, rebalancing } = started;
  const rt = node.runtime;
  const end = await Promise.race([
    signals.first.then((signal) => ({ signal })),
    Application.nodeStopped(rt).then((reason) => ({ reason })),
  ]);
  await rebalancing?.rebalancer.stop();
  if ("signal" in end) {
    console.log(`otter: stopping (${end.signal})`);
    await Application.stopNode(rt);
  } else if (end.reason !== NORMAL) {
    console.error(`otter: node ${node.name.name} stopped: ${stopReason(end.reason)}`);
  }
  await rebalancing?.cluster.stop();
  await observer?.close();
  await node.stop();
  const code = "signal" in end || end.reason === NORMAL ? 0 : 1;
  if ("signal" in end) console.log(`otter: node ${node.name.name} stopped (${end.signal})`);
  // As init:stop ends in halt: whatever an application left open (a socket it never closed) does not keep the
  // process alive. The timer does not either, so a clean stop exits as soon as the event loop is empty.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}

const APPLICATION_TERMINATED = atom("application_terminated");
const APPLICATION_START_FAILURE = atom("application_start_failure");

/** Application.nodeStopped's reason in words. */
function stopReason(reason: Term): string {
  if (reason instanceof Tuple && reason.size === 3) {
    const [what, app, why] = reason.elements as [Term, Term, Term];
    if (what === APPLICATION_TERMINATED) return `application ${format(app)} terminated: ${format(why)}`;
    if (what === APPLICATION_START_FAILURE) return `application ${format(app)} failed to start: ${format(why)}`;
  }
  return format(reason);
}

/** The exit status for a failure to start; what is no configuration or start problem is thrown on. */
export function failed(error: unknown): number {
  if (error instanceof ConfigError) {
    console.error(`otter: ${error.message}`);
    return 2;
  }
  if (error instanceof StartFailed) {
    console.error(`otter: ${error.message}`);
    return 1;
  }
  throw error;
}
