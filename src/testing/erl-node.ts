// A real distributed `erl` node on loopback, driven over the oracle's fd-3 channel, for distribution interop tests.
//
// The node is an ErlOracle started with distribution flags: `eval` goes over fd 3, never over distribution
// (the thing under test), and erl halts when fd 3 closes, so it cannot outlive the Node process that started it.
// `startSystemEpmd` runs a private epmd so tests stay off the shared daemon on port 4369.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type AddressInfo, connect, createServer } from "node:net";
import { Atom } from "../term/atom.ts";
import { decode, encode } from "../term/etf/index.ts";
import { type Term, Tuple } from "../term/types.ts";
import { captureLog, ErlError, ErlOracle, INSTALL_HINT, track } from "./erl.ts";

/** How an ErlNode is started. */
export interface ErlNodeOptions {
  /**
   * The node name. Long names (default): a bare name gets `@127.0.0.1`; a name with `@` is used as given.
   * Short names: passed to `-sname`, so erl adds the machine's short hostname. Default: a unique
   * `otter_test_<pid>_<counter>_<random>`.
   */
  name?: string;
  /** `longnames` (`-name`, default) or `shortnames` (`-sname`), as `net_kernel:get_state()` calls them. */
  nameDomain?: "longnames" | "shortnames";
  /** The cookie (`-setcookie`). Default: a unique random one. */
  cookie?: string;
  /** The EPMD port erl registers with and looks peers up in (env `ERL_EPMD_PORT`). Default: inherited. */
  epmdPort?: number;
  /**
   * Whether erl runs `epmd -daemon` at boot (`-start_epmd`), which starts a daemon that outlives the node if
   * none listens yet. Default: true without `epmdPort` (erl's behaviour), false with it: the test brings its own
   * EPMD (`startSystemEpmd`, or Otter's), and erl fails to start (ERL_START) if nothing listens there.
   */
  startEpmd?: boolean;
  /** Pins erl's distribution listen port (`inet_dist_listen_min`/`max`). Default: any free port. */
  distPort?: number;
  /** Extra erl arguments, after Otter's: `["-hidden"]`, `["-kernel", "net_ticktime", "12"]`, `["-connect_all", "false"]`. */
  args?: readonly string[];
  /** Deadline for erl to boot with distribution up, in ms (30 s). */
  startTimeoutMs?: number;
  /** Default deadline of each `eval`, in ms (30 s). */
  timeoutMs?: number;
  /** How long `stop()` waits for erl to halt before killing it, in ms (2 s). */
  stopGraceMs?: number;
  /** The erl executable: default `$OTTER_ERL`, else `erl` on PATH. */
  erl?: string;
}

/** Per-eval options. */
export interface EvalOptions {
  /** This call's deadline in ms, instead of the node's default. */
  timeoutMs?: number;
  /** Variables bound to terms: `eval("gen_server:call(P, ping)", { bindings: { P: pid } })`. */
  bindings?: Readonly<Record<string, Term>>;
}

/** Finds the node's name and its distribution listen socket: the TCP port owned by net_kernel. */
const INFO_EXPRESSION = `
NetKernel = whereis(net_kernel),
Ports = [P || S <- erlang:ports(),
              erlang:port_info(S, connected) =:= {connected, NetKernel},
              {ok, {_, P}} <- [inet:sockname(S)]],
{node(), Ports}`;

let nodeCounter = 0;

/** A running distributed `erl` on loopback. Start it with `ErlNode.start()`; always `stop()` it. */
export class ErlNode {
  /** The full node name: `NAME@127.0.0.1` for long names, `NAME@<short hostname>` for short names. */
  readonly name: string;
  readonly cookie: string;
  /** The port erl listens on for distribution connections (read from erl, not from EPMD). */
  readonly distPort: number;
  readonly #oracle: ErlOracle;
  readonly #stopGraceMs: number;

  private constructor(oracle: ErlOracle, name: string, cookie: string, distPort: number, stopGraceMs: number) {
    this.#oracle = oracle;
    this.name = name;
    this.cookie = cookie;
    this.distPort = distPort;
    this.#stopGraceMs = stopGraceMs;
  }

  /** Starts erl with distribution on 127.0.0.1 and waits until it answers. ERL_MISSING when there is no erl. */
  static async start(options: ErlNodeOptions = {}): Promise<ErlNode> {
    const cookie = options.cookie ?? randomBytes(16).toString("hex");
    const name = options.name ?? `otter_test_${process.pid}_${++nodeCounter}_${randomBytes(3).toString("hex")}`;
    const short = options.nameDomain === "shortnames";
    const port = options.distPort;
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    const erlArgs = [
      ...(short ? ["-sname", name] : ["-name", name.includes("@") ? name : `${name}@127.0.0.1`]),
      "-setcookie",
      cookie,
      "-kernel",
      "inet_dist_use_interface",
      "{127,0,0,1}",
      ...(port === undefined ? [] : ["-kernel", "inet_dist_listen_min", `${port}`, "inet_dist_listen_max", `${port}`]),
      ...((options.startEpmd ?? options.epmdPort === undefined) ? [] : ["-start_epmd", "false"]),
      ...(options.args ?? []),
    ];
    const oracle = await ErlOracle.start({
      erl: options.erl,
      erlArgs,
      env: options.epmdPort === undefined ? {} : { ERL_EPMD_PORT: `${options.epmdPort}` },
      startTimeoutMs,
      timeoutMs: options.timeoutMs,
    });
    try {
      const info = decode(await oracle.eval(INFO_EXPRESSION, {}, { timeoutMs: startTimeoutMs }));
      const [node, ports] = info instanceof Tuple ? info.elements : [];
      const listen = Array.isArray(ports) ? ports[0] : undefined;
      if (!(node instanceof Atom) || typeof listen !== "number") {
        throw new ErlError("ERL_START", `erl started without a distribution listener (node() and ports: ${ports})`);
      }
      return new ErlNode(oracle, node.name, cookie, listen, options.stopGraceMs ?? 2000);
    } catch (error) {
      await oracle.stop();
      throw error;
    }
  }

  /**
   * Evaluates an Erlang expression (erl_eval) on the node and returns its value. Rejects with ERL_RAISED
   * (`erlClass`, `erlReason`) if it raises, ERL_TIMEOUT past the deadline, ERL_EXITED / ERL_STOPPED after erl went.
   */
  async eval(expression: string, options: EvalOptions = {}): Promise<Term> {
    const bindings: Record<string, Uint8Array> = {};
    for (const [variable, term] of Object.entries(options.bindings ?? {})) bindings[variable] = encode(term);
    return decode(await this.#oracle.eval(expression, bindings, { timeoutMs: options.timeoutMs }));
  }

  /** The OTP release of the running erl, e.g. "25". */
  get otpRelease(): string {
    return this.#oracle.otpRelease;
  }

  /** The operating-system pid of erl (beam.smp). */
  get osPid(): number | undefined {
    return this.#oracle.osPid;
  }

  /** True until erl exits or `stop()` is called. */
  get alive(): boolean {
    return this.#oracle.alive;
  }

  /** Halts erl (closes its channel), kills it if still there after the grace period, waits for it. Idempotent. */
  stop(): Promise<void> {
    return this.#oracle.stop({ graceMs: this.#stopGraceMs });
  }
}

/** How a private epmd is started. */
export interface SystemEpmdOptions {
  /** The port to listen on. Default: a free port on 127.0.0.1 (retried if another process takes it first). */
  port?: number;
  /** The epmd executable: default `$OTTER_EPMD`, else `epmd` on PATH. */
  epmd?: string;
  /** Deadline for epmd to accept connections, in ms (10 s). */
  startTimeoutMs?: number;
}

/** A private epmd daemon, a child of this Node process. */
export interface SystemEpmd {
  readonly port: number;
  readonly osPid: number | undefined;
  /** Kills epmd and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs OTP's `epmd -port P -address 127.0.0.1` in the foreground (not `-daemon`, so it stays our child and
 * can be killed) and resolves once it accepts connections. Node kills it on exit; a SIGKILLed Node leaves it.
 */
export async function startSystemEpmd(options: SystemEpmdOptions = {}): Promise<SystemEpmd> {
  const epmd = options.epmd ?? process.env.OTTER_EPMD ?? "epmd";
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await runEpmd(epmd, port, deadline);
    } catch (error) {
      // A port we picked may be taken between freePort() and epmd's bind: then epmd exits, and we pick again.
      const retry = options.port === undefined && attempt < 3 && (error as ErlError).code === "ERL_EXITED";
      if (!retry) throw error;
    }
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (another process may still take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function runEpmd(epmd: string, port: number, deadline: number): Promise<SystemEpmd> {
  const child = spawn(epmd, ["-port", `${port}`, "-address", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  const log = captureLog(child, "epmd");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    child.ref(); // keeps Node alive until the exit is seen
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return new Promise<SystemEpmd>((resolve, reject) => {
    let settled = false;
    const fail = (error: ErlError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new ErlError("ERL_START", `epmd did not listen on port ${port} in time${log.describe()}`)),
      Math.max(deadline - Date.now(), 0),
    );
    child.once("error", (error: NodeJS.ErrnoException) =>
      fail(
        error.code === "ENOENT"
          ? new ErlError("ERL_MISSING", `\`epmd\` is missing (spawn ${epmd}: ENOENT): ${INSTALL_HINT}`)
          : new ErlError("ERL_START", `cannot run ${epmd}: ${error.message}`),
      ),
    );
    child.once("exit", (code, signal) =>
      fail(new ErlError("ERL_EXITED", `epmd exited (${signal ?? `status ${code}`})${log.describe()}`)),
    );
    const probe = (): void => {
      const socket = connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unrefChild(child);
        resolve({ port, osPid: child.pid, stop });
      });
      socket.once("error", () => {
        socket.destroy();
        if (!settled) setTimeout(probe, 10); // not listening yet: epmd is still starting
      });
    };
    probe();
  });
}

// A running epmd must not keep Node alive by itself (a test that forgets stop() still ends; the exit hook kills it).
function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?(): void } | null)?.unref?.();
}
