// Atom vectors: SMALL_ATOM_UTF8_EXT and ATOM_UTF8_EXT (past 255 bytes of UTF-8), empty, 255 characters, Unicode, booleans.
import type { TermSpec } from "../spec.ts";

const LITERALS = [
  "''",
  "a",
  "ok",
  "error",
  "true",
  "false",
  "undefined",
  "nil",
  "'hello world'",
  "'with\\'quote'",
  "'UPPER'",
  "'_under'",
  "'a@b'",
  "'node@host'",
  "'\\n'",
  "'\\\\'",
  "'ä'",
  "'äöü'",
  "'Ω'",
  "'日本語'",
  "'😀'",
  "'aä😀'",
  "'ÿ'",
  "'\\x{7F}'",
  "'\\x{80}'",
  "'é'",
  "'ñandú'",
  "'Ünïcödé'",
  "'\\x{10FFFF}'",
  "'\\x{0}'",
  "'0'",
  "'[]'",
  "'{}'",
];

/** `list_to_atom` of N copies of a code point: where the UTF-8 length crosses 255 bytes. */
const REPEATED: [string, number, number][] = [
  ["a", 0x61, 254],
  ["a", 0x61, 255],
  ["ä", 0xe4, 127],
  ["ä", 0xe4, 128],
  ["ä", 0xe4, 255],
  ["日", 0x65e5, 85],
  ["日", 0x65e5, 86],
  ["日", 0x65e5, 255],
  ["😀", 0x1f600, 63],
  ["😀", 0x1f600, 64],
  ["😀", 0x1f600, 255],
];

export function atomSpecs(): TermSpec[] {
  const specs: TermSpec[] = LITERALS.map((literal) => ({ id: `atom/${literal}`, category: "atom", source: literal }));
  for (const [name, codePoint, count] of REPEATED) {
    specs.push({
      id: `atom/${count}x${name}`,
      category: "atom",
      source: `list_to_atom(lists:duplicate(${count}, 16#${codePoint.toString(16)}))`,
    });
  }
  specs.push({ id: "atom/U+FFFF", category: "atom", source: "list_to_atom([16#FFFF])" });
  specs.push({ id: "atom/latin1-128..255", category: "atom", source: "list_to_atom(lists:seq(128, 255))" });
  specs.push({ id: "atom/ascii-32..126", category: "atom", source: "list_to_atom(lists:seq(32, 126))" });
  return specs;
}
