// The on-disk cache of `npm run bench -- codeload`'s generated modules: erlc takes 3–15 s for each full-size one, so
// the .beam files (and the .etf erl writes from them) are kept in node_modules/.cache, which git and biome ignore,
// in a directory named by a hash of the generator's output, and reused while that output stays the same.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileErl } from "../lib/erl.ts";
import { type CaseSpec, type GeneratedCase, generateCase, WARMUP_MODULE } from "./generate.ts";

const CACHE = fileURLToPath(new URL("../../node_modules/.cache/otter-bench/codeload/", import.meta.url));

/** A case's files, ready to load; paths are absolute. */
export interface CaseFiles {
  spec: CaseSpec;
  /** The compiled Erlang module. */
  beam: string;
  /** What Otter's code server loads, and what Node's import() loads. */
  otterEntry: string;
  nodeEntry: string;
  /** The one-function module both load first (WARMUP_MODULE). */
  warmup: string;
  /** Sizes on disk: the .beam; Otter's module and the .etf it imports; Node's module and the JSON it imports. */
  beamBytes: number;
  otterBytes: number;
  nodeBytes: number;
  /** False when this call generated and compiled it. */
  cached: boolean;
}

export interface PrepareOptions {
  /** Writes term_to_binary(Module:table(), [compressed]) of the compiled literal module `beam` to `etf` (with erl). */
  writeEtf(beam: string, etf: string): Promise<void>;
  progress(text: string): void;
}

/** The case's files from the cache, generating and compiling them first if they are not there. */
export async function prepareCase(spec: CaseSpec, options: PrepareOptions): Promise<CaseFiles> {
  const generated = generateCase(spec);
  const prefix = `${spec.name}-${spec.size}-`;
  const dir = join(CACHE, `${prefix}${outputHash(generated)}`);
  const cached = existsSync(dir);
  if (!cached) await build(generated, dir, options);
  return describe(generated, dir, cached);
}

function outputHash(generated: GeneratedCase): string {
  const hash = createHash("sha256").update(generated.erl);
  for (const name of Object.keys(generated.files).sort()) hash.update(`\0${name}\0`).update(generated.files[name]!);
  return hash.digest("hex").slice(0, 16);
}

/** Writes and compiles into a scratch directory renamed to `dir` when complete, then drops older builds of the case. */
async function build(generated: GeneratedCase, dir: string, options: PrepareOptions): Promise<void> {
  const { name, size } = generated.spec;
  const scratch = `${dir}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    for (const [file, text] of Object.entries(generated.files)) await writeFile(join(scratch, file), text);
    const erl = join(scratch, `${name}.erl`);
    await writeFile(erl, generated.erl);
    options.progress(
      `codeload: compiling ${name}.erl (${size.toLocaleString("en-US")} ${generated.spec.kind}) with erlc`,
    );
    const t0 = performance.now();
    await compileErl([erl], scratch);
    options.progress(`codeload: compiled ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await rm(erl);
    if (generated.etf !== undefined)
      await options.writeEtf(join(scratch, `${name}.beam`), join(scratch, generated.etf));
    await rename(scratch, dir);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    if (!existsSync(dir)) throw err; // another run finished the same build first
  }
  const prefix = `${name}-${size}-`;
  for (const entry of await readdir(CACHE)) {
    const other = join(CACHE, entry);
    if (entry.startsWith(prefix) && other !== dir && !entry.includes(".partial-")) {
      await rm(other, { recursive: true, force: true });
    }
  }
}

async function describe(generated: GeneratedCase, dir: string, cached: boolean): Promise<CaseFiles> {
  const bytes = async (...files: (string | undefined)[]): Promise<number> => {
    let total = 0;
    for (const file of files) if (file !== undefined) total += (await stat(join(dir, file))).size;
    return total;
  };
  const json = Object.keys(generated.files).find((f) => f.endsWith(".json"));
  const beam = `${generated.spec.name}.beam`;
  return {
    spec: generated.spec,
    beam: join(dir, beam),
    otterEntry: join(dir, generated.otterEntry),
    nodeEntry: join(dir, generated.nodeEntry),
    warmup: join(dir, WARMUP_MODULE.file),
    beamBytes: await bytes(beam),
    otterBytes: await bytes(generated.otterEntry, generated.etf),
    nodeBytes: await bytes(generated.nodeEntry, json),
    cached,
  };
}
