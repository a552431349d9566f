%% BEAM side of `npm run bench -- dirty`: the cost of handing a NIF call to a dirty CPU scheduler and back
%% (shared/bench-beam/dirtynif.erl's experiment 5, timed the way bench/lib/measure.ts times the Node side).
%%
%%   main([NifPath, WarmupMs, RunMs, Runs, InFlight, SpinNs])
%%
%% Cases, each in a fresh process, each a warm-up then Runs timed runs (bench_lib:measure, or windows):
%%   inline_noop   plain_noop() one after another on the calling normal scheduler
%%   roundtrip     dirty_cpu_noop() one after another: each call migrates to a dirty CPU scheduler and back
%%   pipelined     InFlight processes each calling dirty_cpu_noop() in a loop; windows of RunMs count the calls
%%   inline_spin   plain_spin(SpinNs): busy work on the normal scheduler
%%   dirty_spin    dirty_cpu_spin(SpinNs): the same busy work on a dirty CPU scheduler
%% Reports `beam dirty dirty_cpu=N`, then `beam run case=C ns=Elapsed ops=Calls` per timed run.
-module(dirty_bench).
-export([main/1]).

main([NifPath | Args]) ->
    bench_lib:info(),
    [WarmupMs, RunMs, Runs, InFlight, SpinNs] = [list_to_integer(A) || A <- Args],
    dirty_nif:load(NifPath),
    bench_lib:emit(dirty, [{dirty_cpu, erlang:system_info(dirty_cpu_schedulers_online)}]),
    Measure = fun(Batch) -> bench_lib:measure(Batch, WarmupMs, RunMs, Runs) end,
    Cases = [{inline_noop, fun() -> Measure(fun plain_noops/1) end},
             {roundtrip, fun() -> Measure(fun dirty_noops/1) end},
             {pipelined, fun() -> pipelined(InFlight, WarmupMs, RunMs, Runs) end},
             {inline_spin, fun() -> Measure(fun(K) -> plain_spins(K, SpinNs) end) end},
             {dirty_spin, fun() -> Measure(fun(K) -> dirty_spins(K, SpinNs) end) end}],
    [report(Case, bench_lib:isolated(Run)) || {Case, Run} <- Cases],
    bench_lib:emit(done, []).

report(Case, TimedRuns) ->
    [bench_lib:emit(run, [{'case', Case}, {ns, Ns}, {ops, Ops}]) || {Ns, Ops} <- TimedRuns].

plain_noops(K) -> plain_noops(K, K).
plain_noops(0, K) -> K;
plain_noops(N, K) -> ok = dirty_nif:plain_noop(), plain_noops(N - 1, K).

dirty_noops(K) -> dirty_noops(K, K).
dirty_noops(0, K) -> K;
dirty_noops(N, K) -> ok = dirty_nif:dirty_cpu_noop(), dirty_noops(N - 1, K).

plain_spins(K, Ns) -> plain_spins(K, Ns, K).
plain_spins(0, _, K) -> K;
plain_spins(N, Ns, K) -> ok = dirty_nif:plain_spin(Ns), plain_spins(N - 1, Ns, K).

dirty_spins(K, Ns) -> dirty_spins(K, Ns, K).
dirty_spins(0, _, K) -> K;
dirty_spins(N, Ns, K) -> ok = dirty_nif:dirty_cpu_spin(Ns), dirty_spins(N - 1, Ns, K).

%% InFlight callers keep one dirty call each in flight; after the warm-up, each window counts the calls that
%% completed in it. The timing process runs at high priority so it wakes on time among the callers.
pipelined(InFlight, WarmupMs, RunMs, Runs) ->
    process_flag(priority, high),
    Calls = counters:new(1, [write_concurrency]),
    Callers = [spawn_link(fun() -> call_forever(Calls) end) || _ <- lists:seq(1, InFlight)],
    pause(WarmupMs),
    Windows = [window(Calls, RunMs) || _ <- lists:seq(1, Runs)],
    [begin unlink(P), exit(P, kill) end || P <- Callers],
    Windows.

call_forever(Calls) ->
    ok = dirty_nif:dirty_cpu_noop(),
    counters:add(Calls, 1, 1),
    call_forever(Calls).

window(Calls, RunMs) ->
    C0 = counters:get(Calls, 1),
    T0 = erlang:monotonic_time(nanosecond),
    pause(RunMs),
    T1 = erlang:monotonic_time(nanosecond),
    {T1 - T0, counters:get(Calls, 1) - C0}.

pause(Ms) -> receive after Ms -> ok end.
