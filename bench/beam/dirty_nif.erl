%% The Erlang face of bench/beam/c_src/dirty_nif.c: the same no-op and busy-wait bodies as plain NIFs and as
%% dirty CPU-bound NIFs. `load/1` takes the path of the compiled library without its extension.
-module(dirty_nif).
-export([load/1, plain_noop/0, dirty_cpu_noop/0, plain_spin/1, dirty_cpu_spin/1]).

load(Path) -> ok = erlang:load_nif(Path, 0).

plain_noop() -> erlang:nif_error(not_loaded).
dirty_cpu_noop() -> erlang:nif_error(not_loaded).
plain_spin(_Ns) -> erlang:nif_error(not_loaded).
dirty_cpu_spin(_Ns) -> erlang:nif_error(not_loaded).
