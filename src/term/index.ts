// The term layer's public surface: the term model, ordering, text syntax and the ETF codec.
export { Atom, atom, atomTableInfo, DEFAULT_ATOM_LIMIT, existingAtom, setAtomTableLimit } from "./atom.ts";
export { binaryBytes, compare, compareMapKeys, equals, hash } from "./compare.ts";
export * from "./etf/index.ts";
export { format, type TermTextOptions } from "./format.ts";
export { ErlMap, map, SMALL_MAP_LIMIT } from "./map.ts";
export { parse } from "./parse.ts";
export {
  BitString,
  ErlFun,
  ExportFun,
  Float,
  ImproperList,
  improperList,
  Pid,
  Port,
  Ref,
  type Term,
  Tuple,
  tuple,
} from "./types.ts";
