// `npm run golden`: asks a real erl for every vector of the catalog and writes vectors.json (deterministic).
import { writeFileSync } from "node:fs";
import { ErlOracle } from "../../../src/testing/index.ts";
import { buildVector } from "./build.ts";
import { catalog, prepareOracle } from "./catalog.ts";
import { VECTORS_PATH, type Vector, type VectorFile } from "./vector.ts";

const oracle = await ErlOracle.start({ timeoutMs: 60_000 });
try {
  await prepareOracle(oracle);
  const vectors: Vector[] = [];
  for (const spec of catalog()) vectors.push(await buildVector(oracle, spec));
  const file: VectorFile = {
    otpRelease: oracle.otpRelease,
    generatedBy: "npm run golden (test/interop/golden/generate.ts)",
    count: vectors.length,
    vectors,
  };
  const json = `{\n  "otpRelease": ${JSON.stringify(file.otpRelease)},\n  "generatedBy": ${JSON.stringify(file.generatedBy)},\n  "count": ${file.count},\n  "vectors": [\n${vectors.map((v) => `    ${JSON.stringify(v)}`).join(",\n")}\n  ]\n}\n`;
  writeFileSync(VECTORS_PATH, json);
  const counts = new Map<string, number>();
  for (const v of vectors) counts.set(v.category, (counts.get(v.category) ?? 0) + 1);
  console.log(`wrote ${vectors.length} vectors (${(json.length / 1e6).toFixed(2)} MB) from OTP ${oracle.otpRelease}`);
  for (const [category, n] of counts) console.log(`  ${category.padEnd(12)} ${n}`);
} finally {
  await oracle.stop();
}
