%% BEAM side of `npm run bench -- otp`: local gen_server:call round trips from 1 and from 16 callers, and a
%% supervisor's restart rate, with a warm-up run and several timed runs per erl, as the Otter side
%% (bench/otp/child.ts) does.
%%
%%   main([call, Callers, CallsPerCaller, Runs])   Callers processes each make CallsPerCaller sequential
%%                                                 gen_server:call(Server, bump) to one counter server
%%   main([restart, Restarts, Runs])               a one_for_one supervisor restarts its one permanent worker,
%%                                                 which exits right after it starts, Restarts times
%%
%% Each run (the warm-up at a tenth of the size first) happens in a fresh process with a fresh server or
%% supervisor. Calls use gen_server:call/2 (default 5 s timeout), the server is this module's gen_server callbacks.
%%
%% Latency: every caller reads erlang:monotonic_time(nanosecond) once before its first call and once after each
%% call; a call's latency is the difference between consecutive reads (one clock read per call, so the figure
%% includes the loop and the store, a few ns). Latencies go into an `atomics` array (no heap growth, no GC), are
%% sorted after the timed part, and median and p99 are nearest-rank (sorted[ceil(P * N) - 1]).
%%
%% Restarts: the worker's start function counts its starts in a `counters` ref; start Restarts + 1 (the
%% Restarts-th restart) reports the time to the benchmark process and returns `ignore`, which ends the restarts.
%% Supervisor reports are switched off (logger:set_module_level(supervisor, none)): by default every restart
%% logs a SUPERVISOR REPORT to the console, and that, not the supervisor, would be measured.
%%
%% Reports `beam clock ns=…` (one monotonic_time read) first, then per timed run
%% `beam run test=call ms=Elapsed count=Calls p50_us=… p99_us=…` or `beam run test=restart ms=… count=Restarts`.
-module(otp_bench).
-behaviour(gen_server).
%% Also the supervisor's callback module (init/1 below); not declared, as erlc warns of two behaviours' init/1.

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).
-export([start_worker/3]).

-define(TIMEOUT, 120000).

now_ns() -> erlang:monotonic_time(nanosecond).

main([Test | Args0]) ->
    bench_lib:info(),
    bench_lib:emit(clock, [{ns, clock_ns()}]),
    Args = [list_to_integer(A) || A <- Args0],
    {Sizes, [Runs]} = lists:split(length(Args) - 1, Args),
    T = list_to_atom(Test),
    _ = bench_lib:isolated(fun() -> run(T, warmup(T, Sizes)) end),
    [begin
         Fields = bench_lib:isolated(fun() -> run(T, Sizes) end),
         bench_lib:emit(run, [{test, T} | Fields])
     end || _ <- lists:seq(1, Runs)],
    bench_lib:emit(done, []).

warmup(call, [C, M]) -> [C, ceil_div(M, 10)];
warmup(restart, [N]) -> [ceil_div(N, 10)].

ceil_div(A, B) -> (A + B - 1) div B.

%% The cost of one clock read, in ns (a loop of 1,000,000 reads, the loop included).
clock_ns() ->
    N = 1000000,
    T0 = now_ns(),
    _ = clock_loop(N, 0),
    (now_ns() - T0) / N.

clock_loop(0, Last) -> Last;
clock_loop(N, _) -> clock_loop(N - 1, now_ns()).

%% --------------------------------------------------------------------------------------------- calls
run(call, [C, M]) ->
    {ok, Server} = gen_server:start(?MODULE, 0, []),
    Total = C * M,
    Lat = atomics:new(Total, [{signed, false}]),
    Self = self(),
    Callers = [spawn_link(fun() -> caller(Self, Server, Lat, I * M, M) end) || I <- lists:seq(0, C - 1)],
    T0 = now_ns(),
    [P ! go || P <- Callers],
    Last = lists:max([receive {caller_done, R} -> R after ?TIMEOUT -> exit(call_timeout) end || _ <- Callers]),
    T1 = now_ns(),
    ok = gen_server:stop(Server),
    %% The server's counter went 1, 2, … Total: the largest last reply of the callers is Total.
    Total = Last,
    Sorted = lists:sort([atomics:get(Lat, I) || I <- lists:seq(1, Total)]),
    [{ms, (T1 - T0) / 1.0e6}, {count, Total},
     {p50_us, rank(Sorted, Total, 0.50) / 1000}, {p99_us, rank(Sorted, Total, 0.99) / 1000}];

%% ------------------------------------------------------------------------------------------ restarts
run(restart, [N]) ->
    logger:set_module_level(supervisor, none),
    Starts = counters:new(1, []),
    T0 = now_ns(),
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, self(), Starts, N}),
    T1 = receive {restarts_done, T} -> T after ?TIMEOUT -> exit(restart_timeout) end,
    unlink(Sup),
    exit(Sup, shutdown),
    [{ms, (T1 - T0) / 1.0e6}, {count, N}].

caller(Main, Server, Lat, Offset, M) ->
    receive go -> ok after ?TIMEOUT -> exit(no_go) end,
    Last = calls(Server, Lat, Offset + 1, Offset + M, now_ns(), 0),
    Main ! {caller_done, Last}.

%% Calls I … End, storing each call's latency at index I; returns the last reply.
calls(_Server, _Lat, I, End, _T, Reply) when I > End -> Reply;
calls(Server, Lat, I, End, T, _) ->
    Reply = gen_server:call(Server, bump),
    T1 = now_ns(),
    atomics:put(Lat, I, T1 - T),
    calls(Server, Lat, I + 1, End, T1, Reply).

%% Nearest rank: the smallest value with at least P of all values at or below it.
rank(Sorted, N, P) -> lists:nth(max(1, ceil(P * N)), Sorted).

%% The worker: exits right after it starts; the (N + 1)-th start, the N-th restart, ends the run instead.
start_worker(Main, Starts, N) ->
    counters:add(Starts, 1, 1),
    case counters:get(Starts, 1) of
        K when K > N ->
            Main ! {restarts_done, now_ns()},
            ignore;
        _ ->
            {ok, spawn_link(fun() -> exit(crash) end)}
    end.

%% ------------------------------------------------------------------------ gen_server and supervisor callbacks
%% init/1 serves both behaviours: the supervisor's argument is tagged `sup`, the counter server's is its count.
init({sup, Main, Starts, N}) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000, period => 1},
          [#{id => worker, start => {?MODULE, start_worker, [Main, Starts, N]}, restart => permanent}]}};
init(Count) when is_integer(Count) ->
    {ok, Count}.

handle_call(bump, _From, Count) ->
    {reply, Count + 1, Count + 1}.

handle_cast(_Message, Count) ->
    {noreply, Count}.
