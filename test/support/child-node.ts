// A node in a child OS process of its own for a test (one that must be killed for real): a module evaluated with
// `node -e`, which prints `up` on stdout once its node runs.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";

/** A child node: no stdin, its stdout and stderr piped. */
export type ChildNode = ChildProcessByStdio<null, Readable, Readable>;

/** Starts `code` with `args`; resolves once it printed `up`, rejects with its stderr if it exits or takes too long. */
export async function startChildNode(
  code: string,
  args: readonly string[],
  options: { tsx?: boolean; readyWithinMs: number },
): Promise<ChildNode> {
  const loader = options.tsx === true ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, "--input-type=module", "-e", code, "--", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const seconds = options.readyWithinMs / 1000;
    const deadline = setTimeout(
      () => reject(new Error(`the child node did not come up in ${seconds} s: ${out}`)),
      options.readyWithinMs,
    );
    child.once("exit", (exitCode) => reject(new Error(`the child exited (${exitCode}): ${out}`)));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (d.includes("up")) {
        clearTimeout(deadline);
        resolve();
      }
    });
  });
  return child;
}

/** Kills the child if it still runs, and waits for it to be gone. */
export async function killChildNode(child: ChildNode | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  await once(child, "exit");
}
