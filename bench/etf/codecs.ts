// The JavaScript ETF codecs under test (Otter and the npm peers), each as untimed one-shot calls and
// timed batches with their own loops (see bench/lib/measure.ts for why each loop is written out).
import { decode as fteeDecode, encode as fteeEncode, type Unpackable } from "@typescord/ftee";
import { Erlang, type ErlangJsTerm } from "erlang_js";
import { decode, encode, type Term } from "../../dist/index.js";
import type { Batch } from "../lib/measure.ts";
import type { Workload } from "./workloads.ts";

export interface Codec {
  /** "otter", or the npm package name. */
  readonly name: string;
  /** What decoding gives up, if anything (shown under the tables). */
  readonly decodeFidelity: string;
  encodeOnce(w: Workload): Buffer;
  encodeBatch(w: Workload): Batch;
  decodeOnce(etf: Buffer): unknown;
  decodeBatch(etf: Buffer): Batch;
  /** Drops the last decoded term, so it does not weigh on the next measurement's garbage collections. */
  release(): void;
}

// Every decoded term is stored here, so no decode result is dead.
let decodedOtter: Term | undefined;
let decodedFtee: Unpackable | undefined;

const otter: Codec = {
  name: "otter",
  decodeFidelity: "lossless; binaries of 64 bytes or more are zero-copy views of the input",
  encodeOnce: (w) => encode(w.otter),
  encodeBatch(w) {
    const term = w.otter;
    return (ops) => {
      let bytes = 0;
      for (let i = 0; i < ops; i++) bytes += encode(term).length;
      return bytes;
    };
  },
  decodeOnce: (etf) => decode(etf),
  decodeBatch(etf) {
    return (ops) => {
      for (let i = 0; i < ops; i++) decodedOtter = decode(etf);
      return decodedOtter === undefined ? 0 : ops;
    };
  },
  release() {
    decodedOtter = undefined;
  },
};

// erlang_js answers through a callback, called synchronously when no compression is asked for.
let jsError: Error | undefined;
let jsEncoded: Buffer | undefined;
let jsDecoded: ErlangJsTerm | undefined;
function onEncoded(err: Error | undefined, value: Buffer | undefined): void {
  jsError = err;
  jsEncoded = value;
}
function onDecoded(err: Error | undefined, value: ErlangJsTerm | undefined): void {
  jsError = err;
  jsDecoded = value;
}

function erlangJsEncode(term: ErlangJsTerm): Buffer {
  jsEncoded = undefined;
  Erlang.term_to_binary(term, onEncoded);
  if (jsError !== undefined || jsEncoded === undefined) throw jsError ?? new Error("erlang_js gave no result");
  return jsEncoded;
}

function erlangJsDecode(etf: Buffer): ErlangJsTerm | undefined {
  Erlang.binary_to_term(etf, onDecoded);
  if (jsError !== undefined) throw jsError;
  return jsDecoded;
}

const erlangJs: Codec = {
  name: "erlang_js",
  decodeFidelity:
    "atoms are fresh OtpErlangAtom objects (not interned), so map keys match by identity only; " +
    "binaries are zero-copy slices",
  encodeOnce: (w) => erlangJsEncode(w.erlangJs),
  encodeBatch(w) {
    const term = w.erlangJs;
    return (ops) => {
      let bytes = 0;
      for (let i = 0; i < ops; i++) bytes += erlangJsEncode(term).length;
      return bytes;
    };
  },
  decodeOnce: (etf) => erlangJsDecode(etf),
  decodeBatch(etf) {
    return (ops) => {
      for (let i = 0; i < ops; i++) erlangJsDecode(etf);
      return jsDecoded === undefined ? 0 : ops;
    };
  },
  release() {
    jsDecoded = undefined;
    jsEncoded = undefined;
  },
};

const ftee: Codec = {
  name: "@typescord/ftee",
  decodeFidelity:
    "lossy: atoms become strings, tuples arrays, binaries UTF-8 strings (invalid UTF-8 is replaced), " +
    "maps plain objects with string keys",
  encodeOnce: (w) => fteeEncode(w.ftee),
  encodeBatch(w) {
    const value = w.ftee;
    return (ops) => {
      let bytes = 0;
      for (let i = 0; i < ops; i++) bytes += fteeEncode(value).length;
      return bytes;
    };
  },
  decodeOnce: (etf) => fteeDecode(etf),
  decodeBatch(etf) {
    return (ops) => {
      for (let i = 0; i < ops; i++) decodedFtee = fteeDecode(etf);
      return decodedFtee === undefined ? 0 : ops;
    };
  },
  release() {
    decodedFtee = undefined;
  },
};

/** Otter first, then the npm peers. */
export const codecs: readonly Codec[] = [otter, erlangJs, ftee];

/** The npm peers' names (every codec but Otter). */
export const peerNames: readonly string[] = codecs.filter((c) => c !== otter).map((c) => c.name);
