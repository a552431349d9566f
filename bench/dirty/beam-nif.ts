// Builds the BEAM side's NIF (bench/beam/c_src/dirty_nif.c) with gcc into a directory of the caller's, first
// installing Debian's `erlang-dev` with apt-get if erl_nif.h is missing.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

const SOURCE = fileURLToPath(new URL("../beam/c_src/dirty_nif.c", import.meta.url));

/** Compiles the NIF into `outDir`; resolves with the library's path without its extension (for load_nif). */
export async function buildDirtyNif(outDir: string, progress: (text: string) => void): Promise<string> {
  let include = await erlNifInclude();
  if (!existsSync(join(include, "erl_nif.h"))) {
    progress("dirty: erl_nif.h is missing: running `apt-get install -y erlang-dev`");
    try {
      await run("apt-get", ["install", "-y", "erlang-dev"], { maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      throw new Error(
        `dirty: cannot build the BEAM NIF: ${join(include, "erl_nif.h")} is missing and ` +
          `\`apt-get install -y erlang-dev\` failed (install Erlang's development headers by hand):\n` +
          `${(err as Error).message}`,
      );
    }
    include = await erlNifInclude();
    if (!existsSync(join(include, "erl_nif.h"))) {
      throw new Error(`dirty: erlang-dev is installed but ${join(include, "erl_nif.h")} is still missing`);
    }
  }
  const library = join(outDir, "dirty_nif");
  try {
    await run("gcc", ["-O2", "-Wall", "-fPIC", "-shared", `-I${include}`, "-o", `${library}.so`, SOURCE]);
  } catch (err) {
    throw new Error(`dirty: gcc could not build the BEAM NIF: ${(err as Error).message}`);
  }
  return library;
}

/** The include directory of the running erl's emulator, where erlang-dev puts erl_nif.h. */
async function erlNifInclude(): Promise<string> {
  const { stdout } = await run("erl", [
    "-noshell",
    "-eval",
    'io:format("~s/erts-~s/include", [code:root_dir(), erlang:system_info(version)]), halt().',
  ]);
  return stdout.trim();
}
