#!/usr/bin/env escript
%%! -noshell
%% The bench's Erlang/OTP rows: the same loopback workloads as wassl's
%% "loopback TCP, API" rows, with OTP's own ssl at both ends in one VM.
%%   handshakes N Cert Key Ca P -> "HANDSHAKES <per second> <CPU µs per connection>"
%%                                (connect + handshake + close, P client processes at once)
%%   bulk MiB Cert Key Ca P     -> "BULK <MiB/s>" (1 MiB sends to a passive server that drains them)
%% CPU is the VM's, all threads (statistics(runtime)), both ends.
main([Mode, N, Cert, Key, Ca, P]) ->
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
            Parallel = list_to_integer(P),
            %% Warm up first (modules loaded, caches filled), as the wassl
            %% side is by the time its loopback rows run.
            connects(Port, Opts, 20),
            {Cpu0, _} = statistics(runtime),
            T0 = erlang:monotonic_time(microsecond),
            Clients = [spawn_monitor(fun() -> connects(Port, Opts, Share) end)
                       || I <- lists:seq(1, Parallel),
                          Share <- [Count div Parallel + if I =< Count rem Parallel -> 1; true -> 0 end]],
            [receive {'DOWN', Ref, process, Pid, normal} -> ok end || {Pid, Ref} <- Clients],
            Secs = (erlang:monotonic_time(microsecond) - T0) / 1.0e6,
            {Cpu1, _} = statistics(runtime),
            io:format("HANDSHAKES ~.1f ~.1f~n", [Count / Secs, (Cpu1 - Cpu0) * 1000 / Count]);
        "bulk" ->
            connects(Port, Opts, 20),
            {ok, S} = ssl:connect("127.0.0.1", Port, Opts, 10000),
            Chunk = binary:copy(<<16#42>>, 1 bsl 20),
            T0 = erlang:monotonic_time(microsecond),
            [ok = ssl:send(S, Chunk) || _ <- lists:seq(1, Count)],
            Secs = (erlang:monotonic_time(microsecond) - T0) / 1.0e6,
            io:format("BULK ~.1f~n", [Count / Secs]),
            ssl:close(S)
    end.

connects(_Port, _Opts, 0) -> ok;
connects(Port, Opts, K) ->
    {ok, S} = ssl:connect("127.0.0.1", Port, Opts, 10000),
    ok = ssl:close(S),
    connects(Port, Opts, K - 1).

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
