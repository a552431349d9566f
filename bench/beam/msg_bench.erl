%% BEAM side of `npm run bench -- messaging`: shared/bench-beam/msgbench.erl's scenarios, with a warm-up run
%% and several timed runs per erl, as the Otter side (bench/messaging/child.ts) does.
%%
%%   main([pingpong, N, Runs])        N round trips between two processes (2N messages)
%%   main([ring, Size, Laps, Runs])   a token passed Size*Laps hops around a ring of Size processes
%%   main([fanin, S, M, Runs])        S senders each send M small messages to one receiver
%%
%% Each run (the warm-up at a tenth of the size first) happens in a fresh process. The hot receive loops have no
%% `after`, exactly as in msgbench.erl (a timeout would arm a timer on every wait); the Node side kills a hung erl.
%% Reports `beam run test=T ms=Elapsed count=RoundTripsOrMessages` per timed run.
-module(msg_bench).
-export([main/1, warmup/2, run/2]).

-define(TIMEOUT, 120000).

now_ns() -> erlang:monotonic_time(nanosecond).

main(Args) -> bench_lib:timed_runs(?MODULE, Args).

warmup(pingpong, [N]) -> [ceil_div(N, 10)];
warmup(_, [A, B]) -> [A, ceil_div(B, 10)].

ceil_div(A, B) -> (A + B - 1) div B.

%% ---------------------------------------------------------------- ping-pong
run(pingpong, [N]) ->
    Pong = spawn_link(fun pong/0),
    T0 = now_ns(),
    ping(Pong, N),
    T1 = now_ns(),
    Pong ! stop,
    {T1 - T0, N};

%% --------------------------------------------------------------------- ring
run(ring, [Size, Laps]) ->
    Self = self(),
    Pids = [spawn_link(fun() -> ring_init(Self) end) || _ <- lists:seq(1, Size)],
    [First | _] = Pids,
    Nexts = tl(Pids) ++ [First],
    [P ! {next, Nx} || {P, Nx} <- lists:zip(Pids, Nexts)],
    Hops = Size * Laps,
    T0 = now_ns(),
    First ! {token, Hops - 1},       % Hops sends in total, incl. this one
    receive ring_done -> ok after ?TIMEOUT -> exit(ring_timeout) end,
    T1 = now_ns(),
    [begin unlink(P), exit(P, kill) end || P <- Pids],
    {T1 - T0, Hops};

%% ------------------------------------------------------------------- fan-in
run(fanin, [S, M]) ->
    Self = self(),
    Total = S * M,
    Recv = spawn_link(fun() -> fanin_recv(Self, Total, 0) end),
    Senders = [spawn_link(fun() -> receive go -> send_n(Recv, M) after ?TIMEOUT -> ok end end)
               || _ <- lists:seq(1, S)],
    T0 = now_ns(),
    [P ! go || P <- Senders],
    receive {fanin_done, T1} -> ok after ?TIMEOUT -> T1 = exit(fanin_timeout) end,
    {T1 - T0, Total}.

ping(_Pong, 0) -> ok;
ping(Pong, N) ->
    Pong ! {self(), ping},
    receive pong -> ping(Pong, N - 1) end.

pong() ->
    receive
        {From, ping} -> From ! pong, pong();
        stop -> ok
    end.

ring_init(Main) ->
    receive {next, Next} -> ring_loop(Main, Next) after ?TIMEOUT -> ok end.

ring_loop(Main, Next) ->
    receive
        {token, 0} -> Main ! ring_done, ring_loop(Main, Next);
        {token, K} -> Next ! {token, K - 1}, ring_loop(Main, Next)
    end.

send_n(_Recv, 0) -> ok;
send_n(Recv, I) -> Recv ! {data, I}, send_n(Recv, I - 1).

fanin_recv(Main, Total, Total) -> Main ! {fanin_done, now_ns()};
fanin_recv(Main, Total, Got) ->
    receive {data, _} -> fanin_recv(Main, Total, Got + 1) end.
