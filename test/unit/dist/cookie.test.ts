// The cookie: option, then OTTER_COOKIE, then ~/.erlang.cookie (or the XDG one), created and checked as erl does.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { resolveCookie } from "../../../src/dist/cookie.ts";
import { DistError, ErrorCodes } from "../../../src/errors.ts";

const cookieError = (error: unknown) => error instanceof DistError && error.code === ErrorCodes.DIST_COOKIE;

let home: string;
const noEnv = {};

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "otter-cookie-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function cookieFile(text: string, mode: number, path = join(home, ".erlang.cookie")): Promise<void> {
  await rm(path, { force: true }); // a 0400 file cannot be rewritten by a user other than root
  await writeFile(path, text, { mode });
  await chmod(path, mode); // writeFile's mode passes through the umask
}

describe("where the cookie comes from", () => {
  test("the option wins over the environment and the file", async () => {
    await cookieFile("FROMFILE", 0o400);
    assert.equal(await resolveCookie({ cookie: "opt", env: { OTTER_COOKIE: "env" }, home }), "opt");
  });

  test("OTTER_COOKIE wins over the file", async () => {
    await cookieFile("FROMFILE", 0o400);
    assert.equal(await resolveCookie({ env: { OTTER_COOKIE: "env" }, home }), "env");
  });

  test("the home file, then the XDG one", async () => {
    const xdg = join(home, "xdg");
    await mkdir(join(xdg, "erlang"), { recursive: true });
    await cookieFile("XDGCOOKIE", 0o400, join(xdg, "erlang", ".erlang.cookie"));
    assert.equal(await resolveCookie({ env: { XDG_CONFIG_HOME: xdg }, home }), "XDGCOOKIE");
    await cookieFile("HOMECOOKIE", 0o400);
    assert.equal(await resolveCookie({ env: { XDG_CONFIG_HOME: xdg }, home }), "HOMECOOKIE");
  });

  test("an empty or non-Latin-1 cookie option is refused", async () => {
    await assert.rejects(resolveCookie({ cookie: "", env: noEnv, home }), cookieError);
    await assert.rejects(resolveCookie({ cookie: "cookie→", env: noEnv, home }), cookieError);
    assert.equal(await resolveCookie({ cookie: "ÿes", env: noEnv, home }), "ÿes");
  });
});

describe("the cookie file", () => {
  test("is read as auth.erl reads it: printable characters, then only newlines, returns and spaces", async () => {
    await cookieFile("AB C  \r\n", 0o400);
    assert.equal(await resolveCookie({ env: noEnv, home }), "AB C  ");
  });

  test("other characters after the cookie, or an empty file, are refused", async () => {
    await cookieFile("ABC\tD", 0o400);
    await assert.rejects(resolveCookie({ env: noEnv, home }), cookieError);
    await cookieFile("\n", 0o400);
    await assert.rejects(resolveCookie({ env: noEnv, home }), cookieError);
  });

  test("is refused when others or the group may access it", async () => {
    for (const mode of [0o644, 0o404, 0o440, 0o600 | 0o010]) {
      await cookieFile("SECRET", mode);
      await assert.rejects(resolveCookie({ env: noEnv, home }), /accessible by owner only/, mode.toString(8));
    }
    await cookieFile("SECRET", 0o600);
    assert.equal(await resolveCookie({ env: noEnv, home }), "SECRET");
  });

  test("is refused when it is not a regular file", async () => {
    await mkdir(join(home, ".erlang.cookie"));
    await assert.rejects(resolveCookie({ env: noEnv, home }), cookieError);
  });

  test("is created when missing: 20 letters A-Z, mode 0400, and read back the next time", async () => {
    const cookie = await resolveCookie({ env: noEnv, home });
    assert.match(cookie, /^[A-Z]{20}$/);
    const path = join(home, ".erlang.cookie");
    assert.equal((await stat(path)).mode & 0o777, 0o400);
    assert.equal(await readFile(path, "latin1"), cookie);
    assert.equal(await resolveCookie({ env: noEnv, home }), cookie);
  });

  test("two nodes creating it at once agree on one cookie", async () => {
    const [a, b] = await Promise.all([resolveCookie({ env: noEnv, home }), resolveCookie({ env: noEnv, home })]);
    assert.equal(a, b);
  });

  test("cannot be created where the home directory does not exist", async () => {
    await assert.rejects(resolveCookie({ env: noEnv, home: join(home, "missing") }), cookieError);
  });
});
