#!/usr/bin/env bash
# tlsfuzzer against wassl's s_server and a native tokio-rustls echo server
# (rustls_server, ring) with the same RSA certificate, script by script;
# prints each script's pass/fail counts for both and flags the scripts
# whose failure counts differ (many scripts sample their probes: run the
# differing probes again by name on both before calling it a difference).
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
printf '%-52s %12s %12s\n' script "wassl p/f" "rustls p/f"
for s in "${scripts[@]}"; do
    row=()
    for port in 19443 19444; do
        out=$(cd "$tf" && PYTHONPATH=. timeout 600 python3 "scripts/$s" -p $port 2>&1 || true)
        row+=("$(echo "$out" | awk '/^PASS:/ {p=$2} /^FAIL:/ {f=$2} END {print (p==""?"?":p) "/" (f==""?"?":f)}')")
    done
    mark=""; [ "${row[0]#*/}" = "${row[1]#*/}" ] || mark="  <- differs"
    printf '%-52s %12s %12s%s\n' "$s" "${row[0]}" "${row[1]}" "$mark"
done
