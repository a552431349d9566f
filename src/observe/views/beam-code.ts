// A BEAM node's loaded modules: code:all_loaded/0 with each module's `vsn` attribute as its current version, and
// the modules with old code still loaded (`lists:filter(fun erlang:check_old_code/1, Modules)`), in three calls.
import { Atom, atom } from "../../term/atom.ts";
import { ExportFun, type Term, Tuple } from "../../term/types.ts";
import type { ModuleEntry } from "../protocol.ts";
import { type BeamRpc, proplist, stringOf } from "./beam-rpc.ts";

const CHECK_OLD_CODE = new ExportFun(atom("erlang"), atom("check_old_code"), 1);
const GET_MODULE_INFO = new ExportFun(atom("erlang"), atom("get_module_info"), 2);
const ATTRIBUTES = atom("attributes");

export async function beamModules(rpc: BeamRpc): Promise<ModuleEntry[]> {
  const loaded = await rpc.call("code", "all_loaded", []);
  const modules = Array.isArray(loaded)
    ? loaded.filter((m): m is Tuple => m instanceof Tuple && m.size === 2 && m.at(0) instanceof Atom)
    : [];
  const names = modules.map((m) => m.at(0) as Atom);
  const [withOld, attributes] = await Promise.all([
    rpc.call("lists", "filter", [CHECK_OLD_CODE, names]),
    rpc.call("lists", "zipwith", [GET_MODULE_INFO, names, names.map(() => ATTRIBUTES)]),
  ]);
  const old = new Set(Array.isArray(withOld) ? withOld : []);
  return modules
    .map((m, i): ModuleEntry => {
      const name = m.at(0) as Atom;
      const file = m.at(1)!;
      return {
        name: name.name,
        // `preloaded` and `cover_compiled` are atoms, a file a charlist.
        path: file instanceof Atom ? null : stringOf(file, rpc),
        current: versionOf(Array.isArray(attributes) ? attributes[i] : undefined, rpc),
        old: old.has(name) ? "old code loaded" : null,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** `vsn 1234…` from a module's attributes (every module has one: set, or the MD5 of its code). */
function versionOf(attributes: Term | undefined, rpc: BeamRpc): string {
  const vsn = attributes === undefined ? undefined : proplist(attributes).get("vsn");
  if (Array.isArray(vsn) && vsn.length === 1) return `vsn ${rpc.text(vsn[0]!)}`;
  return vsn === undefined ? "loaded" : `vsn ${rpc.text(vsn)}`;
}
