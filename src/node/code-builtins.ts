// Erlang's `code` module as other nodes call it on an Otter node (`rpc:call(Node, code, load_binary, …)` from
// erl, or `otter load`): its node's code server, with the answers OTP's code module gives.
import type { CodeServer } from "../code/index.ts";
import type { ExportedFunction } from "../dist/modules.ts";
import { CodeError, ErrorCodes } from "../errors.ts";
import { Atom, atom } from "../term/atom.ts";
import { type Term, tuple } from "../term/types.ts";

const ERROR = atom("error");
const MODULE = atom("module");
const FILE = atom("file");
const NON_EXISTING = atom("non_existing");
const BADARG = atom("badarg");

/** `code:F(...)`: load_binary/3, load_abs/1, which/1, is_loaded/1, all_loaded/0, purge/1, soft_purge/1, delete/1. */
export function codeModule(code: CodeServer): Record<string, ExportedFunction> {
  return {
    load_binary: (_self, module, filename, source) =>
      load(code, module, filename, () => ({ source: text(source), filename: text(filename) })),
    load_abs: (_self, filename) => {
      const path = text(filename);
      const name = path.replace(/^.*[/\\]/, "").replace(/\.[^.]*$/, "");
      return load(code, atom(name), filename, () => ({ path }));
    },
    which: (_self, module) => {
      const file = code.which(moduleName(module));
      return file === undefined ? NON_EXISTING : charlist(file);
    },
    is_loaded: (_self, module) => {
      const file = code.isLoaded(moduleName(module));
      return file === false ? false : tuple(FILE, charlist(file));
    },
    all_loaded: (_self) => code.allLoaded().map(({ name, file }) => tuple(atom(name), charlist(file))),
    purge: (_self, module) => code.purge(moduleName(module)),
    soft_purge: (_self, module) => code.softPurge(moduleName(module)),
    delete: (_self, module) => code.delete(moduleName(module)),
  };
}

/** `{module, M}`, or `{error, Why}` with OTP's reasons (badfile, not_purged, on_load_failure, badarg). */
async function load(
  code: CodeServer,
  module: Term,
  filename: Term,
  spec: () => { path?: string; source?: string; filename?: string },
): Promise<Term> {
  if (!(module instanceof Atom)) return tuple(ERROR, BADARG);
  try {
    text(filename);
    await code.load(module.name, spec());
    return tuple(MODULE, module);
  } catch (error) {
    if (!(error instanceof CodeError)) throw error;
    return tuple(ERROR, atom(REASONS[error.code] ?? "badfile"));
  }
}

const REASONS: Partial<Record<string, string>> = {
  [ErrorCodes.CODE_BAD_MODULE]: "badfile",
  [ErrorCodes.CODE_LOAD_FAILED]: "on_load_failure",
  [ErrorCodes.CODE_NOT_PURGED]: "not_purged",
  [ErrorCodes.CODE_BAD_ARGUMENT]: "badarg",
};

function moduleName(module: Term): string {
  if (!(module instanceof Atom)) throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, "a module name is an atom");
  return module.name;
}

/** An Erlang string (a list of character codes), a binary, or an atom, as text. */
function text(term: Term): string {
  if (typeof term === "string") return term;
  if (term instanceof Atom) return term.name;
  if (term instanceof Uint8Array) return Buffer.from(term.buffer, term.byteOffset, term.byteLength).toString("utf8");
  if (Array.isArray(term) && term.every((c) => typeof c === "number")) {
    let s = "";
    for (let i = 0; i < term.length; i += 8192) s += String.fromCodePoint(...(term.slice(i, i + 8192) as number[]));
    return s;
  }
  throw new CodeError(ErrorCodes.CODE_BAD_ARGUMENT, "a file name or module text is a string or a binary");
}

/** `s` as an Erlang string: a list of its character codes. */
function charlist(s: string): number[] {
  return Array.from(s, (c) => c.codePointAt(0)!);
}
