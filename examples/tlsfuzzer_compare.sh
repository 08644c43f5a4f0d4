#!/usr/bin/env bash
# tlsfuzzer against wassl's s_server and a native tokio-rustls echo server
# (rustls_server, ring) with the same RSA certificate, script by script;
# prints each script's pass/fail counts for both, and under it each probe
# that fails on wassl and passes on rustls (confirmed by a second run of
# those probes by name on both, since many scripts sample their probes).
#
#   examples/tlsfuzzer_compare.sh TLSFUZZER_DIR [script.py ...]
#
# TLSFUZZER_DIR is a tlsfuzzer checkout whose tlslite-ng needs are met by
# `pip install tlslite-ng` (at HEAD it may want tlslite-ng from git; the
# commit before 589f8b5 works with 0.8.2). Default scripts: every
# test-tls13-*.py. Builds the release binaries it runs (PROFILE=dev: the
# dev build the tests use, which gives the same answers, only slower).
set -euo pipefail
tf=$(cd "${1:?usage: tlsfuzzer_compare.sh TLSFUZZER_DIR [script.py ...]}" && pwd); shift
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${PROFILE:-release}
dir=$profile; [ "$profile" = dev ] && dir=debug
cargo build --profile "$profile" -q --manifest-path "$root/Cargo.toml" -p wassl-examples --bin s_server
cargo build --profile "$profile" -q --manifest-path "$root/Cargo.toml" -p wassl-yardstick
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf $work' EXIT
cd "$work"
source "$root/examples/bench_certs.sh"
# tlsfuzzer's default ClientHello offers RSA signature schemes only.
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout rsa.key -out rsa.csr 2>/dev/null
openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile leaf.ext \
    -out rsa.pem 2>/dev/null
"$root/target/$dir/s_server" -accept 19443 -cert rsa.pem -key rsa.key -quiet >/dev/null 2>&1 &
"$root/target/$dir/rustls_server" -accept 19444 -cert rsa.pem -key rsa.key -provider ring >/dev/null 2>&1 &
# Until both listen (a first start compiles the component).
for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/19443) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/19444) 2>/dev/null && break
    sleep 0.5
done
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=($(cd "$tf/scripts" && ls test-tls13-*.py))
# run PORT SCRIPT [PROBE...]: pass/fail counts in $work/SCRIPT.PORT, the
# names of the failing probes in $work/SCRIPT.PORT.failed.
run() {
    (cd "$tf" && PYTHONPATH=. timeout 900 python3 "scripts/$2" -p "$1" "${@:3}" >"$work/$2.$1" 2>&1 || true)
    sed -n '/^FAILED:/,$p' "$work/$2.$1" | grep -P '^\t' | sed "s/^\t'//; s/'\$//" | sort >"$work/$2.$1.failed"
}
counts() { awk '/^PASS:/ {p=$2} /^FAIL:/ {f=$2} END {print (p==""?"?":p) "/" (f==""?"?":f)}' "$work/$1"; }
printf '%-52s %12s %12s\n' script "wassl p/f" "rustls p/f"
for s in "${scripts[@]}"; do
    run 19443 "$s"; run 19444 "$s"
    printf '%-52s %12s %12s\n' "$s" "$(counts "$s.19443")" "$(counts "$s.19444")"
    # Many scripts sample their probes: a probe failing on wassl only is
    # run again by name on both before it is called a difference.
    mapfile -t only < <(comm -23 "$work/$s.19443.failed" "$work/$s.19444.failed")
    [ ${#only[@]} -gt 0 ] || continue
    run 19443 "$s" "${only[@]}"; run 19444 "$s" "${only[@]}"
    comm -23 "$work/$s.19443.failed" "$work/$s.19444.failed" | sed 's/^/    fails on wassl only: /'
done
