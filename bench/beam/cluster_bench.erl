%% BEAM side of `npm run bench -- cluster`: the scheduler cases, run under `erl +S 1` and `+S 2`.
%%
%%   main([pairs, P, N, W, Runs])  P ping-pong pairs, N round trips each, W units of work per message on both
%%                                 sides (work/2: the same loop as bench/cluster/child.ts's work()).
%%   main([cross, N, Runs])        N round trips between two processes bound to schedulers 1 and 2 (spawn_opt's
%%                                 undocumented {scheduler, I}, which OTP's own test suites use).
%%   main([parked, N, Gap, Runs])  As cross, with Gap ms between round trips (the schedulers fall asleep in
%%                                 between): the summed time of the N round trips alone.
%% Reports `beam run test=T ms=Elapsed count=RoundTrips` per timed run, after a warm-up at a tenth of the size.
-module(cluster_bench).
-export([main/1, warmup/2, run/2]).

now_ns() -> erlang:monotonic_time(nanosecond).

main(Args) -> bench_lib:timed_runs(?MODULE, Args).

warmup(pairs, [P, N, W]) -> [P, (N + 9) div 10, W];
warmup(cross, [N]) -> [(N + 9) div 10];
warmup(parked, [N, Gap]) -> [(N + 9) div 10, Gap].

run(pairs, [P, N, W]) ->
    Self = self(),
    Drivers = [spawn_link(fun() -> pair(Self, N, W) end) || _ <- lists:seq(1, P)],
    T0 = now_ns(),
    [D ! go || D <- Drivers],
    [receive done -> ok end || _ <- Drivers],
    {now_ns() - T0, P * N};
run(cross, [N]) ->
    Self = self(),
    Pong = spawn_opt(fun() -> pong(0) end, [link, {scheduler, 2}]),
    Ping = spawn_opt(fun() -> receive go -> ping(Pong, N) end, Self ! pinged end, [link, {scheduler, 1}]),
    T0 = now_ns(),
    Ping ! go,
    receive pinged -> ok end,
    T1 = now_ns(),
    Pong ! stop,
    {T1 - T0, N};
run(parked, [N, Gap]) ->
    Self = self(),
    Pong = spawn_opt(fun() -> pong(0) end, [link, {scheduler, 2}]),
    Ping = spawn_opt(fun() -> receive go -> Self ! {pinged, ping_parked(Pong, N, Gap, 0)} end end,
                     [link, {scheduler, 1}]),
    Ping ! go,
    Ns = receive {pinged, Sum} -> Sum end,
    Pong ! stop,
    {Ns, N}.

pair(Runner, N, W) ->
    Partner = spawn_link(fun() -> pong(W) end),
    receive go -> ok end,
    ping_work(Partner, N, W),
    Partner ! stop,
    Runner ! done.

ping_work(_, 0, _) -> ok;
ping_work(Partner, N, W) ->
    Partner ! {self(), N},
    receive {Partner, _} -> ok end,
    _ = work(W, 0),
    ping_work(Partner, N - 1, W).

ping(_, 0) -> ok;
ping(Pong, N) ->
    Pong ! {self(), N},
    receive {Pong, _} -> ok end,
    ping(Pong, N - 1).

ping_parked(_, 0, _, Ns) -> Ns;
ping_parked(Pong, N, Gap, Ns) ->
    timer:sleep(Gap),
    T0 = now_ns(),
    Pong ! {self(), N},
    receive {Pong, _} -> ok end,
    ping_parked(Pong, N - 1, Gap, Ns + now_ns() - T0).

pong(W) ->
    receive
        stop -> ok;
        {From, X} -> _ = work(W, 0), From ! {self(), X}, pong(W)
    end.

work(0, Acc) -> Acc;
work(I, Acc) -> work(I - 1, (Acc * 31 + I) band 16#ffffff).
