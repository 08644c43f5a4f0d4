#!/usr/bin/env bash
# Floods and slow peers against the edge proxy (release build), as a
# production TLS terminator meets them; figures, not pass/fail:
#  1. a normal client's handshake latency alone, then while 2,000 idle and
#     500 trickling connections are held open (reopened when dropped);
#  2. a burst of 10,000 concurrent clients, each one handshake: how many
#     complete; the proxy's RSS before, just after, and a minute after;
#  3. 100,000 sequential connections: RSS and open descriptors before/after.
#
#   examples/flood_bench.sh [sequential count]
set -euo pipefail
seq_count=${1:-100000}
command -v openssl >/dev/null || { echo "flood_bench: openssl is missing" >&2; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q --manifest-path "$root/Cargo.toml" -p wassl-examples --bin edge_proxy --bin tlsload
bin=$root/target/release
# Thousands of sockets on both sides: as many descriptors as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf $work' EXIT
cd "$work"
source "$root/examples/bench_certs.sh"
echo_port=19200; edge_port=19201
"$bin/tlsload" echo 127.0.0.1:$echo_port 2>/dev/null &
printf 'listen = "127.0.0.1:%s"\naccess_log = "/dev/null"\nhandshake_timeout_ms = 10000\n[default]\ncertfile = "cert.pem"\nkeyfile = "key.pem"\nbackend = "127.0.0.1:%s"\n' \
    $edge_port $echo_port > edge.toml
"$bin/edge_proxy" edge.toml 2>edge.err &
pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$edge_port) 2>/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
fds() { ls /proc/$pid/fd | wc -l; }
load() { "$bin/tlsload" --connect 127.0.0.1:$edge_port --pid $pid --cafile ca.pem "$@"; }

echo "# edge_proxy (release), handshake_timeout_ms 10000, sandbox pool 1000; $(nproc) cores, open files $(ulimit -n)"
load --conns 8 --seconds 10 --label "8 clients alone"
load --conns 8 --seconds 20 --hold 2000 --trickle 500 --label "8 clients, 2000 idle + 500 trickling"
sleep 12  # the pressure's connections time out
r0=$(rss); f0=$(fds)
load --conns 10000 --count 10000 --label "burst of 10000 at once"
r1=$(rss)
sleep 60
r2=$(rss); f2=$(fds)
echo "rss_kib before_burst=$r0 just_after=$r1 a_minute_after=$r2 fds before=$f0 after=$f2"
load --conns 1 --count "$seq_count" --label "$seq_count sequential"
echo "rss_kib after_sequential=$(rss) fds=$(fds)"
