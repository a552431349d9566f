// A preparing worker's thread: everything about loading a module that can happen off the main thread — reading
// it, transpiling TypeScript, cutting it into segments, compiling each and making its V8 code cache, and reading
// and indexing its literal data.
import { readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setPriority } from "node:os";
import { dirname, resolve } from "node:path";
import vm from "node:vm";
import { parentPort } from "node:worker_threads";
import { CodeError, ErrorCodes, OtterError, thrownMessage } from "../errors.ts";
import { type PreparedLiteral, prepareLiteral } from "./literals/index.ts";
import { type PrepareAnswer, type PrepareRequest, packExports } from "./prepare-messages.ts";
import type { PreparedSegment, SegmentInstance, SegmentScript } from "./prepared.ts";
import { splitModule } from "./split/index.ts";
import { WARM_UP_ROUNDS, warmUpRound } from "./warm-up.ts";

const port = parentPort!;

lowerPriority();
/** Requests in hand: the warm-up waits while there are any. */
let preparing = 0;
let warmUpRounds = 0;
setImmediate(warmUp);

port.on("message", (request: PrepareRequest) => {
  preparing++;
  prepare(request)
    .catch((error: unknown) => {
      const code = error instanceof OtterError ? error.code : ErrorCodes.CODE_BAD_MODULE;
      const answer: PrepareAnswer = { kind: "failed", id: request.id, code, message: thrownMessage(error) };
      port.postMessage(answer);
    })
    .finally(() => {
      if (--preparing === 0) setImmediate(warmUp);
    });
});

/**
 * Prepares one module and posts it: each segment in a message of its own (so that the main thread takes them one
 * event-loop turn at a time, not megabytes at once), then the rest.
 */
async function prepare(request: PrepareRequest): Promise<void> {
  const { filename, id } = request;
  let text = request.source ?? (await readModule(filename));
  if (request.typescript) text = await transpile(text, filename);
  let split = splitModule(text, { filename, segmentBytes: request.segmentBytes });
  let segments = compileAll(split.segments, split.split);
  if (segments === undefined) {
    // A cut the scanner got wrong (a regular expression it took for a division, say): the module in one piece.
    split = splitModule(text, { filename, whole: true });
    segments = compileAll(split.segments, false)!;
  }
  const literals: Record<string, PreparedLiteral> = {};
  const transfer: ArrayBuffer[] = [];
  for (const imported of split.imports) {
    if (imported.literal === undefined) continue;
    const path = resolve(dirname(filename), imported.specifier);
    const bytes = await readFile(path).catch((error) => {
      throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `cannot read ${path}, imported by ${filename}`, { cause: error });
    });
    const literal = prepareLiteral(bytes, imported.literal);
    literals[imported.specifier] = literal;
    transfer.push(literal.bytes.buffer as ArrayBuffer);
  }
  for (const segment of segments) {
    const answer: PrepareAnswer = { kind: "segment", id, segment };
    const buffers = [segment.utf8.buffer as ArrayBuffer];
    if (segment.cache !== undefined) buffers.push(segment.cache.buffer as ArrayBuffer);
    port.postMessage(answer, buffers);
  }
  const module = { imports: split.imports, exportAllFrom: split.exportAllFrom };
  const answer: PrepareAnswer = {
    kind: "prepared",
    id,
    module,
    exports: packExports(split.exports),
    literals,
    ...(split.split ? {} : { whole: split.reason }),
  };
  port.postMessage(answer, transfer);
}

/**
 * Runs this thread at the lowest priority (nice 19, where the OS allows it: Linux gives threads their own): on a
 * machine whose cores are all busy, preparing a module then takes only what the node's main thread leaves.
 */
function lowerPriority(): void {
  try {
    const thread = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isSafeInteger(thread) && thread > 0) setPriority(thread, 19);
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
  }
}

/**
 * Warms the scanner and the literal indexer (warm-up.ts) a round per event-loop turn while no request is in hand,
 * until the rounds are done: a request waits for the round under way at most.
 */
function warmUp(): void {
  if (preparing > 0 || warmUpRounds === WARM_UP_ROUNDS) return;
  warmUpRound(warmUpRounds++);
  setImmediate(warmUp);
}

/**
 * Compiles each segment and makes its code cache. A syntax error in a segment cut from a module is the cut's
 * fault when `cut` (undefined: prepare it whole instead); in a whole module, it is the module's (CODE_BAD_MODULE).
 */
function compileAll(segments: readonly SegmentScript[], cut: boolean): PreparedSegment[] | undefined {
  const compiled: PreparedSegment[] = [];
  for (const segment of segments) {
    let script: vm.Script;
    try {
      script = new vm.Script(segment.source, { filename: segment.filename, lineOffset: segment.lineOffset });
    } catch (error) {
      if (cut) return undefined;
      throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `${segment.filename} is not a module: ${syntaxError(error)}`, {
        cause: error,
      });
    }
    warm(script);
    const cache = script.createCachedData();
    compiled.push({
      utf8: new Uint8Array(Buffer.from(segment.source, "utf8")),
      filename: segment.filename,
      lineOffset: segment.lineOffset,
      cache: new Uint8Array(cache.buffer, cache.byteOffset, cache.byteLength),
    });
  }
  return compiled;
}

/**
 * Compiles the protocol's own functions of a segment (not the module's code: `run` is not called) by calling them
 * on a scratch scope, so that the code cache carries them compiled and the main thread does not compile them
 * lazily at install. Best effort: a segment whose wrapper does not cooperate gets a cache without them.
 */
function warm(script: vm.Script): void {
  try {
    const segment = (script.runInThisContext() as (scope: object) => SegmentInstance)(Object.create(null));
    segment.hoisted();
    segment.link();
    segment.values();
  } catch {
    // The cache is still right, only smaller.
  }
}

async function readModule(filename: string): Promise<string> {
  try {
    return await readFile(filename, "utf8");
  } catch (error) {
    throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `cannot read ${filename}: ${thrownMessage(error)}`, {
      cause: error,
    });
  }
}

/** TypeScript to JavaScript (types stripped, the module kept an ES module), with esbuild, loaded on first use. */
async function transpile(text: string, filename: string): Promise<string> {
  const { transform } = await import("esbuild");
  try {
    const out = await transform(text, { loader: "ts", format: "esm", target: "es2022", sourcefile: filename });
    return out.code;
  } catch (error) {
    throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `${filename} does not transpile: ${thrownMessage(error)}`, {
      cause: error,
    });
  }
}

/** A syntax error's message with the place V8 gives in its stack's first line (`file:line`). */
function syntaxError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const where = error.stack?.split("\n", 1)[0];
  return where !== undefined && where !== error.message ? `${error.message} (${where})` : error.message;
}
