// Where a node's Unix socket lives: a directory only its user can enter (mode 0700, so another user's process
// cannot even open the socket), one file per node name, and a file left by a node that died replaced at start.
import { createHash } from "node:crypto";
import { lstat, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DistError, ErrorCodes } from "../../errors.ts";

/** sockaddr_un's sun_path holds 108 bytes on Linux (104 on macOS), the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 103;

/** `$XDG_RUNTIME_DIR/otter` when the session has one (already private), else `<tmpdir>/otter-<uid>`. */
export function defaultSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir !== undefined && runtimeDir !== "") return join(runtimeDir, "otter");
  return join(tmpdir(), `otter-${process.getuid?.() ?? "user"}`);
}

/** The socket of node `name` in `dir`: `<name>.sock` when the name is plain and fits, else a hash of it. */
export function socketPath(dir: string, name: string): string {
  const plain = join(dir, `${name}.sock`);
  if (/^[\w.@-]+$/.test(name) && Buffer.byteLength(plain) <= MAX_SOCKET_PATH_BYTES) return plain;
  const hashed = join(dir, `${createHash("sha256").update(name).digest("hex").slice(0, 32)}.sock`);
  if (Buffer.byteLength(hashed) > MAX_SOCKET_PATH_BYTES) {
    throw new DistError(ErrorCodes.DIST_BAD_OPTION, `same-host socket directory ${dir} is too long for a socket path`);
  }
  return hashed;
}

/** Creates `dir` (mode 0700) if missing; refuses one that is not a directory of ours closed to everyone else. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await lstat(dir);
  const uid = process.getuid?.();
  const problem = !stat.isDirectory()
    ? "is not a directory"
    : uid !== undefined && stat.uid !== uid
      ? `belongs to uid ${stat.uid}, not ${uid}`
      : (stat.mode & 0o077) !== 0
        ? `has mode ${(stat.mode & 0o777).toString(8)}, not 700`
        : undefined;
  if (problem !== undefined) {
    throw new DistError(
      ErrorCodes.DIST_BAD_OPTION,
      `same-host socket directory ${dir} ${problem} (fix it, choose another with sameHost.dir, or use sameHost: false)`,
    );
  }
}

/**
 * Makes `path` free for a new listener: nothing there, or a socket nobody listens on (left by a node that died
 * without stopping), which is removed. A socket that answers belongs to a running node of the same name; any
 * other file is not ours to remove.
 */
export async function clearStaleSocket(path: string, nodeName: string): Promise<void> {
  const stat = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (stat === undefined) return;
  if (!stat.isSocket()) {
    throw new DistError(
      ErrorCodes.DIST_BAD_OPTION,
      `${path}, where ${nodeName}'s same-host socket goes, is not a socket`,
    );
  }
  if (await answers(path)) {
    throw new DistError(ErrorCodes.DIST_BAD_NAME, `a node named ${nodeName} already listens on ${path}`);
  }
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
  });
}

/** Whether something accepts connections on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}
