// A configuration file for `otter start`, the role of sys.config: JSON (`{"node": {…}, "<app>": {…}}`) or Erlang
// terms (`[{node, [{sname, demo}]}, {myapp, [{port, 8080}]}].`), read into sections of raw settings — checked for
// shape here, for meaning by config.ts.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { Atom, format, parse, type Term, TermParseError, Tuple } from "../index.ts";
import { ConfigError, type ValueForm } from "./config-values.ts";

/** A value as a source wrote it, not yet checked: `label` names it in messages (`node.distPort`, `--dist-port`). */
export interface RawSetting {
  readonly value: unknown;
  readonly form: ValueForm;
  readonly label: string;
  /** What precedes a message about it: `config demo.json: `, `environment: `, or nothing for a flag. */
  readonly source: string;
}

/** Section (`node`, or an application's name) → key → raw value. */
export type Sections = Map<string, Map<string, RawSetting>>;

/** Reads `path` (.json or .config); a ConfigError names the file and what is wrong, with its line for a bad parse. */
export async function readConfigFile(path: string): Promise<Sections> {
  const source = `config ${path}: `;
  const kind = extname(path);
  if (kind !== ".json" && kind !== ".config") {
    throw new ConfigError(`${source}unknown kind of file: use .json, or .config for Erlang terms`);
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${source}cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return kind === ".json" ? jsonSections(text, source) : erlangSections(text, source);
}

function jsonSections(text: string, source: string): Sections {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    const at = jsonErrorOffset(text);
    const what = at < text.length ? `unexpected ${JSON.stringify(text[at])}` : "unexpected end of file";
    throw new ConfigError(`${source}${where(text, at)}: ${what}`);
  }
  if (!isObject(document)) throw new ConfigError(`${source}expected an object of sections, e.g. {"node": {…}}`);
  const sections: Sections = new Map();
  for (const [section, settings] of Object.entries(document)) {
    if (!isObject(settings)) {
      throw new ConfigError(`${source}${section} must be an object of settings, got ${JSON.stringify(settings)}`);
    }
    const keys = new Map<string, RawSetting>();
    for (const [key, value] of Object.entries(settings)) {
      keys.set(key, { value, form: "json", label: `${section}.${key}`, source });
    }
    sections.set(section, keys);
  }
  return sections;
}

const SHAPE = "a list of {Application, [{Key, Value}, …]}, as sys.config has";

function erlangSections(text: string, source: string): Sections {
  let document: Term;
  try {
    document = parse(text);
  } catch (error) {
    if (!(error instanceof TermParseError)) throw error;
    const message = error.message.replace(/ \(at character \d+\)$/, "");
    throw new ConfigError(`${source}${where(text, error.offset)}: ${message}`);
  }
  if (!Array.isArray(document)) throw new ConfigError(`${source}expected ${SHAPE}`);
  const sections: Sections = new Map();
  for (const entry of document) {
    const [section, settings] = entry instanceof Tuple && entry.size === 2 ? entry.elements : [];
    if (!(section instanceof Atom) || !Array.isArray(settings)) {
      throw new ConfigError(`${source}expected ${SHAPE}; got ${format(entry as Term)}`);
    }
    if (sections.has(section.name)) throw new ConfigError(`${source}${section.name} appears twice`);
    const keys = new Map<string, RawSetting>();
    for (const setting of settings) {
      const [key, value] = setting instanceof Tuple && setting.size === 2 ? setting.elements : [];
      if (!(key instanceof Atom)) {
        throw new ConfigError(
          `${source}in ${section.name}: expected {Key, Value} with an atom key; got ${format(setting as Term)}`,
        );
      }
      const label = `${section.name}.${key.name}`;
      if (keys.has(key.name)) throw new ConfigError(`${source}${label} is set twice`);
      keys.set(key.name, { value, form: "erlang", label, source });
    }
    sections.set(section.name, keys);
  }
  return sections;
}

/** `line L, column C` of the character at `offset` (both from 1). */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/**
 * Where JSON.parse gave up (its messages do not always say): the offset of the first character that breaks JSON's
 * grammar, or the text's length when the text ends too early.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expect = (char: string) => {
    if (text[i] !== char) fail();
    i++;
  };
  const string = () => {
    expect('"');
    while (text[i] !== '"') {
      if (i >= text.length || text.charCodeAt(i) < 0x20) fail();
      i += text[i] === "\\" ? 2 : 1;
    }
    i++;
  };
  const value = (): void => {
    space();
    const char = text[i];
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (close === "}") {
          space();
          string();
          space();
          expect(":");
        }
        value();
        space();
        if (text[i] === close) {
          i++;
          return;
        }
        expect(",");
      }
    }
    if (char === '"') {
      string();
      return;
    }
    const token = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    i += token === null ? fail() : token[0].length;
  };
  try {
    value();
    space();
    return i;
  } catch (at) {
    return at as number;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
