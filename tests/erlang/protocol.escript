#!/usr/bin/env escript
%%! -noshell
%% Erlang/OTP ssl as the client of a wassl server, for protocol features.
%% Prints one line per fact:
%%   keyupdate Port Ca       -> "RESULT ok" after echoes around update_keys
%%   renegotiate Port Ca     -> "RENEGOTIATE <ssl:renegotiate/1's answer>",
%%                              then "RESULT ok" after an echo (TLS 1.2)
%%   prf Port Ca Label Len   -> "PRF <hex>" (TLS 1.2: the RFC 5705 exporter
%%                              without context, what ssl:prf/5 computes),
%%                              then "PRF2 <hex>" (master_secret, seed
%%                              [server_random, <<"x">>, client_random], 20),
%%                              "PRF3 <hex>" (<<"secret">>, [<<"seed">>], 16),
%%                              "INFO <client_random> <server_random>
%%                              <master_secret>" (connection_information/2)
%%   resume_client Port Ca Vsn -> "RESUMED true|false" for each of two
%%                              connections (session_tickets auto, default
%%                              reuse_sessions), each after an echo
%% and as a server that asks its client to renegotiate:
%%   renegotiate_server Cert Key -> "PORT N", then for one TLS 1.2 client:
%%                              "RENEGOTIATE <answer>" after its first
%%                              chunk, which it then echoes
%% and as a server that clients resume with:
%%   resume_server Cert Key Vsn -> "PORT N", then "RESUMED true|false SESSION
%%                              <hex id>" per connection, whose first chunk it
%%                              echoes (TLS 1.3: stateless tickets; TLS 1.2:
%%                              session IDs). OTP before 29 reports
%%                              session_resumption false for every TLS 1.2
%%                              session (OTP issue 10470): there the ID tells.
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
main(["renegotiate", Port, Ca]) ->
    ok = ssl:start(),
    {ok, S} = ssl:connect("localhost", list_to_integer(Port),
                          [{verify, verify_peer}, {cacertfile, Ca}, {versions, ['tlsv1.2']},
                           {active, false}, {mode, binary}], 10000),
    Echo = fun(D) -> ok = ssl:send(S, D), {ok, D} = ssl:recv(S, byte_size(D), 10000) end,
    Echo(<<"before">>),
    io:format("RENEGOTIATE ~0p~n", [ssl:renegotiate(S)]),
    Echo(<<"after">>),
    io:format("RESULT ok~n"),
    ssl:close(S);
main(["renegotiate_server", Cert, Key]) ->
    ok = ssl:start(),
    {ok, L} = ssl:listen(0, [{certfile, Cert}, {keyfile, Key}, {versions, ['tlsv1.2']},
                             {reuseaddr, true}, {active, false}, {mode, binary}]),
    {ok, {_, Port}} = ssl:sockname(L),
    io:format("PORT ~p~n", [Port]),
    {ok, T} = ssl:transport_accept(L),
    {ok, S} = ssl:handshake(T, 10000),
    {ok, D} = ssl:recv(S, 0, 10000),
    io:format("RENEGOTIATE ~0p~n", [ssl:renegotiate(S)]),
    ok = ssl:send(S, D),
    _ = ssl:recv(S, 0, 10000),
    ssl:close(S);
main(["resume_client", Port, Ca, Vsn]) ->
    ok = ssl:start(),
    Tickets = case Vsn of
                  "tlsv1.3" -> [{session_tickets, auto}];
                  _ -> []
              end,
    Opts = [{verify, verify_peer}, {cacertfile, Ca}, {versions, [list_to_atom(Vsn)]},
            {active, false}, {mode, binary} | Tickets],
    Once = fun() ->
                   {ok, S} = ssl:connect("localhost", list_to_integer(Port), Opts, 10000),
                   ok = ssl:send(S, <<"ping">>),
                   {ok, <<"ping">>} = ssl:recv(S, 4, 10000),
                   {ok, Info} = ssl:connection_information(S, [session_resumption]),
                   io:format("RESUMED ~p~n", [proplists:get_value(session_resumption, Info)]),
                   ssl:close(S)
           end,
    Once(),
    timer:sleep(100),
    Once();
main(["resume_server", Cert, Key, Vsn]) ->
    ok = ssl:start(),
    Tickets = case Vsn of
                  "tlsv1.3" -> [{session_tickets, stateless}];
                  _ -> [{reuse_sessions, true}]
              end,
    {ok, L} = ssl:listen(0, [{certfile, Cert}, {keyfile, Key}, {versions, [list_to_atom(Vsn)]},
                             {reuseaddr, true}, {active, false}, {mode, binary} | Tickets]),
    {ok, {_, Port}} = ssl:sockname(L),
    io:format("PORT ~p~n", [Port]),
    resume_serve(L);
main(["prf", Port, Ca, Label, Len]) ->
    ok = ssl:start(),
    {ok, S} = ssl:connect("localhost", list_to_integer(Port),
                          [{verify, verify_peer}, {cacertfile, Ca}, {versions, ['tlsv1.2']},
                           {active, false}, {mode, binary}], 10000),
    {ok, B} = ssl:prf(S, master_secret, list_to_binary(Label), [client_random, server_random],
                      list_to_integer(Len)),
    Hex = fun(Bin) -> [io_lib:format("~2.16.0b", [X]) || <<X>> <= Bin] end,
    io:format("PRF ~s~n", [Hex(B)]),
    {ok, B2} = ssl:prf(S, master_secret, list_to_binary(Label),
                       [server_random, <<"x">>, client_random], 20),
    io:format("PRF2 ~s~n", [Hex(B2)]),
    {ok, B3} = ssl:prf(S, <<"secret">>, list_to_binary(Label), [<<"seed">>], 16),
    io:format("PRF3 ~s~n", [Hex(B3)]),
    {ok, [{client_random, CR}, {server_random, SR}, {master_secret, MS}]} =
        ssl:connection_information(S, [client_random, server_random, master_secret]),
    io:format("INFO ~s ~s ~s~n", [Hex(CR), Hex(SR), Hex(MS)]),
    ok = ssl:send(S, <<"done">>),
    timer:sleep(300),
    ssl:close(S).

resume_serve(L) ->
    {ok, T} = ssl:transport_accept(L),
    case ssl:handshake(T, 10000) of
        {ok, S} ->
            {ok, Info} = ssl:connection_information(S, [session_resumption, session_id]),
            Id = proplists:get_value(session_id, Info, <<>>),
            io:format("RESUMED ~p SESSION ~s~n", [proplists:get_value(session_resumption, Info),
                                                  [io_lib:format("~2.16.0b", [X]) || <<X>> <= Id]]),
            case ssl:recv(S, 0, 10000) of
                {ok, D} -> ssl:send(S, D);
                _ -> ok
            end,
            timer:sleep(200),
            ssl:close(S);
        {error, E} ->
            io:format("RESULT error ~0p~n", [E])
    end,
    resume_serve(L).
