#!/usr/bin/env escript
%%! -noshell
%% Connects with a verify_fun that prints every event Erlang/OTP's ssl gives
%% it ("EVENT <event> <CN>"), accepting bad_cert events, then the result.
%%   verify_events.escript Port CaFile
%% Records by position: the public_key headers are not in every Erlang install.

main([Port, Ca]) ->
    ok = ssl:start(),
    Fun = fun(OtpCert, Event, State) ->
                  io:format("EVENT ~s ~s~n", [event(Event), cn(OtpCert)]),
                  case Event of
                      {extension, _} -> {unknown, State};
                      _ -> {valid, State}
                  end
          end,
    Opts = [{verify, verify_peer}, {cacertfile, Ca}, {verify_fun, {Fun, []}},
            {server_name_indication, "localhost"}, {active, false}],
    case ssl:connect("localhost", list_to_integer(Port), Opts, 10000) of
        {ok, S} -> io:format("RESULT ok~n"), ssl:close(S);
        {error, R} -> io:format("RESULT error ~0p~n", [R])
    end.

event(valid) -> "valid";
event(valid_peer) -> "valid_peer";
event({bad_cert, R}) -> io_lib:format("bad_cert ~w", [R]);
event({extension, Ext}) ->
    Oid = element(2, Ext),
    "extension " ++ string:join([integer_to_list(I) || I <- tuple_to_list(Oid)], ".").

cn(OtpCert) ->
    %% #'OTPCertificate'.tbsCertificate, then #'OTPTBSCertificate'.subject.
    {rdnSequence, Rdns} = element(7, element(2, OtpCert)),
    Values = [V || Set <- Rdns, {'AttributeTypeAndValue', {2, 5, 4, 3}, V} <- Set],
    case Values of
        [{_, Name} | _] -> to_list(Name);
        [Name | _] -> to_list(Name);
        [] -> "?"
    end.

to_list(B) when is_binary(B) -> binary_to_list(B);
to_list(L) -> L.
