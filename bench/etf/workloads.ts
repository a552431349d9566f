// The three ETF workloads of shared/bench-beam/PEERS.md, each codec's term built in the shape it can encode, only
// while that codec is measured.
//
// bench/beam/etf_bench.erl builds the same terms on the BEAM side; the BEAM's bytes are what every
// JavaScript codec decodes. Peers that cannot represent a term get the nearest thing they can encode,
// and `fidelity` says what was given up.
import type { Packable } from "@typescord/ftee";
import { Erlang, type ErlangJsTerm } from "erlang_js";
import { atom, map, type Term, tuple } from "../../dist/index.js";

export type WorkloadName = "small" | "bin1m" | "maps10k";

/** How to build a workload's term for each codec. */
interface Terms {
  /** Otter's term: exactly the Erlang term. */
  otter: () => Term;
  /** erlang_js: arrays are tuples, OtpErlang* wrappers for atoms, binaries, lists and maps. */
  erlangJs: () => ErlangJsTerm;
  /** @typescord/ftee: no atoms or tuples on encode; binaries only as UTF-8 strings. */
  ftee: () => Packable;
}

/**
 * A workload: its terms are built on first use and kept until `release`, so a codec is timed with only its own
 * term alive — another codec's copy of 10,000 maps would be marked by every major GC the timed loop triggers.
 */
export interface Workload {
  name: WorkloadName;
  /** The term in Erlang syntax. */
  erlang: string;
  readonly otter: Term;
  readonly erlangJs: ErlangJsTerm;
  readonly ftee: Packable;
  /** What the ftee term gives up (erlang_js represents all three exactly). */
  fteeFidelity: string;
  /** Drops the terms built so far. */
  release(): void;
}

function workload(name: WorkloadName, erlang: string, fteeFidelity: string, terms: Terms): Workload {
  let built: { otter?: Term; erlangJs?: ErlangJsTerm; ftee?: Packable } = {};
  return {
    name,
    erlang,
    fteeFidelity,
    get otter() {
      built.otter ??= terms.otter();
      return built.otter;
    },
    get erlangJs() {
      built.erlangJs ??= terms.erlangJs();
      return built.erlangJs;
    },
    get ftee() {
      built.ftee ??= terms.ftee();
      return built.ftee;
    },
    release() {
      built = {};
    },
  };
}

const BIN_SIZE = 1 << 20;
const MAP_COUNT = 10_000;

/** `{ok, 42, <<"hello">>, [1,2,3]}`: a typical reply, 25 bytes. `[1,2,3]` is a byte list (STRING_EXT). */
function small(): Workload {
  return workload(
    "small",
    '{ok, 42, <<"hello">>, [1,2,3]}',
    "tuple sent as a list, atom ok as a binary, [1,2,3] as LIST_EXT",
    {
      otter: () => tuple(atom("ok"), 42, Buffer.from("hello"), [1, 2, 3]),
      // A JS string is erlang_js's STRING_EXT, so "\x01\x02\x03" is the byte list [1,2,3].
      erlangJs: () => [
        new Erlang.OtpErlangAtom("ok"),
        42,
        new Erlang.OtpErlangBinary(Buffer.from("hello")),
        "\x01\x02\x03",
      ],
      ftee: () => ["ok", 42, "hello", [1, 2, 3]],
    },
  );
}

/** `{chunk, <<0,1,…,255,0,1,…>>}`: a tagged 1 MiB binary, byte i = i mod 256. */
function bin1m(): Workload {
  const bytes = Buffer.allocUnsafe(BIN_SIZE);
  for (let i = 0; i < BIN_SIZE; i++) bytes[i] = i & 0xff;
  // ftee writes strings as UTF-8, so only ASCII reaches the wire byte for byte: i mod 128 instead.
  const ascii = Buffer.allocUnsafe(BIN_SIZE);
  for (let i = 0; i < BIN_SIZE; i++) ascii[i] = i & 0x7f;
  return workload(
    "bin1m",
    "{chunk, <<1 MiB: byte i = i band 255>>}",
    "tuple sent as a list, atom as a binary, the binary as a 1 MiB ASCII string (bytes i band 127)",
    {
      otter: () => tuple(atom("chunk"), bytes),
      erlangJs: () => [new Erlang.OtpErlangAtom("chunk"), new Erlang.OtpErlangBinary(bytes)],
      ftee: () => ["chunk", ascii.toString("latin1")],
    },
  );
}

/** `[#{id => I, name => <<"userI">>, active => true} || I <- lists:seq(1, 10000)]`. */
function maps10k(): Workload {
  const users = (): Buffer[] => Array.from({ length: MAP_COUNT }, (_, i) => Buffer.from(`user${i + 1}`));
  return workload(
    "maps10k",
    '[#{id => I, name => <<"userI">>, active => true} || I <- lists:seq(1, 10000)]',
    "map keys as binaries, not atoms",
    {
      otter: () => {
        const [active, id, name] = [atom("active"), atom("id"), atom("name")];
        return users().map((user, i) =>
          map([
            [id, i + 1],
            [name, user],
            [active, true],
          ]),
        );
      },
      erlangJs: () => {
        const [active, id, name] = ["active", "id", "name"].map((a) => new Erlang.OtpErlangAtom(a));
        // erlang_js writes a Map in insertion order; BEAM's small maps are sorted by key: active, id, name.
        const maps = users().map(
          (user, i) =>
            new Erlang.OtpErlangMap(
              new Map<ErlangJsTerm, ErlangJsTerm>([
                [active!, true],
                [id!, i + 1],
                [name!, new Erlang.OtpErlangBinary(user)],
              ]),
            ),
        );
        return new Erlang.OtpErlangList(maps);
      },
      ftee: () => Array.from({ length: MAP_COUNT }, (_, i) => ({ active: true, id: i + 1, name: `user${i + 1}` })),
    },
  );
}

/**
 * The workloads in run order, each built only when its turn comes: terms kept alive across measurements
 * would make every V8 major GC (which large buffers trigger through external-memory pressure) mark them
 * too, and charge that to whatever is being timed.
 */
export const workloads: readonly { name: WorkloadName; build: () => Workload }[] = [
  { name: "small", build: small },
  { name: "bin1m", build: bin1m },
  { name: "maps10k", build: maps10k },
];
