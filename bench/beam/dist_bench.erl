%% BEAM side of `npm run bench -- dist`: the server and the client of shared/bench-beam/distbench.erl's
%% scenarios, as two erl nodes on loopback; either side may be an Otter node instead (bench/dist/server.ts,
%% bench/dist/client.ts), which does the same things the way an Otter user would.
%%
%%   main(["server"])                        registers echo_srv (a gen_server answering `ping` with `pong`),
%%                                           sink (counts `{From, I}`, acks `{From, {sync, K}}` with
%%                                           `{ack, K}`, answers `{From, get_count}` with `{count, N}`) and
%%                                           bench_ctl (`{From, hello}` -> `ready`; `stop` halts the node),
%%                                           prints `beam ready`, and runs until told to stop (240 s at most)
%%   main([client, Node, big, NProcs, Bytes, WarmupMs, WindowMs])
%%                                           NProcs senders, each sends `{self(), Bin}` (Bin of Bytes zero
%%                                           bytes) to its own echo process spawned on Node and waits for its
%%                                           `true` before sending again; round trips counted in the window
%%   main([client, Node, small, NSenders, Batch, WarmupMs, WindowMs])
%%                                           each sender sends Batch `{self(), I}` to {sink, Node}, then
%%                                           `{self(), {sync, K}}`, with at most 2 batches in flight; the sink's
%%                                           count over the window
%%   main([client, Node, call, NCallers, WarmupMs, WindowMs])
%%                                           callers loop on gen_server:call({echo_srv, Node}, ping); every
%%                                           call timed; median and p99 latency, calls per second
%%
%% The client prints `beam result test=… key=value …` and stops the server node.
-module(dist_bench).
-behaviour(gen_server).
-export([main/1, echo/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(SERVER_LIFETIME, 240000).

now_ns() -> erlang:monotonic_time(nanosecond).

main(["server"]) ->
    bench_lib:info(),
    {ok, _} = gen_server:start({local, echo_srv}, ?MODULE, [], []),
    register(sink, spawn(fun() -> sink(0) end)),
    register(bench_ctl, self()),
    bench_lib:emit(ready, [{node, node()}]),
    erlang:send_after(?SERVER_LIFETIME, self(), stop),
    control();
main(["client", NodeText, Test | Args0]) ->
    bench_lib:info(),
    Node = list_to_atom(NodeText),
    Args = [list_to_integer(A) || A <- Args0],
    ok = hello(Node, 100),
    {Name, Fields} = run(list_to_atom(Test), Node, Args),
    bench_lib:emit(result, [{test, Name} | Fields]),
    %% the stop must reach the server before this node halts
    erlang:monitor_node(Node, true),
    {bench_ctl, Node} ! stop,
    receive {nodedown, Node} -> ok after 5000 -> ok end.

control() ->
    receive
        {From, hello} -> From ! ready, control();
        stop -> halt(0)
    end.

%% Waits for the server node's bench_ctl (connecting on the way), 100 ms per try.
hello(_Node, 0) -> error(server_unreachable);
hello(Node, Tries) ->
    {bench_ctl, Node} ! {self(), hello},
    receive ready -> ok after 100 -> hello(Node, Tries - 1) end.

%% ------------------------------------------------------------ server node
init([]) -> {ok, 0}.
handle_call(ping, _From, S) -> {reply, pong, S + 1}.
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.

echo() ->
    receive
        {From, _Payload} -> From ! true, echo();
        stop -> ok
    end.

sink(N) ->
    receive
        {From, {sync, K}} -> From ! {ack, K}, sink(N);
        {_From, I} when is_integer(I) -> sink(N + 1);
        {From, get_count} -> From ! {count, N}, sink(N)
    end.

%% ------------------------------------------------------------ client node
run(big, Node, [NProcs, Size, WarmMs, WinMs]) ->
    Cnt = counters:new(1, [write_concurrency]),
    Echos = [spawn(Node, ?MODULE, echo, []) || _ <- lists:seq(1, NProcs)],
    Senders = [spawn_link(fun() -> big_sender(E, Size, Cnt) end) || E <- Echos],
    timer:sleep(WarmMs),
    C0 = counters:get(Cnt, 1), T0 = now_ns(),
    timer:sleep(WinMs),
    C1 = counters:get(Cnt, 1), T1 = now_ns(),
    [begin unlink(S), exit(S, kill) end || S <- Senders],
    [exit(E, kill) || E <- Echos],
    S = (T1 - T0) / 1.0e9,
    {big, [{senders, NProcs}, {bytes, Size}, {window_s, S}, {round_trips, C1 - C0},
           {payload_MBps, (C1 - C0) * Size / 1.0e6 / S}]};
run(small, Node, [NSenders, Batch, WarmMs, WinMs]) ->
    Self = self(),
    Sink = {sink, Node},
    Senders = [spawn_link(fun() -> small_sender(Self, Sink, Batch) end) || _ <- lists:seq(1, NSenders)],
    [P ! go || P <- Senders],
    timer:sleep(WarmMs),
    N0 = sink_count(Sink), T0 = now_ns(),
    timer:sleep(WinMs),
    N1 = sink_count(Sink), T1 = now_ns(),
    [P ! stop || P <- Senders],
    Sent = lists:sum([receive {sent, P, K} -> K after 30000 -> 0 end || P <- Senders]),
    Received = sink_count(Sink),
    S = (T1 - T0) / 1.0e9,
    {small, [{senders, NSenders}, {batch, Batch}, {window_s, S}, {msgs, N1 - N0},
             {msgs_per_s, round((N1 - N0) / S)}, {total_sent, Sent}, {total_received, Received}]};
run(call, Node, [NCallers, WarmMs, WinMs]) ->
    Self = self(),
    Srv = {echo_srv, Node},
    WarmEnd = now_ns() + WarmMs * 1000000,
    Ws = [spawn_link(fun() -> Self ! {lat, self(), caller(Srv, WarmEnd, [])} end) || _ <- lists:seq(1, NCallers)],
    [receive {lat, W, _} -> ok end || W <- Ws],
    T0 = now_ns(),
    End = T0 + WinMs * 1000000,
    Cs = [spawn_link(fun() -> Self ! {lat, self(), caller(Srv, End, [])} end) || _ <- lists:seq(1, NCallers)],
    Lats = lists:append([receive {lat, C, L} -> L end || C <- Cs]),
    T1 = now_ns(),
    Sorted = list_to_tuple(lists:sort(Lats)),
    Len = tuple_size(Sorted),
    Pct = fun(P) -> element(max(1, ceil(P * Len)), Sorted) / 1000 end,
    S = (T1 - T0) / 1.0e9,
    {call, [{callers, NCallers}, {window_s, S}, {calls, Len}, {calls_per_s, round(Len / S)},
            {p50_us, Pct(0.5)}, {p99_us, Pct(0.99)}]}.

sink_count(Sink) ->
    Sink ! {self(), get_count},
    receive {count, N} -> N after 30000 -> error(sink_silent) end.

big_sender(Echo, Size, Cnt) ->
    big_loop(Echo, <<0:Size/unit:8>>, Cnt).
big_loop(Echo, Bin, Cnt) ->
    Echo ! {self(), Bin},
    receive true -> ok end,
    counters:add(Cnt, 1, 1),
    big_loop(Echo, Bin, Cnt).

small_sender(Main, Sink, Batch) ->
    receive go -> ok end,
    small_loop(Main, Sink, Batch, 0, 0).
small_loop(Main, Sink, Batch, K, Sent) ->
    send_batch(Sink, Batch),
    Sink ! {self(), {sync, K}},
    %% wait for the ack of the previous batch: at most 2 batches in flight
    case K of
        0 -> ok;
        _ -> receive {ack, Prev} when Prev =:= K - 1 -> ok end
    end,
    receive
        stop ->
            receive {ack, K} -> ok after 30000 -> ok end,
            Main ! {sent, self(), Sent + Batch}
    after 0 ->
        small_loop(Main, Sink, Batch, K + 1, Sent + Batch)
    end.

send_batch(_Sink, 0) -> ok;
send_batch(Sink, I) -> Sink ! {self(), I}, send_batch(Sink, I - 1).

caller(Srv, End, Acc) ->
    T0 = now_ns(),
    pong = gen_server:call(Srv, ping, 30000),
    T1 = now_ns(),
    case T1 < End of
        true -> caller(Srv, End, [T1 - T0 | Acc]);
        false -> [T1 - T0 | Acc]
    end.
