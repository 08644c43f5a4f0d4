#!/usr/bin/env escript
%%! -noshell
%% Reads lines "Type Hex PacketSize" on stdin, prints erlang:decode_packet/3's
%% answer for each with ~w, one per line: the oracle for wassl's packet framing.
main(_) -> loop().

loop() ->
    case io:get_line("") of
        eof -> ok;
        Line ->
            [T, Hex, Size] = string:lexemes(string:trim(Line), " "),
            Type = case string:to_integer(T) of {N, ""} -> N; _ -> list_to_atom(T) end,
            Bin = binary:decode_hex(list_to_binary(case Hex of "-" -> ""; _ -> Hex end)),
            Opts = case list_to_integer(Size) of 0 -> []; S -> [{packet_size, S}] end,
            io:format("~w~n", [erlang:decode_packet(Type, Bin, Opts)]),
            loop()
    end.
