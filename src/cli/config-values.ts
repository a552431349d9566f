// Configuration values: what a setting expects, and how a value read from JSON, from Erlang terms or from a line of
// text (an environment variable, a flag) becomes the JavaScript value it stands for — or why it cannot.
//
// Erlang → JavaScript, where the expected type decides (an Erlang string is a list of integers, so only the type
// tells "abc" from [97,98,99]): a string setting takes an atom, a binary (UTF-8) or a string; a number an integer or
// a float; a boolean `true`/`false`; an atom setting an atom; an object a map or a `[{key, value}]` list. A setting
// whose default gives no type takes any term, converted as `fromErlang` says.
import { Atom, atom, ErlMap, Float, format, type Term, Tuple } from "../index.ts";

/** A configuration problem: one line naming the setting and what it must be. `otter start` exits 2 with it. */
export class ConfigError extends Error {}

/** How a raw value was written: JSON (typed values), Erlang terms (as `parse` reads them), or text. */
export type ValueForm = "json" | "erlang" | "text";

/** What a setting takes: `what` names it in messages; `read` gives the value, or undefined when it does not fit. */
export interface Expected {
  readonly what: string;
  read(raw: unknown, form: ValueForm): { readonly value: unknown } | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** An atom's name, a binary's UTF-8 text, or an Erlang string's characters; else undefined. */
function erlangText(term: unknown): string | undefined {
  if (term instanceof Atom) return term.name;
  if (term instanceof Uint8Array) {
    try {
      return utf8.decode(term);
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(term) && term.every((c) => Number.isInteger(c) && c >= 0 && c <= 0x10ffff)) {
    return String.fromCodePoint(...(term as number[]));
  }
  return undefined;
}

function fits(value: unknown): { value: unknown } | undefined {
  return value === undefined ? undefined : { value };
}

export const STRING: Expected = {
  what: "a string",
  read: (raw, form) => fits(form === "erlang" ? erlangText(raw) : typeof raw === "string" ? raw : undefined),
};

export const NON_EMPTY_STRING: Expected = {
  what: "a non-empty string",
  read: (raw, form) => {
    const read = STRING.read(raw, form);
    return read?.value === "" ? undefined : read;
  },
};

const BOOLEAN_TEXT = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);

export const BOOLEAN: Expected = {
  what: "true or false",
  read: (raw, form) => {
    if (form !== "text") return fits(typeof raw === "boolean" ? raw : undefined);
    return fits(BOOLEAN_TEXT.get(String(raw).trim()));
  },
};

export const NUMBER: Expected = {
  what: "a number",
  read: (raw, form) => {
    const n = form === "text" ? textNumber(String(raw)) : raw instanceof Float ? raw.value : raw;
    return fits(typeof n === "number" && Number.isFinite(n) ? n : undefined);
  },
};

function textNumber(text: string): number | undefined {
  return /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) ? Number(text) : undefined;
}

/** An integer from `min` to `max`. */
export function integerIn(min: number, max: number): Expected {
  return {
    what: `an integer ${min}..${max}`,
    read: (raw, form) => {
      const n = form === "text" ? (/^\s*-?\d+\s*$/.test(String(raw)) ? Number(raw) : undefined) : raw;
      return fits(Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max ? n : undefined);
    },
  };
}

export const PORT = integerIn(0, 65535);

/** One of `choices`, written as a string (or, in Erlang terms, an atom). */
export function oneOf(...choices: string[]): Expected {
  return {
    what: `one of ${choices.join(", ")}`,
    read: (raw, form) => {
      const text = form === "erlang" ? erlangText(raw) : raw;
      return fits(typeof text === "string" && choices.includes(text) ? text : undefined);
    },
  };
}

export const ATOM: Expected = {
  what: "an atom",
  read: (raw, form) => {
    if (raw instanceof Atom) return { value: raw };
    const text = form === "erlang" ? erlangText(raw) : raw;
    return fits(typeof text === "string" && text !== "" ? atom(text) : undefined);
  },
};

export const ARRAY: Expected = {
  what: "a list",
  read: (raw, form) => {
    if (form === "erlang") return fits(Array.isArray(raw) ? raw.map(fromErlang) : undefined);
    const value = form === "text" ? jsonOf(String(raw)) : raw;
    return fits(Array.isArray(value) ? value : undefined);
  },
};

export const OBJECT: Expected = {
  what: "an object (in Erlang terms, a map or a [{Key, Value}] list)",
  read: (raw, form) => {
    if (form === "erlang") return fits(erlangObject(raw));
    const value = form === "text" ? jsonOf(String(raw)) : raw;
    return fits(isPlainObject(value) ? value : undefined);
  },
};

export const ANY: Expected = {
  what: "any value",
  read: (raw, form) => ({ value: form === "erlang" ? fromErlang(raw) : raw }),
};

/** What an application's env key takes, judged by its default: a value of the same kind (anything without one). */
export function expectedLike(defaultValue: unknown): Expected {
  if (typeof defaultValue === "string") return STRING;
  if (typeof defaultValue === "number") return NUMBER;
  if (typeof defaultValue === "boolean") return BOOLEAN;
  if (defaultValue instanceof Atom) return ATOM;
  if (Array.isArray(defaultValue)) return ARRAY;
  if (isPlainObject(defaultValue)) return OBJECT;
  return ANY;
}

/**
 * An Erlang term as plain JavaScript, where no type is expected: integers and floats are numbers (big integers
 * bigints), atoms and UTF-8 binaries strings (`true`/`false` are booleans already), lists arrays, maps with atom or
 * binary keys objects. Anything else (tuples, pids, Erlang strings) stays the term it is.
 */
export function fromErlang(term: unknown): unknown {
  if (term instanceof Float) return term.value;
  if (term instanceof Atom) return term.name;
  if (term instanceof Uint8Array) return erlangText(term) ?? term;
  if (Array.isArray(term)) return term.map(fromErlang);
  if (term instanceof ErlMap) return erlangObject(term) ?? term;
  return term;
}

/** A map with atom/binary keys, or a proplist `[{Key, Value}]`, as an object; else undefined. */
function erlangObject(term: unknown): Record<string, unknown> | undefined {
  let pairs: (readonly [unknown, unknown])[];
  if (term instanceof ErlMap) pairs = term.keys().map((key) => [key, term.get(key)] as const);
  else if (Array.isArray(term) && term.every(isPair)) pairs = term.map((pair) => [pair.at(0), pair.at(1)] as const);
  else return undefined;
  const object: Record<string, unknown> = {};
  for (const [key, value] of pairs) {
    const name = key instanceof Atom || key instanceof Uint8Array ? erlangText(key) : undefined;
    if (name === undefined) return undefined;
    object[name] = fromErlang(value);
  }
  return object;
}

function isPair(term: unknown): term is Tuple {
  return term instanceof Tuple && term.size === 2;
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A raw value as its writer wrote it, for messages: JSON, Erlang syntax, or the text quoted. */
export function shown(raw: unknown, form: ValueForm): string {
  if (form === "erlang") {
    try {
      return format(raw as Term);
    } catch {
      return String(raw);
    }
  }
  return JSON.stringify(raw) ?? String(raw);
}
