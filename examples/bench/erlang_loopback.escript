#!/usr/bin/env escript
%%! -noshell
%% The bench's Erlang/OTP rows: the same loopback workloads as wassl's
%% "loopback TCP, API" rows, with OTP's own ssl at both ends in one VM.
%%   handshakes N Cert Key Ca  -> "HANDSHAKES <per second>" (connect + handshake + close)
%%   bulk MiB Cert Key Ca      -> "BULK <MiB/s>" (1 MiB sends to a passive server that drains them)
main([Mode, N, Cert, Key, Ca]) ->
    ok = ssl:start(),
    {ok, L} = ssl:listen(0, [{certfile, Cert}, {keyfile, Key}, {reuseaddr, true},
                             {active, false}, {mode, binary}, {backlog, 1024}]),
    {ok, {_, Port}} = ssl:sockname(L),
    Parent = self(),
    spawn_link(fun() -> accept(L, Parent) end),
    Opts = [{verify, verify_peer}, {cacertfile, Ca}, {active, false}, {mode, binary},
            {server_name_indication, "localhost"}],
    Count = list_to_integer(N),
    case Mode of
        "handshakes" ->
            T0 = erlang:monotonic_time(microsecond),
            [begin
                 {ok, S} = ssl:connect("127.0.0.1", Port, Opts, 10000),
                 ok = ssl:close(S)
             end || _ <- lists:seq(1, Count)],
            Secs = (erlang:monotonic_time(microsecond) - T0) / 1.0e6,
            io:format("HANDSHAKES ~.1f~n", [Count / Secs]);
        "bulk" ->
            {ok, S} = ssl:connect("127.0.0.1", Port, Opts, 10000),
            Chunk = binary:copy(<<16#42>>, 1 bsl 20),
            T0 = erlang:monotonic_time(microsecond),
            [ok = ssl:send(S, Chunk) || _ <- lists:seq(1, Count)],
            Secs = (erlang:monotonic_time(microsecond) - T0) / 1.0e6,
            io:format("BULK ~.1f~n", [Count / Secs]),
            ssl:close(S)
    end.

accept(L, Parent) ->
    {ok, T} = ssl:transport_accept(L),
    spawn(fun() ->
                  case ssl:handshake(T, 10000) of
                      {ok, S} -> drain(S);
                      _ -> ok
                  end
          end),
    accept(L, Parent).

drain(S) ->
    case ssl:recv(S, 0, 30000) of
        {ok, _} -> drain(S);
        _ -> ssl:close(S)
    end.
