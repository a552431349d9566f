// The `npm start` demo: Otter encodes terms, a real erl decodes them and answers, Otter decodes the answer.
import {
  atom,
  BitString,
  decode,
  encode,
  Float,
  format,
  improperList,
  map,
  Pid,
  Ref,
  type Term,
  tuple,
} from "../index.ts";
import { ErlError, ErlOracle } from "../testing/index.ts";

/** What erl computes from each term it receives. */
const ERL_ANSWER = "{echo, T, erlang:phash2(T), byte_size(term_to_binary(T, [{minor_version, 2}]))}";

const other = atom("otter@localhost");

const TERMS: [string, Term][] = [
  ["a tagged binary", tuple(atom("ok"), Buffer.from("hello"))],
  ["numbers", [42, -7, 2.5, new Float(3), 2n ** 100n]],
  [
    "a map (JS strings are binaries)",
    map([
      [atom("name"), "otter"],
      [atom("tags"), [atom("erlang"), atom("ts")]],
    ]),
  ],
  ["an improper list", improperList([atom("a"), atom("b")], atom("c"))],
  ["a bitstring", new BitString(Uint8Array.of(0xff, 0b1100_0000), 3)],
  ["Unicode", [atom("日本語"), "😀", "ä"]],
  ["a remote pid and ref", tuple(new Pid(other, 42, 0, 1), new Ref(other, 1, [1, 2, 3]))],
];

/** Runs the demo; resolves to the process exit code. */
export async function runDemo(): Promise<number> {
  let oracle: ErlOracle;
  try {
    oracle = await ErlOracle.start({ timeoutMs: 10_000 });
  } catch (error) {
    if (error instanceof ErlError) {
      console.error(`otter demo: ${error.message}`);
      return 1;
    }
    throw error;
  }
  try {
    console.log(`Otter ⇄ erl (OTP ${oracle.otpRelease}): we encode, erl decodes and answers ${ERL_ANSWER}\n`);
    for (const [what, term] of TERMS) {
      const bytes = encode(term);
      const answer = decode(await oracle.eval(ERL_ANSWER, { T: bytes }));
      console.log(`  ${what}`);
      console.log(`    → ${format(term)}  (${bytes.length} bytes)`);
      console.log(`    ← ${format(answer)}\n`);
    }
    console.log("Every answer was decoded by Otter from the bytes erl's term_to_binary wrote.");
    return 0;
  } finally {
    await oracle.stop();
  }
}
