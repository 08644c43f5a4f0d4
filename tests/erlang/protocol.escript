#!/usr/bin/env escript
%%! -noshell
%% Erlang/OTP ssl as the client of a wassl server, for protocol features.
%% Prints one line per fact:
%%   keyupdate Port Ca       -> "RESULT ok" after echoes around update_keys
%%   prf Port Ca Label Len   -> "PRF <hex>" (TLS 1.2: the RFC 5705 exporter
%%                              without context, what ssl:prf/5 computes)
main(["keyupdate", Port, Ca]) ->
    ok = ssl:start(),
    {ok, S} = ssl:connect("localhost", list_to_integer(Port),
                          [{verify, verify_peer}, {cacertfile, Ca}, {versions, ['tlsv1.3']},
                           {active, false}, {mode, binary}], 10000),
    Echo = fun(D) -> ok = ssl:send(S, D), {ok, D} = ssl:recv(S, byte_size(D), 10000) end,
    Echo(<<"before">>),
    ok = ssl:update_keys(S, read_write),
    Echo(<<"after read_write">>),
    ok = ssl:update_keys(S, write),
    Echo(<<"after write">>),
    io:format("RESULT ok~n"),
    ssl:close(S);
main(["prf", Port, Ca, Label, Len]) ->
    ok = ssl:start(),
    {ok, S} = ssl:connect("localhost", list_to_integer(Port),
                          [{verify, verify_peer}, {cacertfile, Ca}, {versions, ['tlsv1.2']},
                           {active, false}, {mode, binary}], 10000),
    {ok, B} = ssl:prf(S, master_secret, list_to_binary(Label), [client_random, server_random],
                      list_to_integer(Len)),
    io:format("PRF ~s~n", [[io_lib:format("~2.16.0b", [X]) || <<X>> <= B]]),
    ok = ssl:send(S, <<"done">>),
    timer:sleep(300),
    ssl:close(S).
