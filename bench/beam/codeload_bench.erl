%% BEAM side of `npm run bench -- codeload`: how long code:load_binary/3 takes for a large generated module, and how
%% long the processes around it stall meanwhile (shared/bench-beam/codeload.erl's experiment 4, measured our way).
%%
%%   main(["load", BeamFile, SettleMs, BaselineMs, TailMs])
%%       A ticker process (sleeps 1 ms in a loop, records the gap between wake-ups) and a busy process (spins, and
%%       records every gap over 0.1 ms between its checkpoints, a few µs apart when it runs) start; after SettleMs,
%%       BaselineMs of baseline, then code:load_binary/3 of the file read beforehand, then TailMs more, so a stall
%%       that ends after the load is seen. A gap counts for the load if it overlaps it. Reports `beam load` with
%%       load_ms, the largest gaps during the load (ticker_ms, busy_ms) and during the baseline (ticker_base_max_ms,
%%       busy_base_ms), and the ticker's median baseline gap (ticker_base_median_ms).
%%   main(["etf", BeamFile, EtfFile])
%%       Loads a generated literal module and writes term_to_binary(Mod:table(), [compressed]) to EtfFile, the data
%%       Otter's copy of the module imports. Reports `beam etf elements=N bytes=N`.
-module(codeload_bench).
-export([main/1]).

%% The busy process records only gaps longer than this (its checkpoints are a few µs apart when it runs).
-define(BUSY_GAP_NS, 100000).
%% Iterations of the busy process's empty loop between checkpoints.
-define(SPINS, 1000).

main(["load", BeamFile | Numbers]) ->
    bench_lib:info(),
    [SettleMs, BaselineMs, TailMs] = [list_to_integer(N) || N <- Numbers],
    Mod = module_name(BeamFile),
    {ok, Bin} = file:read_file(BeamFile),
    false = code:is_loaded(Mod),
    Stop = atomics:new(1, []),
    Ticker = watcher(fun(Start) -> tick(Stop, Start, []) end),
    Busy = watcher(fun(Start) -> spin(Stop, Start, []) end),
    pause(SettleMs),
    B0 = now_ns(),
    pause(BaselineMs),
    B1 = now_ns(),
    T0 = now_ns(),
    {module, Mod} = code:load_binary(Mod, BeamFile, Bin),
    T1 = now_ns(),
    pause(TailMs),
    atomics:put(Stop, 1, 1),
    TickerGaps = gaps(Ticker),
    BusyGaps = gaps(Busy),
    true = erlang:function_exported(Mod, f0, 1) orelse erlang:function_exported(Mod, table, 0),
    During = fun(Gaps) -> [G || {End, G} <- Gaps, End >= T0, End - G =< T1] end,
    Baseline = fun(Gaps) -> lists:sort([G || {End, G} <- Gaps, End - G >= B0, End =< B1]) end,
    TickerBase = Baseline(TickerGaps),
    bench_lib:emit(load, [{module, Mod},
                          {beam_bytes, byte_size(Bin)},
                          {load_ms, ms(T1 - T0)},
                          {ticker_ms, ms(largest(During(TickerGaps)))},
                          {busy_ms, ms(largest(During(BusyGaps)))},
                          {ticker_base_median_ms, ms(median(TickerBase))},
                          {ticker_base_max_ms, ms(largest(TickerBase))},
                          {busy_base_ms, ms(largest(Baseline(BusyGaps)))}]);
main(["etf", BeamFile, EtfFile]) ->
    bench_lib:info(),
    Mod = module_name(BeamFile),
    {ok, Bin} = file:read_file(BeamFile),
    {module, Mod} = code:load_binary(Mod, BeamFile, Bin),
    Table = Mod:table(),
    Etf = term_to_binary(Table, [compressed]),
    ok = file:write_file(EtfFile, Etf),
    bench_lib:emit(etf, [{elements, length(Table)}, {bytes, byte_size(Etf)}]).

module_name(BeamFile) -> list_to_atom(filename:basename(BeamFile, ".beam")).

%% Runs Loop(StartNs) in a new process whose exit reason carries the gaps it recorded: [{EndNs, GapNs}].
watcher(Loop) ->
    spawn_monitor(fun() -> exit({gaps, Loop(now_ns())}) end).

gaps({Pid, Ref}) ->
    receive
        {'DOWN', Ref, process, Pid, {gaps, Gaps}} -> Gaps;
        {'DOWN', Ref, process, Pid, Reason} -> error({watcher_crashed, Reason})
    after 10000 -> error(watcher_timeout)
    end.

tick(Stop, Last, Gaps) ->
    pause(1),
    Now = now_ns(),
    Recorded = [{Now, Now - Last} | Gaps],
    case atomics:get(Stop, 1) of
        0 -> tick(Stop, Now, Recorded);
        _ -> Recorded
    end.

spin(Stop, Last, Gaps) ->
    loop(?SPINS),
    Now = now_ns(),
    Recorded = case Now - Last of
                   Gap when Gap > ?BUSY_GAP_NS -> [{Now, Gap} | Gaps];
                   _ -> Gaps
               end,
    case atomics:get(Stop, 1) of
        0 -> spin(Stop, Now, Recorded);
        _ -> Recorded
    end.

loop(0) -> ok;
loop(N) -> loop(N - 1).

largest([]) -> 0;
largest(Values) -> lists:max(Values).

median([]) -> 0;
median(Sorted) -> lists:nth(length(Sorted) div 2 + 1, Sorted).

ms(Ns) -> Ns / 1.0e6.

pause(Ms) -> receive after Ms -> ok end.

now_ns() -> erlang:monotonic_time(nanosecond).
