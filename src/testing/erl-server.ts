// The Erlang half of the term oracle: the boot expression and the server module it compiles inside `erl`.
//
// The module travels as the first packet on fd 3, not as a file or argument: nothing is written to disk,
// no quoting survives a shell, and the boot expression stays short enough to read in `ps`.

/**
 * The `-eval` expression: opens fd 3 as a `{packet, 4}` port, compiles the first packet (module source) and
 * hands the port to its `start/1`. Any failure is printed to stderr and halts with status 70.
 */
export const BOOT_EXPRESSION = `
try
  Port = open_port({fd, 3, 3}, [binary, {packet, 4}, eof]),
  Source = receive {Port, {data, S}} -> S; {Port, eof} -> erlang:halt(0) end,
  {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Source)),
  Split = fun Split([], [], Acc) -> lists:reverse(Acc);
              Split([{dot, _} = Dot | Rest], Form, Acc) ->
                {ok, F} = erl_parse:parse_form(lists:reverse([Dot | Form])),
                Split(Rest, [], [F | Acc]);
              Split([T | Rest], Form, Acc) -> Split(Rest, [T | Form], Acc)
          end,
  {ok, Mod, Beam} = compile:forms(Split(Tokens, [], []), [binary, report_errors]),
  {module, Mod} = code:load_binary(Mod, atom_to_list(Mod) ++ ".erl", Beam),
  Mod:start(Port)
catch Class:Reason:Stack ->
  io:format(standard_error, "otter oracle failed to boot: ~tp:~tp~n~tp~n", [Class, Reason, Stack]),
  erlang:halt(70)
end.`;

/**
 * The server. Requests are `{Id, Op, TimeoutMs, [Binary]}`; answers are `{Id, Status, Binary...}` with Status
 * one of ok, rejected (binary_to_term said badarg), raised (class, text), timeout, ready (OTP release).
 */
export const SERVER_MODULE = `
-module(otter_oracle).
-export([start/1]).

start(Port) ->
    port_command(Port, term_to_binary({0, ready, list_to_binary(erlang:system_info(otp_release))},
                                      [{minor_version, 2}])),
    serve(Port).

serve(Port) ->
    receive
        {Port, {data, Request}} ->
            port_command(Port, handle(Request)),
            serve(Port);
        {Port, eof} ->
            erlang:halt(0)
    end.

%% A worker computes each answer, so a crash, a runaway evaluation or a huge heap never takes the loop
%% down; the answer comes back as the worker's exit reason (a refc binary, not copied).
handle(Request) ->
    {Id, Op, TimeoutMs, Args} = binary_to_term(Request),
    {Pid, Ref} = spawn_monitor(fun() -> exit({answer, answer(Op, Args)}) end),
    Reply = receive
                {'DOWN', Ref, process, Pid, {answer, A}} -> A;
                {'DOWN', Ref, process, Pid, Reason} -> raised(exit, Reason, [])
            after TimeoutMs ->
                exit(Pid, kill),
                receive {'DOWN', Ref, process, Pid, _} -> ok end,
                [timeout]
            end,
    term_to_binary(list_to_tuple([Id | Reply]), [{minor_version, 2}]).

answer(Op, Args) ->
    try run(Op, Args) of
        {rejected, Why} -> [rejected, Why];
        Bytes -> [ok, Bytes]
    catch
        Class:Reason:Stack -> raised(Class, Reason, Stack)
    end.

raised(Class, Reason, Stack) ->
    [raised, atom_to_binary(Class), text("~tP~nstack: ~tP", [Reason, 30, lists:sublist(Stack, 4), 12])].

run(eval, [Expr, Options | Bindings]) ->
    term_to_binary(eval(Expr, bindings(Bindings)), eval(Options, []));
run(roundtrip, [Bytes, Options]) ->
    try binary_to_term(Bytes) of
        Term -> term_to_binary(Term, eval(Options, []))
    catch
        error:badarg -> {rejected, <<"badarg">>}
    end;
run(sort, [Bytes]) ->
    term_to_binary(lists:sort(binary_to_term(Bytes)), [{minor_version, 2}]);
run(print, [Expr | Bindings]) ->
    text("~tp", [eval(Expr, bindings(Bindings))]);
run(load, [Source]) ->
    case compile:forms(forms(Source), [binary, return_errors]) of
        {ok, Mod, Beam} ->
            {module, Mod} = code:load_binary(Mod, atom_to_list(Mod) ++ ".erl", Beam),
            atom_to_binary(Mod);
        {error, Errors, _} ->
            error({compile_errors, Errors})
    end;
run(Op, _) ->
    error({unknown_op, Op}).

eval(Text, Bindings) ->
    {ok, Tokens, End} = erl_scan:string(unicode:characters_to_list(Text)),
    {ok, Exprs} = erl_parse:parse_exprs(with_dot(Tokens, End)),
    {value, Value, _} = erl_eval:exprs(Exprs, Bindings),
    Value.

with_dot(Tokens, End) ->
    case lists:last(Tokens) of
        {dot, _} -> Tokens;
        _ -> Tokens ++ [{dot, End}]
    end.

bindings([Name, Bytes | Rest]) ->
    erl_eval:add_binding(binary_to_atom(Name), binary_to_term(Bytes), bindings(Rest));
bindings([]) ->
    erl_eval:new_bindings().

forms(Source) ->
    {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Source)),
    split(Tokens, [], []).

split([], [], Forms) -> lists:reverse(Forms);
split([{dot, _} = Dot | Rest], Form, Forms) ->
    {ok, F} = erl_parse:parse_form(lists:reverse([Dot | Form])),
    split(Rest, [], [F | Forms]);
split([Token | Rest], Form, Forms) -> split(Rest, [Token | Form], Forms).

text(Format, Args) ->
    unicode:characters_to_binary(io_lib:format(Format, Args)).
`;
