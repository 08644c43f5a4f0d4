#!/usr/bin/env escript
%%! -noshell
%% Reads lines "Expected<TAB>Ours" (Erlang term sources) from a file and
%% prints one line each: "same", or "differ Expected Ours" with both as
%% Erlang prints them (~p on one line), or "unreadable Which Text".
%%   terms.escript File
main([File]) ->
    {ok, Bin} = file:read_file(File),
    Lines = [L || L <- binary:split(Bin, <<"\n">>, [global]), L =/= <<>>],
    [check(binary:split(L, <<"\t">>)) || L <- Lines],
    halt(0).

check([Expected, Ours]) ->
    case {parse(Expected), parse(Ours)} of
        {{ok, E}, {ok, O}} ->
            PE = show(E), PO = show(O),
            case PE =:= PO andalso PO =:= binary_to_list(Ours) of
                true -> io:format("same~n");
                false -> io:format("differ ~s ~s~n", [PE, Ours])
            end;
        {{error, _}, _} -> io:format("unreadable expected ~s~n", [Expected]);
        {_, {error, _}} -> io:format("unreadable ours ~s~n", [Ours])
    end.

parse(Bin) ->
    case erl_scan:string(binary_to_list(Bin) ++ ".") of
        {ok, Tokens, _} -> erl_parse:parse_term(Tokens);
        Error -> {error, Error}
    end.

show(T) -> lists:flatten(io_lib:print(T, 1, 1000000, -1)).
