#!/usr/bin/env escript
%%! -noshell
%% The client half of a scenario, run by Erlang/OTP's own ssl. Prints one
%% line per observation (messages and return values, as ~w terms); the Rust
%% test runs the same steps with wassl and compares the lines.
%%   scenario.escript Name Port CaFile
main(["user_socket", Port, Ca]) ->
    %% The user's own TCP socket, its kernel options set before the upgrade.
    ok = ssl:start(),
    {ok, T} = gen_tcp:connect("localhost", list_to_integer(Port), [binary, {active, false}]),
    ok = inet:setopts(T, [{keepalive, true}, {linger, {true, 7}}, {nodelay, true}]),
    Base = [{verify, verify_peer}, {cacertfile, Ca}, {server_name_indication, "localhost"}],
    {ok, S} = ssl:connect(T, Base ++ [{active, false}], 10000),
    kernel_options(S),
    out("setopts ~w", [ssl:setopts(S, [{active, once}])]),
    kernel_options(S),
    out("setopts ~w", [ssl:setopts(S, [{keepalive, false}, {linger, {false, 0}}])]),
    kernel_options(S),
    halt(0);
main([Name, Port, Ca]) ->
    ok = ssl:start(),
    Base = [{verify, verify_peer}, {cacertfile, Ca}, {server_name_indication, "localhost"}],
    {ok, S} = ssl:connect("localhost", list_to_integer(Port), Base ++ opts(Name), 10000),
    run(Name, S),
    halt(0).

opts("passive") -> [{active, false}, {mode, binary}];
opts("once_n") -> [{active, once}, {packet, 2}, {mode, binary}];
opts("packet_size") -> [{active, true}, {packet, 2}, {packet_size, 3}, {mode, binary}];
opts("http") -> [{active, true}, {packet, http_bin}, {mode, binary}];
opts("list_line") -> [{active, true}, {packet, line}, {mode, list}];
opts("header") -> [{active, true}, {header, 2}, {mode, binary}];
opts("passive_packet") -> [{active, false}, {packet, 4}, {packet_size, 100}, {mode, binary}];
opts("after_closed") -> [{active, true}, {mode, binary}];
opts("passive_closed") -> [{active, false}, {mode, binary}];
opts("active_n") -> [{active, false}, {mode, binary}];
opts("boundaries") -> [{active, false}, {mode, binary}].

run("passive", S) ->
    [out("recv ~w", [ssl:recv(S, N, T)]) || {N, T} <- [{4, 5000}, {6, 5000}, {1, 50}, {5, 5000}, {0, 1000}]],
    drain(200);
run("once_n", S) ->
    drain_one(5000), drain(200),
    out("recv ~w", [ssl:recv(S, 0, 5000)]),
    ok = ssl:setopts(S, [{active, 2}]),
    drain_one(5000), drain_one(5000), drain_one(5000),
    ok = ssl:setopts(S, [{active, true}]),
    drain(1500);
run("passive_packet", S) ->
    [out("recv ~w", [ssl:recv(S, 0, 2000)]) || _ <- [1, 2, 3]];
run("after_closed", S) ->
    drain_one(5000), drain_one(5000),
    calls(S);
run("passive_closed", S) ->
    timer:sleep(600),
    out("recv ~w", [ssl:recv(S, 0, 1000)]),
    out("recv ~w", [ssl:recv(S, 0, 1000)]),
    calls(S);
run("active_n", S) ->
    out("getopts ~w", [ssl:getopts(S, [packet, active, mode, header, packet_size])]),
    [out("setopts ~w", [ssl:setopts(S, [A])]) || A <- [{active, 30000}, {active, 30000}]],
    out("getopts ~w", [ssl:getopts(S, [active])]),
    [out("setopts ~w", [ssl:setopts(S, [A])]) || A <- [{active, 40000}, {active, -40000}, {active, false}, {active, 2}]],
    out("getopts ~w", [ssl:getopts(S, [active])]),
    out("setopts ~w", [ssl:setopts(S, [{active, -1}])]),
    out("getopts ~w", [ssl:getopts(S, [active])]),
    drain(300);
run("boundaries", S) ->
    timer:sleep(600),
    [out("recv ~w", [ssl:recv(S, 0, 1000)]) || _ <- [1, 2, 3]],
    timer:sleep(700),
    ok = ssl:setopts(S, [{active, true}]),
    drain(1500);
run(_, _S) ->
    drain(1500).

out(F, A) -> io:format(F ++ "~n", A).

kernel_options(S) -> out("getopts ~w", [ssl:getopts(S, [keepalive, linger, nodelay])]).

%% What the API answers once the connection is over.
calls(S) ->
    out("getopts ~w", [ssl:getopts(S, [active])]),
    out("setopts ~w", [ssl:setopts(S, [{active, once}])]),
    out("recv ~w", [ssl:recv(S, 0, 100)]),
    out("shutdown ~w", [ssl:shutdown(S, write)]),
    out("controlling_process ~w", [ssl:controlling_process(S, self())]),
    out("peername ~w", [okay(ssl:peername(S))]),
    out("sockname ~w", [okay(ssl:sockname(S))]),
    out("send ~w", [ssl:send(S, <<"x">>)]),
    out("connection_information ~w", [okay(ssl:connection_information(S))]),
    out("getstat ~w", [okay(ssl:getstat(S))]),
    out("close ~w", [ssl:close(S)]),
    out("peername ~w", [okay(ssl:peername(S))]),
    out("getopts ~w", [ssl:getopts(S, [active])]).

okay({ok, _}) -> ok;
okay(Other) -> Other.

drain_one(T) ->
    receive M -> show(M) after T -> out("none", []) end.

drain(T) ->
    receive M -> show(M), drain(T) after T -> out("none", []) end.

show({ssl, _, D}) -> out("ssl ~w", [D]);
show({ssl_closed, _}) -> out("ssl_closed", []);
show({ssl_passive, _}) -> out("ssl_passive", []);
show({ssl_error, _, R}) -> out("ssl_error ~w", [R]);
show(Other) -> out("other ~w", [Other]).
