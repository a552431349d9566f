// Erlang's `io_lib:format/2` and character data: the text an `io:format` call on another node asks this node's
// io server to print (as `{put_chars, unicode, io_lib, format, [Format, Args]}`).
//
// A control sequence is `~F.P.PadModC` (stdlib's io_lib documentation): field width F (negative: left-justified),
// precision P, pad character Pad, modifiers `t` (Unicode) and `l` (no string detection), and the control C.
// Supported: ~~ ~n ~c ~s ~w ~p ~W ~P ~f ~e ~g ~b ~B ~x ~X ~+ ~# ~i, with `*` taking F, P or Pad from the arguments.
// `~p` prints on one line as `format` does (Otter's `~0tp`), `~w` as `formatWritten` does; depths are ignored.
// Anything io_lib would reject (an unknown control, an argument of the wrong type, too few or too many arguments)
// throws TermError TERM_BAD_VALUE, which the io server answers with `{error, format}`.
import { ErrorCodes, TermError } from "../errors.ts";
import { Atom } from "./atom.ts";
import { format, formatWritten } from "./format.ts";
import { BitString, Float, ImproperList, type Term } from "./types.ts";

/** Text of Erlang character data: a binary (UTF-8, or Latin-1 bytes), an atom, or a deep list of both and codes. */
export function chardataText(data: Term, encoding: "unicode" | "latin1" = "unicode"): string {
  const parts: string[] = [];
  const stack: Term[] = [data];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === "number" && Number.isInteger(item) && item >= 0 && item <= 0x10ffff) {
      parts.push(String.fromCodePoint(item));
    } else if (item instanceof Uint8Array) {
      parts.push(
        Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString(encoding === "unicode" ? "utf8" : "latin1"),
      );
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]!);
    } else if (item instanceof ImproperList && item.tail instanceof Uint8Array) {
      stack.push(item.tail); // iodata may end in a binary tail
      for (let i = item.items.length - 1; i >= 0; i--) stack.push(item.items[i]!);
    } else if (typeof item === "string") {
      parts.push(item);
    } else {
      throw bad(`not character data: ${describe(item)}`);
    }
  }
  return parts.join("");
}

/** `io_lib:format(Format, Args)` as a string. */
export function ioLibFormat(formatTerm: Term, args: Term): string {
  const template = formatTerm instanceof Atom ? formatTerm.name : chardataText(formatTerm);
  if (!Array.isArray(args)) throw bad("the arguments of a format are a list");
  const queue = [...args];
  const next = (): Term => {
    if (queue.length === 0) throw bad(`too few arguments for format ${JSON.stringify(template)}`);
    return queue.shift()!;
  };
  const out: string[] = [];
  const chars = [...template];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i++]!;
    if (c !== "~") {
      out.push(c);
      continue;
    }
    const spec = readSpec(chars, i, next);
    i = spec.end;
    out.push(control(spec, next));
  }
  if (queue.length > 0) throw bad(`${queue.length} argument(s) left over by format ${JSON.stringify(template)}`);
  return out.join("");
}

interface Spec {
  width: number | undefined;
  precision: number | undefined;
  pad: string;
  control: string;
  end: number;
}

function readSpec(chars: string[], start: number, next: () => Term): Spec {
  let i = start;
  const number = (): number | undefined => {
    if (chars[i] === "*") {
      i++;
      const n = next();
      if (typeof n !== "number" || !Number.isInteger(n)) throw bad("a * field takes an integer argument");
      return n;
    }
    let text = "";
    if (chars[i] === "-") text += chars[i++];
    while (i < chars.length && chars[i]! >= "0" && chars[i]! <= "9") text += chars[i++];
    return text === "" || text === "-" ? undefined : Number(text);
  };
  const width = number();
  let precision: number | undefined;
  let pad = " ";
  if (chars[i] === ".") {
    i++;
    precision = number();
    if (chars[i] === ".") {
      i++;
      if (i >= chars.length) throw bad("a format ends inside a control sequence");
      pad = chars[i++]!;
      if (pad === "*") {
        const code = next();
        if (typeof code !== "number" || !Number.isInteger(code) || code < 0) throw bad("a * pad takes a character");
        pad = String.fromCodePoint(code);
      }
    }
  }
  while (chars[i] === "t" || chars[i] === "l" || chars[i] === "k" || chars[i] === "K") {
    if (chars[i++] === "K") next(); // ~K takes a key order argument; maps print in one order here
  }
  if (i >= chars.length) throw bad("a format ends inside a control sequence");
  return { width, precision, pad, control: chars[i]!, end: i + 1 };
}

function control(spec: Spec, next: () => Term): string {
  switch (spec.control) {
    case "~":
      return field("~", spec);
    case "n":
      return "\n";
    case "i":
      next();
      return "";
    case "c": {
      const code = next();
      if (typeof code !== "number" || !Number.isInteger(code) || code < 0) throw bad("~c takes a character code");
      return field(String.fromCodePoint(code).repeat(spec.precision ?? Math.abs(spec.width ?? 1)), spec);
    }
    case "s": {
      const text = stringArgument(next());
      return field(spec.precision === undefined ? text : [...text].slice(0, spec.precision).join(""), spec);
    }
    case "w":
      return field(formatWritten(next()), spec);
    case "p":
      return field(format(next()), spec);
    case "W":
    case "P": {
      const term = next();
      next(); // the depth: terms print whole here
      return field(spec.control === "W" ? formatWritten(term) : format(term), spec);
    }
    case "f":
    case "e":
    case "g":
      return field(floatText(spec.control, floatArgument(next()), spec.precision), spec);
    case "b":
    case "B":
    case "x":
    case "X":
    case "+":
    case "#":
      return field(integerText(spec, next), spec);
    default:
      throw bad(`unknown control sequence ~${spec.control}`);
  }
}

/** Pads `text` to the field width: right-justified, or left-justified for a negative width. */
function field(text: string, spec: Spec): string {
  if (spec.width === undefined) return text;
  const width = Math.abs(spec.width);
  const length = [...text].length;
  if (length >= width) return text;
  const padding = spec.pad.repeat(width - length);
  return spec.width < 0 ? text + padding : padding + text;
}

function stringArgument(value: Term): string {
  if (value instanceof Atom) return value.name;
  if (value instanceof BitString) throw bad("~s takes a string, a binary or an atom, not a bitstring");
  return chardataText(value);
}

function floatArgument(value: Term): number {
  if (value instanceof Float) return value.value;
  if (typeof value === "number") return value;
  throw bad(`a float control takes a number, not ${describe(value)}`);
}

/**
 * ~f: fixed decimals; ~e: P significant digits in scientific form (`1.00000e+0`); ~g: P significant digits as ~f
 * when the magnitude is in [0.1, 10000) and they reach the decimal point, else as ~e.
 */
function floatText(kind: string, value: number, precision: number | undefined): string {
  if (kind === "f") return value.toFixed(precision ?? 6);
  const digits = Math.max(2, precision ?? 6);
  if (kind === "g") {
    const magnitude = Math.abs(value);
    const exponent = magnitude < 1 ? -1 : Math.floor(Math.log10(magnitude)); // -1 stands for all of [0.1, 1)
    if (magnitude >= 0.1 && magnitude < 1e4 && digits - 1 > exponent) return value.toFixed(digits - 1 - exponent);
  }
  const [mantissa, exponent] = value.toExponential(digits - 1).split("e") as [string, string];
  return `${mantissa}e${exponent}`;
}

function integerText(spec: Spec, next: () => Term): string {
  const value = next();
  if (!((typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint")) {
    throw bad(`~${spec.control} takes an integer, not ${describe(value)}`);
  }
  const base = spec.precision ?? (spec.control === "x" || spec.control === "X" ? 16 : 10);
  if (!Number.isInteger(base) || base < 2 || base > 36) throw bad(`a base is 2..36, not ${base}`);
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  let digits = magnitude.toString(base);
  const lower = spec.control === "b" || spec.control === "x" || spec.control === "+";
  digits = lower ? digits.toLowerCase() : digits.toUpperCase();
  if (spec.control === "x" || spec.control === "X") digits = stringArgument(next()) + digits;
  if (spec.control === "+" || spec.control === "#") digits = `${base}#${digits}`;
  return negative ? `-${digits}` : digits;
}

function describe(value: unknown): string {
  try {
    return format(value as Term);
  } catch {
    return typeof value;
  }
}

function bad(message: string): TermError {
  return new TermError(ErrorCodes.TERM_BAD_VALUE, message);
}
