// Warming a preparing worker's JavaScript (the module scanner and splitter, the literal indexer) before its first
// real module: V8 compiles these with optimising tiers only after they have run a while, and deoptimises them again
// on a construct they have not met yet, so a cold worker took 57 ms to cut a 1 MB module it cuts in 12 ms warm.
// The corpus below holds the constructs of ordinary modules, with different names each round.
import { encode } from "../term/etf/encode.ts";
import { Tuple } from "../term/types.ts";
import { prepareLiteral } from "./literals/index.ts";
import { splitModule } from "./split/index.ts";

/** Rounds of warm-up; each cuts about 150 KB of module text and indexes a small ETF and JSON literal. */
export const WARM_UP_ROUNDS = 12;

/** One round: run between a worker's messages, so that a request that arrives waits for one round at most. */
export function warmUpRound(round: number): void {
  splitModule(warmUpModule(round), { filename: `warm-up-${round}.js`, segmentBytes: 16 * 1024 });
  prepareLiteral(etfRows(round), "etf");
  prepareLiteral(Buffer.from(JSON.stringify(jsonRows(round))), "json");
}

/** The module text of round `round`. */
export function warmUpModule(round: number): string {
  const units: string[] = [UNIT_HEADER];
  for (let i = 0; i < UNITS_PER_ROUND; i++) units.push(unit(`${round}_${i}`, i));
  return units.join("\n");
}

const UNITS_PER_ROUND = 120;

const UNIT_HEADER = `#!/usr/bin/env node
import fs, { readFileSync as read } from "node:fs";
import * as path from "node:path";
import data from "./data.json" with { type: "json" };
export * from "./other.js";
export { join as joinPath } from "node:path";
/* a block comment */
const ROOT = path.resolve(import.meta.dirname ?? ".");
export default ROOT;
`;

/** A slice of an ordinary module, its names suffixed with `n`. */
function unit(n: string, i: number): string {
  return `
// unit ${n}
export const limit${n} = ${i} * 2 ** 4 + 0x1f - 0b101 + 0o7 + 1_000n.toString().length + .5e-3;
export class Shape${n} extends Object {
  static count = 0;
  #secret = "s\\"${n}'";
  field = [1, 2, 3];
  constructor(a = {}, ...rest) { super(); this.a = a; this.rest = rest; Shape${n}.count++; }
  get area() { return this.#secret.length / 2; }
  set area(v) { this.#secret = \`\${v}\`; }
  static make({ x, y: [first, ...others] = [] } = {}) { return new Shape${n}(x ?? first, others); }
  async *items() { for await (const x of this.field) yield x; }
  [Symbol.iterator]() { return this.field[Symbol.iterator](); }
}
export function walk${n}(tree, visit = (node) => node?.kind) {
  let depth = 0, out = [];
  for (const node of tree) {
    if (node === null || typeof node !== "object") continue;
    else if (Array.isArray(node)) out.push(...walk${n}(node, visit));
    switch (node.kind) {
      case "leaf": depth += 1; break;
      case /re[g]ex\\/${i}/i.source: depth -= 1; break;
      default: out.push({ ...node, depth, label: \`n\${depth > 2 ? \`deep\${depth}\` : "top"}\` });
    }
    while (depth > 10) depth = depth / 2 | 0;
  }
  try { JSON.parse(read(ROOT, "utf8")); } catch { out = out.filter((x) => x && x.depth >= 0 && !(x.depth < -1)); } finally { depth &&= 0; }
  return out.length > 0 ? out : visit(tree) ?? [];
}
export const check${n} = async (input, { strict = false } = {}) => {
  const found = await Promise.all([input].map(async (x) => x / 3 > 1 ? x % 2 : x ** 2));
  const re = /^[a-z]+\\d*$/gu, text = "a/b/c".split("/").join("-");
  return strict ? found.some((f) => re.test(String(f))) : text.replace(/-/g, () => "+") + data?.[${i}] ;
};
export function main${n}(argv = process.argv) { return argv.length > ${i} ? walk${n}(argv) : fs.existsSync(ROOT); }
const table${n} = { a: 1, "b-c": 2, [\`k${n}\`]: () => ({}), get g() { return 3; }, m() { return this.a; } };
export { table${n} as t${n} };
`;
}

function etfRows(round: number): Uint8Array {
  const rows = [];
  for (let i = 0; i < 400; i++) {
    rows.push(new Tuple([i + round, Buffer.from(`row${i}`), [104, 105], i / 7, 2 ** 40 + i]));
  }
  return encode(rows);
}

function jsonRows(round: number): unknown[] {
  const rows = [];
  for (let i = 0; i < 400; i++) rows.push({ id: i + round, name: `row${i}`, tags: ["a", "b"], score: i / 7 });
  return rows;
}
