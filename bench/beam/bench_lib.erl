%% Timing helpers for the BEAM side of Otter's benchmarks: the same warm-up, calibration and runs as
%% bench/lib/measure.ts, and the `beam <kind> key=value ...` report lines bench/lib/erl.ts parses.
%%
%% A batch is a fun of Ops that runs its own tight loop (so the per-operation cost is not a fun call)
%% and returns a value derived from every result. Each measurement runs in a fresh process, so heap
%% grown by one case is not collected during the next.
-module(bench_lib).
-export([info/0, emit/2, measure/4, isolated/1, hex/1, timed_runs/2]).

-define(BATCHES_PER_RUN, 10).

%% Prints the `beam info` line: OTP release, erts version, emulator flavor, schedulers.
info() ->
    emit(info, [{otp, erlang:system_info(otp_release)},
                {erts, erlang:system_info(version)},
                {flavor, erlang:system_info(emu_flavor)},
                {schedulers, erlang:system_info(schedulers_online)}]).

%% Prints one report line; values must not contain spaces.
emit(Kind, Fields) ->
    Pairs = [[" ", to_text(K), "=", to_text(V)] || {K, V} <- Fields],
    io:put_chars(["beam ", to_text(Kind), Pairs, "\n"]).

to_text(X) when is_atom(X) -> atom_to_list(X);
to_text(X) when is_integer(X) -> integer_to_list(X);
to_text(X) when is_float(X) -> float_to_list(X, [{decimals, 6}, compact]);
to_text(X) -> X.

%% Runs Batch untimed for WarmupMs, then Runs timed runs of at least RunMs each: [{Ns, Ops}].
measure(Batch, WarmupMs, RunMs, Runs) ->
    TargetBatchNs = RunMs * 1000000 / ?BATCHES_PER_RUN,
    Ops = calibrate(Batch, TargetBatchNs, WarmupMs * 1000000, now_ns(), 1),
    [timed_run(Batch, Ops, RunMs * 1000000) || _ <- lists:seq(1, Runs)].

calibrate(Batch, TargetBatchNs, WarmupNs, Start, Ops) ->
    T0 = now_ns(),
    _ = Batch(Ops),
    T1 = now_ns(),
    PerOpNs = max((T1 - T0) / Ops, 0.01),
    Filled = Ops * PerOpNs >= TargetBatchNs / 2,
    if
        T1 - Start >= WarmupNs, Filled -> max(1, round(TargetBatchNs / PerOpNs));
        Filled -> calibrate(Batch, TargetBatchNs, WarmupNs, Start, Ops);
        true -> calibrate(Batch, TargetBatchNs, WarmupNs, Start, Ops * 2)
    end.

timed_run(Batch, Ops, RunNs) ->
    Start = now_ns(),
    timed_run(Batch, Ops, RunNs, Start, 0, 0).

timed_run(Batch, Ops, RunNs, Start, Done, Sink) ->
    S = Sink + Batch(Ops),
    Elapsed = now_ns() - Start,
    case Elapsed >= RunNs of
        true -> keep(S), {Elapsed, Done + Ops};
        false -> timed_run(Batch, Ops, RunNs, Start, Done + Ops, S)
    end.

%% Stores a batch result where the compiler cannot see it unused.
keep(Value) -> put(bench_sink, Value).

now_ns() -> erlang:monotonic_time(nanosecond).

%% Runs Fun() in a new process (default spawn options) and returns its result.
isolated(Fun) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({done, Fun()}) end),
    receive
        {'DOWN', Ref, process, Pid, {done, Result}} -> Result;
        {'DOWN', Ref, process, Pid, Reason} -> error({benchmark_crashed, Reason})
    after 600000 -> error(benchmark_timeout)
    end.

%% The main/1 of a benchmark timed in whole runs: Args are a test name, its sizes and a run count (strings).
%% After the `beam info` line, one warm-up run with the sizes Mod:warmup(Test, Sizes) gives, then Runs timed
%% runs of Mod:run(Test, Sizes) (which returns {Ns, Count}), each in a fresh process and reported as
%% `beam run test=T ms=Elapsed count=Count`; `beam done` last.
timed_runs(Mod, [Test | Args0]) ->
    info(),
    Args = [list_to_integer(A) || A <- Args0],
    {Sizes, [Runs]} = lists:split(length(Args) - 1, Args),
    T = list_to_atom(Test),
    _ = isolated(fun() -> Mod:run(T, Mod:warmup(T, Sizes)) end),
    [begin
         {Ns, Count} = isolated(fun() -> Mod:run(T, Sizes) end),
         emit(run, [{test, T}, {ms, Ns / 1.0e6}, {count, Count}])
     end || _ <- lists:seq(1, Runs)],
    emit(done, []).

%% Lower-case hex of a binary (for hashes).
hex(Bin) -> [io_lib:format("~2.16.0b", [B]) || <<B>> <= Bin].
