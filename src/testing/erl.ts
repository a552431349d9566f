// A real `erl` as a term oracle: one child process that answers term_to_binary, binary_to_term, sort and print.
//
// The child runs without distribution or network and talks over fd 3 (a socketpair) in `{packet, 4}`
// framing. Requests go one at a time, each with a deadline enforced twice: erl kills the worker at the
// deadline and answers `timeout`; if even that answer does not come, Node kills erl.
import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { type ErrorCode, OtterError } from "../errors.ts";
import { BOOT_EXPRESSION, SERVER_MODULE } from "./erl-server.ts";
import { type Answer, decodeAnswer, encodeRequest, PacketReader, type Request } from "./erl-wire.ts";

/** Why an oracle call failed: the ERL_* codes of the catalog in errors.ts. */
export type ErlErrorCode = Extract<ErrorCode, `ERL_${string}`>;

/** An error from the oracle. Checked by `code`. */
export class ErlError extends OtterError {
  declare readonly code: ErlErrorCode;
  constructor(
    code: ErlErrorCode,
    message: string,
    /** For ERL_RAISED: the Erlang exception class. */
    readonly erlClass?: string,
    /** For ERL_RAISED: the reason and top of the stack, formatted by erl (`~tP`). */
    readonly erlReason?: string,
  ) {
    super(code, message);
  }
}

/** How erl is started. */
export interface ErlOracleOptions {
  /** Default deadline of each call, in ms (30 s). */
  timeoutMs?: number;
  /** Deadline for erl to boot and load the server, in ms (30 s). */
  startTimeoutMs?: number;
  /** The erl executable: default `$OTTER_ERL`, else `erl` on PATH. */
  erl?: string;
  /** Extra emulator flags, e.g. `["+hms", "1000"]`. */
  erlArgs?: readonly string[];
  /** Extra environment variables for erl, on top of Node's, e.g. `{ ERL_EPMD_PORT: "4370" }`. */
  env?: Readonly<Record<string, string>>;
  /** How long past a call's deadline erl may take to report its timeout before Node kills it, in ms (2 s). */
  graceMs?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** This call's deadline in ms, instead of the oracle's default. */
  timeoutMs?: number;
}

/** `term_to_binary/2` options, as TypeScript. Defaults: minor version 2, uncompressed. */
export interface TermToBinaryOptions extends CallOptions {
  minorVersion?: 0 | 1 | 2;
  /** `true` is `compressed` (zlib's default level 6), a number is `{compressed, Level}`. */
  compressed?: boolean | number;
}

/** What `binary_to_term` then `term_to_binary` made of some bytes, or that BEAM refused them. */
export type RoundTrip = { ok: true; bytes: Buffer } | { ok: false; reason: "badarg" };

interface Job {
  request: Request;
  resolve(answer: Answer): void;
  reject(error: ErlError): void;
}

/** How to get `erl` (and `epmd`), for ERL_MISSING messages. */
export const INSTALL_HINT = "install Erlang/OTP (Debian/Ubuntu: apt-get install -y erlang-nox), or pass { erl: PATH }";
const LOG_TAIL = 4096;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A running `erl` that answers questions about terms. Start it with `ErlOracle.start()`; always `stop()` it. */
export class ErlOracle {
  /** The OTP release of the running erl, e.g. "25". */
  readonly otpRelease: string;
  readonly #child: ChildProcess;
  readonly #channel: Writable;
  readonly #timeoutMs: number;
  readonly #graceMs: number;
  readonly #queue: Job[] = [];
  #current: Job | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 1;
  #closed: ErlError | undefined;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess, channel: Writable, otpRelease: string, options: ErlOracleOptions) {
    this.#child = child;
    this.#channel = channel;
    this.otpRelease = otpRelease;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#graceMs = options.graceMs ?? 2000;
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  }

  /** Starts erl and waits until the oracle answers. Rejects with ERL_MISSING when there is no erl. */
  static async start(options: ErlOracleOptions = {}): Promise<ErlOracle> {
    const erl = options.erl ?? process.env.OTTER_ERL ?? "erl";
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    const args = ["-noshell", "-noinput", "+Bd", "+sbwt", "none", ...(options.erlArgs ?? [])];
    const child = spawn(erl, [...args, "-eval", BOOT_EXPRESSION], {
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      env: { ...process.env, ERL_CRASH_DUMP_SECONDS: "0", ...options.env },
    });
    track(child);
    const log = captureLog(child);
    const channel = child.stdio[3] as Readable & Writable;
    channel.on("error", () => {}); // EPIPE after erl died: reported through the exit instead.
    const reader = new PacketReader();
    let oracle: ErlOracle | undefined;

    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new ErlError("ERL_START", `erl did not start within ${startTimeoutMs} ms${log.describe()}`));
      }, startTimeoutMs);
      const fail = (error: ErlError): void => {
        clearTimeout(timer);
        reject(error);
      };
      child.once("error", (error: NodeJS.ErrnoException) => {
        fail(
          error.code === "ENOENT"
            ? new ErlError("ERL_MISSING", `\`erl\` is missing (spawn ${erl}: ENOENT): ${INSTALL_HINT}`)
            : new ErlError("ERL_START", `cannot run ${erl}: ${error.message}`),
        );
      });
      child.once("exit", (code, signal) => {
        const closed = new ErlError("ERL_EXITED", `erl exited (${signal ?? `status ${code}`})${log.describe()}`);
        if (oracle === undefined)
          fail(new ErlError("ERL_START", `erl exited before the oracle was ready: ${closed.message}`));
        else oracle.#close(closed);
      });
      channel.on("data", (chunk: Buffer) => {
        try {
          for (const packet of reader.push(chunk)) {
            const answer = decodeAnswer(packet);
            if (oracle !== undefined) oracle.#settle(answer);
            else if (answer.id === 0 && answer.status === "ready") {
              clearTimeout(timer);
              resolve(answer.fields[0]?.toString("latin1") ?? "?");
            } else throw new Error(`unexpected first answer ${answer.status}`);
          }
        } catch (error) {
          child.kill("SIGKILL");
          const closed = new ErlError("ERL_PROTOCOL", `${(error as Error).message}${log.describe()}`);
          if (oracle === undefined) fail(closed);
          else oracle.#close(closed);
        }
      });
    });
    const source = Buffer.from(SERVER_MODULE, "utf8");
    const head = Buffer.alloc(4);
    head.writeUInt32BE(source.length);
    channel.write(Buffer.concat([head, source]));

    const otpRelease = await ready;
    oracle = new ErlOracle(child, channel, otpRelease, options);
    // erl may have died between its ready answer and here, when the exit handler still saw no oracle.
    if (child.exitCode !== null || child.signalCode !== null) {
      oracle.#close(new ErlError("ERL_EXITED", `erl exited right after starting${log.describe()}`));
    }
    oracle.#idle();
    return oracle;
  }

  /** Bytes of `term_to_binary(T, Options)`, where T is Erlang source text (evaluated) or ETF bytes (decoded). */
  async termToBinary(term: string | Uint8Array, options: TermToBinaryOptions = {}): Promise<Buffer> {
    if (typeof term === "string") return this.eval(term, {}, options);
    const result = await this.roundTrip(term, options);
    if (!result.ok) throw new ErlError("ERL_BADARG", "binary_to_term raised badarg");
    return result.bytes;
  }

  /** `term_to_binary(binary_to_term(Bytes), Options)`, or `{ ok: false }` if binary_to_term raised badarg. */
  async roundTrip(bytes: Uint8Array, options: TermToBinaryOptions = {}): Promise<RoundTrip> {
    const answer = await this.#call("roundtrip", [bytes, utf8(optionsText(options))], options);
    return answer.status === "rejected" ? { ok: false, reason: "badarg" } : { ok: true, bytes: answer.fields[0]! };
  }

  /**
   * Evaluates an Erlang expression (`erl_eval`) and returns `term_to_binary` of its value. `bindings` binds
   * variables to terms given as ETF bytes: `eval("{echo, T}", { T: bytes })`.
   */
  async eval(
    expression: string,
    bindings: Readonly<Record<string, Uint8Array>> = {},
    options: TermToBinaryOptions = {},
  ): Promise<Buffer> {
    const answer = await this.#call("eval", [utf8(expression), utf8(optionsText(options)), ...flat(bindings)], options);
    return answer.fields[0]!;
  }

  /** `term_to_binary(lists:sort(binary_to_term(ListBytes)))`: BEAM's term order. */
  async sort(listBytes: Uint8Array, options: CallOptions = {}): Promise<Buffer> {
    return (await this.#call("sort", [listBytes], options)).fields[0]!;
  }

  /** `io_lib:format("~tp", [T])` where T is Erlang source text or ETF bytes. */
  async print(term: string | Uint8Array, options: CallOptions = {}): Promise<string> {
    const args = typeof term === "string" ? [utf8(term)] : [utf8("T"), utf8("T"), term];
    return (await this.#call("print", args, options)).fields[0]!.toString("utf8");
  }

  /** Compiles and loads an Erlang module from source text; returns its name. */
  async loadModule(source: string, options: CallOptions = {}): Promise<string> {
    return (await this.#call("load", [utf8(source)], options)).fields[0]!.toString("utf8");
  }

  /** The operating-system pid of the erl process (for diagnostics). */
  get osPid(): number | undefined {
    return this.#child.pid;
  }

  /** True until erl exits or `stop()` is called. */
  get alive(): boolean {
    return this.#closed === undefined;
  }

  /**
   * Ends erl and waits for it to go; pending calls reject with ERL_STOPPED. By default erl is killed at once;
   * with `graceMs` the channel is closed first, so erl halts by itself, and is killed only if it is still
   * there after that long. Idempotent.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#close(new ErlError("ERL_STOPPED", "the oracle was stopped"));
    this.#child.ref(); // keeps Node alive until the exit is seen
    const graceMs = options.graceMs ?? 0;
    if (graceMs > 0 && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#channel.end(); // the server calls erlang:halt(0) on eof
      const grace = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
      await this.#exited;
      clearTimeout(grace);
      return;
    }
    this.#child.kill("SIGKILL");
    await this.#exited;
  }

  #call(op: Request["op"], args: Uint8Array[], options: CallOptions): Promise<Answer> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise<Answer>((resolve, reject) => {
      if (this.#closed !== undefined) {
        reject(new ErlError(this.#closed.code, this.#closed.message));
        return;
      }
      this.#queue.push({ request: { id: this.#nextId++, op, timeoutMs, args }, resolve, reject });
      if (this.#current === undefined) this.#sendNext();
    }).then((answer) => check(answer, op, timeoutMs));
  }

  #sendNext(): void {
    const job = this.#queue.shift();
    this.#current = job;
    if (job === undefined) {
      this.#idle();
      return;
    }
    this.#busy();
    const deadline = job.request.timeoutMs + this.#graceMs;
    this.#timer = setTimeout(() => {
      // erl did not even report its own timeout: it is wedged, so it goes.
      this.#child.kill("SIGKILL");
      this.#close(new ErlError("ERL_TIMEOUT", `erl did not answer ${job.request.op} within ${deadline} ms; killed it`));
    }, deadline);
    this.#channel.cork();
    for (const part of encodeRequest(job.request)) this.#channel.write(part);
    this.#channel.uncork();
  }

  #settle(answer: Answer): void {
    const job = this.#current;
    if (job === undefined || answer.id !== job.request.id) {
      this.#child.kill("SIGKILL");
      this.#close(new ErlError("ERL_PROTOCOL", `answer ${answer.id} does not match request ${job?.request.id}`));
      return;
    }
    clearTimeout(this.#timer);
    this.#current = undefined;
    job.resolve(answer);
    this.#sendNext();
  }

  #close(error: ErlError): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    clearTimeout(this.#timer);
    const pending = this.#current === undefined ? this.#queue : [this.#current, ...this.#queue];
    this.#current = undefined;
    this.#queue.length = 0;
    for (const job of pending) job.reject(new ErlError(error.code, error.message));
  }

  // An idle oracle must not keep Node alive (a test that forgets stop() still ends, and the exit hook
  // kills erl); a busy one is kept alive by its deadline timer.
  #idle(): void {
    this.#child.unref();
    for (const stream of [this.#child.stdio[1], this.#child.stdio[2], this.#child.stdio[3]]) unrefStream(stream);
  }

  #busy(): void {
    this.#child.ref();
    refStream(this.#child.stdio[3]);
  }
}

function check(answer: Answer, op: string, timeoutMs: number): Answer {
  switch (answer.status) {
    case "ok":
    case "rejected":
      return answer;
    case "timeout":
      throw new ErlError("ERL_TIMEOUT", `erl did not finish ${op} within ${timeoutMs} ms`);
    case "raised":
      throw new ErlError(
        "ERL_RAISED",
        `erl raised in ${op}: ${answer.fields[1]?.toString("utf8")}`,
        answer.fields[0]?.toString("latin1"),
        answer.fields[1]?.toString("utf8"),
      );
    default:
      throw new ErlError("ERL_PROTOCOL", `unknown answer status ${answer.status}`);
  }
}

/** The Erlang text of `term_to_binary` options. */
function optionsText(options: TermToBinaryOptions): string {
  const parts = [`{minor_version,${options.minorVersion ?? 2}}`];
  const c = options.compressed;
  if (c === true) parts.push("compressed");
  else if (typeof c === "number") parts.push(`{compressed,${c}}`);
  return `[${parts.join(",")}]`;
}

function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

function flat(bindings: Readonly<Record<string, Uint8Array>>): Uint8Array[] {
  return Object.entries(bindings).flatMap(([name, bytes]) => [utf8(name), bytes]);
}

/** Keeps the last few KB of a child's stdout and stderr for error messages. */
export function captureLog(child: ChildProcess, label = "erl"): { describe(): string } {
  let tail = "";
  const add = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-LOG_TAIL);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return { describe: () => (tail.trim() === "" ? "" : `; ${label} output:\n${tail.trim()}`) };
}

/** Kills a child (erl, epmd) when Node exits, if it is still running then. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
}

type Refable = { ref?(): unknown; unref?(): unknown };

function unrefStream(stream: unknown): void {
  (stream as Refable | null)?.unref?.();
}

function refStream(stream: unknown): void {
  (stream as Refable | null)?.ref?.();
}
