// The benchmark literal (200,000 records, as ../shared/bench-beam's literal module holds): prepared in a worker
// thread, built in pieces on this one, checked against its bytes. Timings are printed, not asserted: preparing,
// building (the sum of step() times and the largest step), and the garbage collections while building.
import assert from "node:assert/strict";
import { type PerformanceEntry, PerformanceObserver, performance } from "node:perf_hooks";
import { describe, type TestContext, test } from "node:test";
import { Worker } from "node:worker_threads";
import { LiteralBuilder, type PreparedLiteral } from "../../../src/code/literals/index.ts";
import { encode, type Term, tuple } from "../../../src/index.ts";
import { assertBytes } from "../../support/bytes.ts";

const RECORDS = 200_000;
/** The installer's slice: steps of 1 ms, then an event-loop turn. */
const SLICE_MS = 1;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `{I, <<24 random characters>>, "12 of them", Float}` for I in 0..199,999, from a seeded generator. */
function benchmarkLiteral(): Term[] {
  let seed = 42;
  const random = (): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };
  const out = new Array<Term>(RECORDS);
  for (let i = 0; i < RECORDS; i++) {
    const chars = Array.from({ length: 24 }, () => ALPHABET.charCodeAt(Math.floor(random() * ALPHABET.length)));
    out[i] = tuple(i, Buffer.from(chars), chars.slice(0, 12), random() || 0.5);
  }
  return out;
}

/** Prepares `file` in a worker thread of its own (with tsx's loader, as these tests run from sources). */
async function prepareInWorker(file: Uint8Array): Promise<{ prepared: PreparedLiteral; ms: number }> {
  const tsx = import.meta.resolve("tsx/esm/api");
  const prepare = new URL("../../../src/code/literals/prepare.ts", import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(prepare)}); })
       .then(({ prepareLiteral }) => parentPort.once("message", (file) => {
         const start = performance.now();
         const prepared = prepareLiteral(file, "etf");
         parentPort.postMessage({ prepared, ms: performance.now() - start }, [prepared.bytes.buffer]);
       }));`,
    { eval: true },
  );
  try {
    const answer = new Promise<{ prepared: PreparedLiteral; ms: number }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    worker.postMessage(file, [file.buffer as ArrayBuffer]);
    return await answer;
  } finally {
    await worker.terminate();
  }
}

/** Prepares `file` in a worker and builds it as the installer does, in slices with an event-loop turn between. */
async function timeLiteral(t: TestContext, name: string, file: Buffer): Promise<void> {
  const { prepared, ms: prepareMs } = await prepareInWorker(new Uint8Array(file));
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const builder = new LiteralBuilder(prepared);
  const started = performance.now();
  let stepsMs = 0;
  let largestMs = 0;
  let steps = 0;
  for (;;) {
    const stepStart = performance.now();
    const done = builder.step(stepStart + SLICE_MS);
    const took = performance.now() - stepStart;
    stepsMs += took;
    largestMs = Math.max(largestMs, took);
    steps++;
    if (done) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const wallMs = performance.now() - started;
  await new Promise<void>((resolve) => setImmediate(resolve));
  observer.disconnect();
  const during = collections.filter((c) => c.startTime >= started);
  const gcMs = during.reduce((sum, c) => sum + c.duration, 0);
  const largestGcMs = during.reduce((most, c) => Math.max(most, c.duration), 0);
  t.diagnostic(
    `${name} (${(file.length / 1e6).toFixed(1)} MB): worker prepare ${prepareMs.toFixed(1)} ms; ` +
      `main thread: steps ${stepsMs.toFixed(1)} ms in ${steps} (${builder.pieces} pieces), ` +
      `largest step ${largestMs.toFixed(2)} ms, ${wallMs.toFixed(1)} ms from first step to done; ` +
      `garbage collection meanwhile ${gcMs.toFixed(1)} ms, largest pause ${largestGcMs.toFixed(2)} ms`,
  );
  // Every term BEAM writes re-encodes to its own bytes.
  assertBytes(encode(builder.value as Term, { compressed: file[1] === 80 }), file, "re-encoding");
}

describe("the 200,000-record literal", { timeout: 120_000 }, () => {
  const literal = benchmarkLiteral();

  test("uncompressed", async (t) => {
    await timeLiteral(t, "uncompressed", encode(literal));
  });

  test("compressed", async (t) => {
    const file = encode(literal, { compressed: true });
    assert.equal(file[1], 80);
    await timeLiteral(t, "compressed", file);
  });
});
