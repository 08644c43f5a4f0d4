#!/usr/bin/env escript
%%! -noshell
%% The client half of a scenario, run by Erlang/OTP's own ssl. Prints one
%% line per observation (messages and return values, as ~w terms); the Rust
%% test runs the same steps with wassl and compares the lines.
%%   scenario.escript Name Port CaFile
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
opts("passive_packet") -> [{active, false}, {packet, 4}, {packet_size, 100}, {mode, binary}].

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
run(_, _S) ->
    drain(1500).

out(F, A) -> io:format(F ++ "~n", A).

drain_one(T) ->
    receive M -> show(M) after T -> out("none", []) end.

drain(T) ->
    receive M -> show(M), drain(T) after T -> out("none", []) end.

show({ssl, _, D}) -> out("ssl ~w", [D]);
show({ssl_closed, _}) -> out("ssl_closed", []);
show({ssl_passive, _}) -> out("ssl_passive", []);
show({ssl_error, _, R}) -> out("ssl_error ~w", [R]);
show(Other) -> out("other ~w", [Other]).
