#!/usr/bin/env escript
%%! -noshell
%% An Erlang/OTP ssl peer for wassl's interop tests. It prints what it saw,
%% one line per fact, so the Rust side can compare:
%%   server CertFile KeyFile Version [CaFile]  -> "PORT N", then "RESULT ..." per connection
%%   client Port Host CaFile Version Payload   -> "RESULT ok <echo>" | "RESULT error <term>"
%%   active_server CertFile KeyFile Version    -> "PORT N", then per message of one
%%       {active, true} connection "HEARD data <bytes>" | "HEARD error <alert>" | "HEARD closed"
%% Version is 'tlsv1.2' or 'tlsv1.3'.
main(["server", Cert, Key, Vsn | Rest]) ->
    ok = ssl:start(),
    Verify = case Rest of
                 [Ca] -> [{verify, verify_peer}, {cacertfile, Ca}, {fail_if_no_peer_cert, true}];
                 [] -> [{verify, verify_none}]
             end,
    {ok, L} = ssl:listen(0, [{certfile, Cert}, {keyfile, Key}, {versions, [list_to_atom(Vsn)]},
                             {reuseaddr, true}, {active, false}, {mode, binary} | Verify]),
    {ok, {_, Port}} = ssl:sockname(L),
    io:format("PORT ~p~n", [Port]),
    serve(L);
main(["active_server", Cert, Key, Vsn]) ->
    ok = ssl:start(),
    {ok, L} = ssl:listen(0, [{certfile, Cert}, {keyfile, Key}, {versions, [list_to_atom(Vsn)]},
                             {reuseaddr, true}, {active, true}, {mode, binary}]),
    {ok, {_, Port}} = ssl:sockname(L),
    io:format("PORT ~p~n", [Port]),
    {ok, T} = ssl:transport_accept(L),
    {ok, S} = ssl:handshake(T, 10000),
    heard(S);
main(["downgrade_server", Cert, Key]) ->
    ok = ssl:start(),
    {ok, L} = ssl:listen(0, [{certfile, Cert}, {keyfile, Key}, {reuseaddr, true}, {active, false}, {mode, binary}]),
    {ok, {_, Port}} = ssl:sockname(L),
    io:format("PORT ~p~n", [Port]),
    {ok, T} = ssl:transport_accept(L),
    {ok, S} = ssl:handshake(T, 10000),
    {ok, D} = ssl:recv(S, 0, 10000),
    io:format("TLS ~s~n", [D]),
    case ssl:close(S, {self(), 10000}) of
        {ok, P} ->
            ok = gen_tcp:send(P, "plain from erlang"),
            {ok, Plain} = gen_tcp:recv(P, 0, 10000),
            io:format("RESULT ok ~s~n", [Plain]);
        Other ->
            io:format("RESULT error ~0p~n", [Other])
    end;
main(["client", Port, Host, Ca, Vsn, Payload]) ->
    ok = ssl:start(),
    Opts = [{verify, verify_peer}, {cacertfile, Ca}, {versions, [list_to_atom(Vsn)]},
            {active, false}, {mode, binary}, {server_name_indication, Host}],
    case ssl:connect(Host, list_to_integer(Port), Opts, 10000) of
        {ok, S} ->
            {ok, Info} = ssl:connection_information(S, [protocol, selected_cipher_suite]),
            io:format("INFO ~p~n", [proplists:get_value(protocol, Info)]),
            ok = ssl:send(S, Payload),
            Got = recv_n(S, length(Payload), <<>>),
            io:format("RESULT ok ~s~n", [Got]),
            ssl:close(S);
        {error, Reason} ->
            io:format("RESULT error ~0p~n", [Reason])
    end.

recv_n(_S, N, Acc) when byte_size(Acc) >= N -> Acc;
recv_n(S, N, Acc) ->
    case ssl:recv(S, 0, 10000) of
        {ok, D} -> recv_n(S, N, <<Acc/binary, D/binary>>);
        {error, E} -> io_lib:format("recv error ~0p", [E])
    end.

serve(L) ->
    {ok, T} = ssl:transport_accept(L),
    case ssl:handshake(T, 10000) of
        {ok, S} ->
            {ok, [{protocol, P}]} = ssl:connection_information(S, [protocol]),
            io:format("INFO ~p~n", [P]),
            echo(S),
            io:format("RESULT ok~n");
        {error, Reason} ->
            io:format("RESULT error ~0p~n", [Reason])
    end,
    serve(L).

echo(S) ->
    case ssl:recv(S, 0, 10000) of
        {ok, D} -> ok = ssl:send(S, D), echo(S);
        {error, _} -> ssl:close(S)
    end.

heard(S) ->
    receive
        {ssl, S, D} -> io:format("HEARD data ~s~n", [D]), heard(S);
        {ssl_error, S, {tls_alert, {A, _}}} -> io:format("HEARD error ~p~n", [A]);
        {ssl_error, S, E} -> io:format("HEARD error ~0p~n", [E]);
        {ssl_closed, S} -> io:format("HEARD closed~n")
    after 10000 -> io:format("HEARD nothing~n")
    end.
