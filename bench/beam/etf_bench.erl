%% BEAM side of `npm run bench -- etf`: term_to_binary/binary_to_term on the workloads of bench/etf/workloads.ts.
%%
%% main([OutDir, WarmupMs, RunMs, Runs]) builds the same three terms as the TypeScript side, writes each
%% one's ETF bytes (minor_version 2, the encoding Otter produces) to OutDir/<case>.etf so every JavaScript
%% codec decodes exactly BEAM's bytes, reports their size and MD5, then times encode and decode.
-module(etf_bench).
-export([main/1]).

main([OutDir, WarmupMs, RunMs, Runs]) ->
    Timing = [list_to_integer(WarmupMs), list_to_integer(RunMs), list_to_integer(Runs)],
    bench_lib:info(),
    lists:foreach(fun({Name, Build}) -> run_case(OutDir, Name, Build(), Timing) end,
                  [{small, fun small/0}, {bin1m, fun bin1m/0}, {maps10k, fun maps10k/0}]),
    bench_lib:emit(done, []).

%% A typical reply: an atom, a small integer, a short binary and a short list of bytes (STRING_EXT).
small() -> {ok, 42, <<"hello">>, [1, 2, 3]}.

%% A tagged 1 MiB binary; byte I is I band 255.
bin1m() -> {chunk, << <<(I band 255)>> || I <- lists:seq(0, 1048575) >>}.

%% 10,000 small records as maps.
maps10k() ->
    [#{id => I, name => <<"user", (integer_to_binary(I))/binary>>, active => true} || I <- lists:seq(1, 10000)].

run_case(OutDir, Name, Term, [WarmupMs, RunMs, Runs]) ->
    Bytes = term_to_binary(Term, [{minor_version, 2}]),
    ok = file:write_file(filename:join(OutDir, atom_to_list(Name) ++ ".etf"), Bytes),
    bench_lib:emit(bytes, [{'case', Name}, {size, byte_size(Bytes)}, {md5, bench_lib:hex(erlang:md5(Bytes))},
                           {default_size, byte_size(term_to_binary(Term))}]),
    Measure = fun(Op, Batch) ->
        RunList = bench_lib:isolated(fun() -> bench_lib:measure(Batch, WarmupMs, RunMs, Runs) end),
        [bench_lib:emit(run, [{'case', Name}, {op, Op}, {ns, Ns}, {ops, Ops}]) || {Ns, Ops} <- RunList]
    end,
    Measure(encode, fun(N) -> encode_loop(Term, N, 0) end),
    Measure(decode, fun(N) -> decode_loop(Bytes, N, 0) end),
    %% term_to_binary/1 as most code calls it: on OTP 25 it writes Latin-1 ATOM_EXT atoms (minor_version 1).
    Measure(encode_default, fun(N) -> encode_default_loop(Term, N, 0) end).

encode_loop(_Term, 0, Acc) -> Acc;
encode_loop(Term, N, Acc) -> encode_loop(Term, N - 1, Acc + byte_size(term_to_binary(Term, [{minor_version, 2}]))).

encode_default_loop(_Term, 0, Acc) -> Acc;
encode_default_loop(Term, N, Acc) -> encode_default_loop(Term, N - 1, Acc + byte_size(term_to_binary(Term))).

decode_loop(_Bytes, 0, Acc) -> Acc;
decode_loop(Bytes, N, Acc) -> decode_loop(Bytes, N - 1, Acc + shape(binary_to_term(Bytes))).

%% Touches the decoded term so the result is used (every workload is a tuple or a list).
shape(T) when is_tuple(T) -> tuple_size(T);
shape([_ | _]) -> 1.
