%% BEAM side of `npm run bench -- processes`: N idle processes waiting for a message, then woken and finished.
%% Modelled on shared/bench-beam/spawn1m.erl (spawn/3 with an MFA, no closure), but the workers wait in a
%% receive for a message instead of sleeping, as Otter's do.
%%
%% main([N]): spawns N workers, each `receive wake -> Parent ! done end` (no `after`: a timeout would arm a
%% timer per process, which the Otter side does not have; the whole erl is killed by the Node side if it hangs),
%% waits until no process but this one is runnable (every worker is in its receive), then sends each `wake` and
%% counts N `done` messages. Peak RSS is read by this VM from /proc/self/status (VmHWM) just before it reports,
%% so it covers the whole run; erlang:memory/0 is taken while all workers wait.
-module(procs_bench).
-export([main/1, worker/1]).

-define(COLLECT_TIMEOUT, 600000).

main([NA]) ->
    N = list_to_integer(NA),
    bench_lib:info(),
    Parent = self(),
    MemBefore = erlang:memory(processes),
    T0 = now_us(),
    Pids = spawn_n(N, Parent, []),
    T1 = now_us(),
    wait_settled(),
    T2 = now_us(),
    Mem = erlang:memory(),
    Alive = erlang:system_info(process_count),
    RssIdle = status_kib("VmRSS"),
    HwmIdle = status_kib("VmHWM"),
    T3 = now_us(),
    wake(Pids),
    Got = collect(N, 0),
    T4 = now_us(),
    Hwm = status_kib("VmHWM"),
    bench_lib:emit(result, [{n, N}, {received, Got}, {alive, Alive},
                            {spawn_calls_ms, (T1 - T0) / 1000}, {spawn_ms, (T2 - T0) / 1000},
                            {wake_finish_ms, (T4 - T3) / 1000},
                            {mem_total_mb, proplists:get_value(total, Mem) / 1048576},
                            {mem_processes_mb, proplists:get_value(processes, Mem) / 1048576},
                            {bytes_per_process, (proplists:get_value(processes, Mem) - MemBefore) / N},
                            {rss_idle_kib, RssIdle}, {hwm_idle_kib, HwmIdle}, {hwm_kib, Hwm}]).

worker(Parent) ->
    receive wake -> Parent ! done end.

spawn_n(0, _Parent, Acc) -> Acc;
spawn_n(N, Parent, Acc) -> spawn_n(N - 1, Parent, [spawn(?MODULE, worker, [Parent]) | Acc]).

%% Every spawned process has run up to its receive when nothing but this process is active
%% (total_active_tasks counts the running and the runnable, this process included).
wait_settled() ->
    case erlang:statistics(total_active_tasks) of
        Active when Active =< 1 -> ok;
        _ -> receive after 1 -> wait_settled() end
    end.

wake([]) -> ok;
wake([P | Ps]) -> P ! wake, wake(Ps).

collect(N, N) -> N;
collect(N, Got) ->
    receive done -> collect(N, Got + 1)
    after ?COLLECT_TIMEOUT -> Got
    end.

now_us() -> erlang:monotonic_time(microsecond).

%% A "VmXXX:   1234 kB" field of /proc/self/status, in KiB (0 when absent).
status_kib(Field) ->
    {ok, Status} = file:read_file("/proc/self/status"),
    Key = list_to_binary(Field ++ ":"),
    case [L || L <- binary:split(Status, <<"\n">>, [global]), binary:longest_common_prefix([L, Key]) =:= byte_size(Key)] of
        [Line | _] ->
            [Num | _] = string:lexemes(binary_to_list(binary:part(Line, byte_size(Key), byte_size(Line) - byte_size(Key))), " \t"),
            list_to_integer(Num);
        [] -> 0
    end.
