// Test helper for the `otter` command line: runs bin/otter.js (the built dist/) as a child process with the given
// standard input and EPMD port, and collects its exit code and output, failing after a deadline.
import { spawn } from "node:child_process";

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function otter(
  args: readonly string[],
  options: { epmdPort?: number; input?: string; env?: Record<string, string>; deadlineMs?: number } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, ["bin/otter.js", ...args], {
    env: {
      ...process.env,
      ...(options.epmdPort === undefined ? {} : { ERL_EPMD_PORT: String(options.epmdPort) }),
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdin.end(options.input ?? "");
  const deadlineMs = options.deadlineMs ?? 30_000;
  const code = await new Promise<number | null>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`otter ${args.join(" ")} did not exit within ${deadlineMs} ms\n${stdout}\n${stderr}`));
    }, deadlineMs);
    child.on("close", (exitCode) => {
      clearTimeout(deadline);
      resolve(exitCode);
    });
  });
  return { code, stdout, stderr };
}
