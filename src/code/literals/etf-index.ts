// Preparing an ETF literal in the worker: inflating it, checking every term as `decode` would, and cutting the
// top-level container's elements into pieces.
import { ErrorCodes } from "../../errors.ts";
import { TermChecker } from "../../term/etf/check.ts";
import { termBytes } from "../../term/etf/decode.ts";
import * as T from "../../term/etf/tags.ts";
import { ErlMap } from "../../term/map.ts";
import type { Term } from "../../term/types.ts";
import { PieceCutter } from "./pieces.ts";
import type { LiteralShape, PreparedLiteral } from "./prepared-literal.ts";

// Main-thread building cost, calibrated on this machine with lists of the benchmark's records, of atoms, of
// one-element tuples and of small maps: mostly each term's allocation (and the young-generation collections it
// brings); atoms are looked up by name, map entries inserted in order.
const NS_PER_TERM = 60;
const NS_PER_ATOM = 150;
const NS_PER_MAP_ENTRY = 100;
const NS_PER_BYTE = 1;

/** Checks and indexes an ETF file (version byte first); throws the decoder's EtfDecodeError on bad input. */
export function indexEtf(file: Uint8Array, pieceBudgetNs: number): PreparedLiteral {
  const { bytes, offset } = termBytes(file);
  const reader = new TermChecker(bytes, offset);
  const tag = reader.u8();
  let shape: LiteralShape = "value";
  let length = 0;
  if (tag === T.LIST_EXT) {
    length = reader.u32();
    reader.checkLength(length + 1, "list length");
    shape = "list";
  } else if (tag === T.SMALL_TUPLE_EXT || tag === T.LARGE_TUPLE_EXT) {
    length = tag === T.SMALL_TUPLE_EXT ? reader.u8() : reader.u32();
    reader.checkLength(length, "tuple arity");
    if (length > 0) shape = "tuple";
  } else if (tag === T.MAP_EXT) {
    length = reader.u32();
    reader.checkLength(length * 2, "map size");
    if (length > 0) shape = "map";
  }
  if (shape === "value") {
    reader.reset(bytes, offset);
    reader.next(0);
    reader.atEnd();
    return { kind: "etf", bytes, shape, length: 1, pieces: [offset, bytes.length, 1] };
  }
  const cutter = new PieceCutter(pieceBudgetNs);
  const keys: Term[] = shape === "map" ? new Array(length) : [];
  let work = 0;
  for (let i = 0; i < length; i++) {
    const start = reader.offset;
    if (shape === "map") keys[i] = reader.read(1);
    reader.next(1);
    const end = reader.offset;
    const done = workSoFar(reader) + (shape === "map" ? (i + 1) * NS_PER_MAP_ENTRY : 0);
    cutter.add(start, end, done - work + (end - start) * NS_PER_BYTE);
    work = done;
  }
  if (shape === "map" && ErlMap.fromArrays(keys, keys) === undefined) {
    reader.fail(ErrorCodes.ETF_BAD_VALUE, "map has a duplicate key");
  }
  const tail = reader.offset;
  if (shape === "list") reader.next(1);
  reader.atEnd();
  const pieces = cutter.finish();
  return shape === "list"
    ? { kind: "etf", bytes, shape, length, pieces, tail }
    : { kind: "etf", bytes, shape, length, pieces };
}

/** The estimated building cost of every term `reader` has checked so far. */
function workSoFar(reader: TermChecker): number {
  return reader.terms * NS_PER_TERM + reader.atoms * NS_PER_ATOM + reader.mapEntries * NS_PER_MAP_ENTRY;
}
