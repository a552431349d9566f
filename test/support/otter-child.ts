// The `otter` command as a child process in a test: its output collected as it comes, waited on with deadlines,
// and killed when the test ends, whatever its outcome.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export interface ChildOptions {
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Run src/cli/main.ts through tsx, as `npm start` does, instead of the built bin/otter.js. */
  readonly source?: boolean;
}

export class OtterChild {
  stdout = "";
  stderr = "";
  /** Settles with the exit code (null when a signal ended it) once the child has exited and its output is read. */
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => this.received(() => (this.stdout += d)));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => this.received(() => (this.stderr += d)));
    this.exited = once(child, "close").then(([code]) => code as number | null);
  }

  /** `otter ARGS…`; the test `t` kills it at its end if it still runs. */
  static start(t: { after(fn: () => void): void }, args: readonly string[], options: ChildOptions = {}): OtterChild {
    const command = options.source ? ["--import", "tsx", "src/cli/main.ts"] : ["bin/otter.js"];
    const child = spawn(process.execPath, [...command, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    t.after(() => child.kill("SIGKILL"));
    return new OtterChild(child);
  }

  /** Both streams, for failure messages. */
  get output(): string {
    return `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the first match of `pattern` in `stream` once it is there; rejects after `timeoutMs`. */
  async waitFor(
    pattern: RegExp,
    stream: "stdout" | "stderr" = "stdout",
    timeoutMs = 30_000,
  ): Promise<RegExpMatchArray> {
    const found = () => this[stream].match(pattern);
    let deadline: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    try {
      return await new Promise<RegExpMatchArray>((resolve, reject) => {
        waiter = () => {
          const match = found();
          if (match !== null) resolve(match);
        };
        deadline = setTimeout(
          () => reject(new Error(`no ${pattern} on ${stream} in ${timeoutMs} ms\n${this.output}`)),
          timeoutMs,
        );
        this.waiters.add(waiter);
        void this.exited.then(() => reject(new Error(`exited before ${pattern} on ${stream}\n${this.output}`)));
        waiter();
      });
    } finally {
      clearTimeout(deadline);
      if (waiter !== undefined) this.waiters.delete(waiter);
    }
  }

  private received(append: () => void): void {
    append();
    for (const waiter of this.waiters) waiter();
  }
}
