// A preparing worker's thread: everything about loading a module that can happen off the main thread — reading
// it, transpiling TypeScript, cutting it into segments, compiling each and making its V8 code cache, and reading
// and indexing its literal data.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import vm from "node:vm";
import { parentPort } from "node:worker_threads";
import { CodeError, ErrorCodes, OtterError } from "../errors.ts";
import { type PreparedLiteral, prepareLiteral } from "./literals/index.ts";
import type { PrepareAnswer, PrepareRequest } from "./prepare-messages.ts";
import type { PreparedSegment } from "./prepared.ts";
import { splitModule } from "./split/index.ts";

const port = parentPort!;

port.on("message", (request: PrepareRequest) => {
  prepare(request).then(
    ({ answer, transfer }) => port.postMessage(answer, transfer),
    (error: unknown) => {
      const code = error instanceof OtterError ? error.code : ErrorCodes.CODE_BAD_MODULE;
      const answer: PrepareAnswer = { kind: "failed", id: request.id, code, message: describe(error) };
      port.postMessage(answer);
    },
  );
});

async function prepare(request: PrepareRequest): Promise<{ answer: PrepareAnswer; transfer: ArrayBuffer[] }> {
  const { filename } = request;
  let text = request.source ?? (await readModule(filename));
  if (request.typescript) text = await transpile(text, filename);
  let split = splitModule(text, { filename, segmentBytes: request.segmentBytes });
  let segments = compileAll(split.segments, split.split);
  if (segments === undefined) {
    // A cut the scanner got wrong (a regular expression it took for a division, say): the module in one piece.
    split = splitModule(text, { filename, whole: true });
    segments = compileAll(split.segments, false)!;
  }
  const transfer: ArrayBuffer[] = [];
  for (const s of segments) if (s.cache !== undefined) transfer.push(s.cache.buffer as ArrayBuffer);
  const literals: Record<string, PreparedLiteral> = {};
  for (const imported of split.imports) {
    if (imported.literal === undefined) continue;
    const path = resolve(dirname(filename), imported.specifier);
    const bytes = await readFile(path).catch((error) => {
      throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `cannot read ${path}, imported by ${filename}`, { cause: error });
    });
    const literal = prepareLiteral(bytes, imported.literal);
    literals[imported.specifier] = literal;
    transfer.push(...literalBuffers(literal));
  }
  const module = { segments, imports: split.imports, exports: split.exports, exportAllFrom: split.exportAllFrom };
  const answer: PrepareAnswer = {
    kind: "prepared",
    id: request.id,
    module,
    literals,
    ...(split.split ? {} : { whole: split.reason }),
  };
  return { answer, transfer };
}

/**
 * Compiles each segment and makes its code cache. A syntax error in a segment cut from a module is the cut's
 * fault when `cut` (undefined: prepare it whole instead); in a whole module, it is the module's (CODE_BAD_MODULE).
 */
function compileAll(segments: readonly Omit<PreparedSegment, "cache">[], cut: boolean): PreparedSegment[] | undefined {
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
    const cache = script.createCachedData();
    compiled.push({ ...segment, cache: new Uint8Array(cache.buffer, cache.byteOffset, cache.byteLength) });
  }
  return compiled;
}

async function readModule(filename: string): Promise<string> {
  try {
    return await readFile(filename, "utf8");
  } catch (error) {
    throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `cannot read ${filename}: ${describe(error)}`, { cause: error });
  }
}

/** TypeScript to JavaScript (types stripped, the module kept an ES module), with esbuild, loaded on first use. */
async function transpile(text: string, filename: string): Promise<string> {
  const { transform } = await import("esbuild");
  try {
    const out = await transform(text, { loader: "ts", format: "esm", target: "es2022", sourcefile: filename });
    return out.code;
  } catch (error) {
    throw new CodeError(ErrorCodes.CODE_BAD_MODULE, `${filename} does not transpile: ${describe(error)}`, {
      cause: error,
    });
  }
}

function literalBuffers(literal: PreparedLiteral): ArrayBuffer[] {
  const bytes = (literal as { bytes?: Uint8Array }).bytes;
  return bytes instanceof Uint8Array && bytes.byteLength > 0 ? [bytes.buffer as ArrayBuffer] : [];
}

/** A syntax error's message with the place V8 gives in its stack's first line (`file:line`). */
function syntaxError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const where = error.stack?.split("\n", 1)[0];
  return where !== undefined && where !== error.message ? `${error.message} (${where})` : error.message;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
