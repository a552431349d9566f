// Pid, reference, port and fun vectors: remote identifiers built from bytes (large creations), stable local ones, funs.
import { atomBytes, type BytesSpec, bytes, type Spec, type TermSpec, u16, u32, u64 } from "../spec.ts";

const NODES = ["other@host", "a@b", "ä@höst", `${"n".repeat(100)}@${"h".repeat(100)}`];
const CREATIONS = [0, 1, 3, 0x7fff_ffff, 0xffff_ffff];

/** A module whose funs are recorded; `stable/1` swaps a fun's creator pid for a fixed remote one. */
export const FUNS_MODULE = `
-module(otter_golden_funs).
-export([plain/0, closure/1, closure2/2, nullary/0, stable/1]).

plain() -> fun(X) -> X + 1 end.
closure(Y) -> fun(X) -> X + Y end.
closure2(A, B) -> fun() -> {A, B} end.
nullary() -> fun() -> ok end.

%% A local fun carries the pid of the process that made it, different on every run; this one does not.
stable(F) ->
    <<131, 112, _:32, Head:25/binary, Rest0/binary>> = term_to_binary(F, [{minor_version, 2}]),
    {Module, Rest1} = skip_atom(Rest0),
    {OldIndex, Rest2} = skip_int(Rest1),
    {OldUniq, Rest3} = skip_int(Rest2),
    <<88, 119, N, _:N/binary, _:12/binary, FreeVars/binary>> = Rest3,
    Pid = <<88, 119, 10, "other@host", 42:32, 7:32, 3:32>>,
    Body = <<Head/binary, Module/binary, OldIndex/binary, OldUniq/binary, Pid/binary, FreeVars/binary>>,
    binary_to_term(<<131, 112, (byte_size(Body) + 4):32, Body/binary>>).

skip_atom(<<119, N, A:N/binary, Rest/binary>>) -> {<<119, N, A/binary>>, Rest}.
skip_int(<<97, I, Rest/binary>>) -> {<<97, I>>, Rest};
skip_int(<<98, I:32, Rest/binary>>) -> {<<98, I:32>>, Rest}.
`;

function pid(node: string, id: number, serial: number, creation: number): Uint8Array {
  return bytes(131, 88, atomBytes(node), u32(id), u32(serial), u32(creation));
}

function ref(node: string, creation: number, ids: number[]): Uint8Array {
  return bytes(131, 90, u16(ids.length), atomBytes(node), u32(creation), ...ids.map(u32));
}

function remote(): BytesSpec[] {
  const specs: BytesSpec[] = [];
  const add = (id: string, input: Uint8Array, expect: BytesSpec["expect"] = "canonical"): void => {
    specs.push({ id: `identifier/${id}`, category: "identifier", input, expect, opaque: true });
  };
  for (const [i, node] of NODES.entries()) {
    for (const creation of CREATIONS) {
      add(`pid:${i}:c${creation}`, pid(node, 42 + i, 7, creation));
      add(`ref3:${i}:c${creation}`, ref(node, creation, [0x1234, 0x5678, 0x9abc]));
      add(`port:${i}:c${creation}`, bytes(131, 89, atomBytes(node), u32(5 + i), u32(creation)));
    }
  }
  add("pid:max-fields", pid("other@host", 0xffff_ffff, 0xffff_ffff, 0xffff_ffff));
  add("pid:zero", pid("other@host", 0, 0, 1));
  for (const words of [1, 2, 3, 4, 5]) {
    add(`ref${words}:words`, ref("other@host", 0xffff_ffff, [0xffff_ffff, 1, 2, 3, 4].slice(0, words)));
  }
  add("ref5:all-ones", ref("other@host", 3, [0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]));
  add("port:v4-2^32", bytes(131, 120, atomBytes("other@host"), u64(1n << 32n), u32(1)));
  add("port:v4-max", bytes(131, 120, atomBytes("other@host"), u64(0xffff_ffff_ffff_ffffn), u32(0xffff_ffff)));
  add("port:v4-2^53+1", bytes(131, 120, atomBytes("other@host"), u64((1n << 53n) + 1n), u32(3)));
  // BEAM writes NEW_PORT_EXT up to a 28-bit id and V4_PORT_EXT past it, whatever the input used.
  add("port:2^28-1", bytes(131, 89, atomBytes("other@host"), u32(2 ** 28 - 1), u32(1)));
  add("port:v4-2^28", bytes(131, 120, atomBytes("other@host"), u64(1n << 28n), u32(1)));
  add("port:new-2^28", bytes(131, 89, atomBytes("other@host"), u32(2 ** 28), u32(1)), "legacy");
  add("port:new-max-32", bytes(131, 89, atomBytes("other@host"), u32(0xffff_ffff), u32(0xffff_ffff)), "legacy");
  add("port:v4-2^28-1", bytes(131, 120, atomBytes("other@host"), u64((1n << 28n) - 1n), u32(1)), "legacy");
  add("pid:nonode-c1", pid("nonode@nohost", 1, 0, 1));
  add(
    "tuple-of-remotes",
    bytes(
      131,
      104,
      3,
      pid("x@y", 1, 2, 3).subarray(1),
      ref("x@y", 3, [1, 2, 3]).subarray(1),
      bytes(89, atomBytes("x@y"), u32(9), u32(3)),
    ),
  );
  return specs;
}

function local(): TermSpec[] {
  const cases: [string, string][] = [
    ["local-pid-0.0.0", 'list_to_pid("<0.0.0>")'],
    ["local-pid-0.42.7", 'list_to_pid("<0.42.7>")'],
    ["local-pid-max", 'list_to_pid("<0.32767.8191>")'],
    ["local-port-0", 'list_to_port("#Port<0.0>")'],
    ["local-port-99", 'list_to_port("#Port<0.99>")'],
    ["local-ref", 'list_to_ref("#Ref<0.1.2.3>")'],
    ["local-ref-2", 'list_to_ref("#Ref<0.100.2.300>")'],
    ["fun-plain", "otter_golden_funs:stable(otter_golden_funs:plain())"],
    ["fun-closure", "otter_golden_funs:stable(otter_golden_funs:closure(5))"],
    ["fun-closure-terms", 'otter_golden_funs:stable(otter_golden_funs:closure2(<<"bin">>, [1, {t}]))'],
    ["fun-nullary", "otter_golden_funs:stable(otter_golden_funs:nullary())"],
    ["fun-erl_eval", "otter_golden_funs:stable(fun(X) -> X * 2 end)"],
    ["fun-export-lists-map", "fun lists:map/2"],
    ["fun-export-erlang-abs", "fun erlang:abs/1"],
    ["fun-export-arity-0", "fun erlang:self/0"],
    ["fun-export-arity-255", "erlang:make_fun(other_mod, f, 255)"],
    ["fun-export-unicode", "erlang:make_fun('mödüle', 'fün', 3)"],
    ["fun-in-tuple", "{ok, fun lists:map/2, otter_golden_funs:stable(otter_golden_funs:closure(1))}"],
  ];
  return cases.map(([name, source]) => ({ id: `identifier/${name}`, category: "identifier", source, opaque: true }));
}

export function identifierSpecs(): Spec[] {
  return [...remote(), ...local()];
}
