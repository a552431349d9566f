// The magic cookie: from an option, else $OTTER_COOKIE, else the cookie file erl uses (~/.erlang.cookie, then
// $XDG_CONFIG_HOME/erlang/.erlang.cookie), created as erl creates it when neither exists.
import { randomInt } from "node:crypto";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DistError, ErrorCodes } from "../errors.ts";

export interface CookieSources {
  /** A cookie given outright (`--cookie`, `-setcookie`). */
  cookie?: string;
  /** The environment to read OTTER_COOKIE and XDG_CONFIG_HOME from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The home directory holding `.erlang.cookie` (default `os.homedir()`). */
  home?: string;
}

/** What auth.erl writes into a new cookie file: 20 random letters A–Z. */
const NEW_COOKIE_LENGTH = 20;

/** The cookie to use; throws DIST_COOKIE when none can be had (see `CookieSources` for the order). */
export async function resolveCookie(sources: CookieSources = {}): Promise<string> {
  const env = sources.env ?? process.env;
  if (sources.cookie !== undefined) return checkCookie(sources.cookie, "the cookie option");
  const fromEnv = env.OTTER_COOKIE;
  if (fromEnv !== undefined && fromEnv !== "") return checkCookie(fromEnv, "OTTER_COOKIE");
  const home = sources.home ?? homedir();
  const homeFile = join(home, ".erlang.cookie");
  const xdgFile = join(env.XDG_CONFIG_HOME || join(home, ".config"), "erlang", ".erlang.cookie");
  return (await readCookieFile(homeFile)) ?? (await readCookieFile(xdgFile)) ?? (await createCookieFile(homeFile));
}

/**
 * A cookie must be non-empty Latin-1: the digest hashes its characters as bytes (`atom_to_list(Cookie)` fed to
 * `erlang:md5`, which refuses characters beyond 255).
 */
function checkCookie(cookie: string, from: string): string {
  if (cookie === "") throw cookieError(`${from} is empty`);
  if ([...cookie].some((char) => char.codePointAt(0)! > 0xff))
    throw cookieError(`${from} has characters beyond Latin-1`);
  return cookie;
}

/** The file's cookie, or undefined when the file does not exist; refuses a file others may access, as erl does. */
async function readCookieFile(path: string): Promise<string | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw cookieError(`cannot read ${path}: ${(error as Error).message}`, error);
  }
  if (!info.isFile()) throw cookieError(`cookie file ${path} is not a regular file`);
  if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
    throw cookieError(`cookie file ${path} must be accessible by owner only (chmod 400 ${path})`);
  }
  let text: string;
  try {
    text = await readFile(path, "latin1");
  } catch (error) {
    throw cookieError(`cannot read ${path}: ${(error as Error).message}`, error);
  }
  return cookieOfFileText(text, path);
}

/**
 * The cookie in a file's text, read as auth.erl's check_cookie reads it: the printable characters (space to '~')
 * up to the first other character; after them only newlines, carriage returns and spaces may follow.
 */
function cookieOfFileText(text: string, path: string): string {
  const cookie = /^[ -~]*/.exec(text)![0];
  if (!/^[\r\n ]*$/.test(text.slice(cookie.length))) throw cookieError(`bad characters in cookie file ${path}`);
  if (cookie === "") throw cookieError(`cookie file ${path} is empty`);
  return cookie;
}

/** Writes a new cookie file (20 random letters A–Z, mode 0400) and returns its cookie. */
async function createCookieFile(path: string): Promise<string> {
  const cookie = Array.from({ length: NEW_COOKIE_LENGTH }, () => String.fromCharCode(65 + randomInt(26))).join("");
  try {
    // "wx": another node creating the file at the same moment wins, and we read its cookie instead.
    await writeFile(path, cookie, { flag: "wx", mode: 0o400 });
    await chmod(path, 0o400);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return (await readCookieFile(path))!;
    throw cookieError(`cannot create cookie file ${path}: ${(error as Error).message}`, error);
  }
  return cookie;
}

function cookieError(message: string, cause?: unknown): DistError {
  return new DistError(ErrorCodes.DIST_COOKIE, message, cause === undefined ? undefined : { cause });
}
