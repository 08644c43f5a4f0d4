#!/usr/bin/env bash
# wassl's servers against a tokio-rustls server of the same shape, driven
# from outside by tlsload on loopback, as a user compares them: server CPU
# per full and resumed handshake, handshakes/s and p99, CPU per GiB echoed
# by one connection (AES-128-GCM) and its MiB/s, resident memory per idle
# connection at 1,000. Rows alternate between servers within each round;
# min/median/max over rounds and wassl/rustls ratios (against the faster
# rustls provider) at the end.
#
#   examples/server_bench.sh [seconds per run] [rounds] [clients]
#
# Servers: wassl `s_server` and `edge_proxy` (in front of an echo backend),
# `rustls_server` with ring and, when aws-lc builds here, with aws-lc-rs
# (rustls's default provider) and `s_server` built with wassl's feature
# `aws-lc-rs` (`wassl_aws`: the host's crypto on aws-lc-rs). Same P-256
# certificate, no TLS 1.3 tickets for full-handshake rows, stateless
# tickets for resumed TLS 1.3 rows, TLS 1.2 session IDs. The ticket
# servers set TCP_NODELAY (`-nodelay`; the edge proxy always does): else
# the echo after their tickets waits for the client's delayed ACK, and the
# row measures a server idling at ~750 handshakes/s. Builds the release
# binaries it runs.
set -euo pipefail
secs=${1:-4}
rounds=${2:-3}
conns=${3:-32}
command -v openssl >/dev/null || { echo "server_bench: openssl is missing" >&2; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q --manifest-path "$root/Cargo.toml" -p wassl-examples \
    --bin s_server --bin edge_proxy --bin tlsload
aws=""
bin=$root/target/release
if cargo build --release -q --manifest-path "$root/Cargo.toml" -p wassl-yardstick --features aws-lc 2>/dev/null &&
    cargo build --release -q --manifest-path "$root/Cargo.toml" -p wassl-examples --features aws-lc-rs --bin s_server; then
    cp "$bin/s_server" "$bin/s_server_aws_lc_rs"
    # Back to the default build (cargo keeps both; this only relinks).
    cargo build --release -q --manifest-path "$root/Cargo.toml" -p wassl-examples --bin s_server
    aws=yes
else
    echo "server_bench: aws-lc did not build here; rustls with ring only" >&2
    cargo build --release -q --manifest-path "$root/Cargo.toml" -p wassl-yardstick
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf $work' EXIT
cd "$work"
source "$root/examples/bench_certs.sh"

echo_port=19100
"$bin/tlsload" echo 127.0.0.1:$echo_port 2>/dev/null &
start() { # name port command...
    local name=$1 port=$2; shift 2
    "$@" >"$name.out" 2>&1 &
    echo $! > "$name.pid"
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server_bench: $name did not start: $(cat $name.out)" >&2; exit 1
}
edge() { # name port tickets
    printf 'listen = "127.0.0.1:%s"\naccess_log = "/dev/null"\n[default]\ncertfile = "cert.pem"\nkeyfile = "key.pem"\nbackend = "127.0.0.1:%s"\n[sessions]\ntickets = "%s"\n' \
        "$2" "$echo_port" "$3" > "$1.toml"
    start "$1" "$2" "$bin/edge_proxy" "$1.toml"
}
# Full-handshake servers (no TLS 1.3 tickets) and ticket servers.
start wassl        18601 "$bin/s_server" -accept 18601 -cert cert.pem -key key.pem -quiet
start wassl_t      18611 "$bin/s_server" -accept 18611 -cert cert.pem -key key.pem -quiet -tickets stateless -nodelay
edge  edge         18602 disabled
edge  edge_t       18612 stateless
start rustls_ring   18603 "$bin/rustls_server" -accept 18603 -cert cert.pem -key key.pem -provider ring
start rustls_ring_t 18613 "$bin/rustls_server" -accept 18613 -cert cert.pem -key key.pem -provider ring -tickets stateless -nodelay
servers="wassl:18601 edge:18602 rustls_ring:18603"
tservers="wassl_t:18611 edge_t:18612 rustls_ring_t:18613"
if [ -n "$aws" ]; then
    start rustls_aws   18604 "$bin/rustls_server" -accept 18604 -cert cert.pem -key key.pem -provider aws-lc-rs
    start rustls_aws_t 18614 "$bin/rustls_server" -accept 18614 -cert cert.pem -key key.pem -provider aws-lc-rs -tickets stateless -nodelay
    start wassl_aws    18605 "$bin/s_server_aws_lc_rs" -accept 18605 -cert cert.pem -key key.pem -quiet
    start wassl_aws_t  18615 "$bin/s_server_aws_lc_rs" -accept 18615 -cert cert.pem -key key.pem -quiet -tickets stateless -nodelay
    servers="$servers rustls_aws:18604 wassl_aws:18605"
    tservers="$tservers rustls_aws_t:18614 wassl_aws_t:18615"
fi
# Fresh instances for the idle rows, untouched until then: resident memory
# grown by the other rows would hide what idle connections cost.
start wassl_i       18621 "$bin/s_server" -accept 18621 -cert cert.pem -key key.pem -quiet
edge  edge_i        18622 disabled
start rustls_ring_i 18623 "$bin/rustls_server" -accept 18623 -cert cert.pem -key key.pem -provider ring
iservers="wassl_i:18621 edge_i:18622 rustls_ring_i:18623"
if [ -n "$aws" ]; then
    start rustls_aws_i 18624 "$bin/rustls_server" -accept 18624 -cert cert.pem -key key.pem -provider aws-lc-rs
    start wassl_aws_i  18625 "$bin/s_server_aws_lc_rs" -accept 18625 -cert cert.pem -key key.pem -quiet
    iservers="$iservers rustls_aws_i:18624 wassl_aws_i:18625"
fi
sleep 1
run() { # row server:port args...
    local row=$1 sp=$2; shift 2
    local s=${sp%%:*} p=${sp##*:}
    "$bin/tlsload" --connect 127.0.0.1:$p --pid "$(cat $s.pid)" --cafile ca.pem \
        --label "$row/$(echo "$s" | sed 's/_[ti]$//')" "$@" | tee -a results.txt
}
for r in $(seq "$rounds"); do
    echo "# round $r" >&2
    for sp in $servers;  do run full_tls13    $sp --conns "$conns" --seconds "$secs" --tls13; done
    for sp in $servers;  do run full_tls12    $sp --conns "$conns" --seconds "$secs" --tls12; done
    for sp in $tservers; do run resumed_tls13 $sp --conns "$conns" --seconds "$secs" --tls13 --resume; done
    for sp in $servers;  do run resumed_tls12 $sp --conns "$conns" --seconds "$secs" --tls12 --resume; done
    for sp in $servers;  do run bulk_aes128   $sp --bulk 512 --tls13 --suite TLS13_AES_128_GCM_SHA256; done
done
# Idle memory once per server: 1,000 connections open at once.
for sp in $iservers; do run idle_1000 $sp --idle 1000 --tls13; done

echo
awk '
function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } }
function stats(key, c,   i, j, t, v) { for (i = 1; i <= c; i++) v[i] = val[key, i] + 0;
  for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
  med[key] = v[int((c + 1) / 2)]; return v[1] "/" v[int((c + 1) / 2)] "/" v[c] }
/^label=/ { l = field("label"); split(l, rs, "/"); row = rs[1]; srv = rs[2];
  if (row ~ /^bulk/) { m1 = "server_cpu_s_per_gib"; m2 = "mib_per_s"; m3 = "server_rss_rise_kib" }
  else if (row ~ /^idle/) { m1 = "server_rss_kib_per_conn"; m2 = "idle"; m3 = "p99_ms" }
  else { m1 = "server_cpu_us_per_hs"; m2 = "per_s"; m3 = "p99_ms" }
  k1 = row SUBSEP srv SUBSEP 1; k2 = row SUBSEP srv SUBSEP 2;
  n1[k1]++; val[k1, n1[k1]] = field(m1); n1[k2]++; val[k2, n1[k2]] = field(m2); third[row, srv] = field(m3);
  name1[row] = m1; name2[row] = m2; name3[row] = m3;
  if (!((row, srv) in seen)) { seen[row, srv] = 1; srvs[row] = srvs[row] " " srv }
  if (!(row in rowseen)) { rowseen[row] = 1; order[++k] = row } }
END {
  for (i = 1; i <= k; i++) { row = order[i]; printf "\n%s: %s (min/med/max), %s (min/med/max)\n", row, name1[row], name2[row];
    n = split(srvs[row], list, " ");
    for (j = 1; j <= n; j++) { s = list[j]; a = stats(row SUBSEP s SUBSEP 1, n1[row SUBSEP s SUBSEP 1]);
      b = stats(row SUBSEP s SUBSEP 2, n1[row SUBSEP s SUBSEP 2]); printf "  %-12s %-24s %-24s %s=%s\n", s, a, b, name3[row], third[row, s] }
    best = ""; for (j = 1; j <= n; j++) { s = list[j]; if (s ~ /^rustls/) { m = med[row SUBSEP s SUBSEP 1];
      if (best == "" || m < best) { best = m; bname = s } } }
    if (best > 0) for (j = 1; j <= n; j++) { s = list[j]; if (s !~ /^rustls/)
      printf "  %s / %s (%s, median): %.2fx\n", s, bname, name1[row], med[row SUBSEP s SUBSEP 1] / best } }
}' results.txt
